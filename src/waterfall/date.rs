//! One payment date's rules, in the order the documents apply them: the determination date's
//! trigger tests, the collections into the revenue and principal accounts, reserve releases,
//! the final-date flags, the steps, then the principal deficiency and (on the last date) the
//! write-downs. The engine sequences dates and hands the pool's figures in; the deterministic
//! run, every Monte Carlo path and every search come through here.

use super::ledger::{Party, Reason};
use super::period::{CashSink, PeriodInputs, StepScratch, accrue, run_steps};
use super::spec::{Effective, Pot, TriggerCondition, TriggerEffect};
use super::state::DealState;
use super::terms::Terms;
use super::write_down;
use crate::money::Amount;

/// The collection period's figures as of the determination date.
#[derive(Debug, Clone, Copy)]
pub struct Collections<N> {
    pub period: usize,
    pub interest: N,
    pub scheduled_principal: N,
    pub prepayment: N,
    pub recovery: N,
    /// Performing balance at the start and at the end of the period.
    pub pool_balance_open: N,
    pub pool_balance_close: N,
    /// Defaulted balance not yet charged off (still counted as collateral).
    pub uncharged_default: N,
    /// Defaulted balance whose recovery is still to come.
    pub pending_exposure: N,
    pub cumulative_defaulted: N,
    pub original_pool_balance: N,
    /// Whether this is the deal's last scheduled payment date.
    pub last_scheduled: bool,
}

/// Tests every trigger that has not fired on the determination date's figures (the collection
/// period just ended, and what the last payment date left unpaid) and applies what acts on
/// this payment date. Returns whether the pool is sold under a clean-up call on this date.
pub fn determine<N: Amount>(
    terms: &Terms<N>,
    c: &Collections<N>,
    state: &mut DealState<N>,
    sink: &mut impl CashSink<N>,
) -> bool {
    // What fired last date with `effective = "next_date"` acts now.
    if let Some(w) = state.pending_waterfall.take() {
        state.active_waterfall = w;
    }
    let mut call = std::mem::replace(&mut state.call_pending, false);
    let original = c.original_pool_balance.to_f64();
    for (k, trigger) in terms.structure.triggers.iter().enumerate() {
        if state.trigger_fired[k] {
            continue;
        }
        let fires = match &trigger.condition {
            TriggerCondition::CumulativeDefaultRateAbove { threshold } => {
                c.cumulative_defaulted.to_f64() > threshold * original
            }
            TriggerCondition::InterestShortfall { tranches } => tranches
                .iter()
                .any(|&i| state.tranches[i].interest_shortfall.gt_zero()),
            TriggerCondition::PoolFactorBelow { threshold } => {
                c.pool_balance_close.to_f64() < threshold * original
            }
            TriggerCondition::SupportFailure { support } => state.support_failed[*support],
        };
        if !fires {
            continue;
        }
        state.trigger_fired[k] = true;
        sink.trigger_fired(k);
        let now = trigger.effective == Effective::ThisDate;
        match trigger.effect {
            TriggerEffect::SwitchWaterfall { waterfall } if now => {
                state.active_waterfall = waterfall;
            }
            TriggerEffect::SwitchWaterfall { waterfall } => {
                state.pending_waterfall = Some(waterfall);
            }
            TriggerEffect::CleanUpCall if now => call = true,
            TriggerEffect::CleanUpCall => state.call_pending = true,
        }
    }
    call
}

