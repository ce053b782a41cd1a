//! Accuracy of the Monte Carlo against closed forms and quadratures of the copula models it
//! samples, against the deterministic run, and across the two number types of the waterfall;
//! plus the located errors for bad model input.
//!
//! Tolerances are named constants with their derivation. Monte Carlo checks use a fixed seed, so
//! every test is deterministic; the multiples of the standard error say how unlikely a failure
//! of a correct implementation would be at a random seed.

mod common;

use common::*;
use ipabs::engine::{PoolPeriod, Recorder};
use ipabs::money::Amount;
use ipabs::montecarlo::{McResults, run_one_path};
use ipabs::waterfall::DealState;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Standard errors allowed between a single Monte Carlo estimate and its exact value: a correct
/// sampler fails a single 3-SE check with probability 0.27 %.
const SE_MULT: f64 = 3.0;

/// Standard errors allowed per bin when a whole histogram is compared (up to ~50 bins): with
/// Bonferroni over 50 two-sided 4-SE checks (6.3e-5 each) the family fails with probability
/// below 0.4 %.
const BIN_SE_MULT: f64 = 4.0;

/// Finite-pool granularity for 1,000 obligors. Given the factor, the pool's default rate is
/// binomial around the large-pool loss X = q(Z), with variance X(1 − X)/N; to second order this
/// shifts P(L ≤ x) by GA(x) = ½·∂/∂x[x(1 − x)/N · f(x)] (f the Vasicek density; see
/// `granularity_adjustment`) and a tranche EL by −[G]ₐᵈ/(d − a), G = ½·x(1 − x)/N·f. The
/// bound allowed for |finite pool − Vasicek| is `GA_SAFETY·|GA| + GA_FLOOR`: the expansion
/// matches the exact finite-pool gap (conditional-binomial quadrature) within 20 % in these cases
/// (measured: 3 % typically, 16 % at worst), so a 50 % margin covers the higher-order terms, and the floor covers the lattice
/// (K is an integer; x sits half a loan between grid points, the continuity correction) and the
/// quadratures. The test asserts the exact gap is inside the bound, so the bound is checked,
/// not assumed.
const GA_SAFETY: f64 = 1.5;
const GA_FLOOR: f64 = 0.0005;

/// The large-pool size.
const N_LARGE: usize = 1000;

/// Paths for the large-pool cases (1,000 obligors: ~12 µs a path on one core).
const PATHS_LARGE: u64 = 50_000;

fn gaussian_model(rho: f64) -> String {
    format!("copula = \"gaussian\"\ncorrelation = {{ intra_sector = {rho}, inter_sector = {rho} }}")
}

fn student_model(rho: f64, df: f64) -> String {
    format!(
        "copula = \"student_t\"\ndf = {df}\ncorrelation = {{ intra_sector = {rho}, inter_sector = {rho} }}"
    )
}

/// Share of `values` strictly above `x`.
fn share_above(values: &[f64], x: f64) -> f64 {
    values.iter().filter(|v| **v > x).count() as f64 / values.len() as f64
}

/// Tranche bounds `[attach, detach)` of the tranches of [`homogeneous_scenario`], in the order
/// of `McResults::tranches` (most senior first).
fn tranche_bounds(cuts: &[f64]) -> Vec<(f64, f64)> {
    let mut bounds = vec![0.0];
    bounds.extend_from_slice(cuts);
    bounds.push(1.0);
    (0..bounds.len() - 1)
        .rev()
        .map(|k| (bounds[k], bounds[k + 1]))
        .collect()
}

/// One Vasicek case: `pd`, `rho`, tranche cuts.
struct LargeCase {
    pd: f64,
    rho: f64,
    cuts: &'static [f64],
    seed: u64,
}

