//! The contract's terms as plain numbers per payment date, computed once per deal.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::spec::{AccountTarget, FeeBasis, Structure};
use crate::money::Amount;

/// Per-period numbers of the structure; `[item * periods + period]` where per period.
#[derive(Debug, Clone)]
pub struct Terms<N> {
    pub periods: usize,
    pub structure: Structure,
    /// `days / basis` of each period under the deal's day count.
    pub year_fraction: Vec<N>,
    pub tranche_balance: Vec<N>,
    /// `coupon × days / basis`, `[tranche][period]`.
    pub coupon_factor: Vec<N>,
    /// Target balance after each payment date, `[tranche][period]`; `None` without a schedule.
    pub target_balance: Vec<Option<N>>,
    /// The period's fixed fee amount, or its rate for the period, `[fee][period]`.
    pub fee_factor: Vec<N>,
    /// Most that may be paid per period, `[fee][period]`; `None` uncapped.
    pub fee_cap: Vec<Option<N>>,
    pub account_initial: Vec<N>,
    pub support_cap: Vec<Option<N>>,
    /// Each step's rate option as `N` (subordinate return cap), `[waterfall][step]`; 0 if none.
    pub step_rate: Vec<Vec<N>>,
    /// Tranche indices from the most junior (written down first) to the most senior.
    pub write_down_order: Vec<usize>,
    /// Whether any step list keeps revenue and principal apart (then the date's collections
    /// and carry-forward name the two accounts), worked out once rather than every date.
    pub separate_accounts: bool,
}

impl<N: Amount> Terms<N> {
    pub fn new(structure: &Structure, closing: NaiveDate, period_ends: &[NaiveDate]) -> Self {
        let periods = period_ends.len();
        let year_fraction_exact: Vec<Decimal> = (0..periods)
            .map(|t| {
                let start = if t == 0 { closing } else { period_ends[t - 1] };
                let (days, basis) = structure.day_count.fraction(start, period_ends[t]);
                Decimal::from(days) / Decimal::from(basis)
            })
            .collect();
        let yf = &year_fraction_exact;
        let mut coupon_factor = Vec::new();
        let mut target_balance = Vec::new();
        for tranche in &structure.tranches {
            coupon_factor.extend(yf.iter().map(|f| N::from_decimal(tranche.coupon * f)));
            target_balance.extend((0..periods).map(|t| {
                let last = tranche.target_balances.len().checked_sub(1)?;
                Some(N::from_decimal(tranche.target_balances[t.min(last)]))
            }));
        }
        let mut fee_factor = Vec::new();
        let mut fee_cap = Vec::new();
        for fee in &structure.fees {
            fee_factor.extend(yf.iter().map(|f| {
                N::from_decimal(match fee.basis {
                    FeeBasis::FixedPerYear { amount } => (amount * f).round_money(),
                    FeeBasis::PoolBalance { rate } | FeeBasis::TrancheBalance { rate } => rate * f,
                    FeeBasis::InterestCollections { rate } => rate,
                })
            }));
            fee_cap.extend(yf.iter().map(|f| {
                fee.annual_cap
                    .map(|cap| N::from_decimal((cap * f).round_money()))
            }));
        }
        Terms {
            periods,
            year_fraction: yf.iter().map(|x| N::from_decimal(*x)).collect(),
            tranche_balance: structure
                .tranches
                .iter()
                .map(|t| N::from_decimal(t.balance))
                .collect(),
            coupon_factor,
            target_balance,
            fee_factor,
            fee_cap,
            account_initial: structure
                .accounts
                .iter()
                .map(|a| N::from_decimal(a.initial_balance))
                .collect(),
            support_cap: structure
                .supports
                .iter()
                .map(|s| s.cap.map(N::from_decimal))
                .collect(),
            step_rate: structure
                .waterfalls
                .iter()
                .map(|w| {
                    w.steps
                        .iter()
                        .map(|step| match step {
                            super::spec::Step::SubordinateReturn { rate, .. } => {
                                N::from_decimal(*rate)
                            }
                            _ => N::ZERO,
                        })
                        .collect()
                })
                .collect(),
            write_down_order: {
                let mut order: Vec<usize> = (0..structure.tranches.len()).collect();
                order.sort_by_key(|&i| std::cmp::Reverse(structure.tranches[i].rank));
                order
            },
            separate_accounts: structure.has_separate_accounts(),
            structure: structure.clone(),
        }
    }

    pub fn at(&self, item: usize, period: usize) -> usize {
        item * self.periods + period
    }

    /// The reserve account's target on this payment date.
    pub fn account_target(&self, account: usize, tranche_opening: impl Fn(usize) -> N) -> N {
        match &self.structure.accounts[account].target {
            AccountTarget::Fixed { amount } => N::from_decimal(*amount),
            AccountTarget::ShareOfTranches {
                rate,
                tranches,
                floor,
            } => {
                let base = tranches
                    .iter()
                    .fold(N::ZERO, |sum, &t| sum + tranche_opening(t));
                // The floor holds while the covered tranches owe more than it; once they are
                // repaid the requirement falls to zero.
                (base * N::from_decimal(*rate))
                    .round_money()
                    .max(N::from_decimal(*floor))
                    .min(base)
            }
        }
    }
}
