//! Break-even default rate (BDR): the largest pool cumulative default rate X (defaulted
//! principal / original pool balance) at which a tranche still receives all interest when due
//! and all principal by the last payment date, found by bisection through the deterministic
//! waterfall (`engine::run_path` with [`AssumptionEvents`]).
//!
//! **Defaults.** X is spread over the first N payment dates by a timing curve (weights `w_t`,
//! summing to 1): even, front-loaded (`w_t ∝ N − t`) or back-loaded (`w_t ∝ t + 1`). The
//! engine takes defaults as a fraction of the *performing* balance, so the target amount
//! `X · w_t · B₀` is divided by the performing balance expected at the start of period t. In a
//! deterministic run every asset defaults and prepays at the same pool-wide rates, so each
//! asset's performing balance is its scheduled balance (no defaults, no prepayments) times the
//! common survival `Π_{s<t} (1 − f_s)(1 − smm_s)`; the pool's is the scheduled pool balance
//! times that survival. This is precomputed (no engine change); it differs from the engine's
//! balance only by floating-point rounding. A fraction above 1 is capped
//! (the pool cannot lose more than it has), so very large X reach less than X: the **BDR
//! reported is the cumulative default rate the passing run reached**, not the bisection's
//! target (both are kept). "Survives total default" means a run in which every asset defaults
//! at the first date (exactly 100 %) leaves the tranche whole.
//!
//! **Runs** use the `f64` engine (the same code as the exact decimal run, without its rounding
//! to the fen), loan by loan: a tranche passes when its principal repaid is within half a fen
//! of its balance and no payment date leaves more than half a fen of interest unpaid. Obligor
//! defaults and promisor defaults of `[assumptions]` are ignored (the CDR path is the only
//! credit event); with support, every promisor pays; without, every promisor is in default
//! from the start.
//!
//! **Search.** The bisection on X in [0, 1] ([`bisect_unit`]) only ever tries the points
//! j / 2^K of one grid ([`grid_level`]: K = 20 for the default tolerance) and ends on a grid
//! point that passes next to one that fails. The search finds that pair directly
//! ([`adjacent_pair`]) and makes every run once for all the tranches of a stress:
//!
//! - the stresses (and the runs with and without support) are searched in parallel, each from
//!   nothing but its own runs, so the result does not depend on the number of threads;
//! - the pool is projected once, and once per spread shift of the stress set, for every stress
//!   ([`BreakevenPool`]);
//! - each stress first bisects on its pool folded into recovery classes (a few assets that, in
//!   exact arithmetic, pay the same cash as the loans: see [`BreakevenPool`]), which points at
//!   the grid point of the answer; two loan-level runs then confirm it (and gallop from it in
//!   the rare case floating-point rounding put it off by a grid point or more). Every pass,
//!   fail and reached rate reported comes from a loan-level run;
//! - runs that do not depend on a stress dimension are made once for all the stresses that
//!   differ only there (no defaults; every asset defaulting at the first date), and without
//!   any support the runs "without support" are the runs with it.
//!
//! Where more defaults never help a tranche, only one grid point passes next to one that fails,
//! so the BDRs are those of the plain bisection, bit for bit. Where a waterfall makes the
//! pass/fail pattern along X turn back (a trigger that helps a senior class once defaults are
//! high enough), both searches return a verified boundary (a grid point that passes next to one
//! that fails), but not necessarily the same one.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::deal::Deal;
use crate::engine::deterministic::AssumptionEvents;
use crate::engine::{CreditEvents, PoolPeriod, Prepared, Recorder, Scratch, run_path};
use crate::money::Amount;
use crate::waterfall::DealState;

/// Interest or principal missing by more than this (yuan) fails a tranche.
pub const PASS_EPSILON: f64 = 0.005;

/// Finest `[breakeven] tolerance` accepted: X in [0, 1] is an `f64`, whose spacing near 1 is
/// 1.1e-16; 1e-12 leaves room for the engine's fen rounding to matter before the arithmetic
/// stops resolving the bracket.
pub const MIN_TOLERANCE: f64 = 1e-12;

/// Most halvings of a bisection on X in [0, 1]: 2^-64 is below any `f64` spacing in (0, 1], so
/// the bracket cannot shrink further; with a tolerance of at least [`MIN_TOLERANCE`] the search
/// stops after at most 40.
pub const MAX_BISECTION_STEPS: u32 = 64;

/// How defaults are spread over the first N payment dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    Even,
    Front,
    Back,
}

impl Timing {
    pub fn name(self) -> &'static str {
        match self {
            Timing::Even => "even",
            Timing::Front => "front",
            Timing::Back => "back",
        }
    }

    /// Weights of the N periods, summing to 1.
    pub fn weights(self, n: usize) -> Vec<f64> {
        let raw: Vec<f64> = (0..n)
            .map(|t| match self {
                Timing::Even => 1.0,
                Timing::Front => (n - t) as f64,
                Timing::Back => (t + 1) as f64,
            })
            .collect();
        let total: f64 = raw.iter().sum();
        raw.into_iter().map(|w| w / total).collect()
    }
}

/// Whether stresses are combined (every combination) or applied one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    #[default]
    All,
    OneAtATime,
}

/// The stress set (`[breakeven]` in the scenario). The first value of each list is the base.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakevenConfig {
    /// Defaults fall on the first N payment dates [default: the dates on which the scheduled
    /// pool balance is still above half the original].
    pub periods: Option<usize>,
    /// Multipliers of the recovery rates.
    pub recovery_factors: Vec<f64>,
    pub timings: Vec<Timing>,
    /// Shifts of the assets' interest rates, basis points (negative lowers the yield).
    pub spread_shifts_bp: Vec<f64>,
    /// Multipliers of the prepayment rate.
    pub cpr_factors: Vec<f64>,
    pub combine: Combine,
    /// Bisection stops when the bracket on X is narrower than this.
    pub tolerance: f64,
}

impl Default for BreakevenConfig {
    fn default() -> Self {
        BreakevenConfig {
            periods: None,
            recovery_factors: vec![1.0, 0.8, 0.5],
            timings: vec![Timing::Even, Timing::Front, Timing::Back],
            spread_shifts_bp: vec![0.0, -25.0, -50.0],
            cpr_factors: vec![1.0, 0.5, 1.5],
            combine: Combine::All,
            tolerance: 1e-6,
        }
    }
}