/// Test 1: a large homogeneous pool against the Vasicek large-pool closed form.
///
/// 1,000 equal zero-coupon bullet loans in one sector, one annual payment date at which they all
/// mature, zero recovery, one-factor Gaussian copula (intra = inter = ρ: the global loading is
/// √ρ and the sector loading 0). The waterfall is a pure loss allocation (see
/// `homogeneous_scenario`): the pool loss rate of a path is its default count / 1,000, and the
/// tranche `[a, d)` loses `min((L − a)⁺, d − a)/(d − a)`.
///
/// For every case, at loss levels x placed half a loan between the grid points k/1,000:
/// * Monte Carlo P(L > x) vs the exact finite-pool value (conditional-binomial quadrature):
///   within 3 SE, SE = √(P(1 − P)/paths);
/// * exact finite pool vs Vasicek: within the granularity bound (see [`GA_SAFETY`]);
/// * hence Monte Carlo vs Vasicek within 3 SE + the granularity bound;
/// * the same three for every tranche's expected loss (SE from the paths' sample variance);
/// * the mean pool loss = p for any ρ and N, within 3 SE.
///
/// ρ = 0: the large-pool loss is p exactly (the Vasicek distribution is a step at p); at N =
/// 1,000 it is Bin(1000, p)/1000 (sd σ = 0.0069 at p = 5 %). Its standard deviation across
/// paths must be σ within 3 SE of a sample standard deviation (≈ σ/√(2·paths)), the tail
/// probabilities the binomial ones within 3 SE, and a tranche's EL the step limit
/// `tranche_loss(p)` within 3 SE + σ/(d − a) (the tranche loss is (1/(d − a))-Lipschitz in L
/// and E|L − p| ≤ σ: a rigorous granularity bound).
#[test]
fn large_pool_matches_vasicek() {
    let cases = [
        LargeCase {
            pd: 0.02,
            rho: 0.15,
            cuts: &[0.03, 0.07, 0.15],
            seed: 11,
        },
        LargeCase {
            pd: 0.05,
            rho: 0.30,
            cuts: &[0.05, 0.10, 0.20],
            seed: 12,
        },
        LargeCase {
            pd: 0.01,
            rho: 0.10,
            cuts: &[0.01, 0.02, 0.04],
            seed: 13,
        },
        LargeCase {
            pd: 0.05,
            rho: 0.0,
            cuts: &[0.04, 0.06],
            seed: 14,
        },
    ];
    let mut worst_se: f64 = 0.0;
    let mut worst_ga_error: f64 = 0.0;
    for case in &cases {
        let LargeCase { pd, rho, cuts, .. } = *case;
        let label = format!("p = {pd}, ρ = {rho}");
        let deal = load(&homogeneous_scenario(
            N_LARGE,
            pd,
            cuts,
            &gaussian_model(rho),
        ));
        let (results, rows) = simulate_rows(&deal, PATHS_LARGE, case.seed, 0);
        let loss = column(&results, &rows, "pool_loss_rate");
        let exact = gaussian_pool_pmf(N_LARGE, pd, rho);
        assert!(
            (exact.iter().sum::<f64>() - 1.0).abs() < 1e-9,
            "{label}: quadrature mass"
        );
        let n = N_LARGE as f64;
        let binomial_sd = (pd * (1.0 - pd) / n).sqrt();

        // Mean loss = p.
        let mean = results.pool.loss_rate.mean;
        let se = results.pool.loss_rate.std / (PATHS_LARGE as f64).sqrt();
        eprintln!("{label}: mean loss {mean:.6} ({:+.2} SE)", (mean - pd) / se);
        assert!(
            (mean - pd).abs() <= SE_MULT * se,
            "{label}: mean loss {mean} vs p"
        );
        worst_se = worst_se.max((mean - pd).abs() / se);

        // Tail probabilities.
        let xs: Vec<f64> = if rho == 0.0 {
            vec![
                pd - 2.0 * binomial_sd,
                pd - binomial_sd,
                pd + binomial_sd,
                pd + 2.0 * binomial_sd,
            ]
        } else {
            vec![pd / 2.0, pd, 2.0 * pd, 4.0 * pd]
        };
        for x in xs {
            // Half a loan above a grid point: P(L > x) = P(K > ⌊x·N⌋).
            let x = (x * n).floor() / n + 0.5 / n;
            let k = (x * n).floor() as usize;
            let mc = share_above(&loss, x);
            let finite = tail_above(&exact, k);
            let se = freq_se(finite, PATHS_LARGE);
            eprint!(
                "{label}: P(L > {x:.4}) MC {mc:.5} finite {finite:.5} SE {se:.5} ({:+.2} SE)",
                (mc - finite) / se
            );
            assert!(
                (mc - finite).abs() <= SE_MULT * se,
                "{label}: P(L > {x}) MC {mc} vs finite pool {finite}"
            );
            worst_se = worst_se.max((mc - finite).abs() / se);
            if rho == 0.0 {
                eprintln!();
                continue;
            }
            let limit = 1.0 - vasicek_cdf(x, pd, rho);
            // GA corrects P(L ≤ x), so the finite tail is ≈ limit − GA.
            let ga = granularity_adjustment(x, pd, rho, N_LARGE);
            let bound = GA_SAFETY * ga.abs() + GA_FLOOR;
            let gap = finite - limit;
            worst_ga_error = worst_ga_error.max((gap + ga).abs() / ga.abs().max(1e-6));
            eprintln!(
                " Vasicek {limit:.5} finite − Vasicek {gap:+.5} (GA predicts {:+.5}, bound \
                 {bound:.5})",
                -ga
            );
            assert!(
                gap.abs() <= bound,
                "{label}: granularity at x = {x}: {gap} > {bound}"
            );
            assert!(
                (mc - limit).abs() <= SE_MULT * se + bound,
                "{label}: P(L > {x}) MC {mc} vs Vasicek {limit}"
            );
        }

        // ρ = 0: binomial spread around p.
        if rho == 0.0 {
            let got = results.pool.loss_rate.std;
            let se = binomial_sd / (2.0 * PATHS_LARGE as f64).sqrt();
            eprintln!(
                "{label}: sd of the loss {got:.6} vs binomial {binomial_sd:.6} ({:+.2} SE)",
                (got - binomial_sd) / se
            );
            assert!(
                (got - binomial_sd).abs() <= SE_MULT * se,
                "{label}: sd of the loss rate {got} vs binomial {binomial_sd}"
            );
        }

        // Tranche expected losses.
        for ((attach, detach), t) in tranche_bounds(cuts).into_iter().zip(&results.tranches) {
            let finite: f64 = exact
                .iter()
                .enumerate()
                .map(|(k, p)| p * tranche_loss(k as f64 / n, attach, detach))
                .sum();
            let limit = vasicek_tranche_el(pd, rho, attach, detach);
            let mc = t.expected_loss;
            let se = t.expected_loss_std_error;
            let gap = finite - limit;
            let bound = if rho == 0.0 {
                binomial_sd / (detach - attach)
            } else {
                let predicted = tranche_el_granularity(pd, rho, N_LARGE, attach, detach);
                worst_ga_error =
                    worst_ga_error.max((gap - predicted).abs() / predicted.abs().max(1e-6));
                GA_SAFETY * predicted.abs() + GA_FLOOR
            };
            eprintln!(
                "{label}: EL [{attach}, {detach}) MC {mc:.6} finite {finite:.6} SE {se:.6} \
                 ({:+.2} SE) Vasicek {limit:.6} finite − Vasicek {gap:+.6} (bound {bound:.6})",
                (mc - finite) / se.max(1e-12)
            );
            assert!(
                gap.abs() <= bound,
                "{label}: EL granularity [{attach}, {detach}): {gap} > {bound}"
            );
            // A tranche no path reaches has SE 0; its exact EL must then be below 1/paths.
            assert!(
                (mc - finite).abs() <= SE_MULT * se + 1.0 / PATHS_LARGE as f64,
                "{label}: EL [{attach}, {detach}) MC {mc} vs finite pool {finite}"
            );
            assert!(
                (mc - limit).abs() <= SE_MULT * se + bound,
                "{label}: EL [{attach}, {detach}) MC {mc} vs Vasicek {limit}"
            );
            if se > 0.0 {
                worst_se = worst_se.max((mc - finite).abs() / se);
            }
        }
    }
    eprintln!(
        "worst MC error {worst_se:.2} SE; worst relative error of the granularity expansion \
         {worst_ga_error:.3}"
    );
}

