//! What one Monte Carlo path keeps: a few numbers per tranche and for the pool, folded from the
//! payment dates as they happen (no per-period arrays survive the path), plus the chunk's
//! per-date accumulators.

use super::by_date::DateMoments;
use super::fan::FanHistogram;
use crate::engine::{PoolPeriod, Recorder};
use crate::metrics;
use crate::waterfall::DealState;

/// Pool columns of a path row, then [`TRANCHE_COLUMNS`] per tranche.
pub const POOL_COLUMNS: [&str; 5] = [
    "pool_cdr",
    "pool_loss_rate",
    "defaulted_obligors",
    "support_drawn",
    // 1 when a promisor of the deal had defaulted by the path's last payment date, else 0.
    "promisor_defaulted",
];
/// Per tranche: principal loss / original, WAL (NaN without principal), yield at par (nominal,
/// compounded at the deal's frequency; the floor −m for a total loss), missed interest (1 or 0;
/// NaN for a class without a coupon).
/// Then the present-value loss rate (Moody's convention): 1 − PV of what was received,
/// discounted at the promised yield (the coupon, compounded at the deal's frequency), over the
/// original balance; 0 for a class paid everything it was promised.
pub const TRANCHE_COLUMNS: [&str; 5] = [
    "loss_rate",
    "wal",
    "yield",
    "missed_interest",
    "pv_loss_rate",
];

/// Values in one path row of a deal with `tranches` classes.
pub const fn row_width(tranches: usize) -> usize {
    POOL_COLUMNS.len() + TRANCHE_COLUMNS.len() * tranches
}

/// Column names of a path row for these tranche names.
pub fn column_names(tranches: &[String]) -> Vec<String> {
    let mut names: Vec<String> = POOL_COLUMNS.iter().map(|s| s.to_string()).collect();
    for t in tranches {
        names.extend(TRANCHE_COLUMNS.iter().map(|c| format!("{t}_{c}")));
    }
    names
}

/// A tranche's cash flows on a path: (days from closing, yuan).
type DatedFlows = Vec<(u32, f64)>;

/// Shares of a tranche's original balance below this are rounding, not loss (one fen on the
/// smallest class).
pub const LOSS_EPSILON: f64 = 0.005;

/// What every path of a deal shares, per tranche.
pub struct TrancheInputs<'a> {
    pub original: &'a [f64],
    pub senior: &'a [bool],
    /// Coupon > 0: only such classes can miss interest.
    pub has_coupon: &'a [bool],
    /// Annual coupon rates (the promised yield).
    pub coupon: &'a [f64],
}

/// Folds a path's payment dates; reused between paths.
pub struct PathRecorder<'a> {
    years: &'a [f64],
    tranche_original: &'a [f64],
    senior: &'a [bool],
    has_coupon: &'a [bool],
    coupon: &'a [f64],
    original_pool: f64,
    periods: usize,
    /// Compounding periods per year of the yields.
    per_year: u32,
    /// `[tranche][period]` cash received, for the path's yield.
    cash: Vec<f64>,
    principal: Vec<f64>,
    wal_numerator: Vec<f64>,
    missed_interest: Vec<bool>,
    /// Per tranche: write-downs so far on this path.
    cumulative_write_down: Vec<f64>,
    /// Per tranche: cumulative loss (write-downs + open deficiency) after the last date run.
    cumulative_loss: Vec<f64>,
    realized_loss: f64,
    end_balance: f64,
    cumulative_defaulted: f64,
    support_drawn: f64,
    promisor_defaulted: bool,
    last_period: usize,
    flows: DatedFlows,
    /// Per tranche: the flows and yield of a path without defaults, once seen.
    default_free_yield: Vec<Option<(DatedFlows, f64)>>,
    /// Days from closing to each payment date (ACT/365F yields).
    days: Vec<u32>,
    pub pool_fan: FanHistogram,
    pub senior_fan: FanHistogram,
    /// Cell `tranche × periods + period`: cumulative loss after the date, yuan.
    pub loss_by_date: DateMoments,
    /// Cell `tranche × periods + period`: balance after the date, yuan.
    pub balance_by_date: DateMoments,
}

impl<'a> PathRecorder<'a> {
    pub fn new(
        years: &'a [f64],
        tranches: TrancheInputs<'a>,
        original_pool: f64,
        per_year: u32,
    ) -> Self {
        let periods = years.len();
        let n = tranches.original.len();
        PathRecorder {
            years,
            tranche_original: tranches.original,
            senior: tranches.senior,
            has_coupon: tranches.has_coupon,
            coupon: tranches.coupon,
            original_pool,
            periods,
            per_year,
            cash: vec![0.0; n * periods],
            principal: vec![0.0; n],
            wal_numerator: vec![0.0; n],
            missed_interest: vec![false; n],
            cumulative_write_down: vec![0.0; n],
            cumulative_loss: vec![0.0; n],
            realized_loss: 0.0,
            end_balance: 0.0,
            cumulative_defaulted: 0.0,
            support_drawn: 0.0,
            promisor_defaulted: false,
            last_period: 0,
            flows: Vec::with_capacity(periods),
            default_free_yield: vec![None; n],
            days: years.iter().map(|y| (y * 365.0).round() as u32).collect(),
            pool_fan: FanHistogram::new(periods),
            senior_fan: FanHistogram::new(periods),
            loss_by_date: DateMoments::new(n * periods),
            balance_by_date: DateMoments::new(n * periods),
        }
    }