impl BreakevenConfig {
    /// Checks the values: every problem, as (field, message).
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut bad =
            |name: &str, message: String| out.push((format!("breakeven.{name}"), message));
        for (name, v) in [
            ("recovery_factors", &self.recovery_factors),
            ("cpr_factors", &self.cpr_factors),
        ] {
            if v.is_empty() {
                bad(name, "expected at least one value".into());
            } else if let Some(x) = v.iter().find(|x| !x.is_finite() || **x < 0.0) {
                bad(name, format!("expected factors of zero or more, found {x}"));
            }
        }
        if self.timings.is_empty() {
            bad(
                "timings",
                "expected at least one of even, front, back".into(),
            );
        }
        if self.spread_shifts_bp.is_empty() || self.spread_shifts_bp.iter().any(|x| !x.is_finite())
        {
            bad("spread_shifts_bp", "expected at least one number".into());
        }
        if self.periods == Some(0) {
            bad("periods", "expected at least 1".into());
        }
        if !(self.tolerance >= MIN_TOLERANCE && self.tolerance < 0.1) {
            bad(
                "tolerance",
                format!(
                    "expected a value in [{MIN_TOLERANCE:e}, 0.1) (a finer bracket than {MIN_TOLERANCE:e} is below what the bisection on X resolves), found {}",
                    self.tolerance
                ),
            );
        }
        out
    }

    /// The stresses to run: every combination, or the base and each value alone.
    pub fn stresses(&self) -> Vec<Stress> {
        let base = Stress {
            recovery_factor: self.recovery_factors[0],
            timing: self.timings[0],
            spread_bp: self.spread_shifts_bp[0],
            cpr_factor: self.cpr_factors[0],
        };
        let mut out = Vec::new();
        match self.combine {
            Combine::All => {
                for &r in &self.recovery_factors {
                    for &t in &self.timings {
                        for &s in &self.spread_shifts_bp {
                            for &c in &self.cpr_factors {
                                out.push(Stress {
                                    recovery_factor: r,
                                    timing: t,
                                    spread_bp: s,
                                    cpr_factor: c,
                                });
                            }
                        }
                    }
                }
            }
            Combine::OneAtATime => {
                out.push(base);
                for &r in &self.recovery_factors[1..] {
                    out.push(Stress {
                        recovery_factor: r,
                        ..base
                    });
                }
                for &t in &self.timings[1..] {
                    out.push(Stress { timing: t, ..base });
                }
                for &s in &self.spread_shifts_bp[1..] {
                    out.push(Stress {
                        spread_bp: s,
                        ..base
                    });
                }
                for &c in &self.cpr_factors[1..] {
                    out.push(Stress {
                        cpr_factor: c,
                        ..base
                    });
                }
            }
        }
        out
    }

    /// How many stress dimensions differ from the base (for the terminal summary).
    pub fn distance_from_base(&self, s: &Stress) -> usize {
        usize::from(s.recovery_factor != self.recovery_factors[0])
            + usize::from(s.timing != self.timings[0])
            + usize::from(s.spread_bp != self.spread_shifts_bp[0])
            + usize::from(s.cpr_factor != self.cpr_factors[0])
    }
}

/// One stress scenario.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stress {
    pub recovery_factor: f64,
    pub timing: Timing,
    pub spread_bp: f64,
    pub cpr_factor: f64,
}

impl Stress {
    /// A short label: `recovery×0.8 front spread-25bp cpr×1.5`.
    pub fn label(&self) -> String {
        format!(
            "recovery×{} {} spread{:+}bp cpr×{}",
            self.recovery_factor,
            self.timing.name(),
            self.spread_bp,
            self.cpr_factor
        )
    }
}

/// Per tranche: whether it got all interest when due and all principal; and the pool's
/// cumulative defaults the run reached.
struct PassRecorder {
    principal: Vec<f64>,
    missed_interest: Vec<bool>,
    cumulative_defaulted: f64,
}

impl PassRecorder {
    fn new(tranches: usize) -> Self {
        PassRecorder {
            principal: vec![0.0; tranches],
            missed_interest: vec![false; tranches],
            cumulative_defaulted: 0.0,
        }
    }
}

impl Recorder<f64> for PassRecorder {
    fn period_end(&mut self, pool: &PoolPeriod<f64>, state: &DealState<f64>) {
        self.cumulative_defaulted = pool.cumulative_defaulted;
        for (i, t) in state.tranches.iter().enumerate() {
            self.principal[i] += t.principal_paid;
            if t.interest_shortfall > PASS_EPSILON {
                self.missed_interest[i] = true;
            }
        }
    }
}

/// Scheduled pool balance at the start of each period.
pub fn scheduled_balance(prep: &Prepared<f64>) -> Vec<f64> {
    let mut out = vec![0.0; prep.periods];
    for (a, start) in prep.asset_balance.iter().enumerate() {
        let mut b = *start;
        for (t, slot) in out.iter_mut().enumerate() {
            *slot += b;
            b *= 1.0 - prep.projection.principal_fraction[prep.projection.at(a, t)];
        }
    }
    out
}

/// Default N: the payment dates on which the scheduled pool balance is above half the original.
pub fn default_periods(prep: &Prepared<f64>) -> usize {
    let s = scheduled_balance(prep);
    let half = prep.original_pool_balance * 0.5;
    s.iter().take_while(|b| **b > half).count().max(1)
}

/// The deal with its deterministic credit events reduced to the CDR path.
fn base_deal(deal: &Deal) -> Deal {
    let mut d = deal.clone();
    d.assumptions.obligor_defaults.clear();
    d.assumptions.support_default_period = vec![None; d.structure.supports.len()];
    d
}

/// Most halvings of the grid on X (2^-52: the spacing of `f64` just below 1, so every grid
/// point j / 2^K is exact and j fits a `u64`).
const MAX_GRID_LEVEL: u32 = 52;

/// The level K of the bisection's grid: [`bisect_unit`] on [0, 1] halves its bracket until it
/// is at most `tolerance` wide, so every point it tries is j / 2^K for the first K with
/// 2^-K ≤ tolerance (20 for the default 1e-6, at most 40 for [`MIN_TOLERANCE`]).
pub fn grid_level(tolerance: f64) -> u32 {
    let (mut k, mut width) = (0, 1.0_f64);
    while k < MAX_GRID_LEVEL.min(MAX_BISECTION_STEPS) {
        // As the bisection: it stops once the bracket is at most the tolerance (never for a
        // NaN tolerance).
        if width <= tolerance {
            break;
        }
        width *= 0.5;
        k += 1;
    }
    k
}

/// X at grid point `j` of level `k` (exact: a power of two divides).
fn grid_x(j: u64, k: u32) -> f64 {
    j as f64 / (1_u64 << k) as f64
}

