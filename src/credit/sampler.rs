//! One Monte Carlo path's credit events: correlated obligor default periods, collateral value
//! shocks and promisor defaults, drawn from a factor copula.
//!
//! Under the factor copula, obligors are independent given the systematic draws (global
//! factor, sector factors, the Student-t mixing variable). A path draws those first; then each
//! obligor's idiosyncratic normal is Φ⁻¹(uᵢ) for a uniform uᵢ keyed by the path and the obligor
//! (a counter-based generator: no sequential state, so the obligor's number does not depend on
//! the parameters or on how many numbers other obligors used). Per sector, the largest horizon
//! threshold gives a common bound: an obligor with uᵢ above Φ(bound) cannot default, so only
//! those below it pay for the inverse CDF and the threshold search — one normal CDF per sector
//! and a hash and a comparison per obligor, instead of a normal per obligor. Collateral value
//! shocks are drawn only for assets that default under a stochastic recovery (again keyed by
//! path and asset).
//!
//! **Common random numbers.** Each path's stream yields, in a fixed order: the key of the
//! obligors' uniforms, the key of the assets' value shocks, the global factor, the sector
//! factors, one normal per promisor, and last the Student-t mixing variable (a variable number
//! of uniforms). So path `i` sees the same factors, the same idiosyncratic normal for every
//! obligor and the same value shock for every asset at every point of a sweep over PD,
//! correlation or recovery: raising the PD multiplier can only bring an obligor's default
//! forward on a path, never remove it.

use std::collections::HashMap;

use rand::{Rng, RngExt};
use rand_distr::{ChiSquared, StandardNormal};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::importance::{FactorShift, ObligorTail};
use super::model::{Copula, CreditModel, PdCurve, RecoveryModel, RecoverySource};
use crate::dates::years_between;
use crate::deal::{Deal, months_to_periods, period_rate};
use crate::engine::CreditEvents;

/// "Never defaults within the deal".
pub const NO_DEFAULT: u32 = u32::MAX;

/// Everything a path's draws need, precomputed once per deal.
#[derive(Debug, Clone)]
pub struct CreditSampler {
    periods: usize,
    copula: Copula,
    sectors: usize,
    obligors: usize,
    /// Per sector: (global loading, sector loading, idiosyncratic loading).
    loadings: Vec<(f64, f64, f64)>,
    /// Per sector, its obligors in index order.
    sector_obligors: Vec<Vec<u32>>,
    /// Per sector, the largest threshold of its obligors for "defaulted by the last period"
    /// (the skip bound).
    sector_horizon_threshold: Vec<f64>,
    /// Latent thresholds for "defaulted by the end of period k", `[row][k]`: one row per
    /// distinct obligor PD (obligors of the same PD share one, so the rows a path searches stay
    /// in cache however many obligors there are).
    thresholds: Vec<f64>,
    /// Each obligor's row of `thresholds`.
    threshold_row: Vec<u32>,
    /// Per obligor, its assets: `obligor_assets[obligor_asset_start[o]..obligor_asset_start[o + 1]]`.
    obligor_asset_start: Vec<u32>,
    obligor_assets: Vec<u32>,
    asset_obligor: Vec<usize>,
    asset_appraised: Vec<f64>,
    asset_recovery_rate: Vec<Option<f64>>,
    asset_lag: Vec<usize>,
    recovery: RecoveryModel,
    /// Per promisor: global loading and thresholds `[support][k]`.
    support_loading: Vec<f64>,
    support_thresholds: Vec<f64>,
    prepayment_rate: f64,
    /// Importance sampling: the factors' means under the sampling distribution (global, then
    /// per sector; all zero for plain Monte Carlo) and |μ|²/2.
    shift_global: f64,
    shift_sector: Vec<f64>,
    shift_promisor: Vec<f64>,
    shift_half_norm_squared: f64,
    /// Student-t copula: the χ²_ν mixing variable is drawn scaled by this (1: as the model).
    mixing_scale: f64,
}

