//! The priority of payments: the contract as data ([`spec`]), its per-period numbers
//! ([`terms`]), the plan's state, the ledger, and one payment date's steps ([`period`]).

pub mod ledger;
pub mod period;
pub mod spec;
pub mod state;
pub mod terms;

pub use ledger::{Entry, Party, Reason};
pub use period::{CashSink, PeriodInputs, StepScratch, accrue, run_steps};
pub use state::{DealState, TrancheState};
pub use terms::Terms;

use crate::money::Amount;

/// Writes tranches down from the bottom until their total is no more than `collateral`
/// (losses not covered by excess spread or support). Returns the total written down.
///
/// Before the last payment date only subordinate (non-senior) classes are written down: senior
/// classes stay owed until the end, when a shortfall undertaking still has to pay their balance;
/// what is left unpaid then is written off.
pub fn write_down<N: Amount>(terms: &Terms<N>, state: &mut DealState<N>, collateral: N) -> N {
    let mut excess = (state.tranche_balance() - collateral).positive_part();
    let total = excess;
    for &i in &terms.write_down_order {
        if !excess.gt_zero() {
            break;
        }
        if !state.is_final && terms.structure.tranches[i].senior {
            continue;
        }
        let tranche = &mut state.tranches[i];
        let cut = excess.min(tranche.balance);
        tranche.balance -= cut;
        tranche.write_down += cut;
        excess -= cut;
    }
    total - excess
}