/// A grid point j in [lo, hi) with `pass(j)` and not `pass(j + 1)`, given `pass(lo)` and not
/// `pass(hi)` (neither is evaluated again). Without a hint, on (0, 2^K), this is exactly the
/// bisection of [`bisect_unit`] on the grid of level K (same points, same order, same answer).
/// With a hint `h` it tries `h` and `h + 1` first, then gallops away from them (steps 1, 2, 4,
/// ...) until the bracket turns, then bisects: two evaluations when the hint is right, about
/// 2·log2(error) when it is off.
///
/// Whatever the hint, the answer is a verified boundary: `pass(lo)` and not `pass(lo + 1)`,
/// both evaluated (or given). When the passing points form an interval [0, x*] (more defaults
/// never help the tranche), there is only one such grid point, so every hint gives the answer
/// of the plain bisection, bit for bit; a hint can only change the answer where the pass/fail
/// pattern along X turns back (then both are boundaries the plain bisection could have found
/// from a different bracket).
pub fn adjacent_pair(
    mut lo: u64,
    mut hi: u64,
    hint: Option<u64>,
    mut pass: impl FnMut(u64) -> bool,
) -> u64 {
    let stop = crate::cancel::requested;
    if let Some(h) = hint {
        let mut went_up = false;
        let mut went_down = false;
        for c in [h, h.saturating_add(1)] {
            if lo < c && c < hi {
                if pass(c) {
                    lo = c;
                    went_up = true;
                } else {
                    hi = c;
                    went_down = true;
                }
            }
        }
        // The hint was below the boundary (both passed) or above it (the first failed):
        // gallop in that direction until the bracket turns.
        let mut step = 1_u64;
        if went_up && !went_down {
            while hi - lo > 1 && !stop() {
                let c = lo.saturating_add(step).min(hi - 1);
                if pass(c) {
                    lo = c;
                    step = step.saturating_mul(2);
                } else {
                    hi = c;
                    break;
                }
            }
        } else if went_down && !went_up {
            while hi - lo > 1 && !stop() {
                let c = hi.saturating_sub(step).max(lo + 1);
                if pass(c) {
                    lo = c;
                    break;
                }
                hi = c;
                step = step.saturating_mul(2);
            }
        }
    }
    while hi - lo > 1 && !stop() {
        let mid = lo + (hi - lo) / 2;
        if pass(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// What one run says: which tranches pass, and the pool cumulative default rate reached.
#[derive(Debug, Clone)]
struct Outcome {
    passes: Vec<bool>,
    reached: f64,
}

/// The pool at one spread shift, as every run of a stress with that shift reads it.
#[derive(Debug, Clone)]
struct SpreadPool {
    spread_bp: f64,
    /// Loan by loan: the runs that decide the BDR.
    loans: Prepared<f64>,
    /// One asset per recovery class ([`BreakevenPool`]): the runs that only guide the search.
    classes: Prepared<f64>,
}

/// Everything the break-even runs of one deal share, computed once and read by every stress
/// (in parallel): the projected pool at each spread shift of the stress set, the scheduled
/// pool balance, the events of the deal reduced to the CDR path, and the pool folded into
/// recovery classes.
///
/// **Recovery classes.** In a break-even run every asset defaults and prepays at the same
/// pool-wide rates (obligor defaults are dropped), so each asset's performing balance is its
/// scheduled balance times a survival common to the pool. Assets that also share their
/// recovery lag can then be added up: one asset whose balance is the class's balance and whose
/// interest and principal fractions, and recovery rate, are the class's averages weighted by
/// the loans' scheduled balances at the start of each period produces, in exact arithmetic,
/// the same pool cash flows every period as the loans it stands for (same defaults, interest,
/// principal, prepayments, recoveries and charge-offs), through the same engine. In `f64` the
/// two differ by rounding only, so a search on the classes (a handful of assets instead of
/// thousands) lands on the loan-level answer or next to it; the loan-level runs then verify
/// it. The classes never decide a result: every pass, fail and reached rate reported comes
/// from a loan-level run.
#[derive(Debug, Clone)]
pub struct BreakevenPool {
    spreads: Vec<SpreadPool>,
    /// Scheduled pool balance at the start of each period (loan by loan).
    scheduled: Vec<f64>,
    default_periods: usize,
    /// Loan-level events of the deal reduced to the CDR path, before any stress.
    events: AssumptionEvents,
    /// The same for the recovery classes (one representative loan each: its lag).
    class_events: AssumptionEvents,
    /// Each recovery factor of the stress set and the classes' recovery rates under it,
    /// `[period][class]`.
    class_recovery: Vec<(f64, Vec<f64>)>,
    supports: usize,
    tranche_original: Vec<f64>,
    /// The pool it was built for (a resized deal must have the same one).
    assets: usize,
    pool_balance: f64,
}

impl BreakevenPool {
    /// `prep` must be `Prepared::for_deal(deal)` (or `Prepared::new` from its projection).
    pub fn new(deal: &Deal, prep: &Prepared<f64>, config: &BreakevenConfig) -> Self {
        let d = base_deal(deal);
        let events = AssumptionEvents::new(&d);
        // Recovery classes: assets with the same recovery lag on the tape (none: the
        // assumption's), in order of first appearance.
        let mut keys: Vec<Option<u32>> = Vec::new();
        let mut representatives = Vec::new();
        let class_of: Vec<usize> = deal
            .pool
            .assets
            .iter()
            .enumerate()
            .map(|(a, asset)| {
                let key = asset.recovery_lag_months;
                keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                    keys.push(key);
                    representatives.push(a);
                    keys.len() - 1
                })
            })
            .collect();
        let mut shifts: Vec<f64> = Vec::new();
        for s in &config.spread_shifts_bp {
            if !shifts.iter().any(|x| x.to_bits() == s.to_bits()) {
                shifts.push(*s);
            }
        }
        let spreads = shifts
            .par_iter()
            .map(|&spread_bp| {
                let loans = shifted(deal, prep, spread_bp);
                let classes = fold_classes(&loans, &class_of, representatives.len());
                SpreadPool {
                    spread_bp,
                    loans,
                    classes,
                }
            })
            .collect();
        let mut factors: Vec<f64> = Vec::new();
        for f in &config.recovery_factors {
            if !factors.iter().any(|x| x.to_bits() == f.to_bits()) {
                factors.push(*f);
            }
        }
        let class_recovery = factors
            .par_iter()
            .map(|&f| {
                let scaled = events.clone().scale_recovery(f);
                let rates = fold_recovery(prep, &scaled, &class_of, representatives.len());
                (f, rates)
            })
            .collect();
        BreakevenPool {
            spreads,
            class_recovery,
            scheduled: scheduled_balance(prep),
            default_periods: default_periods(prep),
            class_events: events.for_assets(&representatives),
            events,
            supports: deal.structure.supports.len(),
            tranche_original: tranche_original(deal),
            assets: deal.pool.assets.len(),
            pool_balance: prep.original_pool_balance,
        }
    }

    /// The same pool under the structure of `deal` (a sizing step: only the tranches moved),
    /// or `None` when `deal` has another pool.
    pub fn with_structure_of(&self, deal: &Deal) -> Option<BreakevenPool> {
        let same = deal.pool.assets.len() == self.assets
            && <f64 as Amount>::from_decimal(deal.pool.balance()) == self.pool_balance
            && deal.period_ends.len() == self.scheduled.len()
            && deal.structure.supports.len() == self.supports;
        if !same {
            return None;
        }
        Some(BreakevenPool {
            spreads: self
                .spreads
                .iter()
                .map(|s| SpreadPool {
                    spread_bp: s.spread_bp,
                    loans: s.loans.with_structure_of(deal),
                    classes: s.classes.with_structure_of(deal),
                })
                .collect(),
            scheduled: self.scheduled.clone(),
            default_periods: self.default_periods,
            events: self.events.clone(),
            class_events: self.class_events.clone(),
            class_recovery: self.class_recovery.clone(),
            supports: self.supports,
            tranche_original: tranche_original(deal),
            assets: self.assets,
            pool_balance: self.pool_balance,
        })
    }

    fn spread(&self, spread_bp: f64) -> &SpreadPool {
        self.spreads
            .iter()
            .find(|s| s.spread_bp.to_bits() == spread_bp.to_bits())
            .expect("a pool built for the stress set searched (its spread shifts)")
    }

    /// A stress's loan-level events.
    fn stress_events(&self, stress: &Stress, support: bool) -> AssumptionEvents {
        scaled(&self.events, stress, support)
    }

    /// A stress's events for the recovery classes.
    fn class_events(&self, stress: &Stress, support: bool) -> ClassEvents<'_> {
        let recovery = &self
            .class_recovery
            .iter()
            .find(|(f, _)| f.to_bits() == stress.recovery_factor.to_bits())
            .expect("a pool built for the stress set searched (its recovery factors)")
            .1;
        ClassEvents {
            inner: scaled(&self.class_events, stress, support),
            recovery,
            classes: self.classes(),
        }
    }

    fn classes(&self) -> usize {
        self.spreads
            .first()
            .map_or(0, |s| s.classes.projection.assets)
    }

    /// One loan-level run of `stress` at the default fractions `fractions`.
    fn loan_run(&self, stress: &Stress, support: bool, fractions: Vec<f64>) -> Outcome {
        let prep = &self.spread(stress.spread_bp).loans;
        let events = self
            .stress_events(stress, support)
            .with_period_default_rates(fractions);
        let mut scratch = Scratch::new(prep, events.max_lag());
        run_outcome(prep, &events, &mut scratch, &self.tranche_original)
    }
}

fn tranche_original(deal: &Deal) -> Vec<f64> {
    deal.structure
        .tranches
        .iter()
        .map(|t| t.balance.to_f64())
        .collect()
}

/// `events` under a stress's recoveries and prepayments, with or without the support.
fn scaled(events: &AssumptionEvents, stress: &Stress, support: bool) -> AssumptionEvents {
    let events = events
        .clone()
        .scale_recovery(stress.recovery_factor)
        .scale_prepayment(stress.cpr_factor);
    if support {
        events
    } else {
        events.without_support()
    }
}