/// The draws of one path; reused between paths.
#[derive(Debug, Clone)]
pub struct PathDraws {
    pub global_factor: f64,
    /// Period index at whose start each obligor defaults, or [`NO_DEFAULT`].
    pub obligor_default: Vec<u32>,
    /// The obligors with a default period on this path (sector by sector, in index order).
    pub defaulted: Vec<u32>,
    /// (period, asset) of every asset of a defaulted obligor, sorted.
    pub default_assets: Vec<(u32, u32)>,
    /// Standard normal behind each asset's collateral value shock (drawn only for the assets
    /// of defaulted obligors under a stochastic recovery; other entries are stale).
    pub value_normal: Vec<f64>,
    pub support_default: Vec<u32>,
    /// Likelihood ratio of the path's factors under the model against the sampling
    /// distribution: 1 for plain Monte Carlo (see [`super::importance`]).
    pub weight: f64,
    /// The Student-t copula's χ² mixing variable as drawn (unused under the Gaussian).
    pub mixing: f64,
    sector_factor: Vec<f64>,
    /// Scratch of the sort of `default_assets`: the pairs as found, and where each period's
    /// pairs start.
    found_assets: Vec<(u32, u32)>,
    period_start: Vec<u32>,
    /// Each promisor's own normal (after any shift) and its latent variable.
    support_normal: Vec<f64>,
    support_latent: Vec<f64>,
}

impl PathDraws {
    /// The sector factors drawn (after any importance-sampling shift).
    pub fn sector_factors(&self) -> &[f64] {
        &self.sector_factor
    }

    /// Each support promisor's own normal (after any importance-sampling shift).
    pub fn promisor_normals(&self) -> &[f64] {
        &self.support_normal
    }

    /// The earliest period in which anything happens on this path (an obligor or a promisor
    /// default), or [`NO_DEFAULT`]: before it, the path is the default-free one.
    pub fn first_event(&self) -> u32 {
        let obligor = self
            .defaulted
            .iter()
            .map(|&o| self.obligor_default[o as usize])
            .min()
            .unwrap_or(NO_DEFAULT);
        self.support_default.iter().copied().fold(obligor, u32::min)
    }
}

/// Cumulative default probability by `years` of an obligor with annual PD `pd` (as given,
/// before the multiplier) in a pool whose balance-weighted annual PD is `pool_pd`, under the
/// model's `pd_multiplier` `m`.
///
/// The multiplier multiplies the PD the scenario gives:
/// * constant hazard — the annual PD: `P(τ ≤ t) = 1 − (1 − min(1, m·PD))^t`;
/// * term structure — the cumulative curve: `P_m(t) = min(1, m · P(t))`, `P` being the
///   obligor's curve (the shared curve scaled by `pd / pool_pd`). The timing of defaults (the
///   share of them falling in each year) is kept until the cap binds, and the result is still
///   a non-decreasing probability of at most 1. The multiplier is applied after the relative
///   scaling: multiplying both `pd` and `pool_pd` would cancel it.
fn cumulative_pd(curve: &PdCurve, pd: f64, pool_pd: f64, multiplier: f64, years: f64) -> f64 {
    match curve {
        PdCurve::ConstantHazard => 1.0 - (1.0 - (pd * multiplier).min(1.0)).powf(years),
        PdCurve::TermStructure { cumulative } => {
            // Hazard −ln(1 − PD) interpolated linearly between yearly knots, flat after the last,
            // scaled by the obligor's PD relative to the pool's.
            let hazard = |k: usize| -(1.0 - cumulative[k].min(1.0 - 1e-15)).ln();
            let whole = years.floor() as usize;
            let h = if years <= 0.0 {
                0.0
            } else if whole >= cumulative.len() {
                hazard(cumulative.len() - 1)
            } else {
                let lo = if whole == 0 { 0.0 } else { hazard(whole - 1) };
                lo + (hazard(whole) - lo) * (years - whole as f64)
            };
            let scale = if pool_pd > 0.0 { pd / pool_pd } else { 1.0 };
            (multiplier * (1.0 - (-h * scale).exp())).min(1.0)
        }
    }
}

