//! Importance sampling for tail losses: where to move the systematic factors.
//!
//! Under the factor copula a pool loses heavily mostly because its systematic factors are low.
//! Drawing the factors from normals with a shifted mean μ (and keeping everything else as it
//! is) puts many more paths in the loss region of a senior tranche; each path then carries the
//! likelihood ratio of the shifted draw against the model's,
//!
//! ```text
//! w = φ(Z)/φ(Z − μ) = exp(−μ·Z + |μ|²/2)   (Z the drawn, shifted factors),
//! ```
//!
//! and every statistic weights the path by `w`, which keeps it unbiased (Glasserman & Li 2005,
//! "Importance sampling for portfolio credit risk", Management Science 51(11), §4).
//!
//! **Where to shift.** The shift lies along one direction `v` of the factor space: the gradient
//! of the pool's expected loss at the factors' mean (`v_k ∝ Σᵢ cᵢ φ(Hᵢ) lᵢₖ`, `cᵢ` the obligor's
//! loss given default, `Hᵢ` its threshold for defaulting within the deal, `lᵢ` its loadings). Along
//! `v` at `t`, obligor `i` defaults with `pᵢ(t) = Φ((Hᵢ − βᵢ t)/√(1 − βᵢ²))`, `βᵢ = lᵢ·v` (the other
//! factor directions integrated out). Glasserman & Li's tail-bound rule picks the `t` that
//! maximises `F(t) − t²/2`, where `F(t) = min_{θ ≥ 0} ψ(θ, t) − θx` is the log of the Chernoff
//! bound on `P(L > x | t)`, `ψ(θ, t) = Σᵢ ln(1 + pᵢ(t)(e^{θcᵢ} − 1))`: the mode of
//! `P(L > x | t)·φ(t)`, the distribution the factors would follow under zero-variance sampling.
//! `x` is the pool loss at which the target tranche starts to lose: the pool balance less the
//! tranche and everything senior to it, plus the accounts' initial cash. Excess spread and
//! recoveries timing make the true point somewhat higher; a shift that falls short of it still
//! gives an unbiased estimate, only a smaller variance reduction. A target the pool reaches on
//! average (`E[L] ≥ x`) needs no shift: μ = 0 and the run is plain Monte Carlo.
//!
//! Only the factors move; the obligors' own draws are untouched, so the skipping sampler
//! and the default-free resume work as in a plain run.

use serde::{Deserialize, Serialize};

use super::sampler::standard_normal_cdf;

/// The pool loss, yuan, at which tranche `tranche` starts to lose: the pool balance at closing
/// less the balances of the tranche and of every class ranked at or above it, plus the
/// accounts' initial cash (never below 0).
pub fn attachment_loss(deal: &crate::deal::Deal, tranche: usize) -> f64 {
    use crate::money::Amount;
    let tranches = &deal.structure.tranches;
    let rank = tranches[tranche].rank;
    let pool: f64 = deal.pool.assets.iter().map(|a| a.balance.to_f64()).sum();
    let above: f64 = tranches
        .iter()
        .filter(|t| t.rank <= rank)
        .map(|t| t.balance.to_f64())
        .sum();
    let cash: f64 = deal
        .structure
        .accounts
        .iter()
        .map(|a| a.initial_balance.to_f64())
        .sum();
    (pool - above + cash).max(0.0)
}

/// The tail-bound shift of `deal`'s factors toward the loss region of tranche `tranche`.
pub fn shift_for_tranche(
    deal: &crate::deal::Deal,
    sampler: &super::CreditSampler,
    tranche: usize,
) -> FactorShift {
    let (tails, loadings) = sampler.tail_inputs(deal);
    let promisors = deal.structure.supports.len();
    tail_bound_shift(&tails, &loadings, promisors, attachment_loss(deal, tranche))
}

