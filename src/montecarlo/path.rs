//! What one Monte Carlo path keeps: a few numbers per tranche and for the pool, folded from the
//! payment dates as they happen (no per-period arrays survive the path), plus the chunk's
//! per-date accumulators.

use super::by_date::DateMoments;
use super::fan::FanHistogram;
use crate::engine::{PoolPeriod, Recorder};
use crate::metrics;
use crate::waterfall::DealState;

/// Pool columns of a path row, then [`TRANCHE_COLUMNS`] per tranche.
pub const POOL_COLUMNS: [&str; 6] = [
    "pool_cdr",
    "pool_loss_rate",
    "defaulted_obligors",
    "support_drawn",
    // 1 when a promisor of the deal had defaulted by the path's last payment date, else 0.
    "promisor_defaulted",
    // The path's weight in every statistic: its likelihood ratio under importance sampling,
    // 1 for plain Monte Carlo.
    "likelihood_ratio",
];

/// Index of `likelihood_ratio` in a path row.
pub const WEIGHT_COLUMN: usize = 5;
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

/// What a path has folded from the dates run so far (saved with the default-free path's state
/// at each date, for paths that resume it).
#[derive(Debug, Clone)]
pub struct Folded {
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
}

impl Folded {
    fn new(tranches: usize) -> Self {
        Folded {
            principal: vec![0.0; tranches],
            wal_numerator: vec![0.0; tranches],
            missed_interest: vec![false; tranches],
            cumulative_write_down: vec![0.0; tranches],
            cumulative_loss: vec![0.0; tranches],
            realized_loss: 0.0,
            end_balance: 0.0,
            cumulative_defaulted: 0.0,
            support_drawn: 0.0,
            promisor_defaulted: false,
            last_period: 0,
        }
    }

    /// Back to the closing state without reallocating.
    fn clear(&mut self) {
        for v in [
            &mut self.principal,
            &mut self.wal_numerator,
            &mut self.cumulative_write_down,
            &mut self.cumulative_loss,
        ] {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        self.missed_interest.iter_mut().for_each(|x| *x = false);
        self.realized_loss = 0.0;
        self.end_balance = 0.0;
        self.cumulative_defaulted = 0.0;
        self.support_drawn = 0.0;
        self.promisor_defaulted = false;
        self.last_period = 0;
    }

    fn restore(&mut self, from: &Folded) {
        let Folded {
            principal,
            wal_numerator,
            missed_interest,
            cumulative_write_down,
            cumulative_loss,
            realized_loss,
            end_balance,
            cumulative_defaulted,
            support_drawn,
            promisor_defaulted,
            last_period,
        } = from;
        self.principal.copy_from_slice(principal);
        self.wal_numerator.copy_from_slice(wal_numerator);
        self.missed_interest.copy_from_slice(missed_interest);
        self.cumulative_write_down
            .copy_from_slice(cumulative_write_down);
        self.cumulative_loss.copy_from_slice(cumulative_loss);
        self.realized_loss = *realized_loss;
        self.end_balance = *end_balance;
        self.cumulative_defaulted = *cumulative_defaulted;
        self.support_drawn = *support_drawn;
        self.promisor_defaulted = *promisor_defaulted;
        self.last_period = *last_period;
    }
}

/// The default-free path's per-date values: the references of the per-date statistics.
#[derive(Debug, Clone)]
pub struct TraceRow {
    pub loss: Vec<f64>,
    pub balance: Vec<f64>,
    pub pool_share: f64,
    pub senior_share: f64,
}

/// Per-date references (the default-free path's values) of a recorder's statistics.
#[derive(Debug, Clone)]
pub struct References {
    /// Cell `tranche × periods + period`.
    pub loss: Vec<f64>,
    pub balance: Vec<f64>,
    pub pool_share: Vec<f64>,
    pub senior_share: Vec<f64>,
}

impl References {
    /// All zeros (a recorder whose statistics are not used).
    pub fn zero(tranches: usize, periods: usize) -> Self {
        References {
            loss: vec![0.0; tranches * periods],
            balance: vec![0.0; tranches * periods],
            pool_share: vec![0.0; periods],
            senior_share: vec![0.0; periods],
        }
    }

