//! What the plan owes and holds between payment dates. One value per path, reused.

use crate::money::Amount;

/// One tranche's position and what happened to it on the current payment date.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TrancheState<N> {
    pub balance: N,
    /// Interest due but unpaid, carried to the next payment date (no interest on interest).
    pub interest_shortfall: N,
    // This period.
    pub opening_balance: N,
    pub interest_due: N,
    pub interest_paid: N,
    pub principal_paid: N,
    pub subordinate_return_paid: N,
    pub residual_paid: N,
    pub write_down: N,
    /// Principal deficiency (本金亏损) standing against this class after the date's payments:
    /// the part of its balance no longer backed by collateral or principal cash, allocated from
    /// the most junior class up. Not a write-down: the class still owes it until the last date.
    pub deficiency: N,
}

impl<N: Amount> TrancheState<N> {
    pub fn new(balance: N) -> Self {
        TrancheState {
            balance,
            interest_shortfall: N::ZERO,
            opening_balance: balance,
            interest_due: N::ZERO,
            interest_paid: N::ZERO,
            principal_paid: N::ZERO,
            subordinate_return_paid: N::ZERO,
            residual_paid: N::ZERO,
            write_down: N::ZERO,
            deficiency: N::ZERO,
        }
    }

    /// Everything the holder received this period.
    pub fn cash_received(&self) -> N {
        self.interest_paid + self.principal_paid + self.subordinate_return_paid + self.residual_paid
    }
}

/// The plan's state: tranches, fee arrears, accounts, support, triggers.
#[derive(Debug, Clone)]
pub struct DealState<N> {
    pub tranches: Vec<TrancheState<N>>,
    pub fee_arrears: Vec<N>,
    /// This period, per fee.
    pub fee_due: Vec<N>,
    pub fee_paid: Vec<N>,
    pub account_balance: Vec<N>,
    /// Each account's target for this payment date, set once before the steps run (the
    /// release above it and `reserve_fund` both use it).
    pub account_target: Vec<N>,
    /// This period, per support.
    pub support_drawn: Vec<N>,
    pub support_drawn_total: Vec<N>,
    pub support_defaulted: Vec<bool>,
    /// The promisor of a support that is part of the run has defaulted (supporter failure).
    pub support_failed: Vec<bool>,
    pub trigger_fired: Vec<bool>,
    /// Index of the step list in force.
    pub active_waterfall: usize,
    /// A step list a trigger switches to from the next payment date (`effective = next_date`).
    pub pending_waterfall: Option<usize>,
    /// A clean-up call fired to act on the next payment date, which is then the last.
    pub call_pending: bool,
    /// Cash in the revenue and principal accounts, indexed by [`Pot`]: collections while the
    /// steps run, what is left after them until the next payment date. A combined waterfall
    /// pools both into the revenue slot.
    ///
    /// [`Pot`]: super::spec::Pot
    pub pots: [N; 2],
    /// Funds of the account the current step pays from (moved out of `pots` around a step).
    pub available: N,
    /// Principal collections not yet paid out this date (the combined waterfall's pass-through
    /// amount, before any deficiency cure).
    pub principal_distribution_left: N,
    /// Collateral that backs the tranches after this date: performing balance plus defaulted
    /// balance not yet charged off (zero on the last date).
    pub collateral: N,
    pub is_final: bool,
}

impl<N: Amount> DealState<N> {
    pub fn new(
        tranches: usize,
        fees: usize,
        accounts: usize,
        supports: usize,
        triggers: usize,
    ) -> Self {
        DealState {
            tranches: vec![TrancheState::new(N::ZERO); tranches],
            fee_arrears: vec![N::ZERO; fees],
            fee_due: vec![N::ZERO; fees],
            fee_paid: vec![N::ZERO; fees],
            account_balance: vec![N::ZERO; accounts],
            account_target: vec![N::ZERO; accounts],
            support_drawn: vec![N::ZERO; supports],
            support_drawn_total: vec![N::ZERO; supports],
            support_defaulted: vec![false; supports],
            support_failed: vec![false; supports],
            trigger_fired: vec![false; triggers],
            active_waterfall: 0,
            pending_waterfall: None,
            call_pending: false,
            pots: [N::ZERO; 2],
            available: N::ZERO,
            principal_distribution_left: N::ZERO,
            collateral: N::ZERO,
            is_final: false,
        }
    }