/// Standard normal density (Φ is the sampler's [`standard_normal_cdf`]).
fn phi(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// What the shift needs to know of one obligor.
#[derive(Debug, Clone, Copy)]
pub struct ObligorTail {
    /// Threshold of the latent variable for a default within the deal (−∞: never defaults).
    pub threshold: f64,
    pub sector: usize,
    /// Loss given default, yuan (exposure at closing × (1 − expected recovery)).
    pub loss_given_default: f64,
}

/// The shift of the systematic factors and how it was chosen (reported in `mc-summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorShift {
    /// Mean of the global factor under the sampling distribution.
    pub global: f64,
    /// Mean of each sector factor, in the pool's sector order.
    pub sectors: Vec<f64>,
    /// Mean of each support promisor's own normal, in the deal's order.
    #[serde(default)]
    pub promisors: Vec<f64>,
    /// Student-t copula: the χ²_ν mixing variable is drawn scaled by this (below 1: heavier
    /// joint tails); 1 under the Gaussian copula.
    #[serde(default = "one")]
    pub mixing_scale: f64,
    /// The pool loss the shift aims at, yuan.
    pub target_pool_loss: f64,
    /// The pool's expected loss given default within the deal, yuan, at the model's factors
    /// (the shift is zero when it is already at or above the target).
    pub expected_pool_loss: f64,
    /// The tail-bound rule's global-factor mean, before the cross-entropy refinement.
    #[serde(default)]
    pub tail_bound_global: f64,
    /// Cross-entropy steps on pilot paths through the deal's waterfall, and the pilot paths
    /// they ran (0: the tail-bound shift is used as it is).
    #[serde(default)]
    pub pilot_iterations: u32,
    #[serde(default)]
    pub pilot_paths: u64,
    /// The variance-reduction factor of the target's P(loss) that fresh pilot paths measured
    /// at the refined shift (`None`: none of them lost); below 1 the shift is dropped.
    #[serde(default)]
    pub pilot_variance_reduction: Option<f64>,
}

fn one() -> f64 {
    1.0
}

impl FactorShift {
    /// |μ|²/2, the constant of the log likelihood ratio.
    pub fn half_norm_squared(&self) -> f64 {
        let squares = |v: &[f64]| v.iter().map(|m| m * m).sum::<f64>();
        0.5 * (self.global * self.global + squares(&self.sectors) + squares(&self.promisors))
    }

    pub fn is_zero(&self) -> bool {
        self.global == 0.0
            && self.mixing_scale == 1.0
            && self.sectors.iter().all(|m| *m == 0.0)
            && self.promisors.iter().all(|m| *m == 0.0)
    }
}

/// The tail-bound shift toward a pool loss of `target` yuan. `loadings[s]` are sector `s`'s
/// (global, sector) loadings; the deal has `promisors` support promisors (this rule leaves their
/// own normals unshifted).
pub fn tail_bound_shift(
    obligors: &[ObligorTail],
    loadings: &[(f64, f64)],
    promisors: usize,
    target: f64,
) -> FactorShift {
    let sectors = loadings.len();
    let expected: f64 = obligors
        .iter()
        .map(|o| o.loss_given_default * standard_normal_cdf(o.threshold))
        .sum();
    let zero = FactorShift {
        global: 0.0,
        sectors: vec![0.0; sectors],
        promisors: vec![0.0; promisors],
        mixing_scale: 1.0,
        target_pool_loss: target,
        expected_pool_loss: expected,
        tail_bound_global: 0.0,
        pilot_iterations: 0,
        pilot_paths: 0,
        pilot_variance_reduction: None,
    };
    if target.is_nan() || target <= expected || target <= 0.0 {
        return zero;
    }
    // Direction: gradient of the expected loss in the factors (global first, then sectors).
    let mut v = vec![0.0; sectors + 1];
    for o in obligors.iter().filter(|o| o.threshold.is_finite()) {
        let (a, b) = loadings[o.sector];
        let g = o.loss_given_default * phi(o.threshold);
        v[0] += g * a;
        v[1 + o.sector] += g * b;
    }
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm.is_nan() || norm <= 0.0 {
        return zero;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    // βᵢ = lᵢ·v per sector.
    let beta: Vec<f64> = (0..sectors)
        .map(|s| loadings[s].0 * v[0] + loadings[s].1 * v[1 + s])
        .collect();
    // Losses in units of the target keep θ of order one.
    let tails: Vec<(f64, f64, f64)> = obligors
        .iter()
        .filter(|o| o.threshold.is_finite() && o.loss_given_default > 0.0)
        .map(|o| {
            let b = beta[o.sector].min(0.999_999);
            (o.threshold, b, o.loss_given_default / target)
        })
        .collect();
    let objective = |t: f64| log_tail_bound(&tails, t) - 0.5 * t * t;
    // Defaults come with low factors: search t ≤ 0. A coarse grid, then golden section around
    // its best point (the objective is smooth and, in practice, unimodal).
    let (lo, hi) = (-10.0, 0.0);
    let steps = 100;
    let h = (hi - lo) / steps as f64;
    let best = (0..=steps)
        .map(|k| lo + h * k as f64)
        .map(|t| (t, objective(t)))
        .fold(
            (0.0, f64::NEG_INFINITY),
            |b, c| if c.1 > b.1 { c } else { b },
        );
    let t = golden_max(&objective, (best.0 - h).max(lo), (best.0 + h).min(hi));
    FactorShift {
        global: t * v[0],
        sectors: (0..sectors).map(|s| t * v[1 + s]).collect(),
        promisors: vec![0.0; promisors],
        mixing_scale: 1.0,
        target_pool_loss: target,
        expected_pool_loss: expected,
        tail_bound_global: t * v[0],
        pilot_iterations: 0,
        pilot_paths: 0,
        pilot_variance_reduction: None,
    }
}

/// `F(t) = min_{θ ≥ 0} ψ(θ, t) − θ` for losses in units of the target (so x = 1).
fn log_tail_bound(tails: &[(f64, f64, f64)], t: f64) -> f64 {
    let p: Vec<(f64, f64)> = tails
        .iter()
        .map(|(h, b, c)| (standard_normal_cdf((h - b * t) / (1.0 - b * b).sqrt()), *c))
        .collect();
    let mean: f64 = p.iter().map(|(p, c)| p * c).sum();
    if mean >= 1.0 {
        return 0.0;
    }
    let max_loss: f64 = p.iter().filter(|(p, _)| *p > 0.0).map(|(_, c)| c).sum();
    if max_loss <= 1.0 {
        // The target is out of reach at this t.
        return -1e6;
    }
    // ψ'(θ) = Σ cᵢ qᵢ(θ) rises from the mean to the largest loss: bisect ψ'(θ) = 1.
    let slope = |theta: f64| -> f64 {
        p.iter()
            .map(|(p, c)| {
                let e = (theta * c).exp();
                c * p * e / (1.0 + p * (e - 1.0))
            })
            .sum()
    };
    let (mut a, mut b) = (0.0, 1.0);
    while slope(b) < 1.0 && b < 1e6 {
        a = b;
        b *= 2.0;
    }
    for _ in 0..60 {
        let m = 0.5 * (a + b);
        if slope(m) < 1.0 {
            a = m;
        } else {
            b = m;
        }
    }
    let theta = 0.5 * (a + b);
    let psi: f64 = p
        .iter()
        .map(|(p, c)| (1.0 + p * ((theta * c).exp() - 1.0)).ln())
        .sum();
    psi - theta
}

/// Maximum of a unimodal `f` on [a, b] by golden-section search.
fn golden_max(f: &impl Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - r * (b - a);
    let mut d = a + r * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - r * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + r * (b - a);
            fd = f(d);
        }
    }
    0.5 * (a + b)
}

