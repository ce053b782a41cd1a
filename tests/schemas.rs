//! Every output file is one type, written by the run and read back by `chart` and `compare`:
//! reading a file into its type and writing that value again gives the file's bytes back, for
//! every file of `ipabs run` and `ipabs cashflow` on every shipped scenario.

use assert_cmd::cargo::cargo_bin_cmd;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

use ipabs::montecarlo::fan::FanRow;
use ipabs::montecarlo::summary::TrancheDateStats;
use ipabs::pool::Stratification;
use ipabs::report::cashflow::CashflowSummary;
use ipabs::report::charts::inputs::{RunFiles, read_csv, read_json};
use ipabs::report::montecarlo::{
    CountRow, DistributionRow, McSummaryFile, McTrancheRow, PathsDescriptor,
};
use ipabs::report::structuring::{BreakevenDocument, RatingDocument, sorted_json};
use ipabs::results::cashflow::{AccountRow, FeeRow, LedgerRow, PoolRow, TrancheRow};
use ipabs::structuring::breakeven::BdrRow;

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    out.sort();
    out
}

fn ipabs(args: &[&str], scenario: &Path, out: &Path) {
    cargo_bin_cmd!("ipabs")
        .arg(args[0])
        .arg(scenario)
        .args(&args[1..])
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

/// Reads `name` as rows of `T` and writes them again as the run does.
fn csv_round_trip<T: Serialize + DeserializeOwned>(dir: &Path, name: &str) {
    let path = dir.join(name);
    let rows: Vec<T> = read_csv(&path).unwrap();
    assert!(!rows.is_empty(), "{}: no rows", path.display());
    let again = tempfile::NamedTempFile::new().unwrap();
    let mut w = ipabs::report::csv_safe::Writer::from_path(again.path()).unwrap();
    for r in &rows {
        w.serialize(r).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let written = std::fs::read(again.path()).unwrap();
    let original = std::fs::read(&path).unwrap();
    assert!(
        written == original,
        "{}: written again differs:\n{}",
        path.display(),
        String::from_utf8_lossy(&written)
    );
}

/// Reads `name` as `T` and writes it again as the run does (pretty JSON, keys in declaration
/// order, or sorted for the structuring documents).
fn json_round_trip<T: Serialize + DeserializeOwned>(dir: &Path, name: &str, sorted: bool) {
    let path = dir.join(name);
    let value: T = read_json(&path).unwrap();
    let text = if sorted {
        serde_json::to_string_pretty(&sorted_json(&value).unwrap()).unwrap()
    } else {
        serde_json::to_string_pretty(&value).unwrap()
    } + "\n";
    let original = std::fs::read_to_string(&path).unwrap();
    assert!(
        text == original,
        "{}: written again differs",
        path.display()
    );
}

fn base_case_files(dir: &Path) {
    csv_round_trip::<PoolRow>(dir, "pool_cashflows.csv");
    csv_round_trip::<TrancheRow>(dir, "tranche_cashflows.csv");
    csv_round_trip::<FeeRow>(dir, "fees.csv");
    csv_round_trip::<AccountRow>(dir, "accounts.csv");
    csv_round_trip::<LedgerRow>(dir, "ledger.csv");
    json_round_trip::<CashflowSummary<'static>>(dir, "summary.json", false);
    json_round_trip::<Stratification>(dir, "stratification.json", false);
}

#[test]
fn every_file_reads_back_into_the_type_that_wrote_it() {
    let tmp = tempfile::tempdir().unwrap();
    for scenario in scenarios() {
        let stem = scenario.file_stem().unwrap().to_string_lossy().into_owned();
        let cf = tmp.path().join(format!("{stem}-cashflow"));
        ipabs(&["cashflow", "--quiet"], &scenario, &cf);
        base_case_files(&cf);

        let run = tmp.path().join(&stem);
        ipabs(
            &["run", "--paths", "400", "--quiet", "--no-charts"],
            &scenario,
            &run,
        );
        base_case_files(&run);
        json_round_trip::<McSummaryFile<'static>>(&run, "mc-summary.json", false);
        json_round_trip::<PathsDescriptor>(&run, "paths.json", false);
        json_round_trip::<BreakevenDocument<'static>>(&run, "breakeven.json", true);
        json_round_trip::<RatingDocument<'static>>(&run, "rating.json", true);
        csv_round_trip::<McTrancheRow>(&run, "mc_tranches.csv");
        csv_round_trip::<DistributionRow>(&run, "mc_distributions.csv");
        csv_round_trip::<CountRow>(&run, "mc_defaulted_obligors.csv");
        csv_round_trip::<TrancheDateStats>(&run, "mc_tranche_by_date.csv");
        csv_round_trip::<FanRow>(&run, "mc_pool_balance_fan.csv");
        csv_round_trip::<FanRow>(&run, "mc_senior_balance_fan.csv");
        csv_round_trip::<BdrRow>(&run, "breakeven.csv");

        // The folder as `chart` reads it: every part present.
        let files = RunFiles::load(&run).unwrap();
        assert!(files.mc.is_some() && files.breakeven.is_some() && files.rating.is_some());
        assert_eq!(files.break_even_rates().len(), files.summary.tranches.len());
        // A cashflow folder has no Monte Carlo part.
        let files = RunFiles::load(&cf).unwrap();
        assert!(files.mc.is_none() && files.breakeven.is_none());
    }
}