impl CreditSampler {
    pub fn new(deal: &Deal) -> Self {
        let model: &CreditModel = &deal.credit;
        let periods = deal.period_ends.len();
        let pool = &deal.pool;
        let years: Vec<f64> = deal
            .period_ends
            .iter()
            .map(|d| years_between(deal.closing, *d))
            .collect();
        let inverse = latent_inverse(model.copula);
        // An obligor's annual PD: balance-weighted over its assets (the multiplier is applied
        // to the curve, in `cumulative_pd`).
        let mut weighted = vec![(0.0, 0.0); pool.obligors.len()];
        for asset in &pool.assets {
            let b = crate::money::Amount::to_f64(asset.balance);
            weighted[asset.obligor].0 += b * asset.annual_pd;
            weighted[asset.obligor].1 += b;
        }
        let obligor_pd: Vec<f64> = weighted
            .iter()
            .map(|(pb, b)| if *b > 0.0 { pb / b } else { 0.0 })
            .collect();
        let pool_pd = {
            let total: f64 = weighted.iter().map(|w| w.1).sum();
            weighted.iter().map(|(pb, _)| pb).sum::<f64>() / total.max(f64::MIN_POSITIVE)
        };
        let m = model.pd_multiplier;
        // Every other input of a row is the pool's: obligors of one PD have one curve, computed
        // once.
        let mut thresholds: Vec<f64> = Vec::new();
        let mut rows: HashMap<u64, u32> = HashMap::new();
        let threshold_row: Vec<u32> = obligor_pd
            .iter()
            .map(|pd| {
                let next = rows.len() as u32;
                *rows.entry(pd.to_bits()).or_insert_with(|| {
                    thresholds.extend(
                        years
                            .iter()
                            .map(|t| inverse(cumulative_pd(&model.pd_curve, *pd, pool_pd, m, *t))),
                    );
                    next
                })
            })
            .collect();
        // `first_crossing` searches each row: cumulative PDs never fall (a term structure is
        // validated non-decreasing), and neither do their quantiles.
        debug_assert!(
            thresholds
                .chunks(periods.max(1))
                .all(|row| row.is_sorted_by(|a, b| a <= b))
        );
        let support_thresholds = deal
            .structure
            .supports
            .iter()
            .flat_map(|s| years.iter().map(move |t| (s.annual_pd, *t)))
            .map(|(pd, t)| inverse(cumulative_pd(&PdCurve::ConstantHazard, pd, pd, 1.0, t)))
            .collect();
        let lag = months_to_periods(model.recovery_lag_months, deal.frequency.months());
        let tape = model.recovery_source == RecoverySource::Tape;
        let sectors = pool.sectors.len();
        let mut sector_obligors = vec![Vec::new(); sectors];
        let mut sector_horizon_threshold = vec![f64::NEG_INFINITY; sectors];
        for (o, obligor) in pool.obligors.iter().enumerate() {
            sector_obligors[obligor.sector].push(o as u32);
            let horizon = last_threshold(threshold_row_of(&thresholds, periods, threshold_row[o]));
            let bound = &mut sector_horizon_threshold[obligor.sector];
            *bound = bound.max(horizon);
        }
        let mut obligor_asset_start = vec![0u32; pool.obligors.len() + 1];
        for asset in &pool.assets {
            obligor_asset_start[asset.obligor + 1] += 1;
        }
        for o in 0..pool.obligors.len() {
            obligor_asset_start[o + 1] += obligor_asset_start[o];
        }
        let mut fill = obligor_asset_start.clone();
        let mut obligor_assets = vec![0u32; pool.assets.len()];
        for (a, asset) in pool.assets.iter().enumerate() {
            obligor_assets[fill[asset.obligor] as usize] = a as u32;
            fill[asset.obligor] += 1;
        }
        CreditSampler {
            periods,
            copula: model.copula,
            sectors,
            obligors: pool.obligors.len(),
            sector_obligors,
            sector_horizon_threshold,
            obligor_asset_start,
            obligor_assets,
            loadings: model
                .sector_loadings
                .iter()
                .map(|l| (l.global, l.sector, l.idiosyncratic()))
                .collect(),
            thresholds,
            threshold_row,
            asset_obligor: pool.assets.iter().map(|a| a.obligor).collect(),
            asset_appraised: pool
                .assets
                .iter()
                .map(|a| crate::money::Amount::to_f64(a.appraised_value))
                .collect(),
            // The tape's recovery columns apply only when the scenario asks for them
            // (`model.recovery.source = "tape"`); by default every asset follows the model.
            asset_recovery_rate: pool
                .assets
                .iter()
                .map(|a| a.recovery_rate.filter(|_| tape))
                .collect(),
            asset_lag: pool
                .assets
                .iter()
                .map(|a| {
                    a.recovery_lag_months
                        .filter(|_| tape)
                        .map_or(lag, |m| months_to_periods(m, deal.frequency.months()))
                })
                .collect(),
            recovery: model.recovery.clone(),
            support_loading: model.support_loadings.clone(),
            support_thresholds,
            prepayment_rate: period_rate(model.cpr, deal.frequency.months()),
            shift_global: 0.0,
            shift_sector: vec![0.0; sectors],
            shift_promisor: vec![0.0; model.support_loadings.len()],
            shift_half_norm_squared: 0.0,
            mixing_scale: 1.0,
        }
    }