#[cfg(test)]
mod tests {
    use super::super::sampler::standard_normal_quantile;
    use super::*;

    fn pool(n: usize, pd: f64) -> Vec<ObligorTail> {
        let h = standard_normal_quantile(pd);
        (0..n)
            .map(|_| ObligorTail {
                threshold: h,
                sector: 0,
                loss_given_default: 1.0,
            })
            .collect()
    }

    #[test]
    fn no_shift_when_the_target_is_not_in_the_tail() {
        let s = tail_bound_shift(&pool(100, 0.05), &[(0.5, 0.0)], 0, 3.0);
        assert!(s.is_zero());
        assert!((s.expected_pool_loss - 5.0).abs() < 1e-9);
    }

    #[test]
    fn the_shift_lands_near_the_factor_that_makes_the_target_the_mean() {
        // One factor, loading a = √0.3: E[L | z] = n Φ((H − a z)/√(1 − a²)) reaches the target
        // at z*; the tail-bound mode lies between z* and 0, close to z* for a large pool.
        let (n, pd, target) = (100, 0.05, 30.0);
        let a: f64 = 0.3f64.sqrt();
        let s = tail_bound_shift(&pool(n, pd), &[(a, 0.0)], 0, target);
        let h = pool(1, pd)[0].threshold;
        let q = target / n as f64;
        let inv = standard_normal_quantile(q);
        let z_star = (h - (1.0 - a * a).sqrt() * inv) / a;
        assert!(
            s.global < 0.0 && s.global > z_star - 1e-9,
            "{} vs {z_star}",
            s.global
        );
        assert!(s.global < 0.8 * z_star, "{} vs {z_star}", s.global);
        assert_eq!(s.sectors, vec![0.0]);
    }

    #[test]
    fn a_single_sector_pool_shifts_global_and_sector_factors_along_their_loadings() {
        let s = tail_bound_shift(&pool(50, 0.02), &[(0.3, 0.4)], 0, 10.0);
        assert!(s.global < 0.0 && s.sectors[0] < 0.0);
        assert!((s.global / s.sectors[0] - 0.75).abs() < 1e-9);
    }
}
