//! The period loop. A deterministic run and every Monte Carlo path call [`run_path`]; the
//! number type and the source of credit events are the only differences.

pub mod deterministic;
pub mod events;
pub mod pool_step;
pub mod prepared;

pub use events::CreditEvents;
pub use pool_step::{PoolPeriod, PoolScratch};
pub use prepared::Prepared;

use crate::money::Amount;
use crate::waterfall::spec::{TriggerCondition, TriggerEffect};
use crate::waterfall::{
    CashSink, DealState, Party, PeriodInputs, Reason, StepScratch, accrue, run_steps, write_down,
};

/// What a run reports after each payment date. The deterministic recorder keeps everything; a
/// Monte Carlo recorder folds the period into a few per-path numbers.
pub trait Recorder<N> {
    /// A cash movement (never called with zero amounts).
    fn cash(&mut self, _period: usize, _reason: Reason, _party: Party, _amount: N) {}
    /// The payment date is complete: pool flows and the plan's state after the waterfall.
    fn period_end(&mut self, pool: &PoolPeriod<N>, state: &DealState<N>);
    /// Trigger `trigger` fired on the closing figures of `period`; it acts from the next one.
    fn trigger_fired(&mut self, _period: usize, _trigger: usize) {}
}

/// Everything a path needs that is not shared, reused between paths.
#[derive(Debug, Clone)]
pub struct Scratch<N> {
    pub pool: PoolScratch<N>,
    pub state: DealState<N>,
    steps: StepScratch<N>,
}

impl<N: Amount> Scratch<N> {
    pub fn new(prep: &Prepared<N>, max_lag: usize) -> Self {
        let s = &prep.terms.structure;
        Scratch {
            pool: PoolScratch::new(prep, max_lag),
            state: DealState::new(
                s.tranches.len(),
                s.fees.len(),
                s.accounts.len(),
                s.supports.len(),
                s.triggers.len(),
            ),
            steps: StepScratch::new(s.tranches.len()),
        }
    }

    fn reset(&mut self, prep: &Prepared<N>) {
        self.pool.reset(prep);
        self.state
            .reset(&prep.terms.tranche_balance, &prep.terms.account_initial);
    }
}

struct Sink<'a, R> {
    period: usize,
    recorder: &'a mut R,
}

impl<N: Amount, R: Recorder<N>> CashSink<N> for Sink<'_, R> {
    #[inline]
    fn cash(&mut self, reason: Reason, party: Party, amount: N) {
        if amount != N::ZERO {
            self.recorder.cash(self.period, reason, party, amount);
        }
    }
}

/// Runs the deal from closing to its last payment date. Returns the number of periods run.
pub fn run_path<N: Amount, R: Recorder<N>>(
    prep: &Prepared<N>,
    events: &impl CreditEvents,
    scratch: &mut Scratch<N>,
    recorder: &mut R,
) -> usize {
    scratch.reset(prep);
    let mut collateral_open = prep.original_pool_balance;
    for t in 0..prep.periods {
        let Scratch { pool, state, steps } = scratch;
        state.start_period();
        let mut flows = pool_step::pool_period(prep, events, t, pool);
        for (s, defaulted) in state.support_defaulted.iter_mut().enumerate() {
            *defaulted = events.support_defaulted(s, t);
        }
        let mut sink = Sink {
            period: t,
            recorder: &mut *recorder,
        };
        let called = state.call_pending;
        state.available = N::ZERO;
        let mut inflow = |state: &mut DealState<N>, reason, party, amount| {
            state.available += amount;
            sink.cash(reason, party, amount);
        };
        let brought = std::mem::replace(&mut state.plan_cash, N::ZERO);
        inflow(state, Reason::BroughtForward, Party::PlanAccount, brought);
        inflow(
            state,
            Reason::InterestCollection,
            Party::Pool,
            flows.interest,
        );
        inflow(
            state,
            Reason::PrincipalCollection,
            Party::Pool,
            flows.scheduled_principal,
        );
        inflow(state, Reason::Prepayment, Party::Pool, flows.prepayment);
        inflow(state, Reason::Recovery, Party::Pool, flows.recovery);
        if called {
            let price = pool.sell_remaining(t, &mut flows);
            inflow(state, Reason::CleanUpCall, Party::Originator, price);
        }
        let pool_exhausted = !flows.closing_balance.gt_zero() && !flows.pending_exposure.gt_zero();
        state.is_final = t + 1 == prep.periods || called || pool_exhausted;
        // Accounts release into the available funds before the steps run: everything on the
        // last date, otherwise what stands above the target (the documents' "excess over the
        // required amount"), so a reserve does not trap cash once its target falls.
        for a in 0..state.account_balance.len() {
            let released = if state.is_final {
                std::mem::replace(&mut state.account_balance[a], N::ZERO)
            } else {
                let target = prep
                    .terms
                    .account_target(a, |i| state.tranches[i].opening_balance);
                state.account_target[a] = target;
                let excess = (state.account_balance[a] - target).positive_part();
                state.account_balance[a] -= excess;
                excess
            };
            if released.gt_zero() || state.is_final {
                inflow(state, Reason::AccountRelease, Party::Account(a), released);
            }
        }

        let liabilities = state.tranche_balance();
        let collateral_close = if state.is_final {
            N::ZERO
        } else {
            flows.closing_balance + flows.pending_exposure
        };
        state.principal_distribution_left = if state.is_final {
            liabilities
        } else {
            (collateral_open - collateral_close)
                .positive_part()
                .min(liabilities)
        };
        collateral_open = collateral_close;

        let inputs = PeriodInputs {
            period: t,
            interest_collections: flows.interest,
            pool_balance_open: flows.opening_balance,
        };
        accrue(&prep.terms, &inputs, state);
        run_steps(&prep.terms, &inputs, state, steps, &mut sink);
        let left = std::mem::replace(&mut state.available, N::ZERO);
        state.plan_cash = left;
        sink.cash(Reason::CarriedForward, Party::PlanAccount, left);
        write_down(&prep.terms, state, collateral_close);
        recorder.period_end(&flows, state);
        if state.is_final {
            return t + 1;
        }
        update_triggers(prep, &flows, state, recorder);
    }
    prep.periods
}

/// Checks every trigger on the period's closing figures; a fired trigger acts from the next
/// payment date and stays fired.
fn update_triggers<N: Amount>(
    prep: &Prepared<N>,
    flows: &PoolPeriod<N>,
    state: &mut DealState<N>,
    recorder: &mut impl Recorder<N>,
) {
    let original = prep.original_pool_balance.to_f64();
    for (k, trigger) in prep.terms.structure.triggers.iter().enumerate() {
        if state.trigger_fired[k] {
            continue;
        }
        let fires = match &trigger.condition {
            TriggerCondition::CumulativeDefaultRateAbove { threshold } => {
                flows.cumulative_defaulted.to_f64() > threshold * original
            }
            TriggerCondition::InterestShortfall { tranches } => tranches
                .iter()
                .any(|&i| state.tranches[i].interest_shortfall.gt_zero()),
            TriggerCondition::PoolFactorBelow { threshold } => {
                flows.closing_balance.to_f64() < threshold * original
            }
        };
        if !fires {
            continue;
        }
        state.trigger_fired[k] = true;
        recorder.trigger_fired(flows.period, k);
        match trigger.effect {
            TriggerEffect::SwitchWaterfall { waterfall } => state.active_waterfall = waterfall,
            TriggerEffect::CleanUpCall => state.call_pending = true,
        }
    }
}
