//! Helpers shared by the Monte Carlo tests: closed forms and quadratures of the one-factor
//! copula models the sampler draws from, and scenario builders.
//!
//! Notation: `p` the (one-year) default probability, `rho` the asset correlation, `Z` the
//! common factor. In the Gaussian one-factor model obligor *i* defaults when
//! `√ρ·Z + √(1−ρ)·εᵢ ≤ Φ⁻¹(p)`, so given `Z = z` defaults are independent with probability
//! `q(z) = Φ((Φ⁻¹(p) − √ρ·z) / √(1−ρ))`.

#![allow(dead_code)]

pub mod conservation;
pub mod folders;

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

fn std_normal() -> Normal {
    Normal::standard()
}

/// Φ(x).
pub fn phi(x: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        0.0
    } else if x == f64::INFINITY {
        1.0
    } else {
        std_normal().cdf(x)
    }
}

/// Φ⁻¹(u), ±∞ at the ends.
pub fn phi_inv(u: f64) -> f64 {
    if u <= 0.0 {
        f64::NEG_INFINITY
    } else if u >= 1.0 {
        f64::INFINITY
    } else {
        std_normal().inverse_cdf(u)
    }
}

/// Standard normal density.
pub fn phi_density(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Vasicek large-pool loss distribution P(L ≤ x) = Φ((√(1−ρ)·Φ⁻¹(x) − Φ⁻¹(p)) / √ρ), zero
/// recovery (loss rate = default rate). At ρ = 0 the loss rate is p exactly: a step at p.
pub fn vasicek_cdf(x: f64, p: f64, rho: f64) -> f64 {
    if x <= 0.0 {
        return if p <= 0.0 { 1.0 } else { 0.0 };
    }
    if x >= 1.0 {
        return 1.0;
    }
    if rho == 0.0 {
        return if x >= p { 1.0 } else { 0.0 };
    }
    phi(((1.0 - rho).sqrt() * phi_inv(x) - phi_inv(p)) / rho.sqrt())
}

/// Loss of a tranche `[attach, detach)` as a share of its size, for pool loss rate `l`.
pub fn tranche_loss(l: f64, attach: f64, detach: f64) -> f64 {
    ((l - attach).max(0.0).min(detach - attach)) / (detach - attach)
}

/// Expected loss of tranche `[attach, detach)` under the Vasicek large-pool distribution:
/// E[min((L − a)⁺, d − a)] / (d − a) = ∫ₐᵈ P(L > x) dx / (d − a), by composite Simpson on
/// 4,000 intervals (the integrand is smooth and bounded on (0, 1); for ρ = 0 it is a step and
/// the exact value `tranche_loss(p)` is returned).
pub fn vasicek_tranche_el(p: f64, rho: f64, attach: f64, detach: f64) -> f64 {
    if rho == 0.0 {
        return tranche_loss(p, attach, detach);
    }
    let n = 4000;
    let h = (detach - attach) / n as f64;
    let f = |x: f64| 1.0 - vasicek_cdf(x, p, rho);
    let mut sum = f(attach) + f(detach);
    for k in 1..n {
        let w = if k % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(attach + k as f64 * h);
    }
    sum * h / 3.0 / (detach - attach)
}

/// Binomial probabilities P(K = k), k = 0..=n, for K ~ Bin(n, q) (by the multiplicative
/// recurrence from the mode-free end, in logs to survive q near 0 or 1).
pub fn binomial_pmf(n: usize, q: f64) -> Vec<f64> {
    let mut out = vec![0.0; n + 1];
    if q <= 0.0 {
        out[0] = 1.0;
        return out;
    }
    if q >= 1.0 {
        out[n] = 1.0;
        return out;
    }
    let (lq, lr) = (q.ln(), (1.0 - q).ln());
    let mut log_choose = 0.0;
    for (k, o) in out.iter_mut().enumerate() {
        if k > 0 {
            log_choose += ((n - k + 1) as f64).ln() - (k as f64).ln();
        }
        *o = (log_choose + k as f64 * lq + (n - k) as f64 * lr).exp();
    }
    out
}

/// Nodes and weights of the trapezoid rule for E[f(Z)], Z ~ N(0, 1), on [−10, 10] with step
/// 0.01. The integrand φ(z)·g(z) is smooth and decays like a Gaussian, for which the trapezoid
/// rule converges geometrically; the truncation beyond ±10 is below 1e-22.
pub fn normal_nodes() -> Vec<(f64, f64)> {
    normal_nodes_step(0.01)
}

/// As [`normal_nodes`] with step `h` on [−10, 10].
pub fn normal_nodes_step(h: f64) -> Vec<(f64, f64)> {
    let m = (10.0 / h).round() as i64;
    (-m..=m)
        .map(|i| {
            let z = i as f64 * h;
            (z, h * phi_density(z))
        })
        .collect()
}

/// P(K = k) for a pool of sectors given as (obligors, global loading a, sector loading b), all
/// with PD `p`: obligor i of a sector defaults when a·G + b·S + √(1 − a² − b²)·εᵢ ≤ Φ⁻¹(p).
/// Given G the sectors are independent, each a mixture over its own factor S of binomials, so
/// P(K = k) = ∫ φ(g) · (pmf₁(·|g) ∗ pmf₂(·|g) ∗ ...)(k) dg (trapezoid, step 0.04 for both
/// factors: the integrands are smooth and Gaussian-weighted, so the error is far below 1e-9).
pub fn sector_pool_pmf(p: f64, sectors: &[(usize, f64, f64)]) -> Vec<f64> {
    let nodes = normal_nodes_step(0.04);
    let total: usize = sectors.iter().map(|s| s.0).sum();
    let threshold = phi_inv(p);
    let mut out = vec![0.0; total + 1];
    for (g, wg) in &nodes {
        let mut conv = vec![1.0];
        for &(n, a, b) in sectors {
            let c = (1.0 - a * a - b * b).sqrt();
            let mut mix = vec![0.0; n + 1];
            for (s, ws) in &nodes {
                let q = phi((threshold - a * g - b * s) / c);
                for (m, x) in mix.iter_mut().zip(binomial_pmf(n, q)) {
                    *m += ws * x;
                }
            }
            let mut next = vec![0.0; conv.len() + n];
            for (i, x) in conv.iter().enumerate() {
                for (j, y) in mix.iter().enumerate() {
                    next[i + j] += x * y;
                }
            }
            conv = next;
        }
        for (o, x) in out.iter_mut().zip(conv) {
            *o += wg * x;
        }
    }
    out
}

/// Conditional default probability q(z) of the Gaussian one-factor model.
pub fn conditional_pd(p: f64, rho: f64, z: f64) -> f64 {
    phi((phi_inv(p) - rho.sqrt() * z) / (1.0 - rho).sqrt())
}

/// P(K = k), k = 0..=n, for a homogeneous pool of `n` obligors in the Gaussian one-factor
/// model: ∫ φ(z) · Bin(k; n, q(z)) dz.
pub fn gaussian_pool_pmf(n: usize, p: f64, rho: f64) -> Vec<f64> {
    let mut out = vec![0.0; n + 1];
    for (z, w) in normal_nodes() {
        for (o, b) in out
            .iter_mut()
            .zip(binomial_pmf(n, conditional_pd(p, rho, z)))
        {
            *o += w * b;
        }
    }
    out
}

/// Exact moments of a tranche's loss rate in the finite homogeneous pool of the Gaussian
/// one-factor model: `names` equal names, each defaulting by the horizon with probability
/// `horizon_pd`, asset correlation `rho`, fixed `recovery`. With K defaults the pool loses
/// L = K·(1 − recovery)/names, and the tranche `[attach, detach)` loses
/// `tranche_loss(L, attach, detach)`; so E[tranche loss] = ∫ Σₖ Bin(k; names, q(z)) ·
/// tranche_loss(k·(1 − R)/names) φ(z) dz, by the trapezoid rule of [`gaussian_pool_pmf`].
/// Returns (E[tranche loss], E[tranche loss²]): the second moment gives the standard error
/// a Monte Carlo of `paths` paths should have, √((E[X²] − E[X]²)/paths).
pub fn finite_pool_tranche_moments(
    names: usize,
    horizon_pd: f64,
    rho: f64,
    recovery: f64,
    attach: f64,
    detach: f64,
) -> (f64, f64) {
    let pmf = gaussian_pool_pmf(names, horizon_pd, rho);
    let mut moments = (0.0, 0.0);
    for (k, p) in pmf.iter().enumerate() {
        let x = tranche_loss(k as f64 * (1.0 - recovery) / names as f64, attach, detach);
        moments.0 += p * x;
        moments.1 += p * x * x;
    }
    moments
}

/// E[tranche loss] of [`finite_pool_tranche_moments`].
pub fn finite_pool_tranche_el(
    names: usize,
    horizon_pd: f64,
    rho: f64,
    recovery: f64,
    attach: f64,
    detach: f64,
) -> f64 {
    finite_pool_tranche_moments(names, horizon_pd, rho, recovery, attach, detach).0
}

/// P(K = k) for the Student-t copula with `df` degrees of freedom: obligor *i* defaults when
/// `√(ν/W)·(√ρ·Z + √(1−ρ)·εᵢ) ≤ T_ν⁻¹(p)`, W ~ χ²_ν shared by all, so given (Z, W) defaults are
/// independent with probability Φ((T_ν⁻¹(p)·√(W/ν) − √ρ·z) / √(1−ρ)). W is integrated by the
/// midpoint rule on its quantiles (`w_nodes` equal-probability cells; the integrand is a bounded
/// smooth function of the quantile), Z by [`normal_nodes`].
pub fn student_t_pool_pmf(n: usize, p: f64, rho: f64, df: f64, w_nodes: usize) -> Vec<f64> {
    let c = StudentsT::new(0.0, 1.0, df).unwrap().inverse_cdf(p);
    let chi2 = ChiSquared::new(df).unwrap();
    let z_nodes: Vec<(f64, f64)> = normal_nodes()
        .into_iter()
        .filter(|(_, w)| *w > 1e-18)
        .collect();
    let mut out = vec![0.0; n + 1];
    for j in 0..w_nodes {
        let u = (j as f64 + 0.5) / w_nodes as f64;
        let s = (chi2.inverse_cdf(u) / df).sqrt();
        for (z, wz) in &z_nodes {
            let q = phi((c * s - rho.sqrt() * z) / (1.0 - rho).sqrt());
            let weight = wz / w_nodes as f64;
            for (o, b) in out.iter_mut().zip(binomial_pmf(n, q)) {
                *o += weight * b;
            }
        }
    }
    out
}

/// P(K > k) from a pmf.
pub fn tail_above(pmf: &[f64], k: usize) -> f64 {
    pmf.iter().skip(k + 1).sum()
}

/// Binomial standard error of a Monte Carlo frequency estimating probability `prob` from
/// `paths` independent paths.
pub fn freq_se(prob: f64, paths: u64) -> f64 {
    (prob * (1.0 - prob) / paths as f64).sqrt()
}

/// An inline scenario of `obligors` equal bullet loans of 1,000.00 yuan in one sector, all
/// maturing on the single annual payment date one year (365 days, 2021 being no leap year)
/// after closing, at a zero rate, with annual PD `pd`, zero recovery; tranches cut at the given
/// `cuts` (attachment points as fractions of the pool, ascending, strictly inside (0, 1)), most
/// senior first; `model` is the `[model]` body (copula and correlation lines).
///
/// The waterfall is a pure loss allocation: no fees, zero coupons (tranche and loan), one
/// payment date (so everything is paid or written off on it: the last payment date pays all
/// tranches' balances sequentially from the collected principal, and writes off the rest
/// bottom-up), zero recovery, no prepayment, and no `[assumptions]` (the Monte Carlo uses the
/// model only). The pool loss rate is then the defaulted share and the tranche written off is
/// `min((L − attach)⁺, detach − attach)`.
pub fn homogeneous_scenario(obligors: usize, pd: f64, cuts: &[f64], model: &str) -> String {
    homogeneous_scenario_over(obligors, pd, cuts, model, Frequency::Annual, 1)
}

/// Payment frequency of [`homogeneous_scenario_over`].
#[derive(Debug, Clone, Copy)]
pub enum Frequency {
    Annual,
    Quarterly,
}

/// As [`homogeneous_scenario`], but the deal pays `frequency` for `years` years (from
/// 2021-01-01; 2021 and 2022 are not leap years, so payment dates fall on whole quarters of 365
/// days a year at the year ends) and the bullets mature on its last payment date.
pub fn homogeneous_scenario_over(
    obligors: usize,
    pd: f64,
    cuts: &[f64],
    model: &str,
    frequency: Frequency,
    years: u32,
) -> String {
    let loan = 1000.0;
    let (freq, first) = match frequency {
        Frequency::Annual => ("annual", "2022-01-01"),
        Frequency::Quarterly => ("quarterly", "2021-04-01"),
    };
    let last = format!("{}-01-01", 2021 + years);
    let term = 12 * years;
    let total = obligors as f64 * loan;
    let mut s = format!(
        r#"
[deal]
name = "homogeneous"
closing_date = 2021-01-01
first_payment_date = {first}
payment_frequency = "{freq}"
day_count = "ACT/365F"
legal_final_date = {last}
tranches_equal_pool = true

[model]
pd_multiplier = 1.0
cpr = 0.0
{model}

[model.recovery]
mode = "rate"
rate = 0.0
lag_months = 0
"#
    );
    for i in 0..obligors {
        s += &format!(
            r#"
[[pool.assets]]
id = "L{i}"
obligor = "O{i}"
sector = "s"
asset_type = "patent_pledge_loan"
ip_kind = "invention_patent"
appraised_value = 2000.00
balance = {loan:.2}
rate = 0.0
amortization = "bullet"
frequency = "annual"
term_months = {term}
annual_pd = {pd}
"#
        );
    }
    // Tranche boundaries from the top: [cuts[last], 1), ..., [0, cuts[0]).
    let mut bounds = vec![0.0];
    bounds.extend_from_slice(cuts);
    bounds.push(1.0);
    let mut names = Vec::new();
    for k in (0..bounds.len() - 1).rev() {
        let size = ((bounds[k + 1] - bounds[k]) * total).round();
        let name = format!("T{k}");
        s += &format!("\n[[tranches]]\nname = \"{name}\"\nbalance = {size:.2}\n");
        names.push(format!("\"{name}\""));
    }
    s += &format!(
        "\n[waterfall]\nnormal = [ {{ step = \"principal\", tranches = [{}], order = \"sequential\" }} ]\n",
        names.join(", ")
    );
    s
}

/// Loads scenario text (attachments resolved relative to `scenarios/`).
pub fn load(text: &str) -> ipabs::deal::Deal {
    ipabs::scenario::load_text(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/inline.toml"),
        text,
    )
    .unwrap_or_else(|e| panic!("scenario: {e}"))
}

/// The text of a shipped scenario.
pub fn shipped_text(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name),
    )
    .unwrap()
}

