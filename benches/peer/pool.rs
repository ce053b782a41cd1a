//! The peer pool of `benches/peer/pool.toml`: its parameters, a check that the scenario is that
//! pool, and the exact finite-pool tranche losses. Included with `#[path]` by `benches/peer.rs`
//! and `tests/peer_pool.rs`, each of which has `mod common;` (`tests/common/mod.rs`, the closed
//! forms and quadratures the Monte Carlo tests share) at its root.

use crate::common::finite_pool_tranche_moments;
use ipabs::credit::{Copula, PdCurve, RecoveryModel};
use ipabs::deal::Deal;
use ipabs::money::Amount;
use std::path::Path;

/// The scenario file (its loan tape `pool-tape.csv` beside it).
pub const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peer/pool.toml");

/// Names in the pool, equal notionals.
pub const NAMES: usize = 100;
/// Constant default intensity per year: P(τ ≤ t) = 1 − e^(−HAZARD·t).
pub const HAZARD: f64 = 0.01;
/// Horizon: the bullets' maturity and the deal's last payment date, in years after closing.
pub const YEARS: f64 = 5.0;
/// Asset correlation of the one-factor Gaussian copula.
pub const RHO: f64 = 0.3;
/// Fixed recovery rate.
pub const RECOVERY: f64 = 0.4;
/// Tranches `[attach, detach)` as shares of the pool, most senior first (the order of the
/// scenario's `[[tranches]]` and of `McResults::tranches`).
pub const TRANCHES: [(f64, f64); 6] = [
    (0.30, 1.00),
    (0.15, 0.30),
    (0.10, 0.15),
    (0.07, 0.10),
    (0.03, 0.07),
    (0.00, 0.03),
];

/// The annual PD in ipabs's constant-hazard convention, P(τ ≤ t) = 1 − (1 − p)^t: a hazard of
/// 1 %/yr is p = 1 − e^−0.01 (what `pool-tape.csv` gives every name).
pub fn annual_pd() -> f64 {
    -(-HAZARD).exp_m1()
}

/// P(τ ≤ YEARS) = 1 − (1 − p)^5 = 1 − e^−0.05.
pub fn horizon_pd() -> f64 {
    1.0 - (1.0 - annual_pd()).powf(YEARS)
}

/// `a–b %` for a tranche.
pub fn label(attach: f64, detach: f64) -> String {
    format!("{:.0}–{:.0} %", attach * 100.0, detach * 100.0)
}

/// Loads the scenario and checks that it is the pool the constants describe.
pub fn load() -> Deal {
    let deal = ipabs::scenario::load(Path::new(SCENARIO)).unwrap_or_else(|e| panic!("{e}"));
    check_deal(&deal);
    deal
}

/// Panics unless `deal` is the pool of the constants, with a waterfall that is a pure loss
/// allocation (no coupons, fees, supports or triggers).
pub fn check_deal(deal: &Deal) {
    let assets = &deal.pool.assets;
    assert_eq!(assets.len(), NAMES, "names");
    assert_eq!(deal.pool.obligors.len(), NAMES, "one loan per obligor");
    let last = *deal.period_ends.last().expect("payment dates");
    let horizon = ipabs::dates::years_between(deal.closing, last);
    assert_eq!(
        horizon, YEARS,
        "years from closing to the last payment date"
    );
    for a in assets {
        assert_eq!(a.balance, assets[0].balance, "{}: equal notionals", a.id);
        assert!(
            (a.annual_pd - annual_pd()).abs() < 1e-15,
            "{}: annual PD",
            a.id
        );
        assert_eq!(
            a.maturity, last,
            "{}: matures on the last payment date",
            a.id
        );
        assert!(a.rate.is_zero(), "{}: zero rate", a.id);
    }
    let credit = &deal.credit;
    assert_eq!(credit.copula, Copula::Gaussian);
    assert_eq!(credit.pd_curve, PdCurve::ConstantHazard);
    assert_eq!(credit.pd_multiplier, 1.0);
    assert_eq!(credit.cpr, 0.0);
    assert_eq!(credit.sector_loadings.len(), 1, "one sector");
    let loading = credit.sector_loadings[0];
    assert!((loading.global - RHO.sqrt()).abs() < 1e-15 && loading.sector == 0.0);
    assert_eq!(credit.recovery, RecoveryModel::Rate { rate: RECOVERY });
    assert_eq!(credit.recovery_lag_months, 0);
    let s = &deal.structure;
    assert!(s.fees.is_empty() && s.supports.is_empty() && s.triggers.is_empty());
    assert_eq!(s.tranches.len(), TRANCHES.len(), "tranches");
    let pool: f64 = assets.iter().map(|a| a.balance.to_f64()).sum();
    for (t, (attach, detach)) in s.tranches.iter().zip(TRANCHES) {
        assert!(t.coupon.is_zero(), "{}: zero coupon", t.name);
        let share = t.balance.to_f64() / pool;
        assert!(
            (share - (detach - attach)).abs() < 1e-12,
            "{}: {share} of the pool, not {}",
            t.name,
            label(attach, detach)
        );
    }
}

/// The exact value of one tranche: expected loss rate and the standard deviation of a path's
/// loss rate (so a Monte Carlo of n paths has standard error sd/√n).
#[derive(Debug, Clone, Copy)]
pub struct Exact {
    pub attach: f64,
    pub detach: f64,
    pub expected_loss: f64,
    pub sd: f64,
}

/// Every tranche's exact value in the order of [`TRANCHES`]: the finite-pool one-factor result
/// ∫ Σₖ Bin(k; 100, q(z)) · tranche_loss(k·(1 − R)/100) φ(z) dz,
/// q(z) = Φ((Φ⁻¹(PD₅) − √ρ·z)/√(1 − ρ)), by trapezoid quadrature (see
/// `common::finite_pool_tranche_moments`).
pub fn exact() -> Vec<Exact> {
    TRANCHES
        .iter()
        .map(|&(attach, detach)| {
            let (m1, m2) =
                finite_pool_tranche_moments(NAMES, horizon_pd(), RHO, RECOVERY, attach, detach);
            Exact {
                attach,
                detach,
                expected_loss: m1,
                sd: (m2 - m1 * m1).max(0.0).sqrt(),
            }
        })
        .collect()
}
