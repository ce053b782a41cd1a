//! `ipabs run --mc-only`: the base case and the Monte Carlo without the break-even search, the
//! rating and the sensitivity study; the report says those sections were not computed, and a
//! redraw never shows a stale file in their place.

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::{Path, PathBuf};

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ip-lease-733m.toml")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn run(out: &Path, extra: &[&str]) -> String {
    let assert = cargo_bin_cmd!("ipabs")
        .arg("run")
        .arg(scenario())
        .args(["--paths", "2000", "--seed", "5", "--format", "svg", "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

const SKIPPED_SECTIONS: [&str; 3] = [
    "盈亏平衡违约率 Break-even default rates",
    "评级分析 Rating detail",
    "敏感性分析 Sensitivity",
];

fn not_computed(heading: &str) -> String {
    format!("<h2>{heading}</h2>\n<p class=\"sub\">not computed (--mc-only)")
}

/// The report's sections with their data: break-even table, rating table, sensitivity table.
const DATA_TABLES: [&str; 3] = [
    "<table class=\"be\">",
    "<table class=\"rating\">",
    "<table class=\"sens\">",
];

#[test]
fn mc_only_skips_breakeven_rating_and_sensitivity_and_the_report_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    let mc = tmp.path().join("mc");
    let full_stdout = run(&full, &[]);
    let stdout = run(&mc, &["--mc-only"]);

    for file in [
        "breakeven.json",
        "breakeven.csv",
        "rating.json",
        "sensitivity.json",
    ] {
        assert!(full.join(file).is_file(), "a full run writes {file}");
        assert!(!mc.join(file).exists(), "--mc-only wrote {file}");
    }
    for file in [
        "mc-summary.json",
        "mc_tranches.csv",
        "paths.bin",
        "summary.json",
        "tranche_cashflows.csv",
        "report.html",
        "charts/pool_default_distribution.svg",
        "charts/tranche_loss.svg",
    ] {
        assert!(mc.join(file).is_file(), "--mc-only did not write {file}");
    }
    // The same Monte Carlo as the full run's, with the skipped parts listed.
    let summary = json(&mc.join("mc-summary.json"));
    assert_eq!(
        summary["skipped"],
        serde_json::json!(["breakeven", "rating", "sensitivity"])
    );
    assert_eq!(summary["paths"], 2000);
    assert!(json(&full.join("mc-summary.json")).get("skipped").is_none());
    assert_eq!(
        std::fs::read(mc.join("mc_tranches.csv")).unwrap(),
        std::fs::read(full.join("mc_tranches.csv")).unwrap()
    );

    assert!(stdout.contains("not computed (--mc-only)"), "{stdout}");
    assert!(!stdout.contains("Implied grades"), "{stdout}");
    assert!(full_stdout.contains("Implied grades"), "{full_stdout}");

    let report = std::fs::read_to_string(mc.join("report.html")).unwrap();
    let full_report = std::fs::read_to_string(full.join("report.html")).unwrap();
    for (heading, table) in SKIPPED_SECTIONS.iter().zip(DATA_TABLES) {
        assert!(report.contains(&not_computed(heading)), "{heading}");
        assert!(!report.contains(table), "{table} in the --mc-only report");
        assert!(full_report.contains(&format!("<h2>{heading}</h2>")));
        assert!(
            full_report.contains(table),
            "{table} missing from the full report"
        );
    }
    assert!(!full_report.contains("not computed (--mc-only)"));

    // A redraw of the folder with a break-even, rating and sensitivity file from another run
    // put there still reports them as not computed: the run did not make them.
    for file in ["breakeven.json", "rating.json", "sensitivity.json"] {
        std::fs::copy(full.join(file), mc.join(file)).unwrap();
    }
    cargo_bin_cmd!("ipabs")
        .arg("chart")
        .arg(&mc)
        .args(["--format", "svg"])
        .assert()
        .success();
    let redrawn = std::fs::read_to_string(mc.join("report.html")).unwrap();
    for (heading, table) in SKIPPED_SECTIONS.iter().zip(DATA_TABLES) {
        assert!(redrawn.contains(&not_computed(heading)), "{heading}");
        assert!(
            !redrawn.contains(table),
            "stale {table} in the redrawn report"
        );
    }
}

#[test]
fn mc_only_is_in_the_run_help() {
    let assert = cargo_bin_cmd!("ipabs")
        .args(["run", "--help"])
        .assert()
        .success();
    let help = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(help.contains("--mc-only"), "{help}");
    assert!(help.contains("skip the break-even search"), "{help}");
}
