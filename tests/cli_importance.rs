//! `--importance-sampling TRANCHE` end to end on `run`, `rate` and `sweep`: the run says how
//! it sampled (terminal, mc-summary.json, rating.json, report), every path's likelihood ratio is
//! in paths.bin, and a tranche that does not exist is a usage error naming the deal's tranches.

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::{Path, PathBuf};

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ip-lease-733m.toml")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ipabs(command: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    cargo_bin_cmd!("ipabs")
        .arg(command)
        .arg(scenario())
        .args(["--paths", "3000", "--seed", "9", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn run_with_importance_sampling_reports_it_everywhere_and_weights_paths_bin() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("is");
    let o = ipabs(
        "run",
        &out,
        &[
            "--mc-only",
            "--format",
            "svg",
            "--importance-sampling",
            "A2",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(
        stdout.contains("sampling: importance sampling toward A2"),
        "{stdout}"
    );
    let summary = json(&out.join("mc-summary.json"));
    let is = &summary["importance_sampling"];
    assert_eq!(is["tranche"], "A2");
    assert!(is["shift"]["global"].as_f64().unwrap() < 0.0, "{is}");
    assert!(
        is["variance_reduction_probability_of_loss"]
            .as_f64()
            .unwrap()
            > 1.0,
        "{is}"
    );
    // Every path's weight is in paths.bin, and they are not all 1.
    let names: Vec<String> = summary["tranches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tranche"].as_str().unwrap().to_string())
        .collect();
    let columns = ipabs::report::charts::inputs::read_path_columns(&out, &names).unwrap();
    assert!(columns.weighted);
    let width = summary["columns"].as_array().unwrap().len();
    let mut weights = Vec::new();
    ipabs::report::montecarlo::read_rows(&out.join("paths.bin"), width, 3000, |rows| {
        rows.chunks_exact(width).for_each(|r| weights.push(r[5]))
    })
    .unwrap();
    assert_eq!(weights.len(), 3000);
    assert!(weights.iter().all(|w| w.is_finite() && *w > 0.0));
    assert!(weights.iter().any(|w| *w != 1.0));
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("importance sampling toward A2"));

    // A plain run says so, and its weights are all 1 (the column is there, the chart reader
    // treats it as unweighted).
    let plain = tmp.path().join("plain");
    let o = ipabs("run", &plain, &["--mc-only", "--format", "svg"]);
    assert!(o.status.success());
    assert!(
        String::from_utf8(o.stdout)
            .unwrap()
            .contains("sampling: plain Monte Carlo")
    );
    assert!(json(&plain.join("mc-summary.json"))["importance_sampling"].is_null());
    let columns = ipabs::report::charts::inputs::read_path_columns(&plain, &names).unwrap();
    assert!(!columns.weighted);
}

#[test]
fn rate_and_sweep_take_importance_sampling() {
    let tmp = tempfile::tempdir().unwrap();
    let rated = tmp.path().join("rate");
    let o = ipabs("rate", &rated, &["--importance-sampling", "A1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8(o.stdout)
            .unwrap()
            .contains("importance sampling toward A1")
    );
    let rating = json(&rated.join("rating.json"));
    let doc = rating.get("result").unwrap_or(&rating);
    assert_eq!(doc["importance_sampling"]["tranche"], "A1", "{doc}");

    let swept = tmp.path().join("sweep");
    let o = ipabs(
        "sweep",
        &swept,
        &[
            "--vary",
            "model.pd_multiplier=1,2",
            "--importance-sampling",
            "A2",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // sweep.csv: standard errors on every row, the variance reduction on the target's.
    let mut csv = csv::Reader::from_path(swept.join("sweep.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (tranche, se, vrf) = (
        col("tranche"),
        col("probability_of_loss_std_error"),
        col("variance_reduction"),
    );
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2 * 4, "two points × four tranches");
    for r in &rows {
        assert!(r[se].parse::<f64>().is_ok(), "{r:?}");
        assert_eq!(r[tranche] == *"A2", !r[vrf].is_empty(), "{r:?}");
    }
}

#[test]
fn an_unknown_tranche_is_a_usage_error_naming_the_tranches() {
    let tmp = tempfile::tempdir().unwrap();
    let o = ipabs(
        "run",
        &tmp.path().join("x"),
        &["--importance-sampling", "Z"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--importance-sampling") && err.contains("\"Z\"") && err.contains("A1"),
        "{err}"
    );
    assert!(
        !tmp.path().join("x").exists(),
        "nothing written on a usage error"
    );
}
