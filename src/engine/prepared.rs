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
    /// The pool without defaults at one prepayment rate, when paths use it (see
    /// [`Trajectory`]).
    pub trajectory: Option<Trajectory<N>>,
}

/// Each asset's scheduled flows without defaults at a constant single-period prepayment rate,
/// computed once: a path whose events are whole defaults (a Monte Carlo path) starts from the
/// pool totals and removes a defaulted asset's flows from its default on, instead of walking
/// every asset on every date. The per-asset arithmetic is the loan-level step's, so a path
/// without defaults has the same figures.
#[derive(Debug, Clone)]
pub struct Trajectory<N> {
    pub smm: f64,
    /// Figures kept per asset and period ([`Trajectory::INTEREST`] and the like): interest,
    /// principal and closing balance, and the prepayment unless the rate is zero (it is
    /// then zero throughout). The opening balance is the last period's closing balance.
    /// Kept narrow: removing a default reads the asset's row from memory, and that read is
    /// most of a large pool's path.
    pub width: usize,
    /// `[asset][period][figure]`: one asset's periods contiguous, so that removing a default
    /// is a pass over one slice.
    pub flows: Vec<N>,
    /// Per asset: the first period it opens without a balance (repaid before it), or the
    /// number of periods.
    pub open_until: Vec<u32>,
    /// Per period: the pool's totals.
    pub totals: Vec<PoolTotals<N>>,
    /// Per period and figure (as in [`PoolTotals::figures`]): the assets with a non-zero
    /// amount in the total. A total whose count falls to zero is exactly zero.
    pub counts: Vec<[u32; 5]>,
}

impl<N> Trajectory<N> {
    /// Offsets of the figures in a `flows` cell.
    pub const INTEREST: usize = 0;
    pub const PRINCIPAL: usize = 1;
    pub const CLOSING: usize = 2;
    pub const PREPAID: usize = 3;
}

/// One period's scheduled pool figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolTotals<N> {
    pub opening: N,
    pub interest: N,
    pub principal: N,
    pub prepaid: N,
    pub closing: N,
}

impl<N: Amount> PoolTotals<N> {
    /// Opening balance, interest, principal, prepayment, closing balance.
    pub fn figures(&mut self) -> [&mut N; 5] {
        [
            &mut self.opening,
            &mut self.interest,
            &mut self.principal,
            &mut self.prepaid,
            &mut self.closing,
        ]
    }

    pub const ZERO: Self = PoolTotals {
        opening: N::ZERO,
        interest: N::ZERO,
        principal: N::ZERO,
        prepaid: N::ZERO,
        closing: N::ZERO,
    };
}

/// One asset's scheduled flows in period `t` from opening balance `balance` (the loan-level
/// step's rules: interest and principal at the projection's fractions, principal capped at the
/// balance, then the prepayment on what is left).
#[inline]
pub fn asset_flows<N: Amount>(
    prep: &Prepared<N>,
    asset: usize,
    t: usize,
    balance: N,
    prepayment_rate: f64,
    smm: N,
) -> PoolTotals<N> {
    let at = prep.projection.at(asset, t);
    let interest = (balance * prep.projection.interest_fraction[at]).round_money();
    let principal = (balance * prep.projection.principal_fraction[at])
        .round_money()
        .min(balance);
    let left = balance - principal;
    let prepaid = if prepayment_rate > 0.0 {
        (left * smm).round_money()
    } else {
        N::ZERO
    };
    PoolTotals {
        opening: balance,
        interest,
        principal,
        prepaid,
        closing: left - prepaid,
    }
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
            trajectory: None,
        }
    }

    /// With the default-free [`Trajectory`] at single-period prepayment rate `smm` (paths
    /// whose prepayment rate is that constant).
    pub fn with_trajectory(mut self, smm: f64) -> Self {
        let (assets, periods) = (self.asset_balance.len(), self.periods);
        let rate = N::from_rate(smm);
        let width = if smm > 0.0 { 4 } else { 3 };
        let mut flows = vec![N::ZERO; assets * periods * width];
        let mut open_until = vec![periods as u32; assets];
        let mut totals = vec![PoolTotals::ZERO; periods];
        let mut counts = vec![[0u32; 5]; periods];
        let mut balance = self.asset_balance.clone();
        for t in 0..periods {
            // Assets in order, as the loan-level step adds them.
            for a in 0..assets {
                let b = balance[a];
                if !b.gt_zero() {
                    open_until[a] = open_until[a].min(t as u32);
                    continue;
                }
                let mut f = asset_flows(&self, a, t, b, smm, rate);
                balance[a] = f.closing;
                let cell = (a * periods + t) * width;
                flows[cell + Trajectory::<N>::INTEREST] = f.interest;
                flows[cell + Trajectory::<N>::PRINCIPAL] = f.principal;
                flows[cell + Trajectory::<N>::CLOSING] = f.closing;
                if width > Trajectory::<N>::PREPAID {
                    flows[cell + Trajectory::<N>::PREPAID] = f.prepaid;
                }
                for ((total, x), count) in totals[t]
                    .figures()
                    .into_iter()
                    .zip(f.figures())
                    .zip(&mut counts[t])
                {
                    *total += *x;
                    *count += u32::from(*x != N::ZERO);
                }
            }
        }
        self.trajectory = Some(Trajectory {
            smm,
            width,
            flows,
            open_until,
            totals,
            counts,
        });
        self
    }

    /// The exact projection for `deal` (what [`Prepared::new`] needs).
    pub fn projection_of(deal: &Deal) -> Projection<Decimal> {
        project(&deal.pool.assets, deal.closing, &deal.period_ends)
    }

    pub fn for_deal(deal: &Deal) -> Self {
        Self::new(deal, &Self::projection_of(deal))
    }

    /// The same pool under the structure of `deal` (tranches, fees, accounts, triggers and
    /// charge-off rule), for a deal that differs from this one's only there: a sizing step.
    pub fn with_structure_of(&self, deal: &Deal) -> Self {
        Prepared {
            charge_off_periods: deal
                .structure
                .charge_off_months
                .div_ceil(deal.frequency.months()) as usize,
            terms: Terms::new(&deal.structure, deal.closing, &deal.period_ends),
            ..self.clone()
        }
    }
}