    /// The same sampler drawing the systematic factors with the means of `shift` (importance
    /// sampling); every path's [`PathDraws::weight`] is then its likelihood ratio.
    pub fn with_shift(mut self, shift: &FactorShift) -> Self {
        self.set_shift(shift);
        self
    }

    /// Sets the factors' means (see [`CreditSampler::with_shift`]).
    pub fn set_shift(&mut self, shift: &FactorShift) {
        assert_eq!(shift.sectors.len(), self.sectors, "one mean per sector");
        assert_eq!(
            shift.promisors.len(),
            self.support_loading.len(),
            "one per promisor"
        );
        self.shift_global = shift.global;
        self.shift_sector.clone_from(&shift.sectors);
        self.shift_promisor.clone_from(&shift.promisors);
        self.shift_half_norm_squared = shift.half_norm_squared();
        self.mixing_scale = match self.copula {
            Copula::StudentT { .. } => shift.mixing_scale,
            Copula::Gaussian => 1.0,
        };
    }

    /// Obligor `o`'s latent thresholds, one per period.
    fn obligor_thresholds(&self, o: usize) -> &[f64] {
        threshold_row_of(&self.thresholds, self.periods, self.threshold_row[o])
    }

    /// What the choice of an importance-sampling shift needs: per obligor its threshold for a
    /// default within the deal, sector and loss given default (exposure at closing × (1 − the
    /// recovery the model expects: the fixed rate, or the collateral's appraised value after
    /// haircut and disposal cost at a median shock)); per sector its (global, sector) loadings.
    pub fn tail_inputs(&self, deal: &Deal) -> (Vec<ObligorTail>, Vec<(f64, f64)>) {
        let mut tails: Vec<ObligorTail> = (0..self.obligors)
            .map(|o| ObligorTail {
                threshold: last_threshold(self.obligor_thresholds(o)),
                sector: deal.pool.obligors[o].sector,
                loss_given_default: 0.0,
            })
            .collect();
        for (a, asset) in deal.pool.assets.iter().enumerate() {
            let exposure = crate::money::Amount::to_f64(asset.balance);
            let recovery = match (self.asset_recovery_rate[a], &self.recovery) {
                (Some(rate), _) | (None, &RecoveryModel::Rate { rate }) => rate,
                (
                    None,
                    &RecoveryModel::Collateral {
                        haircut,
                        disposal_cost,
                        ..
                    },
                ) => {
                    let proceeds = self.asset_appraised[a] * (1.0 - haircut - disposal_cost);
                    (proceeds / exposure.max(f64::MIN_POSITIVE)).clamp(0.0, 1.0)
                }
            };
            tails[self.asset_obligor[a]].loss_given_default += exposure * (1.0 - recovery);
        }
        let loadings = self.loadings.iter().map(|(a, b, _)| (*a, *b)).collect();
        (tails, loadings)
    }

    /// The single-period prepayment rate of every path.
    pub fn prepayment_rate(&self) -> f64 {
        self.prepayment_rate
    }

    pub fn max_lag(&self) -> usize {
        self.asset_lag.iter().copied().max().unwrap_or(0)
    }

    pub fn new_draws(&self) -> PathDraws {
        PathDraws {
            global_factor: 0.0,
            obligor_default: vec![NO_DEFAULT; self.obligors],
            defaulted: Vec::new(),
            default_assets: Vec::new(),
            value_normal: vec![0.0; self.asset_obligor.len()],
            support_default: vec![NO_DEFAULT; self.support_loading.len()],
            weight: 1.0,
            mixing: 0.0,
            sector_factor: vec![0.0; self.sectors],
            found_assets: Vec::new(),
            period_start: vec![0; self.periods + 1],
            support_normal: vec![0.0; self.support_loading.len()],
            support_latent: vec![0.0; self.support_loading.len()],
        }
    }