/// Compares a Monte Carlo histogram of default counts with an exact pmf: every bin with an
/// expected count ≥ 5 within [`BIN_SE_MULT`] SE; a chi-square over those bins (the rest pooled
/// into one) below its 99.9 % quantile; and P(K > k) at `ks` within [`SE_MULT`] SE.
fn check_histogram(label: &str, histogram: &[f64], exact: &[f64], paths: u64, ks: &[usize]) {
    assert_eq!(histogram.len(), exact.len(), "{label}: histogram length");
    let n = paths as f64;
    let (mut chi2, mut bins) = (0.0, 0usize);
    let (mut pooled_obs, mut pooled_exp) = (0.0, 0.0);
    let mut worst: f64 = 0.0;
    for (k, (got, want)) in histogram.iter().zip(exact).enumerate() {
        if want * n >= 5.0 {
            let se = freq_se(*want, paths);
            worst = worst.max((got - want).abs() / se);
            assert!(
                (got - want).abs() <= BIN_SE_MULT * se,
                "{label}: P(K = {k}) MC {got} vs exact {want} ({:.2} SE)",
                (got - want) / se
            );
            chi2 += n * (got - want).powi(2) / want;
            bins += 1;
        } else {
            pooled_obs += got;
            pooled_exp += want;
        }
    }
    if pooled_exp * n >= 1.0 {
        chi2 += n * (pooled_obs - pooled_exp).powi(2) / pooled_exp;
        bins += 1;
    }
    let critical = ChiSquared::new((bins - 1) as f64)
        .unwrap()
        .inverse_cdf(0.999);
    eprintln!(
        "{label}: worst bin {worst:.2} SE; chi-square {chi2:.1} on {} dof (99.9 % point {critical:.1})",
        bins - 1
    );
    assert!(chi2 <= critical, "{label}: chi-square {chi2} > {critical}");
    for &k in ks {
        let got: f64 = histogram.iter().skip(k + 1).sum();
        let want = tail_above(exact, k);
        let se = freq_se(want, paths);
        eprintln!(
            "{label}: P(K > {k}) MC {got:.5} exact {want:.5} ({:+.2} SE)",
            (got - want) / se
        );
        assert!(
            (got - want).abs() <= SE_MULT * se,
            "{label}: P(K > {k}) MC {got} vs exact {want}"
        );
    }
}

/// Paths for the 50-name pools.
const PATHS_FINITE: u64 = 100_000;

/// Test 2: a finite homogeneous pool of 50 names against the conditional-binomial integral
/// ∫ φ(z)·Bin(k; 50, q(z)) dz (trapezoid on [−10, 10], step 0.01).
///
/// Three pools: the one-factor model from `correlation`; the same with explicit
/// `sector_loadings` (one sector, so global and sector factors are both common: ρ = a² + b²);
/// and a two-year quarterly deal (bullets maturing on the last of 8 payment dates), where an
/// obligor defaults within the deal with the two-year PD 1 − (1 − p)², so the threshold of the
/// last period is checked. The pool loss rate of a path is K/50 (zero recovery), checked
/// against P(K > k) through the `pool_loss_rate` column too.
#[test]
fn finite_pool_matches_conditional_binomial() {
    let names = 50;
    let p = 0.04;
    let cases: [(&str, String, Frequency, u32, f64, f64); 3] = [
        (
            "correlation ρ = 0.2",
            gaussian_model(0.2),
            Frequency::Annual,
            1,
            p,
            0.2,
        ),
        (
            "sector_loadings 0.3/0.4 (ρ = 0.25)",
            "copula = \"gaussian\"\nsector_loadings = { s = { global = 0.3, sector = 0.4 } }"
                .to_string(),
            Frequency::Annual,
            1,
            p,
            0.25,
        ),
        (
            "two years quarterly, ρ = 0.2",
            gaussian_model(0.2),
            Frequency::Quarterly,
            2,
            1.0 - (1.0 - p) * (1.0 - p),
            0.2,
        ),
    ];
    for (seed, (label, model, frequency, years, horizon_pd, rho)) in cases.into_iter().enumerate() {
        let deal = load(&homogeneous_scenario_over(
            names,
            p,
            &[0.1],
            &model,
            frequency,
            years,
        ));
        let (results, rows) = simulate_rows(&deal, PATHS_FINITE, 300 + seed as u64, 0);
        let exact = gaussian_pool_pmf(names, horizon_pd, rho);
        check_histogram(
            label,
            &results.pool.defaulted_obligors_histogram,
            &exact,
            PATHS_FINITE,
            &[0, 2, 5, 10, 15],
        );
        // P(L > x) from the loss column, x half a loan above k/50.
        let loss = column(&results, &rows, "pool_loss_rate");
        for k in [1, 4, 9] {
            let x = (k as f64 + 0.5) / names as f64;
            let got = share_above(&loss, x);
            let want = tail_above(&exact, k);
            let se = freq_se(want, PATHS_FINITE);
            assert!(
                (got - want).abs() <= SE_MULT * se,
                "{label}: P(L > {x}) MC {got} vs exact {want}"
            );
        }
    }
}