/// Replaces the single occurrence of `from` in `text`.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
    text.replacen(from, to, 1)
}

/// Runs the Monte Carlo and returns the results and every path row.
pub fn simulate_rows(
    deal: &ipabs::deal::Deal,
    paths: u64,
    seed: u64,
    threads: usize,
) -> (ipabs::montecarlo::McResults, Vec<f64>) {
    let mut rows = Vec::new();
    let results = ipabs::montecarlo::simulate(
        deal,
        ipabs::montecarlo::McOptions {
            paths,
            seed,
            threads,
            importance: None,
        },
        |_, chunk| rows.extend_from_slice(chunk),
        |_| {},
    )
    .expect("not interrupted");
    (results, rows)
}

/// Column `name` of the path rows.
pub fn column(results: &ipabs::montecarlo::McResults, rows: &[f64], name: &str) -> Vec<f64> {
    let width = results.columns.len();
    let c = results
        .columns
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows.chunks_exact(width).map(|r| r[c]).collect()
}

/// Vasicek large-pool density f(x) = √((1−ρ)/ρ) · φ(A(x)) / φ(Φ⁻¹(x)), A(x) the argument of Φ in
/// [`vasicek_cdf`].
pub fn vasicek_density(x: f64, p: f64, rho: f64) -> f64 {
    if x <= 0.0 || x >= 1.0 || rho == 0.0 {
        return 0.0;
    }
    let u = phi_inv(x);
    let a = ((1.0 - rho).sqrt() * u - phi_inv(p)) / rho.sqrt();
    ((1.0 - rho) / rho).sqrt() * phi_density(a) / phi_density(u)
}