    /// Back to the closing state without reallocating (paths reuse one state).
    pub fn reset(&mut self, tranche_balances: &[N], account_balances: &[N]) {
        for (t, b) in self.tranches.iter_mut().zip(tranche_balances) {
            *t = TrancheState::new(*b);
        }
        for v in [
            &mut self.fee_arrears,
            &mut self.fee_due,
            &mut self.fee_paid,
            &mut self.support_drawn,
            &mut self.support_drawn_total,
        ] {
            v.iter_mut().for_each(|x| *x = N::ZERO);
        }
        self.account_balance.copy_from_slice(account_balances);
        self.account_target.iter_mut().for_each(|x| *x = N::ZERO);
        self.support_defaulted.iter_mut().for_each(|x| *x = false);
        self.support_failed.iter_mut().for_each(|x| *x = false);
        self.trigger_fired.iter_mut().for_each(|x| *x = false);
        self.active_waterfall = 0;
        self.pending_waterfall = None;
        self.call_pending = false;
        self.pots = [N::ZERO; 2];
        self.available = N::ZERO;
        self.principal_distribution_left = N::ZERO;
        self.collateral = N::ZERO;
        self.is_final = false;
    }

    /// Becomes a copy of `from` without reallocating (a path resuming a saved state). The
    /// destructuring names every field, so a new one cannot be forgotten here.
    pub fn restore(&mut self, from: &Self) {
        let DealState {
            tranches,
            fee_arrears,
            fee_due,
            fee_paid,
            account_balance,
            account_target,
            support_drawn,
            support_drawn_total,
            support_defaulted,
            support_failed,
            trigger_fired,
            active_waterfall,
            pending_waterfall,
            call_pending,
            pots,
            available,
            principal_distribution_left,
            collateral,
            is_final,
        } = from;
        self.tranches.clone_from(tranches);
        self.fee_arrears.clone_from(fee_arrears);
        self.fee_due.clone_from(fee_due);
        self.fee_paid.clone_from(fee_paid);
        self.account_balance.clone_from(account_balance);
        self.account_target.clone_from(account_target);
        self.support_drawn.clone_from(support_drawn);
        self.support_drawn_total.clone_from(support_drawn_total);
        self.support_defaulted.clone_from(support_defaulted);
        self.support_failed.clone_from(support_failed);
        self.trigger_fired.clone_from(trigger_fired);
        self.active_waterfall = *active_waterfall;
        self.pending_waterfall = *pending_waterfall;
        self.call_pending = *call_pending;
        self.pots = *pots;
        self.available = *available;
        self.principal_distribution_left = *principal_distribution_left;
        self.collateral = *collateral;
        self.is_final = *is_final;
    }

    pub fn tranche_balance(&self) -> N {
        self.tranches.iter().fold(N::ZERO, |sum, t| sum + t.balance)
    }

    /// Clears the per-period figures before a payment date.
    pub fn start_period(&mut self) {
        for t in &mut self.tranches {
            *t = TrancheState {
                balance: t.balance,
                interest_shortfall: t.interest_shortfall,
                deficiency: t.deficiency,
                ..TrancheState::new(t.balance)
            };
        }
        self.fee_due.iter_mut().for_each(|x| *x = N::ZERO);
        self.fee_paid.iter_mut().for_each(|x| *x = N::ZERO);
        self.support_drawn.iter_mut().for_each(|x| *x = N::ZERO);
    }
}