    /// Draws one path's events into `draws` (see the module notes for the order of draws).
    pub fn draw(&self, rng: &mut impl Rng, draws: &mut PathDraws) {
        let obligor_key = rng.next_u64();
        let value_key = rng.next_u64();
        // Importance sampling moves the factors' means (zero for plain Monte Carlo); the
        // likelihood ratio is exp(−μ·Z + |μ|²/2) at the drawn Z.
        let z: f64 = rng.sample::<f64, _>(StandardNormal) + self.shift_global;
        draws.global_factor = z;
        let mut log_weight = self.shift_half_norm_squared - self.shift_global * z;
        for (f, mu) in draws.sector_factor.iter_mut().zip(&self.shift_sector) {
            *f = rng.sample::<f64, _>(StandardNormal) + mu;
            log_weight -= mu * *f;
        }
        for (s, latent) in draws.support_latent.iter_mut().enumerate() {
            let a = self.support_loading[s];
            let mu = self.shift_promisor[s];
            let eps: f64 = rng.sample::<f64, _>(StandardNormal) + mu;
            log_weight -= mu * eps;
            draws.support_normal[s] = eps;
            *latent = a * z + (1.0 - a * a).max(0.0).sqrt() * eps;
        }
        // The t mixing variable comes last: its sampler uses a variable number of uniforms.
        // Importance sampling may draw it scaled by c (a Gamma(ν/2, 2c) variable W): its
        // likelihood ratio is c^(ν/2)·exp(W(1/c − 1)/2).
        let scale = match self.copula {
            Copula::Gaussian => 1.0,
            Copula::StudentT { df } => {
                let chi2 = ChiSquared::new(df).expect("validated: df > 2");
                let c = self.mixing_scale;
                let w: f64 = rng.sample::<f64, _>(chi2) * c;
                if c != 1.0 {
                    log_weight += 0.5 * df * c.ln() + 0.5 * w * (1.0 / c - 1.0);
                }
                draws.mixing = w;
                (df / w).sqrt()
            }
        };
        draws.weight = if self.shift_half_norm_squared == 0.0 && self.mixing_scale == 1.0 {
            1.0
        } else {
            log_weight.exp()
        };
        for o in draws.defaulted.drain(..) {
            draws.obligor_default[o as usize] = NO_DEFAULT;
        }
        let n = self.periods;
        for sector in 0..self.sectors {
            let (a, b, c) = self.loadings[sector];
            let systematic = a * z + b * draws.sector_factor[sector];
            let members = &self.sector_obligors[sector];
            let record = |o: u32, latent: f64, draws: &mut PathDraws| {
                let row = self.obligor_thresholds(o as usize);
                let period = first_crossing(row, latent);
                if period != NO_DEFAULT {
                    draws.obligor_default[o as usize] = period;
                    draws.defaulted.push(o);
                }
            };
            if c <= 0.0 {
                // No idiosyncratic part: the factors decide alone.
                for &o in members {
                    record(o, systematic * scale, draws);
                }
                continue;
            }
            // An obligor can default only if its idiosyncratic normal Φ⁻¹(u) is at or below
            // `bound`, i.e. u ≤ Φ(bound): only those get the inverse CDF.
            let bound = (self.sector_horizon_threshold[sector] / scale - systematic) / c;
            let q = standard_normal_cdf(bound);
            if q.is_nan() || q <= 0.0 {
                continue;
            }
            for &o in members {
                let u = keyed_uniform(obligor_key, u64::from(o));
                if u <= q {
                    let eps = standard_normal_quantile(u).min(bound);
                    record(o, scale * (systematic + c * eps), draws);
                }
            }
        }
        draws.found_assets.clear();
        for &o in &draws.defaulted {
            let (lo, hi) = (
                self.obligor_asset_start[o as usize] as usize,
                self.obligor_asset_start[o as usize + 1] as usize,
            );
            let period = draws.obligor_default[o as usize];
            for &asset in &self.obligor_assets[lo..hi] {
                draws.found_assets.push((period, asset));
            }
        }
        sort_by_period(
            &draws.found_assets,
            &mut draws.period_start,
            &mut draws.default_assets,
        );
        if self.recovery.is_stochastic() {
            for &o in &draws.defaulted {
                let (lo, hi) = (
                    self.obligor_asset_start[o as usize] as usize,
                    self.obligor_asset_start[o as usize + 1] as usize,
                );
                for &asset in &self.obligor_assets[lo..hi] {
                    if self.asset_recovery_rate[asset as usize].is_none() {
                        draws.value_normal[asset as usize] =
                            standard_normal_quantile(keyed_uniform(value_key, u64::from(asset)));
                    }
                }
            }
        }
        for (s, default) in draws.support_default.iter_mut().enumerate() {
            *default = first_crossing(
                &self.support_thresholds[s * n..(s + 1) * n],
                draws.support_latent[s] * scale,
            );
        }
    }