    /// From the default-free path's trace (one row per date it ran); after its last date the
    /// losses stand and balances are zero, as [`PathRecorder::finish_path`] counts them.
    pub fn from_trace(trace: &[TraceRow], tranches: usize, periods: usize) -> Self {
        let mut r = References::zero(tranches, periods);
        let mut last_loss = vec![0.0; tranches];
        for t in 0..periods {
            if let Some(row) = trace.get(t) {
                last_loss.clone_from(&row.loss);
                r.pool_share[t] = row.pool_share;
                r.senior_share[t] = row.senior_share;
            }
            for (i, loss) in last_loss.iter().enumerate() {
                let cell = i * periods + t;
                r.loss[cell] = *loss;
                r.balance[cell] = trace.get(t).map_or(0.0, |row| row.balance[i]);
            }
        }
        r
    }
}

/// `[tranche][period]`: `(1 + c/m)^(−m·days/365)` at each tranche's coupon `c` (its promised
/// yield, compounded `per_year` times a year) for `days` from closing to each payment date.
fn promised_discount(days: &[u32], coupon: &[f64], per_year: u32) -> Vec<f64> {
    let m = f64::from(per_year);
    let mut out = Vec::with_capacity(days.len() * coupon.len());
    for c in coupon {
        let base = 1.0 + c / m;
        out.extend(days.iter().map(|d| base.powf(-m * f64::from(*d) / 365.0)));
    }
    out
}

/// Folds a path's payment dates; reused between paths.
pub struct PathRecorder<'a> {
    years: &'a [f64],
    tranche_original: &'a [f64],
    senior: &'a [bool],
    has_coupon: &'a [bool],
    original_pool: f64,
    periods: usize,
    /// Compounding periods per year of the yields.
    per_year: u32,
    /// `[tranche][period]` cash received, for the path's yield.
    cash: Vec<f64>,
    folded: Folded,
    has_senior: bool,
    /// The default-free path's values, one [`TraceRow`] per date, while recording it.
    trace: Option<Vec<TraceRow>>,
    flows: DatedFlows,
    /// Per tranche: the flows and yield of a path without defaults, once seen.
    default_free_yield: Vec<Option<(DatedFlows, f64)>>,
    /// Days from closing to each payment date (ACT/365F yields).
    days: Vec<u32>,
    /// `[tranche][period]`: the discount factor of a payment date at the tranche's promised
    /// yield (the present-value loss rate's), the same for every path.
    promised_discount: Vec<f64>,
    /// The current path's likelihood ratio (1 for plain Monte Carlo).
    weight: f64,
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
        references: &References,
    ) -> Self {
        let periods = years.len();
        let n = tranches.original.len();
        let days: Vec<u32> = years.iter().map(|y| (y * 365.0).round() as u32).collect();
        let has_senior = tranches
            .original
            .iter()
            .zip(tranches.senior)
            .any(|(b, s)| *s && *b > 0.0);
        PathRecorder {
            years,
            tranche_original: tranches.original,
            senior: tranches.senior,
            has_coupon: tranches.has_coupon,
            original_pool,
            periods,
            per_year,
            cash: vec![0.0; n * periods],
            folded: Folded::new(n),
            has_senior,
            trace: None,
            flows: Vec::with_capacity(periods),
            default_free_yield: vec![None; n],
            promised_discount: promised_discount(&days, tranches.coupon, per_year),
            days,
            weight: 1.0,
            pool_fan: FanHistogram::new(&references.pool_share),
            senior_fan: FanHistogram::new(&references.senior_share),
            loss_by_date: DateMoments::new(references.loss.clone()),
            balance_by_date: DateMoments::new(references.balance.clone()),
        }
    }

    /// Records every date's values from now on (for the default-free path).
    pub fn start_trace(&mut self) {
        self.trace = Some(Vec::with_capacity(self.periods));
    }

    pub fn take_trace(&mut self) -> Vec<TraceRow> {
        self.trace.take().unwrap_or_default()
    }

    /// The likelihood ratio of the path about to start (importance sampling): it weights the
    /// path in the per-date statistics and goes in its row.
    pub fn set_weight(&mut self, weight: f64) {
        self.weight = weight;
    }

    pub fn start_path(&mut self) {
        self.cash.iter_mut().for_each(|x| *x = 0.0);
        self.folded.clear();
        self.start_statistics(0);
    }

    /// What the path has folded so far (to save with a state it may resume from).
    pub fn folded(&self) -> &Folded {
        &self.folded
    }

    /// The cash received per tranche and date so far.
    pub fn cash(&self) -> &[f64] {
        &self.cash
    }

    /// A path that was the default-free path up to the start of period `k` resumes there:
    /// `folded` and `cash` are the default-free path's then, and the per-date statistics count
    /// the dates before `k` at their references without being told.
    pub fn resume(&mut self, k: usize, folded: &Folded, cash: &[f64]) {
        self.cash.copy_from_slice(cash);
        self.folded.restore(folded);
        self.start_statistics(k);
    }

    /// A path that is the default-free path throughout: only the per-date statistics count it
    /// (at their references); its row is the default-free one.
    pub fn default_free_path(&mut self) {
        self.start_statistics(self.periods);
    }

    /// A path enters the per-date statistics, at their references for the dates before `k`
    /// (nothing before date 0).
    fn start_statistics(&mut self, k: usize) {
        let w = self.weight;
        self.loss_by_date.start_path(w);
        self.balance_by_date.start_path(w);
        self.pool_fan.start_path(w);
        self.senior_fan.start_path(w);
        if k > 0 {
            self.pool_fan.add_reference_prefix(k);
            if self.has_senior {
                self.senior_fan.add_reference_prefix(k);
            }
        }
    }

    /// The last payment date this path ran (the deal may end early: clean-up call, pool
    /// exhausted).
    pub fn last_period(&self) -> usize {
        self.folded.last_period
    }

    /// Writes the path's row (see [`column_names`]); `defaulted_obligors` comes from the draws.
    /// `yield_guess[i]` starts each tranche's yield search.
    pub fn finish_path(&mut self, defaulted_obligors: usize, yield_guess: &[f64], row: &mut [f64]) {
        // Balances are zero after the deal ends: the fan counts them so; losses stay as they
        // were on the last date.
        for t in self.folded.last_period + 1..self.periods {
            self.pool_fan.add(t, 0.0);
            self.senior_fan.add(t, 0.0);
            for i in 0..self.tranche_original.len() {
                let cell = i * self.periods + t;
                self.loss_by_date.add(cell, self.folded.cumulative_loss[i]);
                self.balance_by_date.add(cell, 0.0);
            }
        }
        row[0] = self.folded.cumulative_defaulted / self.original_pool;
        row[1] = (self.folded.realized_loss + self.folded.end_balance) / self.original_pool;
        row[2] = defaulted_obligors as f64;
        row[3] = self.folded.support_drawn;
        row[4] = f64::from(u8::from(self.folded.promisor_defaulted));
        row[WEIGHT_COLUMN] = self.weight;
        let (pool, width) = (POOL_COLUMNS.len(), TRANCHE_COLUMNS.len());
        for (i, original) in self.tranche_original.iter().enumerate() {
            let out = &mut row[pool + width * i..pool + width * (i + 1)];
            let loss = (original - self.folded.principal[i]).max(0.0);
            out[0] = if loss > LOSS_EPSILON {
                loss / original
            } else {
                0.0
            };
            out[1] = if self.folded.principal[i] > 0.0 {
                self.folded.wal_numerator[i] / self.folded.principal[i]
            } else {
                f64::NAN
            };
            let missed = self.folded.missed_interest[i];
            // A class paid everything it was promised has no present-value loss.
            let wants_pv = out[0] != 0.0 || missed;
            let mut pv = 0.0;
            self.flows.clear();
            for t in 0..=self.folded.last_period {
                let cell = i * self.periods + t;
                let cf = self.cash[cell];
                if cf != 0.0 {
                    self.flows.push((self.days[t], cf));
                    if wants_pv {
                        pv += cf * self.promised_discount[cell];
                    }
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
            out[3] = match (self.has_coupon[i], missed) {
                (false, _) => f64::NAN,
                (true, true) => 1.0,
                (true, false) => 0.0,
            };
            out[4] = if wants_pv {
                (1.0 - pv / original).max(0.0)
            } else {
                0.0
            };
        }
    }
}

impl Recorder<f64> for PathRecorder<'_> {
    #[inline]
    fn period_end(&mut self, pool: &PoolPeriod<f64>, state: &DealState<f64>) {
        let t = pool.period;
        self.folded.last_period = t;
        let mut senior_balance = 0.0;
        let mut senior_original = 0.0;
        for (i, tranche) in state.tranches.iter().enumerate() {
            self.cash[i * self.periods + t] = tranche.cash_received();
            self.folded.principal[i] += tranche.principal_paid;
            self.folded.wal_numerator[i] += tranche.principal_paid * self.years[t];
            // Interest due and still unpaid after the date (carried in the shortfall, so the
            // last date's covers all interest never paid), beyond rounding noise: a missed
            // payment.
            if tranche.interest_shortfall > LOSS_EPSILON {
                self.folded.missed_interest[i] = true;
            }
            if self.senior[i] {
                senior_balance += tranche.balance;
                senior_original += self.tranche_original[i];
            }
            // `write_down` is this date's; the deficiency is what stands open after it.
            self.folded.cumulative_write_down[i] += tranche.write_down;
            self.folded.cumulative_loss[i] =
                self.folded.cumulative_write_down[i] + tranche.deficiency;
            let cell = i * self.periods + t;
            self.loss_by_date.add(cell, self.folded.cumulative_loss[i]);
            self.balance_by_date.add(cell, tranche.balance);
        }
        self.folded.realized_loss += pool.realized_loss;
        self.folded.end_balance = pool.closing_balance + pool.pending_exposure;
        self.folded.cumulative_defaulted = pool.cumulative_defaulted;
        self.folded.support_drawn = state.support_drawn_total.iter().sum();
        self.folded.promisor_defaulted |= state.support_failed.iter().any(|f| *f);
        let pool_share = pool.closing_balance / self.original_pool;
        self.pool_fan.add(t, pool_share);
        let senior_share = if senior_original > 0.0 {
            senior_balance / senior_original
        } else {
            0.0
        };
        if senior_original > 0.0 {
            self.senior_fan.add(t, senior_share);
        }
        if let Some(trace) = &mut self.trace {
            let n = self.tranche_original.len();
            trace.push(TraceRow {
                loss: self.folded.cumulative_loss.clone(),
                balance: state.tranches[..n].iter().map(|x| x.balance).collect(),
                pool_share,
                senior_share,
            });
        }
    }
}
