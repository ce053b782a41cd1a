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
use crate::waterfall::{CashSink, Collections, DealState, Party, Reason, StepScratch, date};

/// What a run reports after each payment date. The deterministic recorder keeps everything; a
/// Monte Carlo recorder folds the period into a few per-path numbers.
pub trait Recorder<N> {
    /// A cash movement (never called with zero amounts).
    fn cash(&mut self, _period: usize, _reason: Reason, _party: Party, _amount: N) {}
    /// The payment date is complete: pool flows and the plan's state after the waterfall.
    fn period_end(&mut self, pool: &PoolPeriod<N>, state: &DealState<N>);
    /// Trigger `trigger` fired on the determination date of `period` (it acts on that payment
    /// date, or on the next one if the trigger says `effective = "next_date"`).
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

    /// Becomes a copy of `from` (a saved state of the same deal) without reallocating.
    pub fn restore(&mut self, from: &Self) {
        self.pool.restore(&from.pool);
        self.state.restore(&from.state);
    }

    pub fn reset(&mut self, prep: &Prepared<N>) {
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

    fn trigger_fired(&mut self, trigger: usize) {
        self.recorder.trigger_fired(self.period, trigger);
    }
}

/// Runs the deal from closing to its last payment date. Returns the number of periods run.
/// The engine sequences the dates and hands the pool's figures to [`waterfall::date`], which
/// owns every rule of a payment date.
///
/// [`waterfall::date`]: crate::waterfall::date
pub fn run_path<N: Amount, R: Recorder<N>>(
    prep: &Prepared<N>,
    events: &impl CreditEvents,
    scratch: &mut Scratch<N>,
    recorder: &mut R,
) -> usize {
    scratch.reset(prep);
    run_from(prep, events, scratch, recorder, 0, |_, _, _| {})
}

/// Runs the deal from the start of period `start`, `scratch` holding the state the path had
/// then (a Monte Carlo path resumes the default-free path at its first event: up to there the
/// two are the same path). `at_start(t, scratch, recorder)` sees the state before each period
/// runs. Returns the number of periods run from closing.
pub fn run_from<N: Amount, R: Recorder<N>>(
    prep: &Prepared<N>,
    events: &impl CreditEvents,
    scratch: &mut Scratch<N>,
    recorder: &mut R,
    start: usize,
    mut at_start: impl FnMut(usize, &Scratch<N>, &R),
) -> usize {
    for t in start..prep.periods {
        at_start(t, scratch, recorder);
        let Scratch { pool, state, steps } = scratch;
        state.start_period();
        let mut flows = pool_step::pool_period(prep, events, t, pool);
        for s in 0..state.support_defaulted.len() {
            let defaulted = events.support_defaulted(s, t);
            state.support_defaulted[s] = defaulted;
            state.support_failed[s] = defaulted && events.support_exists(s);
        }
        let mut sink = Sink {
            period: t,
            recorder: &mut *recorder,
        };
        let called = date::determine(&prep.terms, &collections(prep, &flows), state, &mut sink);
        let call_price = called.then(|| pool.sell_remaining(t, &mut flows));
        let c = collections(prep, &flows);
        date::pay(&prep.terms, &c, call_price, state, steps, &mut sink);
        recorder.period_end(&flows, state);
        if state.is_final {
            return t + 1;
        }
    }
    prep.periods
}

fn collections<N: Amount>(prep: &Prepared<N>, flows: &PoolPeriod<N>) -> Collections<N> {
    Collections {
        period: flows.period,
        interest: flows.interest,
        scheduled_principal: flows.scheduled_principal,
        prepayment: flows.prepayment,
        recovery: flows.recovery,
        pool_balance_open: flows.opening_balance,
        pool_balance_close: flows.closing_balance,
        uncharged_default: flows.uncharged_default,
        pending_exposure: flows.pending_exposure,
        cumulative_defaulted: flows.cumulative_defaulted,
        original_pool_balance: prep.original_pool_balance,
        last_scheduled: flows.period + 1 == prep.periods,
    }
}
