//! End-to-end tests of `ipabs cashflow` and `ipabs run` on every shipped scenario.

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::{Path, PathBuf};

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    out.sort();
    assert_eq!(out.len(), 3);
    out
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn decimal(v: &serde_json::Value) -> rust_decimal::Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn cashflow_runs_every_shipped_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    for scenario in scenarios() {
        let out = tmp.path().join(scenario.file_stem().unwrap());
        let assert = cargo_bin_cmd!("ipabs")
            .arg("cashflow")
            .arg(&scenario)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        assert!(stdout.contains("deterministic run"), "{stdout}");
        for file in [
            "pool_cashflows.csv",
            "tranche_cashflows.csv",
            "fees.csv",
            "accounts.csv",
            "ledger.csv",
            "stratification.json",
            "deal.json",
            "summary.json",
        ] {
            assert!(
                out.join(file).is_file(),
                "{} missing {file}",
                scenario.display()
            );
        }
        // summary.json: every tranche is repaid or reports its loss, to the fen.
        let summary = json(&out.join("summary.json"));
        for t in summary["tranches"].as_array().unwrap() {
            let original = decimal(&t["original_balance"]);
            let principal = decimal(&t["total_principal"]);
            let loss = decimal(&t["principal_loss"]);
            assert_eq!(
                original,
                principal + loss,
                "{}: {}",
                scenario.display(),
                t["tranche"]
            );
            assert_eq!(
                t["total_principal"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .nth(1)
                    .map(str::len),
                Some(2)
            );
        }
        assert!(!out.parent().unwrap().read_dir().unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".partial")
        }));
    }
}

#[test]
fn cashflow_flags_override_the_assumptions() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = &scenarios()[0];
    let base = tmp.path().join("base");
    let stressed = tmp.path().join("stressed");
    cargo_bin_cmd!("ipabs")
        .arg("cashflow")
        .arg(scenario)
        .arg("--out")
        .arg(&base)
        .arg("--quiet")
        .assert()
        .success()
        .stdout("");
    cargo_bin_cmd!("ipabs")
        .args([
            "cashflow",
            scenario.to_str().unwrap(),
            "--cdr",
            "0.2",
            "--recovery",
            "0",
            "--lag",
            "3",
            "--out",
        ])
        .arg(&stressed)
        .assert()
        .success();
    // The parent's uncapped undertaking absorbs the stress: it pays more, nobody loses more.
    let drawn = |dir: &Path| -> rust_decimal::Decimal {
        json(&dir.join("summary.json"))["support_drawn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| decimal(&s["drawn"]))
            .sum()
    };
    assert!(drawn(&stressed) > drawn(&base));
    assert_eq!(
        json(&stressed.join("summary.json"))["assumptions"]["cdr"][0],
        0.2
    );
}

#[test]
fn run_writes_monte_carlo_results_for_every_shipped_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    for scenario in scenarios() {
        let out = tmp.path().join(scenario.file_stem().unwrap());
        let assert = cargo_bin_cmd!("ipabs")
            .arg("run")
            .arg(&scenario)
            .args(["--paths", "3000", "--seed", "11", "--no-charts", "--out"])
            .arg(&out)
            .assert()
            .success();
        let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        assert!(
            stdout.contains("Monte Carlo: 3000 paths, seed 11"),
            "{stdout}"
        );
        let summary = json(&out.join("mc-summary.json"));
        assert_eq!(summary["paths"], 3000);
        assert_eq!(summary["seed"], 11);
        for t in summary["tranches"].as_array().unwrap() {
            let el = t["expected_loss"].as_f64().unwrap();
            let pd = t["probability_of_loss"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&el) && (0.0..=1.0).contains(&pd));
            // EL can only be positive when some path lost.
            assert!(el == 0.0 || pd > 0.0);
        }
        let names: Vec<String> = summary["tranches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tranche"].as_str().unwrap().to_string())
            .collect();
        let columns = ipabs::report::charts::inputs::read_path_columns(&out, &names).unwrap();
        assert_eq!(columns.rows, 3000);
        assert_eq!(columns.exceedance.len(), names.len());
        assert_eq!(columns.pool_cdr_cell_paths.iter().sum::<u64>(), 3000);
        // paths.bin holds the run's own values (f64): the summary's pool CDR mean is the mean
        // of the file's column, to the bit.
        let width = summary["columns"].as_array().unwrap().len();
        let mut sum = 0.0;
        ipabs::report::montecarlo::read_rows(&out.join("paths.bin"), width, 3000, |rows| {
            rows.chunks_exact(width).for_each(|r| sum += r[0])
        })
        .unwrap();
        let reported = summary["pool"]["cumulative_default_rate"]["mean"]
            .as_f64()
            .unwrap();
        assert_eq!(
            (sum / 3000.0).to_bits(),
            reported.to_bits(),
            "{sum} vs {reported}"
        );
        assert!(out.join("summary.json").is_file());
        // Break-even rates and implied grades of this run, for the charts and the report.
        let rating = json(&out.join("rating.json"));
        let breakeven = json(&out.join("breakeven.json"));
        let tranches = summary["tranches"].as_array().unwrap().len();
        assert_eq!(
            rating["result"]["tranches"].as_array().unwrap().len(),
            tranches
        );
        assert_eq!(
            breakeven["result"]["minimum"].as_array().unwrap().len(),
            tranches
        );
        assert!(stdout.contains("Implied grades"), "{stdout}");
    }
}

#[test]
fn run_results_do_not_depend_on_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = &scenarios()[0];
    let mut summaries = Vec::new();
    for threads in ["1", "2", "4"] {
        let out = tmp.path().join(format!("t{threads}"));
        cargo_bin_cmd!("ipabs")
            .arg("run")
            .arg(scenario)
            .args([
                "--paths",
                "10000",
                "--threads",
                threads,
                "--quiet",
                "--no-charts",
                "--out",
            ])
            .arg(&out)
            .assert()
            .success();
        // Results only: timings, threads and host are in run-info.json.
        let s = std::fs::read(out.join("mc-summary.json")).unwrap();
        let info = json(&out.join("run-info.json"));
        assert_eq!(info["threads"], threads.parse::<u64>().unwrap());
        assert!(info["elapsed_seconds"].as_f64().unwrap() > 0.0);
        summaries.push((s, std::fs::read(out.join("paths.bin")).unwrap()));
    }
    assert_eq!(summaries[0], summaries[1]);
    assert_eq!(summaries[0], summaries[2]);
}

#[test]
fn run_rejects_zero_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let assert = cargo_bin_cmd!("ipabs")
        .arg("run")
        .arg(&scenarios()[0])
        .args(["--paths", "0", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("--paths expects at least 1 path"),
        "{stderr}"
    );
    assert!(!out.exists());
}
