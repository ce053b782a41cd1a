//! The rating method on the shipped deals: every target and break-even default rate is a
//! default rate in [0, 1], the BDR is the rate a run reached, the lognormal fit is refused for
//! the concentrated reference pool, and supported grades fall as the promisor's PD rises.

use std::path::{Path, PathBuf};

use ipabs::montecarlo::McOptions;
use ipabs::structuring::breakeven::{BdrNote, breakeven};
use ipabs::structuring::rating::{
    DEFAULT_GRADES, DEFAULT_LOSS_TABLE, LossTable, Method, RatingResult, parse_grades, rate,
    simulate_cdr,
};

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

fn rated(path: &Path, text: String, paths: u64) -> RatingResult {
    let loaded = ipabs::structuring::load_text(path, text).expect("valid scenario");
    let deal = &loaded.deal;
    let options = McOptions {
        paths,
        seed: deal.simulation.seed,
        threads: 0,
        importance: None,
    };
    let (dist, mc) = simulate_cdr(deal, options, |_| {}).unwrap();
    let be = breakeven(deal, &loaded.config.breakeven, None);
    for row in &be.rows {
        assert!(
            (0.0..=1.0).contains(&row.bdr) && row.bdr <= row.target + 1e-12,
            "{} {}: BDR {} target {}",
            row.tranche,
            row.stress,
            row.bdr,
            row.target
        );
        if row.note == BdrNote::SurvivesTotalDefault {
            assert_eq!(row.bdr, 1.0);
        } else {
            assert!(row.bdr < 1.0, "{} {}: {}", row.tranche, row.stress, row.bdr);
        }
    }
    rate(
        deal,
        &be,
        parse_grades(DEFAULT_GRADES, "grades").unwrap(),
        LossTable::parse(DEFAULT_LOSS_TABLE, "loss").unwrap(),
        &dist,
        &mc,
    )
}

#[test]
fn every_tdr_and_bdr_of_the_shipped_deals_is_a_default_rate() {
    for name in [
        "ip-lease-733m.toml",
        "patent-pledge-200m.toml",
        "patent-royalty-300m.toml",
    ] {
        let path = scenario(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let r = rated(&path, text, 20_000);
        for row in r.tranches.iter().flat_map(|t| &t.tdr) {
            for m in [Method::Empirical, Method::Lognormal, Method::Multiplier] {
                if let Some(t) = row.get(m) {
                    assert!((0.0..=1.0).contains(&t), "{name} {} {m:?}: {t}", row.grade);
                }
            }
            if let (Some(t), Some((lo, hi))) = (row.empirical, row.empirical_interval) {
                assert!(lo <= t && t <= hi && hi <= 1.0, "{name} {}", row.grade);
            }
        }
        for t in &r.tranches {
            assert!((0.0..=1.0).contains(&t.min_bdr), "{name} {}", t.tranche);
            assert!((0.0..=1.0).contains(&t.min_bdr_without_support));
            // The present-value loss the Moody's grade is read with: a share of the balance,
            // and nothing for a class that lost nothing on any path.
            assert!(
                (0.0..=1.0).contains(&t.expected_pv_loss),
                "{name} {}",
                t.tranche
            );
            if t.expected_loss == 0.0 {
                assert_eq!(t.expected_pv_loss, 0.0, "{name} {}", t.tranche);
            } else {
                assert!(t.expected_pv_loss > 0.0, "{name} {}", t.tranche);
            }
        }
    }
}

#[test]
fn target_default_probabilities_follow_each_tranches_wal() {
    // A1 (WAL under a year) is held to the one-year targets; A3 (WAL over two years) to the
    // grade table's cumulative targets at its WAL: higher p_g, so a lower TDR for each grade.
    let path = scenario("ip-lease-733m.toml");
    let r = rated(&path, std::fs::read_to_string(&path).unwrap(), 20_000);
    let grades = parse_grades(DEFAULT_GRADES, "grades").unwrap();
    let by = |name: &str| r.tranches.iter().find(|t| t.tranche == name).unwrap();
    let (a1, a3) = (by("A1"), by("A3"));
    assert!(a1.target_horizon_years < 1.0 && a3.target_horizon_years > 2.0);
    for (k, g) in grades.iter().enumerate() {
        let Some(p3) = g.default_probability(a3.target_horizon_years) else {
            continue;
        };
        assert_eq!(a1.tdr[k].default_probability, g.default_probability(1.0));
        assert_eq!(a3.tdr[k].default_probability, Some(p3));
        assert!(p3 > a1.tdr[k].default_probability.unwrap(), "{}", g.grade);
        assert!(
            a3.tdr[k].empirical.unwrap() <= a1.tdr[k].empirical.unwrap(),
            "{}",
            g.grade
        );
    }
}

#[test]
fn the_reference_pool_refuses_the_lognormal_fit() {
    // Ten lessees: about 44 % of paths see no default at all.
    let path = scenario("ip-lease-733m.toml");
    let r = rated(&path, std::fs::read_to_string(&path).unwrap(), 20_000);
    let fit = r.lognormal_fit.expect("defaults on some paths");
    assert!(fit.zero_mass > 0.3, "{}", fit.zero_mass);
    assert!(fit.refused.is_some());
    assert!(
        r.tranches
            .iter()
            .flat_map(|t| &t.tdr)
            .all(|row| row.lognormal.is_none())
    );
    for t in &r.tranches {
        let lognormal = t
            .implied
            .iter()
            .find(|a| a.method == Method::Lognormal)
            .unwrap();
        assert!(lognormal.grade.is_none());
    }
}

#[test]
fn supported_grades_fall_as_the_promisor_pd_rises() {
    let path = scenario("ip-lease-733m.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let grades = ["AAA", "AA+", "AA", "A", "BBB"];
    let rank = |r: &RatingResult, tranche: &str| {
        let t = r.tranches.iter().find(|t| t.tranche == tranche).unwrap();
        let a = t
            .implied
            .iter()
            .find(|a| a.method == Method::Empirical)
            .unwrap();
        a.grade.as_deref().map_or(grades.len(), |g| {
            grades.iter().position(|x| *x == g).unwrap()
        })
    };
    let mut last = [0usize; 3];
    let mut last_failure = -1.0;
    for (k, pd) in ["0.0", "0.001", "0.3"].iter().enumerate() {
        let r = rated(
            &path,
            text.replace("annual_pd = 0.001", &format!("annual_pd = {pd}")),
            20_000,
        );
        let now = [rank(&r, "A1"), rank(&r, "A2"), rank(&r, "A3")];
        // Priced as an obligor, the promisor's default makes A3 fail more often as its PD rises.
        let a3 = r.tranches.iter().find(|t| t.tranche == "A3").unwrap();
        let failure = a3.supported_joint.failure_probability;
        assert!(
            failure > last_failure,
            "PD {pd}: P(fail) {failure} after {last_failure}"
        );
        last_failure = failure;
        for i in 0..3 {
            assert!(now[i] >= last[i], "PD {pd}: {now:?} after {last:?}");
        }
        if k == 0 {
            // A riskless promisor caps nothing: the supported seniors are AAA.
            assert_eq!(now, [0, 0, 0], "{:?}", r.tranches[2].implied);
        }
        if k == 2 {
            // At 30 % a year the promisor's default over A3's life is far above every grade's
            // target: A3 is held to the grade without a target default probability.
            assert_eq!(now[2], 4);
        }
        last = now;
    }
}
