//! One payment date's priority of payments: accrue what is due, then run the steps in order.
//! Both the deterministic run and every Monte Carlo path come through here.

use super::date::{deficiency_of, live_deficiency};
use super::ledger::{Party, Reason};
use super::spec::{FeeBasis, Order, Pot, PrincipalAmount, Step};
use super::state::DealState;
use super::terms::Terms;
use crate::money::{Amount, allocate_pro_rata};

/// What the pool and the engine tell the waterfall about the payment date.
#[derive(Debug, Clone, Copy)]
pub struct PeriodInputs<N> {
    pub period: usize,
    pub interest_collections: N,
    /// Performing pool balance at the start of the period (fee basis).
    pub pool_balance_open: N,
}

/// Receives every cash movement the waterfall makes.
pub trait CashSink<N> {
    fn cash(&mut self, reason: Reason, party: Party, amount: N);
    /// Trigger `trigger` fired on this date's determination.
    fn trigger_fired(&mut self, _trigger: usize) {}
}

/// Adds this period's interest and fees to what is owed.
pub fn accrue<N: Amount>(terms: &Terms<N>, inputs: &PeriodInputs<N>, state: &mut DealState<N>) {
    let t = inputs.period;
    let mut tranche_total = N::ZERO;
    for (i, tranche) in state.tranches.iter_mut().enumerate() {
        tranche_total += tranche.opening_balance;
        let accrued = (tranche.opening_balance * terms.coupon_factor[terms.at(i, t)]).round_money();
        tranche.interest_shortfall += accrued;
        tranche.interest_due = tranche.interest_shortfall;
    }
    for (f, fee) in terms.structure.fees.iter().enumerate() {
        let factor = terms.fee_factor[terms.at(f, t)];
        let accrued = match fee.basis {
            FeeBasis::FixedPerYear { .. } => factor,
            FeeBasis::PoolBalance { .. } => (inputs.pool_balance_open * factor).round_money(),
            FeeBasis::TrancheBalance { .. } => (tranche_total * factor).round_money(),
            FeeBasis::InterestCollections { .. } => {
                (inputs.interest_collections * factor).round_money()
            }
        };
        state.fee_due[f] = accrued;
        state.fee_arrears[f] += accrued;
    }
}

/// Runs the steps of the step list in force.
pub fn run_steps<N: Amount>(
    terms: &Terms<N>,
    inputs: &PeriodInputs<N>,
    state: &mut DealState<N>,
    scratch: &mut StepScratch<N>,
    sink: &mut impl CashSink<N>,
) {
    let w = state.active_waterfall;
    let waterfall = &terms.structure.waterfalls[w];
    for (k, step) in waterfall.steps.iter().enumerate() {
        // The step pays from its account: its cash is `available` while it runs.
        let pot = waterfall.from[k];
        state.available = std::mem::replace(&mut state.pots[pot as usize], N::ZERO);
        let account = waterfall.separate_accounts.then_some(pot);
        run_step(
            step,
            account,
            terms.step_rate[w][k],
            terms,
            inputs.period,
            state,
            scratch,
            sink,
        );
        state.pots[pot as usize] = std::mem::replace(&mut state.available, N::ZERO);
    }
}

/// Reusable buffers for pro rata splits.
#[derive(Debug, Clone)]
pub struct StepScratch<N> {
    dues: Vec<N>,
    shares: Vec<N>,
}

impl<N: Amount> StepScratch<N> {
    pub fn new(tranches: usize) -> Self {
        StepScratch {
            dues: vec![N::ZERO; tranches],
            shares: vec![N::ZERO; tranches],
        }
    }
}

fn pay<N: Amount>(state: &mut DealState<N>, amount: N) -> N {
    let paid = amount.min(state.available).positive_part();
    state.available -= paid;
    paid
}