/// The recovery rate of each class in each period, `[period][class]`: its loans' rates under
/// `events`, weighted by their scheduled balances at the start of the period (the balances that
/// default then, see [`BreakevenPool`]).
fn fold_recovery(
    loans: &Prepared<f64>,
    events: &AssumptionEvents,
    class_of: &[usize],
    classes: usize,
) -> Vec<f64> {
    let mut scheduled = loans.asset_balance.clone();
    let mut out = vec![0.0; loans.periods * classes];
    let mut weight = vec![0.0; classes];
    for t in 0..loans.periods {
        weight.iter_mut().for_each(|w| *w = 0.0);
        let row = &mut out[t * classes..(t + 1) * classes];
        for (a, s) in scheduled.iter_mut().enumerate() {
            let c = class_of[a];
            weight[c] += *s;
            row[c] += *s * events.recovery_fraction(a, t, 0.0);
            *s *= 1.0 - loans.projection.principal_fraction[loans.projection.at(a, t)];
        }
        for (r, w) in row.iter_mut().zip(&weight) {
            if *w > 0.0 {
                *r /= *w;
            }
        }
    }
    out
}

/// The events of a stress for the recovery classes: the loans' (through a representative
/// loan of each class, whose recovery lag the class shares), with the class's recovery rate.
struct ClassEvents<'a> {
    inner: AssumptionEvents,
    recovery: &'a [f64],
    classes: usize,
}

impl CreditEvents for ClassEvents<'_> {
    fn default_fraction(&self, asset: usize, period: usize) -> f64 {
        self.inner.default_fraction(asset, period)
    }
    fn prepayment_rate(&self, period: usize) -> f64 {
        self.inner.prepayment_rate(period)
    }
    fn recovery_fraction(&self, asset: usize, period: usize, _exposure: f64) -> f64 {
        self.recovery[period * self.classes + asset]
    }
    fn recovery_lag(&self, asset: usize, period: usize) -> usize {
        self.inner.recovery_lag(asset, period)
    }
    fn support_defaulted(&self, support: usize, period: usize) -> bool {
        self.inner.support_defaulted(support, period)
    }
    fn support_exists(&self, support: usize) -> bool {
        self.inner.support_exists(support)
    }
}

/// What a search changes between runs: the default path.
trait SearchEvents: CreditEvents {
    fn set_default_rates(&mut self, rates: Vec<f64>);
    fn lag(&self) -> usize;
}

impl SearchEvents for AssumptionEvents {
    fn set_default_rates(&mut self, rates: Vec<f64>) {
        self.set_period_default_rates(rates);
    }
    fn lag(&self) -> usize {
        self.max_lag()
    }
}

impl SearchEvents for ClassEvents<'_> {
    fn set_default_rates(&mut self, rates: Vec<f64>) {
        self.inner.set_period_default_rates(rates);
    }
    fn lag(&self) -> usize {
        self.inner.max_lag()
    }
}

/// The loan-level pool with the assets' interest rates shifted by `spread_bp` basis points
/// (floored at zero; assets without interest keep none).
fn shifted(deal: &Deal, base: &Prepared<f64>, spread_bp: f64) -> Prepared<f64> {
    let mut prep = base.clone();
    if spread_bp != 0.0 {
        let shift = spread_bp / 10_000.0;
        for (a, asset) in deal.pool.assets.iter().enumerate() {
            let r = asset.rate.to_f64();
            if r <= 0.0 {
                continue;
            }
            let factor = (r + shift).max(0.0) / r;
            for t in 0..prep.periods {
                let k = prep.projection.at(a, t);
                prep.projection.interest_fraction[k] *= factor;
            }
        }
    }
    prep
}

/// The pool folded into its recovery classes (see [`BreakevenPool`]): class c's balance is
/// the sum of its loans', and its interest and principal fractions in period t the averages
/// of its loans' weighted by their scheduled balances at the start of t.
fn fold_classes(loans: &Prepared<f64>, class_of: &[usize], classes: usize) -> Prepared<f64> {
    let periods = loans.periods;
    let mut balance = vec![0.0; classes];
    for (a, b) in loans.asset_balance.iter().enumerate() {
        balance[class_of[a]] += *b;
    }
    let mut scheduled = loans.asset_balance.clone();
    let mut interest = vec![0.0; periods * classes];
    let mut principal = vec![0.0; periods * classes];
    let mut weight = vec![0.0; classes];
    for t in 0..periods {
        weight.iter_mut().for_each(|w| *w = 0.0);
        let row = t * classes;
        for (a, s) in scheduled.iter_mut().enumerate() {
            let c = class_of[a];
            let k = loans.projection.at(a, t);
            weight[c] += *s;
            interest[row + c] += *s * loans.projection.interest_fraction[k];
            principal[row + c] += *s * loans.projection.principal_fraction[k];
            *s *= 1.0 - loans.projection.principal_fraction[k];
        }
        for c in 0..classes {
            if weight[c] > 0.0 {
                interest[row + c] /= weight[c];
                principal[row + c] /= weight[c];
            }
        }
    }
    Prepared {
        asset_balance: balance,
        asset_obligor: vec![0; classes],
        projection: crate::pool::Projection {
            periods,
            assets: classes,
            interest_fraction: interest,
            principal_fraction: principal,
        },
        periods,
        period_months: loans.period_months,
        original_pool_balance: loans.original_pool_balance,
        charge_off_periods: loans.charge_off_periods,
        terms: loans.terms.clone(),
        // Break-even events are pool-wide fractions, not whole defaults: the loan-level step.
        trajectory: None,
    }
}

/// Runs `events` through `prep`: which tranches pass, and the cumulative default rate reached.
fn run_outcome(
    prep: &Prepared<f64>,
    events: &impl CreditEvents,
    scratch: &mut Scratch<f64>,
    tranche_original: &[f64],
) -> Outcome {
    let n = tranche_original.len();
    let mut rec = PassRecorder::new(n);
    run_path(prep, events, scratch, &mut rec);
    Outcome {
        passes: (0..n)
            .map(|i| {
                !rec.missed_interest[i] && rec.principal[i] >= tranche_original[i] - PASS_EPSILON
            })
            .collect(),
        reached: rec.cumulative_defaulted / prep.original_pool_balance,
    }
}

/// One side of a stress's runs (loan by loan, or by recovery class): its events, its scratch
/// and every run made so far, by grid point.
struct Runs<'a, E> {
    prep: &'a Prepared<f64>,
    tranche_original: &'a [f64],
    events: E,
    scratch: Scratch<f64>,
    memo: HashMap<u64, Outcome>,
}

impl<'a, E: SearchEvents> Runs<'a, E> {
    fn new(prep: &'a Prepared<f64>, tranche_original: &'a [f64], events: E) -> Self {
        Runs {
            scratch: Scratch::new(prep, events.lag()),
            prep,
            tranche_original,
            events,
            memo: HashMap::new(),
        }
    }

    fn at(&mut self, j: u64, fractions: impl FnOnce() -> Vec<f64>) -> &Outcome {
        let Runs {
            prep,
            tranche_original,
            events,
            scratch,
            memo,
        } = self;
        memo.entry(j).or_insert_with(|| {
            events.set_default_rates(fractions());
            run_outcome(prep, events, scratch, tranche_original)
        })
    }
}

/// The runs of one stress, with or without support: the BDR search of each tranche, sharing
/// every run between the tranches.
struct StressSearch<'a> {
    pool: &'a BreakevenPool,
    /// Share of X falling in each period (zero after the first N).
    weights: Vec<f64>,
    smm: Vec<f64>,
    level: u32,
    loans: Runs<'a, AssumptionEvents>,
    classes: Runs<'a, ClassEvents<'a>>,
    /// Every asset defaulting at the first date.
    total: Outcome,
}

impl<'a> StressSearch<'a> {
    fn new(
        pool: &'a BreakevenPool,
        stress: &Stress,
        support: bool,
        periods: usize,
        tolerance: f64,
        zero: Outcome,
        total: Outcome,
    ) -> Self {
        let sp = pool.spread(stress.spread_bp);
        let all = sp.loans.periods;
        let events = pool.stress_events(stress, support);
        let n = periods.min(all).max(1);
        let mut weights = stress.timing.weights(n);
        weights.resize(all, 0.0);
        let smm = (0..all).map(|t| events.prepayment_rate(t)).collect();
        let mut loans = Runs::new(&sp.loans, &pool.tranche_original, events);
        loans.memo.insert(0, zero);
        StressSearch {
            pool,
            weights,
            smm,
            level: grid_level(tolerance),
            loans,
            classes: Runs::new(
                &sp.classes,
                &pool.tranche_original,
                pool.class_events(stress, support),
            ),
            total,
        }
    }
}

