//! The priority of payments: the contract as data ([`spec`]), its per-period numbers
//! ([`terms`]), the plan's state, the ledger, one payment date's rules ([`date`]) and its
//! steps ([`period`]).

pub mod date;
pub mod ledger;
pub mod period;
pub mod spec;
pub mod state;
pub mod terms;

pub use date::{Collections, determine, pay};
pub use ledger::{Direction, Entry, Party, Reason};
pub use period::{CashSink, PeriodInputs, StepScratch, accrue, run_steps};
pub use state::{DealState, TrancheState};
pub use terms::Terms;

use crate::money::Amount;

/// Writes off, on the last payment date, what the tranches still owe after its payments
/// (losses not covered by excess spread, reserves or support), and returns the total. Before
/// the last date nothing is written down: what the collateral no longer backs stands as each
/// class's principal deficiency and the class still owes it.
pub fn write_down<N: Amount>(terms: &Terms<N>, state: &mut DealState<N>) -> N {
    let mut total = N::ZERO;
    for &i in &terms.write_down_order {
        let tranche = &mut state.tranches[i];
        let cut = tranche.balance;
        tranche.balance = N::ZERO;
        tranche.write_down += cut;
        total += cut;
    }
    total
}