    /// The credit events of `draws`, as the engine asks for them.
    pub fn events<'a>(&'a self, draws: &'a PathDraws) -> PathEvents<'a> {
        PathEvents {
            sampler: self,
            draws,
        }
    }
}

/// One path's events (implements [`CreditEvents`]).
pub struct PathEvents<'a> {
    sampler: &'a CreditSampler,
    draws: &'a PathDraws,
}

impl CreditEvents for PathEvents<'_> {
    #[inline]
    fn default_fraction(&self, asset: usize, period: usize) -> f64 {
        if self.draws.obligor_default[self.sampler.asset_obligor[asset]] == period as u32 {
            1.0
        } else {
            0.0
        }
    }
    #[inline]
    fn prepayment_rate(&self, _period: usize) -> f64 {
        self.sampler.prepayment_rate
    }
    fn recovery_fraction(&self, asset: usize, _period: usize, exposure: f64) -> f64 {
        let s = self.sampler;
        if let Some(rate) = s.asset_recovery_rate[asset] {
            return rate;
        }
        match s.recovery {
            RecoveryModel::Rate { rate } => rate,
            RecoveryModel::Collateral {
                volatility,
                systematic_correlation: rho,
                haircut,
                disposal_cost,
            } => {
                if exposure <= 0.0 {
                    return 0.0;
                }
                // Median-one lognormal shock tied to the global factor: collateral is worth less
                // on paths where the factor is low and defaults cluster.
                let normal = rho * self.draws.global_factor
                    + (1.0 - rho * rho).max(0.0).sqrt() * self.draws.value_normal[asset];
                let appraised = s.asset_appraised[asset];
                let proceeds = appraised * (volatility * normal).exp() * (1.0 - haircut)
                    - disposal_cost * appraised;
                (proceeds / exposure).clamp(0.0, 1.0)
            }
        }
    }
    fn whole_defaults(&self) -> Option<&[(u32, u32)]> {
        Some(&self.draws.default_assets)
    }
    #[inline]
    fn recovery_lag(&self, asset: usize, _period: usize) -> usize {
        self.sampler.asset_lag[asset]
    }
    #[inline]
    fn support_defaulted(&self, support: usize, period: usize) -> bool {
        let d = self.draws.support_default[support];
        d != NO_DEFAULT && period as u32 >= d
    }
}

/// `found` (period, asset) pairs, each asset once and every period below
/// `period_start.len() − 1`, into `sorted` in (period, asset) order: counted into their periods
/// (a large pool has many defaults and few periods), then each period's few sorted by asset.
fn sort_by_period(found: &[(u32, u32)], period_start: &mut [u32], sorted: &mut Vec<(u32, u32)>) {
    sorted.clear();
    if found.len() <= 32 {
        sorted.extend_from_slice(found);
        sorted.sort_unstable();
        return;
    }
    period_start.iter_mut().for_each(|c| *c = 0);
    for &(p, _) in found {
        period_start[p as usize + 1] += 1;
    }
    for k in 1..period_start.len() {
        period_start[k] += period_start[k - 1];
    }
    sorted.resize(found.len(), (0, 0));
    // Each period's start is its cursor while placing; after, it is the period's end.
    for &(p, a) in found {
        let at = &mut period_start[p as usize];
        sorted[*at as usize] = (p, a);
        *at += 1;
    }
    let mut start = 0;
    for &end in period_start.iter() {
        sorted[start as usize..end as usize].sort_unstable();
        start = end;
    }
}

/// Row `row` of `thresholds` (rows of `periods` thresholds).
fn threshold_row_of(thresholds: &[f64], periods: usize, row: u32) -> &[f64] {
    let row = row as usize;
    &thresholds[row * periods..(row + 1) * periods]
}