/// Two sectors of different sizes and loadings (35 names with global 0.2 / sector 0.7, 15 with
/// global 0.6 / sector 0): the default count matches the two-factor quadrature (given the global
/// factor the sectors are independent mixtures of binomials, convolved; see `sector_pool_pmf`).
/// Swapping the two sectors' loadings would change the distribution, so this checks that each
/// obligor draws with its own sector's loadings and factor.
#[test]
fn two_sector_pool_matches_two_factor_quadrature() {
    let p = 0.05;
    let base = homogeneous_scenario(
        50,
        p,
        &[0.1],
        "copula = \"gaussian\"\nsector_loadings = { s = { global = 0.2, sector = 0.7 }, t = { global = 0.6, sector = 0.0 } }",
    );
    // Obligors 35..49 move to sector "t".
    let text: String = base
        .split("[[pool.assets]]")
        .enumerate()
        .map(|(i, block)| {
            if i > 35 {
                block.replace("sector = \"s\"", "sector = \"t\"")
            } else {
                block.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("[[pool.assets]]");
    let deal = load(&text);
    assert_eq!(deal.pool.sectors.len(), 2);
    let (results, _) = simulate_rows(&deal, PATHS_FINITE, 200, 0);
    let exact = sector_pool_pmf(p, &[(35, 0.2, 0.7), (15, 0.6, 0.0)]);
    assert!((exact.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    // The swapped assignment differs visibly from the right one (so the check has power).
    let swapped = sector_pool_pmf(p, &[(35, 0.6, 0.0), (15, 0.2, 0.7)]);
    let power = (0..50)
        .map(|k| {
            let e = tail_above(&exact, k);
            (e - tail_above(&swapped, k)).abs() / freq_se(e, PATHS_FINITE).max(1e-12)
        })
        .fold(0.0, f64::max);
    eprintln!("swapping the sectors' loadings would move P(K > k) by up to {power:.1} SE");
    assert!(power > 10.0, "swap gap {power} SE");
    check_histogram(
        "two sectors",
        &results.pool.defaulted_obligors_histogram,
        &exact,
        PATHS_FINITE,
        &[0, 2, 5, 8, 12],
    );
}

/// Records which period each asset defaults in (through the pool's `defaulted` by period).
struct DefaultTiming {
    defaulted_by_period: Vec<f64>,
}

impl<N: Amount> Recorder<N> for DefaultTiming {
    fn period_end(&mut self, pool: &PoolPeriod<N>, _state: &DealState<N>) {
        self.defaulted_by_period[pool.period] += pool.defaulted.to_f64();
    }
}

/// Default timing: with constant hazard an obligor defaults at the start of payment period k
/// (k = 1..8, quarterly over two years) when its default time falls in (t_{k−1}, t_k], which has
/// probability (1 − p)^{t_{k−1}} − (1 − p)^{t_k} with t_k the year fraction of payment date k
/// (ACT/365 from closing). Over 2,000 paths × 50 obligors the share of defaulted balance per
/// period must match within 3 SE (the per-path counts are correlated through the factor, so
/// the SE is estimated from the per-path shares).
#[test]
fn default_timing_follows_the_pd_curve() {
    let names = 50;
    let p = 0.08;
    let deal = load(&homogeneous_scenario_over(
        names,
        p,
        &[0.1],
        &gaussian_model(0.1),
        Frequency::Quarterly,
        2,
    ));
    let years: Vec<f64> = deal
        .period_ends
        .iter()
        .map(|d| ipabs::dates::years_between(deal.closing, *d))
        .collect();
    assert_eq!(years.len(), 8);
    let paths = 2_000u64;
    let total = names as f64 * 1000.0;
    let mut shares = vec![Vec::new(); 8];
    for path in 0..paths {
        let mut rec = DefaultTiming {
            defaulted_by_period: vec![0.0; 8],
        };
        run_one_path::<f64, _>(&deal, 7, path, &mut rec);
        for (k, d) in rec.defaulted_by_period.iter().enumerate() {
            shares[k].push(d / total);
        }
    }
    let survival = |t: f64| (1.0 - p).powf(t);
    for k in 0..8 {
        let start = if k == 0 { 0.0 } else { years[k - 1] };
        let want = survival(start) - survival(years[k]);
        let mean = shares[k].iter().sum::<f64>() / paths as f64;
        let var = shares[k].iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (paths - 1) as f64;
        let se = (var / paths as f64).sqrt();
        eprintln!(
            "period {}: defaulted share {mean:.5} vs {want:.5} ({:+.2} SE)",
            k + 1,
            (mean - want) / se
        );
        assert!(
            (mean - want).abs() <= SE_MULT * se,
            "period {}: defaulted share {mean} vs {want}",
            k + 1
        );
    }
}

/// Largest exact gap between the t copula with ν = 1,000 and the Gaussian, in P(K > k) for the
/// 100-name pool of the t test: the gap is O(1/ν) (the t quantile and the mixing √(ν/W) differ
/// from the Gaussian by O(1/ν)); measured 0.0017 (at k = 0), allowed 0.0025 — below 1.3 SE at
/// 60,000 paths, so indistinguishable by this Monte Carlo.
const T1000_GAP: f64 = 0.0025;

/// The p-quantile (lower, by the exact pmf) of K: the least k with P(K ≤ k) ≥ q.
fn pmf_quantile(pmf: &[f64], q: f64) -> usize {
    let mut cum = 0.0;
    for (k, p) in pmf.iter().enumerate() {
        cum += p;
        if cum >= q {
            return k;
        }
    }
    pmf.len() - 1
}

/// Test 3: the Student-t copula. 100 names, p = 2 %, ρ = 0.2, 60,000 paths per copula, the same
/// seed (common random numbers: the t paths scale the same normals by √(ν/W)).
///
/// * Each copula's default-count histogram matches its exact pmf (for t: the conditional
///   binomial integrated over the factor and over W ~ χ²_ν, see `student_t_pool_pmf`) — this
///   checks the t thresholds T_ν⁻¹(PD) and the mixing.
/// * t with ν = 4 has the heavier tail: P(L > 15 %) and the 99.9th percentile of the pool loss
///   are higher than under the Gaussian copula, by more than 3 combined SE for the probability
///   (exact values: Gaussian 0.0070, t₄ 0.033; p99.9: 24 % vs 53 %).
/// * As ν grows the t copula approaches the Gaussian: the exact gap max_k |P_t(K > k) −
///   P_Φ(K > k)| falls from ν = 4 to 30 to 1,000, where it is O(1/ν) and below
///   [`T1000_GAP`]; and the Monte Carlo P(L > x) at ν = 1,000 is within 3 SE of the Gaussian
///   one at every x (same seed, so most of the sampling noise is common to both).
#[test]
fn student_t_has_the_heavier_tail_and_tends_to_gaussian() {
    let names = 100;
    let (p, rho) = (0.02, 0.2);
    let paths = 60_000u64;
    let seed = 31;
    let run = |model: String| {
        let deal = load(&homogeneous_scenario(names, p, &[0.1], &model));
        simulate_rows(&deal, paths, seed, 0)
    };
    let (gauss, gauss_rows) = run(gaussian_model(rho));
    let (t4, t4_rows) = run(student_model(rho, 4.0));
    let (t1000, t1000_rows) = run(student_model(rho, 1000.0));
    let exact_gauss = gaussian_pool_pmf(names, p, rho);
    let exact_t4 = student_t_pool_pmf(names, p, rho, 4.0, 400);
    let exact_t30 = student_t_pool_pmf(names, p, rho, 30.0, 200);
    let exact_t1000 = student_t_pool_pmf(names, p, rho, 1000.0, 100);
    for (label, exact) in [
        ("gaussian", &exact_gauss),
        ("t4", &exact_t4),
        ("t30", &exact_t30),
        ("t1000", &exact_t1000),
    ] {
        assert!(
            (exact.iter().sum::<f64>() - 1.0).abs() < 1e-6,
            "{label}: quadrature mass {}",
            exact.iter().sum::<f64>()
        );
    }
    let ks = [0, 2, 5, 10, 15, 25];
    check_histogram(
        "gaussian (100 names)",
        &gauss.pool.defaulted_obligors_histogram,
        &exact_gauss,
        paths,
        &ks,
    );
    check_histogram(
        "t, 4 df",
        &t4.pool.defaulted_obligors_histogram,
        &exact_t4,
        paths,
        &ks,
    );
    check_histogram(
        "t, 1000 df",
        &t1000.pool.defaulted_obligors_histogram,
        &exact_t1000,
        paths,
        &ks,
    );

    // Heavier tail at ν = 4.
    let x_high = 0.155;
    let loss = |r: &McResults, rows: &[f64]| column(r, rows, "pool_loss_rate");
    let (lg, lt4, lt1000) = (
        loss(&gauss, &gauss_rows),
        loss(&t4, &t4_rows),
        loss(&t1000, &t1000_rows),
    );
    let (pg, pt4) = (share_above(&lg, x_high), share_above(&lt4, x_high));
    let se = (freq_se(pg, paths).powi(2) + freq_se(pt4, paths).powi(2)).sqrt();
    eprintln!(
        "P(L > {x_high}): gaussian MC {pg:.5} exact {:.5}; t4 MC {pt4:.5} exact {:.5}",
        tail_above(&exact_gauss, 15),
        tail_above(&exact_t4, 15)
    );
    assert!(
        pt4 - pg > SE_MULT * se,
        "t4 tail {pt4} not above gaussian {pg}"
    );
    let (q_g, q_t4) = (gauss.pool.loss_rate.p99_9, t4.pool.loss_rate.p99_9);
    eprintln!(
        "p99.9 of the loss: gaussian MC {q_g:.3} exact {:.3}; t4 MC {q_t4:.3} exact {:.3}",
        pmf_quantile(&exact_gauss, 0.999) as f64 / names as f64,
        pmf_quantile(&exact_t4, 0.999) as f64 / names as f64
    );
    assert!(
        pmf_quantile(&exact_t4, 0.999) > pmf_quantile(&exact_gauss, 0.999),
        "exact p99.9"
    );
    assert!(q_t4 > q_g, "t4 p99.9 {q_t4} not above gaussian {q_g}");

    // ν = 1,000 ≈ Gaussian.
    let max_gap = |pmf: &[f64]| {
        (0..names)
            .map(|k| (tail_above(pmf, k) - tail_above(&exact_gauss, k)).abs())
            .fold(0.0, f64::max)
    };
    let gaps = [
        max_gap(&exact_t4),
        max_gap(&exact_t30),
        max_gap(&exact_t1000),
    ];
    eprintln!(
        "exact max gap to gaussian: t4 {:.5}, t30 {:.5}, t1000 {:.5}",
        gaps[0], gaps[1], gaps[2]
    );
    assert!(gaps[0] > gaps[1] && gaps[1] > gaps[2], "gaps {gaps:?}");
    assert!(gaps[2] <= T1000_GAP, "t1000 gap {}", gaps[2]);
    for k in [0, 2, 5, 10, 15] {
        let x = (k as f64 + 0.5) / names as f64;
        let (a, b) = (share_above(&lg, x), share_above(&lt1000, x));
        let exact_gap = (tail_above(&exact_gauss, k) - tail_above(&exact_t1000, k)).abs();
        let se = freq_se(a, paths);
        eprintln!(
            "P(L > {x}): gaussian {a:.5} t1000 {b:.5} ({:+.2} SE; exact gap {exact_gap:.6})",
            (b - a) / se
        );
        assert!(
            (a - b).abs() <= SE_MULT * se,
            "P(L > {x}): t1000 {b} vs gaussian {a}"
        );
    }
}

/// Tolerance for Monte Carlo vs deterministic measures when every path is the deterministic
/// path: the Monte Carlo runs in `f64` without rounding to the fen, the deterministic run in
/// exact decimals rounded to the fen at every step. A fen on flows of 10⁷–10⁸ yuan moves a WAL
/// (years) or a yield by ~1e-10, so 1e-9 leaves a factor 10.
const DETERMINISTIC_TOL: f64 = 1e-9;

/// Test 4: when every path is identical, the Monte Carlo per-tranche WAL, yield and loss equal
/// the deterministic `run_cashflow` figures to [`DETERMINISTIC_TOL`], and the distributions
/// have no spread.
#[test]
fn riskless_monte_carlo_equals_the_deterministic_run() {
    let deal = load(&riskless_reference());
    let base = ipabs::results::run_cashflow(&deal);
    let (results, _) = simulate_rows(&deal, 100, 5, 2);
    assert_eq!(results.pool.loss_rate.mean, 0.0);
    assert_eq!(results.pool.defaulted_obligors_histogram[0], 1.0);
    for (det, mc) in base.metrics.iter().zip(&results.tranches) {
        let name = &det.tranche;
        assert_eq!(&mc.tranche, name);
        assert_eq!(det.loss_rate, 0.0, "{name}: deterministic loss");
        assert_eq!(mc.expected_loss, 0.0, "{name}: Monte Carlo loss");
        assert_eq!(mc.probability_of_loss, 0.0, "{name}");
        // None for the subordinate (no coupon).
        assert_eq!(
            mc.probability_of_missed_interest.unwrap_or(0.0),
            0.0,
            "{name}"
        );
        assert_eq!(mc.probability_of_default, 0.0, "{name}");
        let wal = mc.wal_years.as_ref().expect("WAL on every path");
        let det_yield = det.yield_at_par.expect("deterministic yield");
        let mc_yield = mc.yield_at_par.as_ref().expect("yield on every path");
        eprintln!(
            "{name}: WAL det {:.12} MC {:.12} (Δ {:.1e}); yield det {det_yield:.12} MC {:.12} \
             (Δ {:.1e})",
            det.wal_years,
            wal.mean,
            wal.mean - det.wal_years,
            mc_yield.mean,
            mc_yield.mean - det_yield
        );
        for (what, got, want) in [
            ("WAL mean", wal.mean, det.wal_years),
            ("WAL p5", wal.p5, det.wal_years),
            ("WAL p99.9", wal.p99_9, det.wal_years),
            ("yield mean", mc_yield.mean, det_yield),
            ("yield p5", mc_yield.p5, det_yield),
            ("yield p99.9", mc_yield.p99_9, det_yield),
        ] {
            assert!(
                (got - want).abs() <= DETERMINISTIC_TOL,
                "{name}: {what} Monte Carlo {got} vs deterministic {want}"
            );
        }
        assert!(wal.std <= DETERMINISTIC_TOL && mc_yield.std <= DETERMINISTIC_TOL);
    }
}

/// Every tranche's flows of every payment date, as `f64`, plus the pool's defaults and the
/// triggers fired; the same recorder for both number types.
#[derive(Debug, Default)]
struct FlowRecorder {
    /// Per period, per tranche: interest paid, principal paid, subordinate return + residual,
    /// write-down, closing balance.
    flows: Vec<Vec<[f64; 5]>>,
    defaulted: f64,
    support_drawn: f64,
    triggers: Vec<(usize, usize)>,
}

impl<N: Amount> Recorder<N> for FlowRecorder {
    fn period_end(&mut self, pool: &PoolPeriod<N>, state: &DealState<N>) {
        self.flows.push(
            state
                .tranches
                .iter()
                .map(|t| {
                    [
                        t.interest_paid.to_f64(),
                        t.principal_paid.to_f64(),
                        (t.subordinate_return_paid + t.residual_paid).to_f64(),
                        t.write_down.to_f64(),
                        t.balance.to_f64(),
                    ]
                })
                .collect(),
        );
        self.defaulted += pool.defaulted.to_f64();
        self.support_drawn = state.support_drawn_total.iter().map(|s| s.to_f64()).sum();
    }
    fn trigger_fired(&mut self, period: usize, trigger: usize) {
        self.triggers.push((period, trigger));
    }
}

/// Decimal vs f64: a tranche flow must agree within `max(TYPES_REL_TOL·|x|, TYPES_ABS_TOL)`.
/// The two runs differ only in rounding: the decimal run rounds every asset flow, fee, coupon
/// and pro-rata share to the fen (≤ ½ fen each; some 40 roundings per payment date on this deal:
/// 10 leases × interest, principal, default/recovery, 4 fees, 4 coupons), the f64 run keeps ~16
/// significant digits. The rounding differences feed into balances and the collateral decline,
/// so they accumulate over the payment dates as a random walk: ½ fen·√(40·28) ≈ 0.17 yuan by
/// the last of ≤ 28 dates (measured: worst 0.09 yuan). On flows of 10⁵–10⁸ yuan that is within
/// 1e-6 relative; a small flow (a tranche's last principal, a write-down of a few thousand
/// yuan) inherits the same absolute difference, so the floor is 0.50 yuan — not the 0.01 of a
/// single rounding, which a correct pair of runs exceeds (observed 0.04 on a 562,317 yuan
/// principal payment).
const TYPES_REL_TOL: f64 = 1e-6;
const TYPES_ABS_TOL: f64 = 0.50;

/// Test 5: one waterfall, two number types. On the reference deal (as shipped, and with PDs
/// stressed ×5 so triggers, turbo payments, write-downs and support draws happen), for paths
/// that have defaults, `run_one_path::<Decimal>` and `run_one_path::<f64>` give the same
/// tranche cash flows on every payment date within [`TYPES_REL_TOL`] / [`TYPES_ABS_TOL`], the
/// same defaults and the same triggers.
#[test]
fn decimal_and_f64_paths_agree() {
    let shipped = shipped_text("ip-lease-733m.toml");
    let stressed = edit(&shipped, "pd_multiplier = 1.0", "pd_multiplier = 5.0");
    let mut worst_rel: f64 = 0.0;
    let mut worst_abs: f64 = 0.0;
    let mut triggered = 0;
    for (label, text, seed) in [("shipped", &shipped, 20190308u64), ("PD ×5", &stressed, 7)] {
        let deal = load(text);
        let mut compared = 0;
        for path in 0..400u64 {
            let mut fast = FlowRecorder::default();
            run_one_path::<f64, _>(&deal, seed, path, &mut fast);
            if fast.defaulted == 0.0 {
                continue;
            }
            let mut exact = FlowRecorder::default();
            run_one_path::<rust_decimal::Decimal, _>(&deal, seed, path, &mut exact);
            let at = format!("{label}, seed {seed}, path {path}");
            assert_eq!(exact.flows.len(), fast.flows.len(), "{at}: periods run");
            assert_eq!(exact.triggers, fast.triggers, "{at}: triggers");
            assert!(
                (exact.defaulted - fast.defaulted).abs() <= TYPES_ABS_TOL,
                "{at}: defaults {} vs {}",
                exact.defaulted,
                fast.defaulted
            );
            assert!(
                (exact.support_drawn - fast.support_drawn).abs()
                    <= TYPES_ABS_TOL.max(TYPES_REL_TOL * exact.support_drawn),
                "{at}: support drawn"
            );
            for (t, (e, f)) in exact.flows.iter().zip(&fast.flows).enumerate() {
                for (i, (e, f)) in e.iter().zip(f).enumerate() {
                    for (k, (a, b)) in e.iter().zip(f).enumerate() {
                        let diff = (a - b).abs();
                        worst_abs = worst_abs.max(diff);
                        if a.abs() > 1e4 {
                            worst_rel = worst_rel.max(diff / a.abs());
                        }
                        assert!(
                            diff <= TYPES_ABS_TOL.max(TYPES_REL_TOL * a.abs()),
                            "{at}: period {t}, tranche {i}, field {k}: decimal {a} vs f64 {b}"
                        );
                    }
                }
            }
            // Trigger 0 is the acceleration, 1 the event of default (both switch to turbo).
            if exact.triggers.iter().any(|(_, k)| *k <= 1) {
                triggered += 1;
            }
            compared += 1;
            if compared == 25 {
                break;
            }
        }
        assert_eq!(compared, 25, "{label}: too few paths with defaults");
    }
    eprintln!(
        "decimal vs f64: worst difference {worst_abs:.4} yuan, worst relative (flows > 10⁴) \
         {worst_rel:.2e}; {triggered} compared paths accelerated"
    );
    assert!(
        triggered > 0,
        "no compared path switched to the accelerated waterfall"
    );
}

/// The problems of an invalid scenario text (loaded as `scenarios/inline.toml`).
fn problems_of(text: &str) -> Vec<ipabs::scenario::Problem> {
    match ipabs::scenario::load_text(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/inline.toml"),
        text,
    ) {
        Ok(_) => panic!("scenario accepted"),
        Err(e) => e.problems().to_vec(),
    }
}

/// Asserts that one problem names `field`, points at a TOML span whose text is `value`, and
/// says `expect` in its message.
fn assert_located(text: &str, field: &str, value: &str, expect: &str) {
    let problems = problems_of(text);
    let p = problems
        .iter()
        .find(|p| p.field == field)
        .unwrap_or_else(|| panic!("no problem for `{field}` in {problems:#?}"));
    match &p.location {
        ipabs::scenario::Location::Span(span) => assert_eq!(
            &text[span.clone()],
            value,
            "`{field}` points at the wrong text"
        ),
        other => panic!("`{field}`: expected a TOML span, found {other:?}"),
    }
    assert!(
        p.message.contains(expect),
        "`{field}`: message `{}` should say `{expect}`",
        p.message
    );
}

/// Test 7: bad model input is reported as located problems naming the field.
#[test]
fn bad_model_input_is_located() {
    let base = homogeneous_scenario(3, 0.02, &[0.1], &gaussian_model(0.2));
    load(&base);

    // PD outside [0, 1] on an inline asset (the second one).
    let text = base.replacen("annual_pd = 0.02", "annual_pd = 1.5", 2);
    let text = text.replacen("annual_pd = 1.5", "annual_pd = 0.02", 1);
    assert_located(&text, "pool.assets[1].annual_pd", "1.5", "[0, 1]");
    let text = base.replacen("annual_pd = 0.02", "annual_pd = -0.01", 1);
    assert_located(&text, "pool.assets[0].annual_pd", "-0.01", "[0, 1]");

    // Loadings whose squares sum to 1 or more.
    let text = edit(
        &base,
        "correlation = { intra_sector = 0.2, inter_sector = 0.2 }",
        "sector_loadings = { s = { global = 0.8, sector = 0.6 } }",
    );
    assert_located(&text, "model.sector_loadings.s", "0.8", "below 1");
    let text = edit(
        &base,
        "correlation = { intra_sector = 0.2, inter_sector = 0.2 }",
        "[model.sector_loadings.s]\nglobal = 0.9\nsector = 0.5",
    );
    assert_located(&text, "model.sector_loadings.s", "0.9", "below 1");

    // A sector of the pool with no loading.
    let text = edit(
        &base,
        "correlation = { intra_sector = 0.2, inter_sector = 0.2 }",
        "sector_loadings = { other = { global = 0.3, sector = 0.3 } }",
    );
    assert_located(
        &text,
        "model.sector_loadings",
        "{ other = { global = 0.3, sector = 0.3 } }",
        "sector \"s\" of the pool has no loading",
    );

    // Student-t degrees of freedom must exceed 2.
    for df in ["2", "2.0", "1.5", "0"] {
        let text = edit(
            &base,
            "copula = \"gaussian\"",
            &format!("copula = \"student_t\"\ndf = {df}"),
        );
        // 2 itself: "above 2"; below 2: out of the range [2, 10⁶].
        assert_located(
            &text,
            "model.df",
            df,
            &format!("found {}", df.parse::<f64>().unwrap()),
        );
    }
    let text = edit(&base, "copula = \"gaussian\"", "copula = \"student_t\"");
    assert_located(&text, "model.df", "\"student_t\"", "needs `df`");

    // Negative collateral volatility.
    let text = edit(
        &base,
        "mode = \"rate\"\nrate = 0.0",
        "mode = \"collateral\"\nvolatility = -0.2\nhaircut = 0.5",
    );
    assert_located(&text, "model.recovery.volatility", "-0.2", "[0, 5]");

    // No paths.
    let text = format!("{base}\n[simulation]\npaths = 0\n");
    assert_located(&text, "simulation.paths", "0", "at least 1");
}

/// A PD outside [0, 1] in a CSV loan tape is reported at its cell.
#[test]
fn bad_pd_in_the_tape_is_located() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let tape = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/data/ip-lease-733m-tape.csv"),
    )
    .unwrap();
    let header: Vec<&str> = tape.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "annual_pd").unwrap();
    for bad in ["1.5", "-0.2"] {
        let edited: Vec<String> = tape
            .lines()
            .enumerate()
            .map(|(i, line)| {
                let mut cells: Vec<&str> = line.split(',').collect();
                if i == 3 {
                    cells[column] = bad;
                }
                cells.join(",")
            })
            .collect();
        std::fs::write(
            dir.path().join("data/ip-lease-733m-tape.csv"),
            edited.join("\n") + "\n",
        )
        .unwrap();
        let scenario = dir.path().join("ip-lease-733m.toml");
        std::fs::write(&scenario, shipped_text("ip-lease-733m.toml")).unwrap();
        let err = ipabs::scenario::load(&scenario).expect_err("bad PD accepted");
        let problems = err.problems();
        assert_eq!(problems.len(), 1, "{problems:#?}");
        let p = &problems[0];
        assert_eq!(p.field, "annual_pd");
        assert!(p.file.ends_with("data/ip-lease-733m-tape.csv"));
        assert_eq!(
            p.location,
            ipabs::scenario::Location::Cell {
                line: 4,
                column: column + 1,
                header: "annual_pd".into()
            }
        );
        assert!(p.message.contains(bad), "{}", p.message);
    }
}

/// `ipabs run --paths 0` is bad input: exit code 2, an error on stderr, nothing written.
#[test]
fn run_with_zero_paths_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let assert = assert_cmd::cargo::cargo_bin_cmd!("ipabs")
        .arg("run")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ip-lease-733m.toml"))
        .args(["--paths", "0", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stdout("");
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("--paths"), "stderr: {stderr}");
    assert!(!out.exists(), "output folder written");
}

/// The sampler visits only obligors below a sector's skip bound (the largest PD's threshold)
/// and accepts each against its own threshold. With PDs of 1 % and 8 % mixed in one sector of
/// 40, each obligor's default frequency must be its PD and a (1 %, 8 %) pair's joint default
/// frequency the bivariate-normal probability ∫ Φ(a(z)) Φ(b(z)) φ(z) dz, within 4 SE. The SE of
/// an average over equicorrelated indicators is at most a single indicator's, so the
/// single-obligor SE bounds it.
#[test]
fn skipping_keeps_each_obligors_pd_and_the_pairwise_dependence() {
    let (names, rho, low, high) = (40, 0.3, 0.01, 0.08);
    let text = homogeneous_scenario(names, low, &[0.5], &gaussian_model(rho));
    // Every odd obligor gets the high PD.
    let mut edited = String::new();
    for (k, part) in text.split(&format!("annual_pd = {low}")).enumerate() {
        if k > 0 {
            let pd = if k % 2 == 0 { high } else { low };
            edited += &format!("annual_pd = {pd}");
        }
        edited += part;
    }
    let deal = load(&edited);
    let sampler = ipabs::credit::CreditSampler::new(&deal);
    let mut draws = sampler.new_draws();
    let paths = 200_000u64;
    let (mut low_hits, mut high_hits, mut joint) = (0u64, 0u64, 0u64);
    for p in 0..paths {
        sampler.draw(&mut ipabs::montecarlo::stream::path_rng(5, p), &mut draws);
        let hit = |o: usize| draws.obligor_default[o] != ipabs::credit::NO_DEFAULT;
        for o in 0..names {
            if o % 2 == 0 {
                low_hits += u64::from(hit(o));
            } else {
                high_hits += u64::from(hit(o));
            }
        }
        joint += u64::from(hit(0) && hit(1));
    }
    let half = (paths * names as u64 / 2) as f64;
    for (label, freq, pd) in [
        ("1 %", low_hits as f64 / half, low),
        ("8 %", high_hits as f64 / half, high),
    ] {
        let se = freq_se(pd, paths);
        assert!(
            (freq - pd).abs() <= 4.0 * se,
            "{label}: {freq} vs {pd} (SE {se})"
        );
    }
    let exact: f64 = normal_nodes()
        .iter()
        .map(|(z, w)| w * conditional_pd(low, rho, *z) * conditional_pd(high, rho, *z))
        .sum();
    let freq = joint as f64 / paths as f64;
    let se = freq_se(exact, paths);
    assert!(
        (freq - exact).abs() <= 4.0 * se,
        "joint default {freq} vs {exact} (SE {se})"
    );
    // Independence would give 0.08 %: the test can tell the dependence apart.
    assert!(exact > low * high + 8.0 * se, "{exact}");
}

/// Collects the pool's figures per payment date.
#[derive(Default)]
struct PoolRecorder {
    periods: Vec<[f64; 10]>,
}

impl Recorder<f64> for PoolRecorder {
    fn period_end(&mut self, p: &PoolPeriod<f64>, _state: &DealState<f64>) {
        self.periods.push([
            p.opening_balance,
            p.defaulted,
            p.interest,
            p.scheduled_principal,
            p.prepayment,
            p.recovery,
            p.realized_loss,
            p.closing_balance,
            p.pending_exposure,
            p.cumulative_defaulted,
        ]);
    }
}

/// The Monte Carlo's pool step (the default-free trajectory less each defaulted asset's flows
/// from its default on) against the loan-level step (every asset on every date), on the same
/// draws: the same dates run and every pool figure within 1e-9 relative (they differ only in
/// the order of f64 additions), on the reference deal at its PDs and ×5 (clean-up calls,
/// pools exhausted early) and on a 60-date monthly pool of amortising loans with prepayments.
#[test]
fn trajectory_pool_step_equals_the_loan_level_step() {
    use ipabs::engine::{Prepared, Scratch, run_path};
    let shipped = shipped_text("ip-lease-733m.toml");
    let stressed = edit(&shipped, "pd_multiplier = 1.0", "pd_multiplier = 5.0");
    let monthly = homogeneous_scenario_over(
        60,
        0.05,
        &[0.2],
        &gaussian_model(0.3),
        Frequency::Quarterly,
        2,
    )
    .replace("amortization = \"bullet\"", "amortization = \"level\"")
    .replace("cpr = 0.0", "cpr = 0.08")
    .replace("rate = 0.0\namortization", "rate = 0.06\namortization");
    let mut compared_defaults = 0;
    for (label, text) in [
        ("shipped", &shipped),
        ("PD ×5", &stressed),
        ("level", &monthly),
    ] {
        let deal = load(text);
        let sampler = ipabs::credit::CreditSampler::new(&deal);
        let dense: Prepared<f64> = Prepared::for_deal(&deal);
        let projected = Prepared::for_deal(&deal).with_trajectory(sampler.prepayment_rate());
        assert!(dense.trajectory.is_none() && projected.trajectory.is_some());
        let mut draws = sampler.new_draws();
        for path in 0..300u64 {
            sampler.draw(
                &mut ipabs::montecarlo::stream::path_rng(3, path),
                &mut draws,
            );
            compared_defaults += draws.defaulted.len();
            let run = |prep: &Prepared<f64>| {
                let mut scratch = Scratch::new(prep, sampler.max_lag());
                let mut rec = PoolRecorder::default();
                run_path(prep, &sampler.events(&draws), &mut scratch, &mut rec);
                rec.periods
            };
            let (a, b) = (run(&dense), run(&projected));
            assert_eq!(a.len(), b.len(), "{label} path {path}: dates run");
            for (t, (x, y)) in a.iter().zip(&b).enumerate() {
                for (k, (u, v)) in x.iter().zip(y).enumerate() {
                    assert!(
                        (u - v).abs() <= 1e-9 * u.abs().max(1.0),
                        "{label} path {path} date {t} figure {k}: {u} vs {v}"
                    );
                }
            }
        }
    }
    assert!(compared_defaults > 500, "{compared_defaults}");
}
