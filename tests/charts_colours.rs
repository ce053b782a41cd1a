//! The chart specs of real runs: a colour means one thing in every chart, statistics are grey,
//! break-even markers take their tranche's colour, and the pledge deal's single bullet payment is
//! one bar on one date.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use ipabs::chart::palette::{statistic_color, tranche_color};
use ipabs::chart::{MarkerKind, RGBColor};
use ipabs::report::charts::{ChartSettings, ChartSpec, RunFiles, chart_specs};
use tempfile::TempDir;

fn run(scenario: &str) -> (TempDir, RunFiles) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(scenario);
    cargo_bin_cmd!("ipabs")
        .arg("run")
        .arg(&path)
        .args(["--paths", "500", "--quiet", "--no-charts", "--out"])
        .arg(&out)
        .assert()
        .success();
    let files = RunFiles::load(&out).unwrap();
    (dir, files)
}

/// Every (legend name, colour) of every chart.
fn named_colours(specs: &[ChartSpec]) -> Vec<(String, RGBColor)> {
    let mut out = Vec::new();
    for spec in specs {
        match spec {
            ChartSpec::Steps(c) => {
                out.extend(c.series.iter().map(|s| (s.name.clone(), s.color.unwrap())))
            }
            ChartSpec::Bars(c) => {
                out.extend(c.series.iter().map(|s| (s.name.clone(), s.color.unwrap())))
            }
            ChartSpec::Grouped(c) => {
                out.extend(c.series.iter().map(|s| (s.name.clone(), s.color.unwrap())))
            }
            ChartSpec::Exceedance(c) => {
                out.extend(c.series.iter().map(|s| (s.name.clone(), s.color.unwrap())))
            }
            ChartSpec::Fan(c) => {
                out.extend(c.series.iter().map(|s| (s.name.clone(), s.color.unwrap())))
            }
            ChartSpec::Histogram(c) => out.push((c.name.clone(), c.color.unwrap())),
        }
    }
    out
}

#[test]
fn a_tranche_has_one_colour_in_every_chart() {
    let (_dir, run) = run("ip-lease-733m.toml");
    let specs = chart_specs(&run, &ChartSettings::default()).unwrap();
    let names = run.tranche_names();
    let specs: Vec<ChartSpec> = specs.into_iter().map(|(_, s)| s).collect();
    let colours = named_colours(&specs);
    // A series that is a tranche (named by it alone, or "A2 本金 principal", "A2 (无损失 no loss)")
    // has the tranche's colour; so does its break-even marker.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, colour) in &colours {
        let first = name.split([' ', '(']).next().unwrap();
        if let Some(i) = names.iter().position(|n| n == first) {
            if !name.contains("利息") && !name.contains("次级收益") {
                assert_eq!(*colour, tranche_color(i), "{name}");
                *seen.entry(first).or_default() += 1;
            }
        } else {
            for (i, n) in names.iter().enumerate() {
                assert_ne!(*colour, tranche_color(i), "{name} has {n}'s colour");
            }
        }
    }
    // Balances, principal, expected loss and exceedance: four charts show each tranche.
    for n in &names {
        assert!(
            seen.get(n.as_str()).copied().unwrap_or(0) >= 3,
            "{n}: {seen:?}"
        );
    }
    let ChartSpec::Histogram(h) = &specs[3] else {
        panic!("chart 4 is the default distribution");
    };
    let mut stats = 0;
    for m in &h.markers {
        match m.kind {
            MarkerKind::Statistic => stats += 1,
            MarkerKind::Tranche(i) => {
                assert!(
                    m.label.starts_with(&names[i]),
                    "{} drawn as {}",
                    m.label,
                    names[i]
                )
            }
        }
    }
    assert_eq!(stats, 4, "mean, P50, P95, P99");
    // Statistic greys are disjoint from every colour any series uses.
    for k in 0..stats {
        assert!(colours.iter().all(|(_, c)| *c != statistic_color(k)));
    }
}

#[test]
fn a_bullet_payment_is_one_bar() {
    let (_dir, run) = run("patent-pledge-200m.toml");
    let specs = chart_specs(&run, &ChartSettings::default()).unwrap();
    let (1, ChartSpec::Bars(collections)) = &specs[1] else {
        panic!("chart 2 is the collections");
    };
    let principal = collections
        .series
        .iter()
        .find(|s| s.name.contains("scheduled principal"))
        .expect("scheduled principal");
    let paid: Vec<usize> = (0..principal.values.len())
        .filter(|&i| principal.values[i] > 0.0)
        .collect();
    assert_eq!(paid.len(), 1, "bullet on {paid:?}");
    // The bar stands on the bullet's date, as written in pool_cashflows.csv.
    let row = run
        .pool
        .iter()
        .find(|r| r.scheduled_principal > rust_decimal::Decimal::ZERO)
        .unwrap();
    assert_eq!(collections.dates[paid[0]], row.date);
}