/// Pays the date: collections in, accounts released, the step list in force, then the
/// deficiency and, on the last date, the write-downs. `call_price` is the originator's
/// payment when the pool was sold on this date.
pub fn pay<N: Amount>(
    terms: &Terms<N>,
    c: &Collections<N>,
    call_price: Option<N>,
    state: &mut DealState<N>,
    steps: &mut StepScratch<N>,
    sink: &mut impl CashSink<N>,
) {
    let separate = terms.separate_accounts;
    let (revenue_party, principal_party) = if separate {
        (Party::RevenueAccount, Party::PrincipalAccount)
    } else {
        (Party::PlanAccount, Party::PlanAccount)
    };
    let brought = std::mem::replace(&mut state.pots, [N::ZERO; 2]);
    let mut inflow = |state: &mut DealState<N>, pot: Pot, reason, party, amount: N| {
        state.pots[pot as usize] += amount;
        sink.cash(reason, party, amount);
    };
    inflow(
        state,
        Pot::Revenue,
        Reason::BroughtForward,
        revenue_party,
        brought[0],
    );
    if separate {
        inflow(
            state,
            Pot::Principal,
            Reason::BroughtForward,
            principal_party,
            brought[1],
        );
    }
    inflow(
        state,
        Pot::Revenue,
        Reason::InterestCollection,
        Party::Pool,
        c.interest,
    );
    let principal_in = [
        (
            Reason::PrincipalCollection,
            Party::Pool,
            c.scheduled_principal,
        ),
        (Reason::Prepayment, Party::Pool, c.prepayment),
        (Reason::Recovery, Party::Pool, c.recovery),
        (
            Reason::CleanUpCall,
            Party::Originator,
            call_price.unwrap_or(N::ZERO),
        ),
    ];
    let mut principal_collected = N::ZERO;
    for (reason, party, amount) in principal_in {
        principal_collected += amount;
        inflow(state, Pot::Principal, reason, party, amount);
    }
    let called = call_price.is_some();
    let pool_exhausted = !c.pool_balance_close.gt_zero() && !c.pending_exposure.gt_zero();
    state.is_final = c.last_scheduled || called || pool_exhausted;
    // Reserves release into revenue before the steps run: everything on the last date,
    // otherwise what stands above the target (the documents' "excess over the required
    // amount"), so a reserve does not trap cash once its target falls.
    for a in 0..state.account_balance.len() {
        let released = if state.is_final {
            std::mem::replace(&mut state.account_balance[a], N::ZERO)
        } else {
            let target = terms.account_target(a, |i| state.tranches[i].opening_balance);
            state.account_target[a] = target;
            let excess = (state.account_balance[a] - target).positive_part();
            state.account_balance[a] -= excess;
            excess
        };
        if released.gt_zero() || state.is_final {
            inflow(
                state,
                Pot::Revenue,
                Reason::AccountRelease,
                Party::Account(a),
                released,
            );
        }
    }
    if !terms.structure.waterfalls[state.active_waterfall].separate_accounts {
        // A combined waterfall (always the case after an event of default in the documents)
        // pays everything from one account.
        let principal = std::mem::replace(&mut state.pots[1], N::ZERO);
        state.pots[0] += principal;
    }
    let liabilities = state.tranche_balance();
    state.collateral = if state.is_final {
        N::ZERO
    } else {
        c.pool_balance_close + c.uncharged_default
    };
    state.principal_distribution_left = if state.is_final {
        liabilities
    } else {
        (principal_collected + brought[1]).min(liabilities)
    };

    let inputs = PeriodInputs {
        period: c.period,
        interest_collections: c.interest,
        pool_balance_open: c.pool_balance_open,
    };
    accrue(terms, &inputs, state);
    run_steps(terms, &inputs, state, steps, sink);
    sink.cash(Reason::CarriedForward, revenue_party, state.pots[0]);
    if separate {
        sink.cash(Reason::CarriedForward, principal_party, state.pots[1]);
    }
    if state.is_final {
        write_down(terms, state);
        state
            .tranches
            .iter_mut()
            .for_each(|t| t.deficiency = N::ZERO);
    } else {
        let mut left = live_deficiency(state);
        for &i in &terms.write_down_order {
            let tranche = &mut state.tranches[i];
            tranche.deficiency = junior_share(&mut left, tranche.balance);
        }
    }
}

/// The principal deficiency: what the tranches owe beyond the collateral and the principal
/// cash that backs them, at least zero.
pub fn live_deficiency<N: Amount>(state: &DealState<N>) -> N {
    (state.tranche_balance() - state.collateral - state.pots[Pot::Principal as usize])
        .positive_part()
}

/// The junior-first rule, one class at a time (classes taken most junior first): the class
/// bears what is `left` of the deficiency up to its balance.
fn junior_share<N: Amount>(left: &mut N, balance: N) -> N {
    let share = (*left).min(balance);
    *left -= share;
    share
}

/// The part of `deficiency` standing against `tranches` under the junior-first allocation
/// (what a cure step for those tranches may pay).
pub fn deficiency_of<N: Amount>(
    terms: &Terms<N>,
    state: &DealState<N>,
    deficiency: N,
    tranches: &[usize],
) -> N {
    let mut left = deficiency;
    terms.write_down_order.iter().fold(N::ZERO, |of, &i| {
        let share = junior_share(&mut left, state.tranches[i].balance);
        if tranches.contains(&i) {
            of + share
        } else {
            of
        }
    })
}
