//! The deal turned into plain numbers of type `N`, computed once before any path runs.

use rust_decimal::Decimal;

use crate::deal::Deal;
use crate::money::Amount;
use crate::pool::{Projection, project};
use crate::waterfall::Terms;

/// Numbers the period loop reads, for one number type.
#[derive(Debug, Clone)]
pub struct Prepared<N> {
    pub periods: usize,
    /// Months in one deal period (3 for quarterly).
    pub period_months: u32,
    pub original_pool_balance: N,
    /// Periods from a default to its charge-off (the deal's months, rounded up to periods).
    pub charge_off_periods: usize,
    pub asset_balance: Vec<N>,
    pub asset_obligor: Vec<usize>,
    pub projection: Projection<N>,
    /// The contract's terms per period.
    pub terms: Terms<N>,
}

impl<N: Amount> Prepared<N> {
    pub fn new(deal: &Deal, exact: &Projection<Decimal>) -> Self {
        let periods = deal.period_ends.len();
        Prepared {
            periods,
            period_months: deal.frequency.months(),
            original_pool_balance: N::from_decimal(deal.pool.balance()),
            charge_off_periods: deal
                .structure
                .charge_off_months
                .div_ceil(deal.frequency.months()) as usize,
            asset_balance: deal
                .pool
                .assets
                .iter()
                .map(|a| N::from_decimal(a.balance))
                .collect(),
            asset_obligor: deal.pool.assets.iter().map(|a| a.obligor).collect(),
            projection: Projection {
                periods,
                assets: exact.assets,
                interest_fraction: exact
                    .interest_fraction
                    .iter()
                    .map(|x| N::from_decimal(*x))
                    .collect(),
                principal_fraction: exact
                    .principal_fraction
                    .iter()
                    .map(|x| N::from_decimal(*x))
                    .collect(),
            },
            terms: Terms::new(&deal.structure, deal.closing, &deal.period_ends),
        }
    }

    /// The exact projection for `deal` (what [`Prepared::new`] needs).
    pub fn projection_of(deal: &Deal) -> Projection<Decimal> {
        project(&deal.pool.assets, deal.closing, &deal.period_ends)
    }

    pub fn for_deal(deal: &Deal) -> Self {
        Self::new(deal, &Self::projection_of(deal))
    }
}