    pub fn start_path(&mut self) {
        self.cash.iter_mut().for_each(|x| *x = 0.0);
        self.principal.iter_mut().for_each(|x| *x = 0.0);
        self.wal_numerator.iter_mut().for_each(|x| *x = 0.0);
        self.missed_interest.iter_mut().for_each(|x| *x = false);
        self.cumulative_write_down.iter_mut().for_each(|x| *x = 0.0);
        self.cumulative_loss.iter_mut().for_each(|x| *x = 0.0);
        self.realized_loss = 0.0;
        self.end_balance = 0.0;
        self.cumulative_defaulted = 0.0;
        self.support_drawn = 0.0;
        self.promisor_defaulted = false;
        self.last_period = 0;
        self.loss_by_date.start_path();
        self.balance_by_date.start_path();
    }

    /// The last payment date this path ran (the deal may end early: clean-up call, pool
    /// exhausted).
    pub fn last_period(&self) -> usize {
        self.last_period
    }

    /// Writes the path's row (see [`column_names`]); `defaulted_obligors` comes from the draws.
    /// `yield_guess[i]` starts each tranche's yield search.
    pub fn finish_path(&mut self, defaulted_obligors: usize, yield_guess: &[f64], row: &mut [f64]) {
        // Balances are zero after the deal ends: the fan counts them so; losses stay as they
        // were on the last date.
        for t in self.last_period + 1..self.periods {
            self.pool_fan.add(t, 0.0);
            self.senior_fan.add(t, 0.0);
            for i in 0..self.tranche_original.len() {
                let cell = i * self.periods + t;
                self.loss_by_date.add(cell, self.cumulative_loss[i]);
                self.balance_by_date.add(cell, 0.0);
            }
        }
        row[0] = self.cumulative_defaulted / self.original_pool;
        row[1] = (self.realized_loss + self.end_balance) / self.original_pool;
        row[2] = defaulted_obligors as f64;
        row[3] = self.support_drawn;
        row[4] = f64::from(u8::from(self.promisor_defaulted));
        let (pool, width) = (POOL_COLUMNS.len(), TRANCHE_COLUMNS.len());
        for (i, original) in self.tranche_original.iter().enumerate() {
            let out = &mut row[pool + width * i..pool + width * (i + 1)];
            let loss = (original - self.principal[i]).max(0.0);
            out[0] = if loss > LOSS_EPSILON {
                loss / original
            } else {
                0.0
            };
            out[1] = if self.principal[i] > 0.0 {
                self.wal_numerator[i] / self.principal[i]
            } else {
                f64::NAN
            };
            self.flows.clear();
            for t in 0..=self.last_period {
                let cf = self.cash[i * self.periods + t];
                if cf != 0.0 {
                    self.flows.push((self.days[t], cf));
                }
            }
            out[2] = match &self.default_free_yield[i] {
                // Every path without a default pays a tranche the same flows: its yield is
                // computed once. (A pure function of the flows, so results stay bit-identical
                // whatever the chunking.)
                Some((flows, y)) if *flows == self.flows => *y,
                _ => {
                    // Every path has a yield: the floor −m when nothing was received.
                    let y =
                        metrics::yield_days(*original, &self.flows, self.per_year, yield_guess[i])
                            .unwrap_or(f64::NAN);
                    if defaulted_obligors == 0 {
                        self.default_free_yield[i] = Some((self.flows.clone(), y));
                    }
                    y
                }
            };
            out[3] = match (self.has_coupon[i], self.missed_interest[i]) {
                (false, _) => f64::NAN,
                (true, true) => 1.0,
                (true, false) => 0.0,
            };
            out[4] = if out[0] == 0.0 && !self.missed_interest[i] {
                0.0
            } else {
                let m = f64::from(self.per_year);
                let base = 1.0 + self.coupon[i] / m;
                let pv: f64 = self
                    .flows
                    .iter()
                    .map(|(days, cf)| cf * base.powf(-m * f64::from(*days) / 365.0))
                    .sum();
                (1.0 - pv / original).max(0.0)
            };
        }
    }
}

impl Recorder<f64> for PathRecorder<'_> {
    #[inline]
    fn period_end(&mut self, pool: &PoolPeriod<f64>, state: &DealState<f64>) {
        let t = pool.period;
        self.last_period = t;
        let mut senior_balance = 0.0;
        let mut senior_original = 0.0;
        for (i, tranche) in state.tranches.iter().enumerate() {
            self.cash[i * self.periods + t] = tranche.cash_received();
            self.principal[i] += tranche.principal_paid;
            self.wal_numerator[i] += tranche.principal_paid * self.years[t];
            // Interest due and still unpaid after the date (carried in the shortfall, so the
            // last date's covers all interest never paid), beyond rounding noise: a missed
            // payment.
            if tranche.interest_shortfall > LOSS_EPSILON {
                self.missed_interest[i] = true;
            }
            if self.senior[i] {
                senior_balance += tranche.balance;
                senior_original += self.tranche_original[i];
            }
            // `write_down` is this date's; the deficiency is what stands open after it.
            self.cumulative_write_down[i] += tranche.write_down;
            self.cumulative_loss[i] = self.cumulative_write_down[i] + tranche.deficiency;
            let cell = i * self.periods + t;
            self.loss_by_date.add(cell, self.cumulative_loss[i]);
            self.balance_by_date.add(cell, tranche.balance);
        }
        self.realized_loss += pool.realized_loss;
        self.end_balance = pool.closing_balance + pool.pending_exposure;
        self.cumulative_defaulted = pool.cumulative_defaulted;
        self.support_drawn = state.support_drawn_total.iter().sum();
        self.promisor_defaulted |= state.support_failed.iter().any(|f| *f);
        self.pool_fan
            .add(t, pool.closing_balance / self.original_pool);
        if senior_original > 0.0 {
            self.senior_fan.add(t, senior_balance / senior_original);
        }
    }
}
