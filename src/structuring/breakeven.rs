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

use search::*;
pub use search::{BreakevenPool, adjacent_pair, grid_level};

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

mod search;
#[cfg(test)]
mod tests;
