//! End to end: `ipabs run` writes the tranche statistics analysts read — P(default) beside
//! P(loss) and P(missed interest), yields with their convention, and the per-date cumulative
//! loss and balance statistics in mc-summary.json and mc_tranche_by_date.csv (one type for both).

use assert_cmd::cargo::cargo_bin_cmd;
use ipabs::montecarlo::summary::TrancheDateStats;
use ipabs::report::charts::inputs::{McTranche, read_csv};
use std::path::Path;

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn run_writes_tranche_statistics() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ip-lease-733m.toml");
    let assert = cargo_bin_cmd!("ipabs")
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "5000", "--seed", "4", "--no-charts", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();

    // Console: P(def) beside P(miss); the subordinate's P(miss) is "–"; yields say how.
    assert!(stdout.contains("P(miss)    P(def)"), "{stdout}");
    let sub_line = stdout
        .lines()
        .filter(|l| l.starts_with("Sub "))
        .nth(1)
        .expect("the Monte Carlo row of Sub");
    assert!(sub_line.contains(" – "), "{sub_line}");
    assert!(
        stdout.contains("nominal p.a., compounded quarterly"),
        "{stdout}"
    );
    // The base case: a 4.30 % quarterly par bond yields 4.300 %, not 4.370 %.
    let a1 = stdout.lines().find(|l| l.starts_with("A1 ")).unwrap();
    assert!(a1.contains(" 4.300% "), "{a1}");

    // mc-summary.json: P(missed interest) null without a coupon, P(default) ≥ both.
    let summary = json(&out.join("mc-summary.json"));
    assert_eq!(summary["yield_convention"]["periods_per_year"], 4);
    assert_eq!(
        summary["yield_convention"]["label"],
        "nominal p.a., compounded quarterly"
    );
    for t in summary["tranches"].as_array().unwrap() {
        let name = t["tranche"].as_str().unwrap();
        let p_loss = t["probability_of_loss"].as_f64().unwrap();
        let p_default = t["probability_of_default"].as_f64().unwrap();
        let p_miss = &t["probability_of_missed_interest"];
        if name == "Sub" {
            assert!(p_miss.is_null());
            assert_eq!(p_default, p_loss);
        } else {
            assert!(p_default >= p_loss.max(p_miss.as_f64().unwrap()));
        }
    }
    let det = json(&out.join("summary.json"));
    assert_eq!(det["yield_convention"], summary["yield_convention"]);
    let a1_yield = det["tranches"][0]["yield_at_par"].as_f64().unwrap();
    assert!((a1_yield - 0.043).abs() < 1e-5, "{a1_yield}");

    // mc_tranches.csv through the reader the report uses.
    let rows: Vec<McTranche> = read_csv(&out.join("mc_tranches.csv")).unwrap();
    let sub = rows.iter().find(|r| r.tranche == "Sub").unwrap();
    assert_eq!(sub.probability_of_missed_interest, None);
    assert_eq!(sub.probability_of_default, sub.probability_of_loss);
    assert!(
        rows.iter()
            .all(|r| r.yield_convention == "nominal p.a., compounded quarterly")
    );

    // The per-date table: the CSV is the JSON's list, row for row (serde_json's default float
    // parser may be one unit in the last place off).
    let csv: Vec<TrancheDateStats> = read_csv(&out.join("mc_tranche_by_date.csv")).unwrap();
    let from_json: Vec<TrancheDateStats> =
        serde_json::from_value(summary["tranche_by_date"].clone()).unwrap();
    assert_eq!(csv.len(), from_json.len());
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-15 * a.abs().max(b.abs());
    for (c, j) in csv.iter().zip(&from_json) {
        assert_eq!(
            (&c.tranche, c.date, c.period),
            (&j.tranche, j.date, j.period)
        );
        assert!(
            close(c.mean_cumulative_loss, j.mean_cumulative_loss),
            "{c:?} {j:?}"
        );
        assert!(
            close(c.se_cumulative_loss, j.se_cumulative_loss),
            "{c:?} {j:?}"
        );
        assert!(close(c.mean_balance, j.mean_balance), "{c:?} {j:?}");
        assert!(close(c.se_balance, j.se_balance), "{c:?} {j:?}");
    }
    let tranches = det["tranches"].as_array().unwrap().len();
    assert_eq!(tranches, 4);
    let header = std::fs::read_to_string(out.join("mc_tranche_by_date.csv")).unwrap();
    assert_eq!(
        header.lines().next().unwrap(),
        "tranche,date,period,mean_cumulative_loss,se_cumulative_loss,mean_balance,se_balance"
    );
    let periods = csv.iter().map(|r| r.period).max().unwrap();
    assert_eq!(csv.len(), tranches * periods);
    // At the last date the mean cumulative loss is EL × balance.
    for t in summary["tranches"].as_array().unwrap() {
        let name = t["tranche"].as_str().unwrap();
        let last = csv
            .iter()
            .find(|r| r.tranche == name && r.period == periods)
            .unwrap();
        let el = t["expected_loss"].as_f64().unwrap() * t["original_balance"].as_f64().unwrap();
        assert!(
            (last.mean_cumulative_loss - el).abs() <= 1e-9 * el + 0.01,
            "{name}"
        );
    }
}