/// The threshold for "defaulted within the deal" of a row (−∞ for a deal without dates).
fn last_threshold(row: &[f64]) -> f64 {
    row.last().copied().unwrap_or(f64::NEG_INFINITY)
}

/// First period whose threshold the latent variable is at or below, or [`NO_DEFAULT`].
/// Thresholds are quantiles of cumulative default probabilities, so non-decreasing: a binary
/// search finds the period (a default draw is a search over the deal's periods, not a scan).
fn first_crossing(thresholds: &[f64], x: f64) -> u32 {
    match thresholds.last() {
        Some(last) if x <= *last => thresholds.partition_point(|c| x > *c) as u32,
        _ => NO_DEFAULT,
    }
}

/// The uniform in (0, 1) of item `index` under `key`: the SplitMix64 sequence seeded by `key`
/// read at position `index + 1` (the same numbers SplitMix64 would generate in order, so
/// they are as good as its stream), with 53 bits and never 0 or 1.
#[inline]
fn keyed_uniform(key: u64, index: u64) -> f64 {
    let mut x = key.wrapping_add((index + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    ((x >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// Φ(x).
pub(crate) fn standard_normal_cdf(x: f64) -> f64 {
    if x == f64::INFINITY {
        1.0
    } else if x == f64::NEG_INFINITY {
        0.0
    } else {
        0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
    }
}

/// Φ⁻¹(p) for p in (0, 1].
pub(crate) fn standard_normal_quantile(p: f64) -> f64 {
    if p >= 1.0 {
        f64::INFINITY
    } else {
        -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p)
    }
}

/// The latent variable's inverse CDF for the copula (Φ⁻¹ or T_ν⁻¹); −∞ for probability 0.
fn latent_inverse(copula: Copula) -> impl Fn(f64) -> f64 {
    let normal = Normal::standard();
    let t = match copula {
        Copula::StudentT { df } => StudentsT::new(0.0, 1.0, df).ok(),
        Copula::Gaussian => None,
    };
    move |p: f64| {
        if p <= 0.0 {
            f64::NEG_INFINITY
        } else if p >= 1.0 {
            f64::INFINITY
        } else {
            match &t {
                Some(t) => t.inverse_cdf(p),
                None => normal.inverse_cdf(p),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(values: &[f64]) -> PdCurve {
        PdCurve::TermStructure {
            cumulative: values.to_vec(),
        }
    }

    /// Obligors of the same PD share one row of thresholds; obligors of different PDs do not,
    /// and each row is its obligor's curve, one threshold per period.
    #[test]
    fn obligors_of_one_pd_share_a_threshold_row() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join("patent-pledge-200m.toml");
        let deal = crate::scenario::load(&path).unwrap();
        let sampler = CreditSampler::new(&deal);
        let pd = |o: usize| {
            let assets = deal.pool.assets.iter().filter(|a| a.obligor == o);
            assets.map(|a| a.annual_pd.to_bits()).collect::<Vec<_>>()
        };
        let rows = sampler.thresholds.len() / sampler.periods;
        assert!(rows < deal.pool.obligors.len(), "some obligors share a PD");
        for o in 0..deal.pool.obligors.len() {
            let row = sampler.obligor_thresholds(o);
            assert_eq!(row.len(), deal.period_ends.len());
            assert!(row.is_sorted());
            for p in 0..deal.pool.obligors.len() {
                let shared = sampler.threshold_row[o] == sampler.threshold_row[p];
                assert_eq!(shared, pd(o) == pd(p), "obligors {o} and {p}");
            }
        }
    }

    /// Counted into periods, then sorted within each: the order a full sort gives.
    #[test]
    fn sort_by_period_is_a_sort() {
        let mut start = vec![0; 8];
        let mut sorted = Vec::new();
        for n in [0usize, 5, 33, 200] {
            let found: Vec<(u32, u32)> = (0..n as u32)
                .map(|k| ((k * 7919) % 7, (k * 104_729) % 1_000_003))
                .collect();
            let mut expected = found.clone();
            expected.sort_unstable();
            sort_by_period(&found, &mut start, &mut sorted);
            assert_eq!(sorted, expected, "{n} pairs");
        }
    }

    /// The binary search finds the period a scan from the first would: the first threshold the
    /// latent variable is at or below, ties and infinities included.
    #[test]
    fn first_crossing_is_the_first_period_at_or_above_the_latent() {
        let rows: [&[f64]; 4] = [
            &[f64::NEG_INFINITY, -2.0, -2.0, -1.5, -1.5, -1.5, 0.3],
            &[-1.0],
            &[f64::NEG_INFINITY, f64::NEG_INFINITY],
            &[],
        ];
        for row in rows {
            for x in [
                -3.0,
                -2.0,
                -1.99,
                -1.5,
                -1.0,
                0.0,
                0.3,
                0.31,
                f64::NEG_INFINITY,
            ] {
                let scan = match row.last() {
                    Some(last) if x <= *last => row.iter().position(|c| x <= *c).unwrap() as u32,
                    _ => NO_DEFAULT,
                };
                assert_eq!(first_crossing(row, x), scan, "{row:?} at {x}");
            }
        }
    }

    #[test]
    fn pd_multiplier_scales_a_term_structure_curve() {
        let c = curve(&[0.02, 0.05, 0.09]);
        // An obligor at the pool's PD follows the curve; the multiplier multiplies it.
        for (t, base) in [(1.0, 0.02), (2.0, 0.05), (3.0, 0.09), (4.5, 0.09)] {
            let one = cumulative_pd(&c, 0.03, 0.03, 1.0, t);
            assert!((one - base).abs() < 1e-12, "t = {t}: {one}");
            let two = cumulative_pd(&c, 0.03, 0.03, 2.0, t);
            assert!((two - 2.0 * base).abs() < 1e-12, "t = {t}: {two}");
        }
        // Between knots too (hazard interpolated, then multiplied).
        let mid = cumulative_pd(&c, 0.03, 0.03, 1.0, 1.5);
        assert!(mid > 0.02 && mid < 0.05);
        assert!((cumulative_pd(&c, 0.03, 0.03, 3.0, 1.5) - 3.0 * mid).abs() < 1e-12);
        // The relative scaling of a riskier obligor is kept, and the multiplier applied on top
        // (it no longer cancels between the obligor's and the pool's PD).
        let riskier = 1.0 - (1.0 - 0.05_f64).powi(2);
        assert!((cumulative_pd(&c, 0.06, 0.03, 1.0, 2.0) - riskier).abs() < 1e-12);
        assert!((cumulative_pd(&c, 0.06, 0.03, 2.0, 2.0) - 2.0 * riskier).abs() < 1e-12);
        // Zero multiplier: no defaults.
        assert_eq!(cumulative_pd(&c, 0.03, 0.03, 0.0, 2.0), 0.0);
    }

    #[test]
    fn scaled_curve_stays_a_cumulative_probability() {
        let c = curve(&[0.1, 0.25, 0.4, 0.4, 0.7]);
        for m in [0.0, 0.5, 1.0, 2.0, 3.0, 7.5, 1000.0] {
            let mut last = 0.0;
            for k in 0..=80 {
                let t = k as f64 / 10.0;
                let p = cumulative_pd(&c, 0.05, 0.04, m, t);
                assert!((0.0..=1.0).contains(&p), "m = {m}, t = {t}: {p}");
                assert!(p >= last, "m = {m}: {p} after {last} at t = {t}");
                last = p;
            }
        }
        // The cap binds from the year the scaled curve reaches 1, and stays.
        assert!((cumulative_pd(&c, 0.04, 0.04, 3.0, 2.0) - 0.75).abs() < 1e-12);
        assert_eq!(cumulative_pd(&c, 0.04, 0.04, 3.0, 3.0), 1.0);
        assert_eq!(cumulative_pd(&c, 0.04, 0.04, 3.0, 6.0), 1.0);
    }

    #[test]
    fn pd_multiplier_scales_the_annual_pd_under_a_constant_hazard() {
        let p = cumulative_pd(&PdCurve::ConstantHazard, 0.03, 0.03, 2.0, 2.0);
        assert!((p - (1.0 - 0.94_f64.powi(2))).abs() < 1e-12);
        // Capped at a PD of 1.
        assert_eq!(
            cumulative_pd(&PdCurve::ConstantHazard, 0.3, 0.3, 5.0, 0.5),
            1.0
        );
    }
}
