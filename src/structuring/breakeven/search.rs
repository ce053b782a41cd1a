//! The break-even search itself: the grid the bisection tries, the pool prepared once per
//! spread shift (and folded into recovery classes for a starting bracket), and each stress's
//! search for the passing and failing grid points.

use super::*;

/// Most halvings of the grid on X (2^-52: the spacing of `f64` just below 1, so every grid
/// point j / 2^K is exact and j fits a `u64`).
pub(super) const MAX_GRID_LEVEL: u32 = 52;

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
pub(super) fn grid_x(j: u64, k: u32) -> f64 {
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
pub(super) struct Outcome {
    pub(super) passes: Vec<bool>,
    pub(super) reached: f64,
}

/// The pool at one spread shift, as every run of a stress with that shift reads it.
#[derive(Debug, Clone)]
pub(super) struct SpreadPool {
    pub(super) spread_bp: f64,
    /// Loan by loan: the runs that decide the BDR.
    pub(super) loans: Prepared<f64>,
    /// One asset per recovery class ([`BreakevenPool`]): the runs that only guide the search.
    pub(super) classes: Prepared<f64>,
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
    pub(super) spreads: Vec<SpreadPool>,
    /// Scheduled pool balance at the start of each period (loan by loan).
    pub(super) scheduled: Vec<f64>,
    pub(super) default_periods: usize,
    /// Loan-level events of the deal reduced to the CDR path, before any stress.
    pub(super) events: AssumptionEvents,
    /// The same for the recovery classes (one representative loan each: its lag).
    pub(super) class_events: AssumptionEvents,
    /// Each recovery factor of the stress set and the classes' recovery rates under it,
    /// `[period][class]`.
    pub(super) class_recovery: Vec<(f64, Vec<f64>)>,
    pub(super) supports: usize,
    pub(super) tranche_original: Vec<f64>,
    /// The pool it was built for (a resized deal must have the same one).
    pub(super) assets: usize,
    pub(super) pool_balance: f64,
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

    pub(super) fn spread(&self, spread_bp: f64) -> &SpreadPool {
        self.spreads
            .iter()
            .find(|s| s.spread_bp.to_bits() == spread_bp.to_bits())
            .expect("a pool built for the stress set searched (its spread shifts)")
    }

    /// A stress's loan-level events.
    pub(super) fn stress_events(&self, stress: &Stress, support: bool) -> AssumptionEvents {
        scaled(&self.events, stress, support)
    }

    /// A stress's events for the recovery classes.
    pub(super) fn class_events(&self, stress: &Stress, support: bool) -> ClassEvents<'_> {
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

    pub(super) fn classes(&self) -> usize {
        self.spreads
            .first()
            .map_or(0, |s| s.classes.projection.assets)
    }

    /// One loan-level run of `stress` at the default fractions `fractions`.
    pub(super) fn loan_run(&self, stress: &Stress, support: bool, fractions: Vec<f64>) -> Outcome {
        let prep = &self.spread(stress.spread_bp).loans;
        let events = self
            .stress_events(stress, support)
            .with_period_default_rates(fractions);
        let mut scratch = Scratch::new(prep, events.max_lag());
        run_outcome(prep, &events, &mut scratch, &self.tranche_original)
    }
}

pub(super) fn tranche_original(deal: &Deal) -> Vec<f64> {
    deal.structure
        .tranches
        .iter()
        .map(|t| t.balance.to_f64())
        .collect()
}

/// `events` under a stress's recoveries and prepayments, with or without the support.
pub(super) fn scaled(
    events: &AssumptionEvents,
    stress: &Stress,
    support: bool,
) -> AssumptionEvents {
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
pub(super) fn fold_recovery(
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
pub(super) struct ClassEvents<'a> {
    pub(super) inner: AssumptionEvents,
    pub(super) recovery: &'a [f64],
    pub(super) classes: usize,
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
pub(super) trait SearchEvents: CreditEvents {
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
pub(super) fn shifted(deal: &Deal, base: &Prepared<f64>, spread_bp: f64) -> Prepared<f64> {
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
pub(super) fn fold_classes(
    loans: &Prepared<f64>,
    class_of: &[usize],
    classes: usize,
) -> Prepared<f64> {
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
pub(super) fn run_outcome(
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
pub(super) struct Runs<'a, E> {
    pub(super) prep: &'a Prepared<f64>,
    pub(super) tranche_original: &'a [f64],
    pub(super) events: E,
    pub(super) scratch: Scratch<f64>,
    pub(super) memo: HashMap<u64, Outcome>,
}

impl<'a, E: SearchEvents> Runs<'a, E> {
    pub(super) fn new(prep: &'a Prepared<f64>, tranche_original: &'a [f64], events: E) -> Self {
        Runs {
            scratch: Scratch::new(prep, events.lag()),
            prep,
            tranche_original,
            events,
            memo: HashMap::new(),
        }
    }

    pub(super) fn at(&mut self, j: u64, fractions: impl FnOnce() -> Vec<f64>) -> &Outcome {
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
pub(super) struct StressSearch<'a> {
    pub(super) pool: &'a BreakevenPool,
    /// Share of X falling in each period (zero after the first N).
    pub(super) weights: Vec<f64>,
    pub(super) smm: Vec<f64>,
    pub(super) level: u32,
    pub(super) loans: Runs<'a, AssumptionEvents>,
    pub(super) classes: Runs<'a, ClassEvents<'a>>,
    /// Every asset defaulting at the first date.
    pub(super) total: Outcome,
}

impl<'a> StressSearch<'a> {
    pub(super) fn new(
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
pub(super) fn default_fractions(
    pool: &BreakevenPool,
    weights: &[f64],
    smm: &[f64],
    x: f64,
) -> Vec<f64> {
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
    pub(super) fn bdr(&mut self, i: usize) -> Bdr {
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
