//! The peer benchmark's pool (`benches/peer/pool.toml`, GitHub issue 12, item 4) against its
//! exact tranche losses, and the exact function itself against closed forms. No timing here:
//! the performance figures are `cargo bench --bench peer`'s.

mod common;
#[path = "../benches/peer/pool.rs"]
mod pool;

use common::*;

/// Standard errors allowed between a Monte Carlo estimate and its exact value: six two-sided
/// 4-SE checks of a correct sampler fail together with probability below 6 × 6.3e-5 = 0.04 %.
const SE_MULT: f64 = 4.0;

/// Paths of the Monte Carlo check (the standard errors are the exact ones, sd/√paths).
const PATHS: u64 = 100_000;

/// ipabs's tranche expected losses on the peer pool equal the finite-pool one-factor values
/// within 4 standard errors, and its reported standard errors are the exact ones within 25 %
/// (the relative error of an estimated s.e. is about √((κ − 1)/(4n)), κ the loss's kurtosis:
/// below 10 % here even for the senior, whose losses come from the ~0.1 % of paths with more
/// than 50 defaults).
#[test]
fn ipabs_matches_the_exact_finite_pool_tranche_losses() {
    let deal = pool::load();
    let results = ipabs::montecarlo::simulate(
        &deal,
        ipabs::montecarlo::McOptions {
            paths: PATHS,
            seed: deal.simulation.seed,
            threads: 0,
            importance: None,
        },
        |_, _| {},
        |_| {},
    )
    .expect("not interrupted");
    assert_eq!(results.tranches.len(), pool::TRANCHES.len());
    let mut report = String::new();
    let mut bad = Vec::new();
    for ((t, x), st) in deal
        .structure
        .tranches
        .iter()
        .zip(pool::exact())
        .zip(&results.tranches)
    {
        assert_eq!(st.tranche, t.name);
        let se = x.sd / (PATHS as f64).sqrt();
        let z = (st.expected_loss - x.expected_loss) / se;
        let se_ratio = st.expected_loss_std_error / se;
        let line = format!(
            "{} {}: MC {:.6} ± {:.6} exact {:.6} (sd/√n {:.6}) z {z:+.2} s.e. ratio {se_ratio:.3}",
            t.name,
            pool::label(x.attach, x.detach),
            st.expected_loss,
            st.expected_loss_std_error,
            x.expected_loss,
            se
        );
        if z.abs() > SE_MULT || (se_ratio - 1.0).abs() > 0.25 {
            bad.push(line.clone());
        }
        report += &line;
        report.push('\n');
    }
    assert!(
        bad.is_empty(),
        "out of bounds:\n{}\nall:\n{report}",
        bad.join("\n")
    );
}

/// The pool's mean loss is (1 − R)·PD₅ whatever ρ, and the tranches tile [0, 1) of the pool
/// (and the loss never exceeds 1 − R = 60 %), so Σ (d − a)·EL = (1 − R)·PD₅.
#[test]
fn exact_tranche_losses_add_up_to_the_pool_loss() {
    let total: f64 = pool::exact()
        .iter()
        .map(|x| (x.detach - x.attach) * x.expected_loss)
        .sum();
    let pool_loss = (1.0 - pool::RECOVERY) * pool::horizon_pd();
    assert!(
        (total - pool_loss).abs() < 1e-12,
        "Σ (d − a)·EL = {total}, (1 − R)·PD₅ = {pool_loss}"
    );
    // Each tranche is senior to the next: a thinner, higher slice loses less.
    let exact = pool::exact();
    for w in exact.windows(2) {
        assert!(w[0].expected_loss < w[1].expected_loss, "{w:?}");
    }
}

/// ρ = 0: names default independently, K ~ Bin(100, PD₅), so the exact function is the plain
/// binomial sum Σₖ C(100, k) PDᵏ (1 − PD)¹⁰⁰⁻ᵏ · tranche_loss(k·(1 − R)/100), the binomial
/// coefficients by the multiplicative recurrence (exact to rounding). The quadrature's
/// conditional PD at ρ = 0 is Φ(Φ⁻¹(PD₅)), which statrs returns to about 4e-11 relative, not to
/// the last bit; the binomial sum is taken at that PD so the comparison tests the quadrature
/// (weights summing to 1, the pmf, the tranche sum) to 1e-12, and the round trip is checked
/// separately.
#[test]
fn exact_function_at_zero_correlation_is_the_binomial_sum() {
    let n = pool::NAMES;
    let p0 = pool::horizon_pd();
    let p = conditional_pd(p0, 0.0, 0.0);
    assert!((p - p0).abs() < 1e-9 * p0, "Φ(Φ⁻¹({p0})) = {p}");
    for (attach, detach) in pool::TRANCHES {
        let mut binomial = 0.0;
        let mut choose = 1.0_f64;
        for k in 0..=n {
            if k > 0 {
                choose = choose * (n - k + 1) as f64 / k as f64;
            }
            let prob = choose * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32);
            binomial +=
                prob * tranche_loss(k as f64 * (1.0 - pool::RECOVERY) / n as f64, attach, detach);
        }
        let exact = finite_pool_tranche_el(n, p0, 0.0, pool::RECOVERY, attach, detach);
        assert!(
            (exact - binomial).abs() <= 1e-12 * binomial.max(1e-3),
            "{}: quadrature {exact}, binomial {binomial}",
            pool::label(attach, detach)
        );
    }
}

/// A large pool (N = 10,000) approaches the Vasicek large-pool limit. With recovery R the pool
/// loss is (1 − R)·D, D the default rate, so the tranche [a, d) of the loss is the tranche
/// [a/(1 − R), d/(1 − R)) of D, whose limit is `vasicek_tranche_el`. The finite pool differs
/// from the limit by the granularity adjustment (`tranche_el_granularity`, O(1/N)); what is left
/// after it must be a small fraction of it, and the uncorrected gap must be of its size — so the
/// test would catch a wrong ρ, PD or recovery scaling (each moves the EL by far more than 1e-4)
/// and a finite-pool sum that ignored the binomial spread.
#[test]
fn exact_function_for_a_large_pool_is_vasicek_plus_granularity() {
    let n = 10_000;
    let p = pool::horizon_pd();
    let lgd = 1.0 - pool::RECOVERY;
    let mut report = String::new();
    let mut bad = Vec::new();
    for (attach, detach) in pool::TRANCHES {
        if detach / lgd > 1.0 {
            continue; // the senior: its slice of D reaches past 100 %.
        }
        let (a, d) = (attach / lgd, detach / lgd);
        let finite = finite_pool_tranche_el(n, p, pool::RHO, pool::RECOVERY, attach, detach);
        let limit = vasicek_tranche_el(p, pool::RHO, a, d);
        let ga = tranche_el_granularity(p, pool::RHO, n, a, d);
        let residual = finite - limit - ga;
        let line = format!(
            "{}: finite {finite:.7} Vasicek {limit:.7} GA {ga:+.7} residual {residual:+.2e}",
            pool::label(attach, detach)
        );
        if residual.abs() > 0.2 * ga.abs() + 2e-6 || (finite - limit).abs() > 2.0 * ga.abs() {
            bad.push(line.clone());
        }
        report += &line;
        report.push('\n');
    }
    assert!(
        bad.is_empty(),
        "out of bounds:\n{}\nall:\n{report}",
        bad.join("\n")
    );
    eprintln!("{report}");
}
