//! `ipabs compare` of a base and a stressed cashflow run, and `ipabs chart` on a cashflow
//! folder (the deterministic charts, the Monte Carlo ones skipped with a note).

use assert_cmd::cargo::cargo_bin_cmd;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

use ipabs::report::charts::inputs::read_csv;
use ipabs::report::compare::{DateDifferenceRow, DifferenceRow};

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

fn cashflow(out: &Path, extra: &[&str]) {
    cargo_bin_cmd!("ipabs")
        .arg("cashflow")
        .arg(scenario("patent-pledge-200m.toml"))
        .args(extra)
        .args(["--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
}

fn row<'a>(rows: &'a [DifferenceRow], item: &str, measure: &str) -> &'a DifferenceRow {
    rows.iter()
        .find(|r| r.item == item && r.measure == measure)
        .unwrap_or_else(|| panic!("no row {item} {measure}"))
}

#[test]
fn compare_of_a_base_and_a_stressed_cashflow() {
    let tmp = tempfile::tempdir().unwrap();
    let (base, stress) = (tmp.path().join("base"), tmp.path().join("stress"));
    cashflow(&base, &[]);
    // A higher default rate than the scenario's: more defaults, more losses, less collected.
    cashflow(&stress, &["--cdr", "0.08"]);
    let out = cargo_bin_cmd!("ipabs")
        .arg("compare")
        .arg(&base)
        .arg(&stress)
        .args(["--format", "svg"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("stress − base"), "{stdout}");
    let dir = tmp.path().join("base-vs-stress");
    let rows: Vec<DifferenceRow> = read_csv(&dir.join("difference.csv")).unwrap();
    for r in &rows {
        if let (Some(a), Some(b), Some(d)) = (r.base, r.stress, r.difference) {
            assert_eq!(d, b - a, "{} {}", r.item, r.measure);
        }
    }
    let defaulted = row(&rows, "pool", "defaulted");
    assert!(
        defaulted.difference.unwrap() > Decimal::ZERO,
        "{defaulted:?}"
    );
    let loss = row(&rows, "pool", "realized_loss");
    assert!(loss.difference.unwrap() > Decimal::ZERO, "{loss:?}");
    let interest = row(&rows, "pool", "interest");
    assert!(interest.difference.unwrap() < Decimal::ZERO, "{interest:?}");
    let cdr = row(&rows, "pool", "cumulative_default_rate");
    assert_eq!(cdr.unit, "rate");
    assert!(cdr.stress.unwrap() > cdr.base.unwrap());
    // The junior class bears the stress first: it receives less in total.
    let sub_cash = |side: fn(&DifferenceRow) -> Option<Decimal>| {
        [
            "total_principal",
            "total_subordinate_return",
            "total_residual",
        ]
        .iter()
        .map(|m| side(row(&rows, "Sub", m)).unwrap())
        .sum::<Decimal>()
    };
    assert!(sub_cash(|r| r.stress) < sub_cash(|r| r.base));

    // Per date: the cumulative pool loss never falls and ends at the total realized loss.
    let by_date: Vec<DateDifferenceRow> = read_csv(&dir.join("difference_by_date.csv")).unwrap();
    let pool_loss: Vec<&DateDifferenceRow> = by_date
        .iter()
        .filter(|r| r.item == "pool" && r.measure == "cumulative_loss")
        .collect();
    assert!(pool_loss.windows(2).all(|w| w[1].stress >= w[0].stress));
    let last = pool_loss.last().unwrap();
    assert_eq!(last.stress - last.base, loss.difference.unwrap());
    for stem in ["compare_balances", "compare_losses", "compare_cash_paid"] {
        assert!(dir.join(format!("charts/{stem}.svg")).is_file(), "{stem}");
    }
    assert!(dir.join(".ipabs-output.json").is_file());

    // Run again: the folder is ipabs's, so it is replaced.
    cargo_bin_cmd!("ipabs")
        .arg("compare")
        .arg(&base)
        .arg(&stress)
        .arg("--quiet")
        .assert()
        .success();
}

#[test]
fn compare_refuses_other_deals_foreign_folders_and_its_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    cashflow(&base, &[]);
    let other = tmp.path().join("other");
    cargo_bin_cmd!("ipabs")
        .arg("cashflow")
        .arg(scenario("ip-lease-733m.toml"))
        .args(["--quiet", "--out"])
        .arg(&other)
        .assert()
        .success();
    let out = cargo_bin_cmd!("ipabs")
        .arg("compare")
        .arg(&base)
        .arg(&other)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("same deal"), "{err}");

    // Not an output folder: named.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = cargo_bin_cmd!("ipabs")
        .arg("compare")
        .arg(&base)
        .arg(&empty)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("summary.json"), "{err}");

    // A folder ipabs did not write is never replaced, nor one being compared, nor one inside.
    let mine = tmp.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep").unwrap();
    for target in [mine.clone(), base.clone(), base.join("cmp")] {
        let out = cargo_bin_cmd!("ipabs")
            .arg("compare")
            .arg(&base)
            .arg(&base)
            .arg("--out")
            .arg(&target)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains("refusing"), "{}: {err}", target.display());
    }
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "keep"
    );
    assert!(!base.join("cmp").exists());
}

#[test]
fn chart_on_a_cashflow_folder_draws_the_deterministic_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cf");
    cashflow(&dir, &[]);
    let out = cargo_bin_cmd!("ipabs")
        .arg("chart")
        .arg(&dir)
        .args(["--xlsx"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("3 charts (6 files)"), "{stdout}");
    assert!(
        stdout.contains("no Monte Carlo results") && stdout.contains("balance_fan"),
        "{stdout}"
    );
    for stem in ["tranche_balances", "collections", "payments"] {
        assert!(dir.join(format!("charts/{stem}.png")).is_file(), "{stem}");
    }
    assert!(!dir.join("charts/balance_fan.png").exists());
    assert!(!dir.join("report.html").exists());
    assert!(dir.join("results.xlsx").is_file());

    // Redrawn as SVG only: the PNGs it removes and the files it replaces are named.
    let out = cargo_bin_cmd!("ipabs")
        .arg("chart")
        .arg(&dir)
        .args(["--format", "svg", "--xlsx"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("removed 3 files not drawn this time (--format svg)")
            && stdout.contains("charts/payments.png"),
        "{stdout}"
    );
    assert!(
        stdout.contains("replaced 4 files") && stdout.contains("results.xlsx"),
        "{stdout}"
    );
}