/// Per-period default fractions of the performing balance that make the cumulative defaults
/// `x` × the original pool balance (see the module documentation).
fn default_fractions(pool: &BreakevenPool, weights: &[f64], smm: &[f64], x: f64) -> Vec<f64> {
    let b0 = pool.pool_balance;
    let mut survival = 1.0;
    weights
        .iter()
        .enumerate()
        .map(|(t, w)| {
            let target = x * w * b0;
            let performing = pool.scheduled[t] * survival;
            let f = if target > 0.0 && performing > 0.0 {
                (target / performing).min(1.0)
            } else {
                0.0
            };
            survival *= (1.0 - f) * (1.0 - smm[t]);
            f
        })
        .collect()
}

impl StressSearch<'_> {
    /// BDR of tranche `i`: the bisection of [`bisect_unit`] on the target X in [0, 1] of the
    /// stress's timing curve, found as the grid point of [`adjacent_pair`] (the same answer
    /// where more defaults never help the tranche); the BDR is the cumulative default rate the
    /// passing run actually **reached** (at most X).
    fn bdr(&mut self, i: usize) -> Bdr {
        if !self.loans.memo[&0].passes[i] {
            return Bdr {
                value: 0.0,
                target: 0.0,
                note: BdrNote::FailsWithoutDefaults,
            };
        }
        if self.total.passes[i] {
            return Bdr {
                value: 1.0,
                target: 1.0,
                note: BdrNote::SurvivesTotalDefault,
            };
        }
        let k = self.level;
        let top = 1_u64 << k;
        let (pool, weights, smm) = (self.pool, &self.weights, &self.smm);
        let fractions = |j: u64| move || default_fractions(pool, weights, smm, grid_x(j, k));
        let whole_curve = self.loans.at(top, fractions(top));
        if whole_curve.passes[i] {
            // The timing curve cannot default more than `reached` (each period's fraction is
            // capped at the performing balance), and the tranche survives all of it.
            return Bdr {
                value: whole_curve.reached,
                target: 1.0,
                note: BdrNote::CurveLimit,
            };
        }
        // The plain bisection on the recovery classes points at the answer (runs of a few
        // assets); the loan-level runs then find the boundary next to it, which is the
        // bisection's own answer on the loans (see `adjacent_pair`).
        let classes = &mut self.classes;
        let hint = adjacent_pair(0, top, None, |j| classes.at(j, fractions(j)).passes[i]);
        let loans = &mut self.loans;
        let lo = adjacent_pair(0, top, Some(hint), |j| loans.at(j, fractions(j)).passes[i]);
        Bdr {
            value: self.loans.at(lo, fractions(lo)).reached,
            target: grid_x(lo, k),
            note: BdrNote::None,
        }
    }
}

/// The largest x in [0, 1] found to pass, by bisection, given `passes(0)` and not `passes(1)`:
/// stops when the bracket is at most `tolerance` wide, when it can no longer be halved in
/// `f64`, or after [`MAX_BISECTION_STEPS`] halvings, whichever comes first.
pub fn bisect_unit(tolerance: f64, mut passes: impl FnMut(f64) -> bool) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    for _ in 0..MAX_BISECTION_STEPS {
        let mid = 0.5 * (lo + hi);
        // A stop asked for (Ctrl-C, SIGTERM) ends the search; the caller discards the result.
        if hi - lo <= tolerance || mid <= lo || mid >= hi || crate::cancel::requested() {
            break;
        }
        if passes(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// A break-even rate and how the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bdr {
    /// The pool cumulative default rate reached in the passing run (defaulted principal /
    /// original pool balance): what the BDR means.
    pub value: f64,
    /// The bisection's target X on the stress's timing curve (≥ `value`).
    pub target: f64,
    pub note: BdrNote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BdrNote {
    None,
    /// The tranche is short even with no defaults (BDR reported as 0).
    FailsWithoutDefaults,
    /// The tranche is paid in full even when every asset defaults at the first date (BDR 1).
    SurvivesTotalDefault,
    /// The tranche survives every default the stress's timing curve can reach (each period's
    /// share capped at the performing balance) but not the total default at the first date.
    CurveLimit,
}

impl BdrNote {
    pub fn text(self) -> &'static str {
        match self {
            BdrNote::None => "",
            BdrNote::FailsWithoutDefaults => "fails without defaults",
            BdrNote::SurvivesTotalDefault => "survives total default",
            BdrNote::CurveLimit => "survives all the timing curve reaches",
        }
    }
}

/// One BDR: a tranche under a stress, with or without the shortfall support.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BdrRow {
    pub tranche: String,
    pub stress: String,
    pub recovery_factor: f64,
    pub timing: Timing,
    pub spread_bp: f64,
    pub cpr_factor: f64,
    pub support: bool,
    /// The cumulative default rate reached in the break-even run.
    pub bdr: f64,
    /// The bisection's target on the timing curve.
    pub target: f64,
    pub note: BdrNote,
}

/// The lowest BDR of a tranche over the stress set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrancheMinimum {
    pub tranche: String,
    pub base_with_support: f64,
    pub min_with_support: f64,
    pub binding_stress_with_support: String,
    pub base_without_support: f64,
    pub min_without_support: f64,
    pub binding_stress_without_support: String,
}

/// Everything `ipabs breakeven` reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BreakevenResult {
    /// Defaults fall on the first `periods` payment dates.
    pub periods: usize,
    pub tolerance: f64,
    pub config: BreakevenConfig,
    pub stresses: Vec<Stress>,
    pub rows: Vec<BdrRow>,
    pub minimum: Vec<TrancheMinimum>,
}

/// BDRs of the chosen tranches (all when `None`) under every stress, with and without support.
pub fn breakeven(
    deal: &Deal,
    config: &BreakevenConfig,
    tranches: Option<&[usize]>,
) -> BreakevenResult {
    breakeven_prepared(deal, &Prepared::for_deal(deal), config, tranches)
}

/// [`breakeven`] on the deal's numbers already prepared (`Prepared::for_deal(deal)`, or
/// `Prepared::new` from the projection `ipabs run` computes once).
pub fn breakeven_prepared(
    deal: &Deal,
    prep: &Prepared<f64>,
    config: &BreakevenConfig,
    tranches: Option<&[usize]>,
) -> BreakevenResult {
    breakeven_with(
        &BreakevenPool::new(deal, prep, config),
        deal,
        config,
        tranches,
    )
}