/// `account` is the account the step pays from in a separate-accounts waterfall, `None` in a
/// combined one.
#[allow(clippy::too_many_arguments)]
fn run_step<N: Amount>(
    step: &Step,
    account: Option<Pot>,
    step_rate: N,
    terms: &Terms<N>,
    t: usize,
    state: &mut DealState<N>,
    scratch: &mut StepScratch<N>,
    sink: &mut impl CashSink<N>,
) {
    match step {
        Step::Fee { fee } => {
            let cap_left = terms.fee_cap[terms.at(*fee, t)].map(|cap| cap - state.fee_paid[*fee]);
            let owed = cap_left.map_or(state.fee_arrears[*fee], |c| state.fee_arrears[*fee].min(c));
            let paid = pay(state, owed);
            state.fee_arrears[*fee] -= paid;
            state.fee_paid[*fee] += paid;
            sink.cash(Reason::Fee, Party::Fee(*fee), paid);
        }
        Step::Interest { tranches } => {
            let n = tranches.len();
            for (k, &i) in tranches.iter().enumerate() {
                scratch.dues[k] = state.tranches[i].interest_shortfall;
            }
            let total = scratch.dues[..n].iter().fold(N::ZERO, |s, d| s + *d);
            let cash = total.min(state.available);
            allocate_pro_rata(cash, &scratch.dues[..n], &mut scratch.shares[..n]);
            for (k, &i) in tranches.iter().enumerate() {
                let paid = pay(state, scratch.shares[k]);
                state.tranches[i].interest_shortfall -= paid;
                state.tranches[i].interest_paid += paid;
                sink.cash(Reason::TrancheInterest, Party::Tranche(i), paid);
            }
        }
        Step::Principal {
            tranches,
            order,
            amount,
        } => {
            let separate = account.is_some();
            principal_step(
                tranches, *order, *amount, separate, terms, t, state, scratch, sink,
            )
        }
        Step::Support { support, covers } => {
            if state.support_defaulted[*support] {
                return;
            }
            let needs = covered_needs(covers, account, terms, t, state);
            let gap = (needs - state.available).positive_part();
            let cap_left =
                terms.support_cap[*support].map(|cap| cap - state.support_drawn_total[*support]);
            let draw = cap_left.map_or(gap, |c| gap.min(c)).positive_part();
            state.available += draw;
            state.support_drawn[*support] += draw;
            state.support_drawn_total[*support] += draw;
            sink.cash(Reason::SupportDraw, Party::Support(*support), draw);
        }
        Step::ReserveDraw {
            account: reserve,
            covers,
        } => {
            let needs = covered_needs(covers, account, terms, t, state);
            let gap = (needs - state.available).positive_part();
            let draw = gap.min(state.account_balance[*reserve]);
            state.account_balance[*reserve] -= draw;
            state.available += draw;
            sink.cash(Reason::ReserveDraw, Party::Account(*reserve), draw);
        }
        Step::PdlCure { tranches } => {
            let owed = deficiency_of(terms, state, live_deficiency(state), tranches);
            let cure = pay(state, owed);
            state.pots[Pot::Principal as usize] += cure;
            sink.cash(Reason::PdlCure, Party::PrincipalAccount, cure);
        }
        Step::PrincipalToRevenue { covers } => {
            let interest = covers.iter().fold(N::ZERO, |sum, &i| {
                sum + state.tranches[i].interest_shortfall
            });
            let principal = &mut state.pots[Pot::Principal as usize];
            let draw = (interest - state.available).positive_part().min(*principal);
            *principal -= draw;
            state.available += draw;
            sink.cash(Reason::PrincipalToRevenue, Party::RevenueAccount, draw);
        }
        Step::ReserveFund { account } => {
            if state.is_final {
                return;
            }
            // Set for this date before the steps ran (engine), as the release used it.
            let target = state.account_target[*account];
            let deposit = pay(
                state,
                (target - state.account_balance[*account]).positive_part(),
            );
            state.account_balance[*account] += deposit;
            sink.cash(Reason::ReserveDeposit, Party::Account(*account), deposit);
        }
        Step::SubordinateReturn { tranche, .. } => {
            let opening = state.tranches[*tranche].opening_balance;
            let due = (opening * step_rate * terms.year_fraction[t]).round_money();
            let paid = pay(state, due);
            state.tranches[*tranche].subordinate_return_paid += paid;
            sink.cash(Reason::SubordinateReturn, Party::Tranche(*tranche), paid);
        }
        Step::Residual { tranche } => {
            let paid = pay(state, state.available);
            state.tranches[*tranche].residual_paid += paid;
            sink.cash(Reason::Residual, Party::Tranche(*tranche), paid);
        }
    }
}

/// Principal the tranche is scheduled to receive on this date: down to its target balance, or
/// everything on the last payment date.
fn scheduled_principal<N: Amount>(terms: &Terms<N>, i: usize, t: usize, state: &DealState<N>) -> N {
    let balance = state.tranches[i].balance;
    if state.is_final {
        return balance;
    }
    terms.target_balance[terms.at(i, t)]
        .map_or(N::ZERO, |target| (balance - target).positive_part())
}

/// What the covered tranches are due from the account a draw step sits in: interest owed
/// from the revenue account, scheduled principal from the principal account, both in a
/// combined waterfall.
fn covered_needs<N: Amount>(
    covers: &[usize],
    account: Option<Pot>,
    terms: &Terms<N>,
    t: usize,
    state: &DealState<N>,
) -> N {
    covers.iter().fold(N::ZERO, |sum, &i| {
        let interest = state.tranches[i].interest_shortfall;
        sum + match account {
            None => interest + scheduled_principal(terms, i, t, state),
            Some(Pot::Revenue) => interest,
            Some(Pot::Principal) => scheduled_principal(terms, i, t, state),
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn principal_step<N: Amount>(
    tranches: &[usize],
    order: Order,
    amount: PrincipalAmount,
    separate: bool,
    terms: &Terms<N>,
    t: usize,
    state: &mut DealState<N>,
    scratch: &mut StepScratch<N>,
    sink: &mut impl CashSink<N>,
) {
    let n = tranches.len();
    for (k, &i) in tranches.iter().enumerate() {
        let balance = state.tranches[i].balance;
        scratch.dues[k] = match amount {
            PrincipalAmount::PassThrough | PrincipalAmount::Turbo => balance,
            PrincipalAmount::Scheduled => scheduled_principal(terms, i, t, state),
        };
    }
    let mut budget = state.available;
    if amount == PrincipalAmount::PassThrough && !separate {
        // The period's principal collections, or down to the collateral while the tranches
        // exceed it: the deficiency is cured before any later (junior) step is paid.
        let to_collateral = (state.tranche_balance() - state.collateral).positive_part();
        budget = budget.min(state.principal_distribution_left.max(to_collateral));
    }
    match order {
        Order::Sequential => {
            for k in 0..n {
                scratch.shares[k] = scratch.dues[k].min(budget);
                budget -= scratch.shares[k];
            }
        }
        Order::ProRata => {
            let total = scratch.dues[..n].iter().fold(N::ZERO, |s, d| s + *d);
            allocate_pro_rata(
                budget.min(total),
                &scratch.dues[..n],
                &mut scratch.shares[..n],
            );
        }
    }
    for (k, &i) in tranches.iter().enumerate() {
        let paid = pay(state, scratch.shares[k]);
        state.tranches[i].balance -= paid;
        state.tranches[i].principal_paid += paid;
        state.principal_distribution_left =
            (state.principal_distribution_left - paid).positive_part();
        sink.cash(Reason::TranchePrincipal, Party::Tranche(i), paid);
    }
}
