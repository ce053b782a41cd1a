//! `ipabs size` sizes by the method `ipabs rate` rates with: a structure sized to a standalone
//! grade passes `rate` on an independent seed and fails one unit larger; a supported grade above
//! the promisor's is reported unreachable with the reason.

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::Path;
use tempfile::TempDir;

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ip-lease-733m.toml");

#[test]
fn a_sized_structure_passes_rate_on_a_fresh_seed_and_fails_one_unit_larger() {
    let dir = TempDir::new().unwrap();
    let sized = dir.path().join("size");
    cargo_bin_cmd!("ipabs")
        .args(["size", SCENARIO, "--target", "A3=A", "--standalone"])
        .args(["--paths", "20000", "--quiet", "--out"])
        .arg(&sized)
        .assert()
        .success();
    let result = json(&sized.join("size.json"));
    assert_eq!(result["outcome"], "found", "{result}");
    let required = result["required"].as_f64().unwrap();
    let senior: f64 = result["senior_size"].as_str().unwrap().parse().unwrap();
    assert_eq!(senior % 10_000.0, 0.0, "sizes in units of 10,000 yuan");

    // Re-rated on another seed, A3 still earns A or better standalone by the empirical TDR.
    let rated = dir.path().join("rate");
    cargo_bin_cmd!("ipabs")
        .arg("rate")
        .arg(sized.join("sized.toml"))
        .args(["--paths", "20000", "--seed", "777", "--quiet", "--out"])
        .arg(&rated)
        .assert()
        .success();
    let rating = json(&rated.join("rating.json"));
    let a3 = rating["result"]["tranches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tranche"] == "A3")
        .unwrap();
    let empirical = a3["standalone"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["method"] == "empirical")
        .unwrap();
    let grade = empirical["grade"].as_str().unwrap_or("below scale");
    assert!(["AAA", "AA+", "AA", "A"].contains(&grade), "{grade}");

    // One unit larger misses the BDR the sizing required.
    let path = Path::new(SCENARIO);
    let text = std::fs::read_to_string(path).unwrap();
    let loaded = ipabs::structuring::load_text(path, text.clone()).unwrap();
    let resizer = ipabs::structuring::sizing::Resizer::new(&loaded.deal).unwrap();
    let doc = loaded.document(path).unwrap();
    let larger = resizer
        .deal(
            &doc,
            &loaded.attachments,
            (senior * 100.0) as i64 + 1_000_000,
        )
        .unwrap();
    let bdr = ipabs::structuring::breakeven::min_bdr(&larger, &loaded.config.breakeven, 2, false);
    assert!(bdr < required, "one unit more: BDR {bdr} ≥ {required}");
}

#[test]
fn a_supported_grade_above_the_promisors_is_unreachable_with_the_reason() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("size");
    let assert = cargo_bin_cmd!("ipabs")
        .args([
            "size", SCENARIO, "--target", "A1=AAA", "--paths", "5000", "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("UNREACHABLE"), "{stdout}");
    assert!(stdout.contains("grades it AA+"), "{stdout}");
    let result = json(&out.join("size.json"));
    assert_eq!(result["outcome"], "unreachable");
}

#[test]
fn run_and_rate_grade_from_the_same_paths_alike() {
    // `run` rates from its own paths; `rate` simulates them again: the same seed and paths
    // give the same rating, the promisor-priced probability included.
    let dir = TempDir::new().unwrap();
    let (ran, rated) = (dir.path().join("run"), dir.path().join("rate"));
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/patent-pledge-200m.toml"
    );
    cargo_bin_cmd!("ipabs")
        .args([
            "run",
            scenario,
            "--paths",
            "5000",
            "--no-charts",
            "--quiet",
            "--out",
        ])
        .arg(&ran)
        .assert()
        .success();
    cargo_bin_cmd!("ipabs")
        .args(["rate", scenario, "--paths", "5000", "--quiet", "--out"])
        .arg(&rated)
        .assert()
        .success();
    let tranches = |dir: &Path| json(&dir.join("rating.json"))["result"]["tranches"].clone();
    let (a, b) = (tranches(&ran), tranches(&rated));
    assert_eq!(a, b);
    assert!(
        a[0]["supported_joint"]["failure_probability"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[test]
fn size_simulates_until_the_target_precision_or_the_cap() {
    let dir = TempDir::new().unwrap();
    let run = |precision: &str, max: &str, out: &str| {
        let out = dir.path().join(out);
        cargo_bin_cmd!("ipabs")
            .args(["size", SCENARIO, "--target", "A3=A", "--standalone"])
            .args([
                "--paths",
                "5000",
                "--precision",
                precision,
                "--max-paths",
                max,
            ])
            .args(["--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
        json(&out.join("size.json"))
    };
    // A 0.3-point half-width needs far more than 5,000 paths: the cap is reached exactly.
    let capped = run("0.003", "40000", "capped");
    assert_eq!(capped["paths"], 40_000, "{capped}");
    // A loose precision is met by the first run.
    let loose = run("0.2", "40000", "loose");
    assert_eq!(loose["paths"], 5_000, "{loose}");
    // The target is read at the sized A3's WAL.
    let horizons = capped["wal_horizons"].as_array().unwrap();
    assert!(!horizons.is_empty() && horizons.iter().all(|h| h.as_f64().unwrap() > 2.0));
}