/// The searches of every (stress, support) job, in the order of `jobs`, run in parallel.
///
/// Each job's result depends on nothing but its stress, so the results are the same for any
/// number of threads, collected in the jobs' order. Runs that several stresses would repeat
/// exactly are made once: the run without defaults does not depend on the recoveries or the
/// timing curve (no asset defaults, so nothing is recovered), and the run in which every asset
/// defaults at the first date not on the spread shift, the prepayments or the timing curve
/// (from the first date on no asset has a balance to pay interest on, amortise or prepay).
fn searches(
    pool: &BreakevenPool,
    stresses: &[Stress],
    jobs: &[(usize, bool)],
    periods: usize,
    tolerance: f64,
    tranches: &[usize],
) -> Vec<Vec<Bdr>> {
    let all = pool.scheduled.len();
    let zero_key =
        |s: &Stress, support: bool| (s.spread_bp.to_bits(), s.cpr_factor.to_bits(), support);
    let total_key = |s: &Stress, support: bool| (s.recovery_factor.to_bits(), support);
    let mut zero_jobs: Vec<(usize, bool)> = Vec::new();
    let mut total_jobs: Vec<(usize, bool)> = Vec::new();
    for &(s, support) in jobs {
        let st = &stresses[s];
        if !zero_jobs
            .iter()
            .any(|&(z, sup)| zero_key(&stresses[z], sup) == zero_key(st, support))
        {
            zero_jobs.push((s, support));
        }
        if !total_jobs
            .iter()
            .any(|&(z, sup)| total_key(&stresses[z], sup) == total_key(st, support))
        {
            total_jobs.push((s, support));
        }
    }
    let mut first_date = vec![0.0; all];
    first_date[0] = 1.0;
    let zero: Vec<Outcome> = zero_jobs
        .par_iter()
        .map(|&(s, support)| pool.loan_run(&stresses[s], support, vec![0.0; all]))
        .collect();
    let total: Vec<Outcome> = total_jobs
        .par_iter()
        .map(|&(s, support)| pool.loan_run(&stresses[s], support, first_date.clone()))
        .collect();
    jobs.par_iter()
        .map(|&(s, support)| {
            let st = &stresses[s];
            let z = zero_jobs
                .iter()
                .position(|&(o, sup)| zero_key(&stresses[o], sup) == zero_key(st, support))
                .expect("listed");
            let t = total_jobs
                .iter()
                .position(|&(o, sup)| total_key(&stresses[o], sup) == total_key(st, support))
                .expect("listed");
            let mut search = StressSearch::new(
                pool,
                st,
                support,
                periods,
                tolerance,
                zero[z].clone(),
                total[t].clone(),
            );
            tranches.iter().map(|&i| search.bdr(i)).collect()
        })
        .collect()
}

/// [`breakeven`] on a [`BreakevenPool`] of the deal, built for `config`'s stress set.
pub fn breakeven_with(
    pool: &BreakevenPool,
    deal: &Deal,
    config: &BreakevenConfig,
    tranches: Option<&[usize]>,
) -> BreakevenResult {
    let periods = config.periods.unwrap_or(pool.default_periods);
    let stresses = config.stresses();
    let chosen: Vec<usize> = tranches.map_or_else(
        || (0..deal.structure.tranches.len()).collect(),
        |t| t.to_vec(),
    );
    // Without any support, a run "without support" is the run with it (switching off no
    // promisor changes nothing), so only the runs with support are made.
    let sides: &[bool] = if pool.supports == 0 {
        &[true]
    } else {
        &[true, false]
    };
    let jobs: Vec<(usize, bool)> = (0..stresses.len())
        .flat_map(|s| sides.iter().map(move |&support| (s, support)))
        .collect();
    let results = searches(pool, &stresses, &jobs, periods, config.tolerance, &chosen);
    // Job k is stress k / sides, with support first.
    let result_of = |s: usize, support: bool| {
        &results[s * sides.len() + usize::from(sides.len() == 2 && !support)]
    };
    let mut rows = Vec::new();
    for (s, st) in stresses.iter().enumerate() {
        for support in [true, false] {
            for (&i, b) in chosen.iter().zip(result_of(s, support)) {
                rows.push(BdrRow {
                    tranche: deal.structure.tranches[i].name.clone(),
                    stress: st.label(),
                    recovery_factor: st.recovery_factor,
                    timing: st.timing,
                    spread_bp: st.spread_bp,
                    cpr_factor: st.cpr_factor,
                    support,
                    bdr: b.value,
                    target: b.target,
                    note: b.note,
                });
            }
        }
    }
    let base_label = stresses[0].label();
    let minimum = chosen
        .iter()
        .map(|&i| {
            let name = &deal.structure.tranches[i].name;
            let pick = |support: bool| {
                let mine = rows
                    .iter()
                    .filter(|r| &r.tranche == name && r.support == support);
                let base = mine
                    .clone()
                    .find(|r| r.stress == base_label)
                    .map_or(f64::NAN, |r| r.bdr);
                let min = mine
                    .min_by(|a, b| a.bdr.total_cmp(&b.bdr))
                    .expect("at least one stress");
                (base, min.bdr, min.stress.clone())
            };
            let (bw, mw, sw) = pick(true);
            let (bo, mo, so) = pick(false);
            TrancheMinimum {
                tranche: name.clone(),
                base_with_support: bw,
                min_with_support: mw,
                binding_stress_with_support: sw,
                base_without_support: bo,
                min_without_support: mo,
                binding_stress_without_support: so,
            }
        })
        .collect();
    BreakevenResult {
        periods,
        tolerance: config.tolerance,
        config: config.clone(),
        stresses,
        rows,
        minimum,
    }
}

/// The lowest BDR of tranche `i` over the stress set, with the support or without it.
pub fn min_bdr(deal: &Deal, config: &BreakevenConfig, i: usize, support: bool) -> f64 {
    let r = breakeven_one_side(deal, config, i, support);
    r.into_iter().fold(f64::INFINITY, f64::min)
}

/// [`min_bdr`] on a [`BreakevenPool`] of the same pool: a sizing step, where only the
/// tranches differ from the deal the pool was built for, reuses its projections (a deal with
/// another pool gets its own).
pub fn min_bdr_with(
    pool: &BreakevenPool,
    deal: &Deal,
    config: &BreakevenConfig,
    i: usize,
    support: bool,
) -> f64 {
    let own;
    let pool = match pool.with_structure_of(deal) {
        Some(p) => {
            own = p;
            &own
        }
        None => return min_bdr(deal, config, i, support),
    };
    one_side(pool, config, i, support)
        .into_iter()
        .fold(f64::INFINITY, f64::min)
}

/// BDRs of tranche `i` under every stress, with or without support.
pub fn breakeven_one_side(
    deal: &Deal,
    config: &BreakevenConfig,
    i: usize,
    support: bool,
) -> Vec<f64> {
    let prep: Prepared<f64> = Prepared::for_deal(deal);
    one_side(&BreakevenPool::new(deal, &prep, config), config, i, support)
}

fn one_side(pool: &BreakevenPool, config: &BreakevenConfig, i: usize, support: bool) -> Vec<f64> {
    let periods = config.periods.unwrap_or(pool.default_periods);
    let stresses = config.stresses();
    let jobs: Vec<(usize, bool)> = (0..stresses.len()).map(|s| (s, support)).collect();
    searches(pool, &stresses, &jobs, periods, config.tolerance, &[i])
        .into_iter()
        .map(|b| b[0].value)
        .collect()
}

/// Which tranches survive the default, at the first payment date and with zero recovery, of
/// the given obligors (no other defaults; prepayments as assumed); with the support as in the
/// scenario, or with it switched off (`support = false`, the standalone test).
pub fn survives_obligor_defaults(deal: &Deal, obligors: &[usize], support: bool) -> Vec<bool> {
    survives_obligor_defaults_prepared(deal, &Prepared::for_deal(deal), obligors, support)
}

/// [`survives_obligor_defaults`] on `Prepared::for_deal(deal)` already computed (the defaults
/// and recoveries it sets are events: the pool's numbers are the deal's own).
pub fn survives_obligor_defaults_prepared(
    deal: &Deal,
    prep: &Prepared<f64>,
    obligors: &[usize],
    support: bool,
) -> Vec<bool> {
    let mut d = base_deal(deal);
    d.assumptions.cdr = vec![0.0];
    for &o in obligors {
        d.assumptions
            .obligor_defaults
            .push(crate::deal::ObligorDefault {
                obligor: o,
                period: 0,
            });
    }
    for a in d.pool.assets.iter_mut() {
        if obligors.contains(&a.obligor) {
            a.recovery_rate = Some(0.0);
        }
    }
    let mut events = AssumptionEvents::new(&d);
    if !support {
        events = events.without_support();
    }
    let mut scratch = Scratch::new(prep, events.max_lag());
    run_outcome(prep, &events, &mut scratch, &tranche_original(deal)).passes
}