/// Second-order granularity adjustment of the large-pool distribution for `n` obligors: given
/// the factor, the pool loss is the large-pool loss X plus a noise of mean 0 and variance
/// X(1 − X)/n; for a small noise the density of X + noise is f + ½·∂²/∂x²[x(1 − x)/n · f]
/// (Gouriéroux, Laurent and Scaillet 2000), so P(L ≤ x) ≈ F(x) + ½·∂/∂x[x(1 − x)/n · f(x)].
/// Returns that correction to P(L ≤ x) (central difference with step h = 1e-5).
pub fn granularity_adjustment(x: f64, p: f64, rho: f64, n: usize) -> f64 {
    let g = |y: f64| y * (1.0 - y) / n as f64 * vasicek_density(y, p, rho);
    let h = 1e-5;
    0.5 * (g(x + h) - g(x - h)) / (2.0 * h)
}

/// The granularity adjustment of a tranche's expected loss: integrating the correction of
/// [`granularity_adjustment`] over `[attach, detach)` gives
/// EL_N − EL_∞ ≈ −(G(detach) − G(attach)) / (detach − attach) with G(x) = ½·x(1 − x)/n·f(x)
/// (G vanishes at 0 and 1 for ρ < ½).
pub fn tranche_el_granularity(p: f64, rho: f64, n: usize, attach: f64, detach: f64) -> f64 {
    let g = |y: f64| 0.5 * y * (1.0 - y) / n as f64 * vasicek_density(y, p, rho);
    -(g(detach) - g(attach)) / (detach - attach)
}

/// The reference deal with no defaults on any path and a fixed prepayment rate: the
/// deterministic base case has CDR 0 and CPR 5 %; the model has `pd_multiplier = 0` (every
/// obligor PD 0, so no latent draw ever crosses its threshold, −∞), the same CPR, and the
/// support promisor's PD is 0 too (the deterministic run never defaults it).
pub fn riskless_reference() -> String {
    let text = shipped_text("ip-lease-733m.toml");
    let text = edit(&text, "cdr = 0.03 ", "cdr = 0.0 ");
    let text = edit(
        &text,
        "cpr = 0.0                #",
        "cpr = 0.05               #",
    );
    let text = edit(
        &text,
        "cpr = 0.0\n\n[model.recovery]",
        "cpr = 0.05\n\n[model.recovery]",
    );
    let text = edit(&text, "pd_multiplier = 1.0", "pd_multiplier = 0.0");
    edit(&text, "annual_pd = 0.001", "annual_pd = 0.0")
}