/// Obligors by outstanding balance, largest first.
pub fn largest_obligors(deal: &Deal) -> Vec<usize> {
    let mut exposure = vec![rust_decimal::Decimal::ZERO; deal.pool.obligors.len()];
    for a in &deal.pool.assets {
        exposure[a.obligor] += a.balance;
    }
    let mut order: Vec<usize> = (0..exposure.len()).collect();
    order.sort_by(|a, b| exposure[*b].cmp(&exposure[*a]).then(a.cmp(b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_weights_sum_to_one() {
        for t in [Timing::Even, Timing::Front, Timing::Back] {
            let w = t.weights(5);
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        assert!(Timing::Front.weights(3)[0] > Timing::Front.weights(3)[2]);
        assert!(Timing::Back.weights(3)[0] < Timing::Back.weights(3)[2]);
    }

    #[test]
    fn bisection_is_bounded_whatever_the_tolerance() {
        for tolerance in [0.0, 1e-17, -1.0, f64::NAN] {
            let mut calls = 0;
            let x = bisect_unit(tolerance, |x| {
                calls += 1;
                x <= 0.3
            });
            assert!(calls <= MAX_BISECTION_STEPS, "{calls} calls");
            assert!((x - 0.3).abs() < 1e-15 && x <= 0.3, "{x}");
        }
        let mut calls = 0;
        bisect_unit(1e-6, |_| {
            calls += 1;
            true
        });
        assert_eq!(calls, 20, "2^-20 < 1e-6 <= 2^-19");
    }

    #[test]
    fn tolerance_below_what_bisection_resolves_is_rejected() {
        let c = BreakevenConfig {
            tolerance: 1e-17,
            ..BreakevenConfig::default()
        };
        let problems = c.check();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "breakeven.tolerance");
        assert!(problems[0].1.contains("[1e-12, 0.1)"), "{}", problems[0].1);
        assert!(BreakevenConfig::default().check().is_empty());
    }

    #[test]
    fn stress_sets() {
        let c = BreakevenConfig::default();
        assert_eq!(c.stresses().len(), 81);
        let one = BreakevenConfig {
            combine: Combine::OneAtATime,
            ..c
        };
        assert_eq!(one.stresses().len(), 9);
        assert_eq!(one.distance_from_base(&one.stresses()[0]), 0);
    }

    /// The search as it was before the grid search (the `Evaluator` of earlier versions): one
    /// stress's pool projected and shifted on its own, every run from scratch, the plain
    /// bisection of [`bisect_unit`].
    fn reference_bdr(
        deal: &Deal,
        stress: &Stress,
        support: bool,
        periods: usize,
        tolerance: f64,
        i: usize,
    ) -> Bdr {
        let d = base_deal(deal);
        let mut events = AssumptionEvents::new(&d)
            .scale_recovery(stress.recovery_factor)
            .scale_prepayment(stress.cpr_factor);
        if !support {
            events = events.without_support();
        }
        let mut prep: Prepared<f64> = Prepared::for_deal(deal);
        if stress.spread_bp != 0.0 {
            let shift = stress.spread_bp / 10_000.0;
            for (a, asset) in deal.pool.assets.iter().enumerate() {
                let r = asset.rate.to_f64();
                if r <= 0.0 {
                    continue;
                }
                let factor = (r + shift).max(0.0) / r;
                for t in 0..prep.periods {
                    let k = prep.projection.at(a, t);
                    prep.projection.interest_fraction[k] *= factor;
                }
            }
        }
        let n = periods.min(prep.periods).max(1);
        let mut weights = stress.timing.weights(n);
        weights.resize(prep.periods, 0.0);
        let smm: Vec<f64> = (0..prep.periods)
            .map(|t| events.prepayment_rate(t))
            .collect();
        let scheduled = scheduled_balance(&prep);
        let b0 = prep.original_pool_balance;
        let fractions = |x: f64| -> Vec<f64> {
            let mut survival = 1.0;
            weights
                .iter()
                .enumerate()
                .map(|(t, w)| {
                    let target = x * w * b0;
                    let performing = scheduled[t] * survival;
                    let f = if target > 0.0 && performing > 0.0 {
                        (target / performing).min(1.0)
                    } else {
                        0.0
                    };
                    survival *= (1.0 - f) * (1.0 - smm[t]);
                    f
                })
                .collect()
        };
        let original = tranche_original(deal);
        let run = |rates: Vec<f64>| {
            let ev = events.clone().with_period_default_rates(rates);
            let mut scratch = Scratch::new(&prep, ev.max_lag());
            run_outcome(&prep, &ev, &mut scratch, &original)
        };
        if !run(fractions(0.0)).passes[i] {
            return Bdr {
                value: 0.0,
                target: 0.0,
                note: BdrNote::FailsWithoutDefaults,
            };
        }
        let mut first = vec![0.0; prep.periods];
        first[0] = 1.0;
        if run(first).passes[i] {
            return Bdr {
                value: 1.0,
                target: 1.0,
                note: BdrNote::SurvivesTotalDefault,
            };
        }
        let whole = run(fractions(1.0));
        if whole.passes[i] {
            return Bdr {
                value: whole.reached,
                target: 1.0,
                note: BdrNote::CurveLimit,
            };
        }
        let lo = bisect_unit(tolerance, |x| run(fractions(x)).passes[i]);
        Bdr {
            value: run(fractions(lo)).reached,
            target: lo,
            note: BdrNote::None,
        }
    }

    /// Every row of `breakeven` against [`reference_bdr`], bit for bit; how many rows were
    /// searched (note `None`).
    fn assert_rows_as_reference(deal: &Deal, config: &BreakevenConfig) -> usize {
        let r = breakeven(deal, config, None);
        let mut rows = r.rows.iter();
        let mut searched = 0;
        for st in &r.stresses {
            for support in [true, false] {
                for i in 0..deal.structure.tranches.len() {
                    let row = rows.next().expect("a row per stress, side and tranche");
                    let want = reference_bdr(deal, st, support, r.periods, config.tolerance, i);
                    assert_eq!(
                        (row.bdr.to_bits(), row.target.to_bits(), row.note),
                        (want.value.to_bits(), want.target.to_bits(), want.note),
                        "{} {} support {support}: {} vs {:?}",
                        row.tranche,
                        row.stress,
                        row.bdr,
                        want
                    );
                    searched += usize::from(want.note == BdrNote::None);
                }
            }
        }
        assert!(rows.next().is_none());
        searched
    }

    /// A pool of `loans` level-pay and equal-principal loans with assorted balances, rates,
    /// terms, recovery rates and lags (some from the tape, some from the assumptions), under
    /// A (coupon), B (coupon) and a residual class, with a cumulative-default trigger that
    /// turns the principal sequential; a support for A when `support`.
    fn assorted_deal(loans: usize, support: bool) -> Deal {
        let mut text = String::from(
            r#"[deal]
name = "assorted"
closing_date = 2024-01-01
first_payment_date = 2024-04-01
payment_frequency = "quarterly"
legal_final_date = 2031-01-01

[assumptions]
cdr = 0.01
cpr = 0.05
recovery_rate = 0.3
recovery_lag_months = 6
"#,
        );
        let mut total = 0_i64;
        for k in 0..loans {
            let balance = 1_000_000 + 37_000 * (k as i64 % 13);
            total += balance;
            let recovery = match k % 4 {
                0 => "recovery_rate = 0.1\n".to_string(),
                1 => format!(
                    "recovery_rate = 0.{}\nrecovery_lag_months = 12\n",
                    2 + k % 5
                ),
                2 => "recovery_lag_months = 3\n".to_string(),
                _ => String::new(),
            };
            text += &format!(
                r#"
[[pool.assets]]
id = "L{k}"
obligor = "O{k}"
sector = "s{}"
asset_type = "ip_lease"
ip_kind = "copyright"
appraised_value = 3_000_000.00
balance = {balance}.00
rate = 0.0{}
amortization = "{}"
frequency = "quarterly"
maturity_date = 20{}-01-01
annual_pd = 0.03
{recovery}"#,
                k % 3,
                4 + k % 5,
                if k % 2 == 0 {
                    "level"
                } else {
                    "equal_principal"
                },
                28 + k % 3,
            );
        }
        let a = total * 7 / 10;
        let b = total * 2 / 10;
        let sub = total - a - b;
        if support {
            text += "\n[[support]]\nname = \"parent\"\ncap = 2_000_000.00\n";
        }
        text += &format!(
            r#"
[[tranches]]
name = "A"
balance = {a}.00
coupon = 0.03

[[tranches]]
name = "B"
balance = {b}.00
coupon = 0.05

[[tranches]]
name = "Sub"
balance = {sub}.00
senior = false

[[triggers]]
name = "defaults"
condition = "cumulative_default_rate_above"
threshold = 0.04
effect = "switch_waterfall"
waterfall = "sequential"

[waterfall]
normal = [
  {}
  {{ step = "interest", tranches = ["A"] }},
  {{ step = "interest", tranches = ["B"] }},
  {{ step = "principal", tranches = ["A", "B", "Sub"], order = "pro_rata" }},
  {{ step = "residual", tranche = "Sub" }},
]
sequential = [
  {}
  {{ step = "interest", tranches = ["A"] }},
  {{ step = "interest", tranches = ["B"] }},
  {{ step = "principal", tranches = ["A", "B", "Sub"] }},
  {{ step = "residual", tranche = "Sub" }},
]
"#,
            if support {
                r#"{ step = "support", support = "parent", covers = ["A"] },"#
            } else {
                ""
            },
            if support {
                r#"{ step = "support", support = "parent", covers = ["A"] },"#
            } else {
                ""
            },
        );
        crate::scenario::load_text(std::path::Path::new("assorted.toml"), &text)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_grid_search_is_the_bisection() {
        for tolerance in [0.05, 1e-3, 1e-6, MIN_TOLERANCE] {
            let k = grid_level(tolerance);
            let top = 1_u64 << k;
            for b in [0.0, 1e-9, 0.123456789, 0.5, 0.75, 0.999999, 0.9999999999] {
                let pass = |x: f64| x <= b;
                let want = bisect_unit(tolerance, pass);
                let plain = adjacent_pair(0, top, None, |j| pass(grid_x(j, k)));
                assert_eq!(
                    grid_x(plain, k),
                    want,
                    "tolerance {tolerance}, boundary {b}"
                );
                for hint in [
                    0,
                    1,
                    plain.saturating_sub(1000),
                    plain,
                    plain + 1,
                    plain + 7,
                    top - 1,
                ] {
                    let mut calls = 0;
                    let j = adjacent_pair(0, top, Some(hint.min(top - 1)), |j| {
                        calls += 1;
                        pass(grid_x(j, k))
                    });
                    assert_eq!(j, plain, "tolerance {tolerance}, boundary {b}, hint {hint}");
                    if hint == plain && plain + 1 < top && plain > 0 {
                        assert_eq!(calls, 2, "a right hint costs the two runs that verify it");
                    }
                }
            }
        }
    }

    #[test]
    fn a_hint_always_ends_on_a_verified_boundary() {
        // Passing turns back: 0..=100 and 300..=400 pass.
        let pass = |j: u64| j <= 100 || (300..=400).contains(&j);
        for hint in [0, 50, 100, 101, 200, 299, 300, 350, 400, 401, 1000, 1023] {
            let j = adjacent_pair(0, 1024, Some(hint), pass);
            assert!(pass(j) && !pass(j + 1), "hint {hint}: {j}");
        }
        assert_eq!(adjacent_pair(0, 1024, None, pass), 100);
    }

    #[test]
    fn grid_level_is_where_the_bisection_stops() {
        assert_eq!(grid_level(1e-6), 20);
        assert_eq!(grid_level(MIN_TOLERANCE), 40);
        assert_eq!(grid_level(0.0625), 4);
        let mut calls = 0;
        bisect_unit(1e-6, |_| {
            calls += 1;
            true
        });
        assert_eq!(calls, grid_level(1e-6));
    }

    #[test]
    fn every_row_is_the_plain_bisections_on_the_shipped_scenarios() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut searched = 0;
        for name in [
            "ip-lease-733m.toml",
            "patent-pledge-200m.toml",
            "patent-royalty-300m.toml",
        ] {
            let loaded = crate::structuring::load(&root.join(name)).unwrap();
            searched += assert_rows_as_reference(&loaded.deal, &loaded.config.breakeven);
        }
        assert!(searched > 100, "{searched} rows searched");
    }

    #[test]
    fn every_row_is_the_plain_bisections_on_an_assorted_pool() {
        let config = BreakevenConfig {
            combine: Combine::OneAtATime,
            ..BreakevenConfig::default()
        };
        for support in [true, false] {
            let deal = assorted_deal(40, support);
            let searched = assert_rows_as_reference(&deal, &config);
            assert!(searched >= 18, "{searched} rows searched");
        }
    }

    /// The pool's cash flows of every period of one run.
    struct PoolFlows(Vec<PoolPeriod<f64>>);

    impl Recorder<f64> for PoolFlows {
        fn period_end(&mut self, pool: &PoolPeriod<f64>, _state: &DealState<f64>) {
            self.0.push(*pool);
        }
    }

    #[test]
    fn recovery_classes_pay_what_their_loans_pay() {
        let deal = assorted_deal(40, true);
        let prep: Prepared<f64> = Prepared::for_deal(&deal);
        let config = BreakevenConfig::default();
        let pool = BreakevenPool::new(&deal, &prep, &config);
        // Three lags (3, 6 and 12 months) among the 40 loans; recovery rates vary within them.
        assert_eq!(pool.classes(), 3);
        let stress = Stress {
            recovery_factor: 0.8,
            timing: Timing::Front,
            spread_bp: -25.0,
            cpr_factor: 1.5,
        };
        let sp = pool.spread(stress.spread_bp);
        let all = prep.periods;
        let weights = {
            let mut w = stress.timing.weights(8);
            w.resize(all, 0.0);
            w
        };
        let smm: Vec<f64> = (0..all)
            .map(|t| pool.stress_events(&stress, true).prepayment_rate(t))
            .collect();
        let rates = default_fractions(&pool, &weights, &smm, 0.3);
        let loan_events = pool
            .stress_events(&stress, true)
            .with_period_default_rates(rates.clone());
        let mut class_events = pool.class_events(&stress, true);
        class_events.set_default_rates(rates);
        let mut loans = PoolFlows(Vec::new());
        let mut scratch = Scratch::new(&sp.loans, loan_events.max_lag());
        run_path(&sp.loans, &loan_events, &mut scratch, &mut loans);
        let mut classes = PoolFlows(Vec::new());
        let mut scratch = Scratch::new(&sp.classes, class_events.lag());
        run_path(&sp.classes, &class_events, &mut scratch, &mut classes);
        assert_eq!(loans.0.len(), classes.0.len());
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()));
        let mut recovered = 0.0;
        for (l, c) in loans.0.iter().zip(&classes.0) {
            for (what, x, y) in [
                ("defaulted", l.defaulted, c.defaulted),
                ("interest", l.interest, c.interest),
                ("principal", l.scheduled_principal, c.scheduled_principal),
                ("prepayment", l.prepayment, c.prepayment),
                ("recovery", l.recovery, c.recovery),
                ("charged off", l.charged_off, c.charged_off),
                ("closing balance", l.closing_balance, c.closing_balance),
            ] {
                assert!(close(x, y), "period {}: {what} {x} vs {y}", l.period);
            }
            recovered += l.recovery;
        }
        assert!(recovered > 1e6, "the run recovers something: {recovered}");
    }
}
