//! End to end: names from the scenario and the loan tape that would start a spreadsheet formula
//! (`=HYPERLINK(...)`, `@SUM(A1)`, ...) are written to every CSV as quoted text with a `'` in
//! front (OWASP), while every number — negative ones included — is written exactly as for the
//! same deal with harmless names; results.xlsx keeps such names as string cells, not formulas.

use assert_cmd::cargo::cargo_bin_cmd;
use calamine::{Data, Reader, Xlsx, open_workbook};
use ipabs::report::csv_safe;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A shipped scenario and the names to replace in it.
struct Deal {
    scenario: &'static str,
    /// Data files next to it: (path, names to replace there).
    data: &'static [(&'static str, &'static [(&'static str, &'static str)])],
    /// (name in the shipped scenario, hostile name): tranches, fees, accounts and support.
    renames: &'static [(&'static str, &'static str)],
}

/// The reference deal: four tranches, four fees, a support provider; loan and obligor names.
const LEASE: Deal = Deal {
    scenario: "ip-lease-733m.toml",
    data: &[(
        "data/ip-lease-733m-tape.csv",
        &[("L01", "@L01"), ("演艺公司甲", "=cmd|' /C calc'!A0")],
    )],
    renames: &[
        ("Sub", "=HYPERLINK(\"http://x\",\"y\")"),
        ("A3", "=1+1"),
        ("manager", "@SUM(A1)"),
        ("vat", "-vat"),
        ("parent", "+parent"),
    ],
};

/// The royalty deal: a reserve account whose draws are negative movements.
const ROYALTY: Deal = Deal {
    scenario: "patent-royalty-300m.toml",
    data: &[
        (
            "data/patent-royalty-300m-tape.csv",
            &[("广州专利许可甲", "=2+5")],
        ),
        ("data/patent-royalty-300m-schedules.csv", &[]),
    ],
    renames: &[
        ("Sub", "=HYPERLINK(\"http://x\",\"y\")"),
        ("A", "=1+1"),
        ("manager", "@SUM(A1)"),
        ("reserve", "-reserve"),
        ("licensor", "+licensor"),
    ],
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped scenario and its data in `dir`, with the names replaced when `hostile`.
fn write_scenario(deal: &Deal, dir: &Path, hostile: bool) -> PathBuf {
    let mut toml = fs::read_to_string(repo().join("scenarios").join(deal.scenario)).unwrap();
    if hostile {
        for (from, to) in deal.renames {
            let quoted = format!("\"{from}\"");
            assert!(toml.contains(&quoted), "{from} in the scenario");
            // A TOML literal string: no escapes needed for the quotes in the name.
            toml = toml.replace(&quoted, &format!("'{to}'"));
        }
    }
    fs::create_dir_all(dir.join("data")).unwrap();
    fs::write(dir.join(deal.scenario), toml).unwrap();
    for (file, renames) in deal.data {
        let mut text = fs::read_to_string(repo().join("scenarios").join(file)).unwrap();
        if hostile {
            for (from, to) in *renames {
                assert_eq!(text.matches(from).count(), 1, "{from} once in {file}");
                text = text.replace(from, &format!("\"{}\"", to.replace('"', "\"\"")));
            }
        }
        fs::write(dir.join(file), text).unwrap();
    }
    dir.join(deal.scenario)
}

fn run(args: &[&str], scenario: &Path, out: &Path) {
    let assert = cargo_bin_cmd!("ipabs")
        .arg(args[0])
        .arg(scenario)
        .args(&args[1..])
        .args(["--quiet", "--out"])
        .arg(out)
        .assert();
    let o = assert.get_output();
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every CSV file of a folder, by name, as its raw text.
fn csvs(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

fn records(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// A cell of the harmless run with the names replaced (whole cell, `NAME_loss_rate`,
/// `support_drawn:NAME`).
fn renamed(deal: &Deal, cell: &str) -> String {
    let data = deal.data.iter().flat_map(|(_, r)| r.iter());
    for (from, to) in deal.renames.iter().chain(data) {
        if cell == *from {
            return to.to_string();
        }
        if cell == format!("{from}_loss_rate") {
            return format!("{to}_loss_rate");
        }
        if let Some(head) = cell.strip_suffix(&format!(":{from}")) {
            return format!("{head}:{to}");
        }
    }
    cell.to_string()
}

/// The CSVs of `hostile` are those of `plain` with the names replaced and neutralised: every
/// other cell (every number) byte for byte the same, and no written cell starts a formula.
fn compare(deal: &Deal, plain: &Path, hostile: &Path) -> (usize, usize) {
    let (plain, hostile) = (csvs(plain), csvs(hostile));
    assert_eq!(
        plain.keys().collect::<Vec<_>>(),
        hostile.keys().collect::<Vec<_>>()
    );
    let (mut neutralised, mut negatives) = (0, 0);
    for (name, text) in &plain {
        let (a, b) = (records(text), records(&hostile[name]));
        assert_eq!(a.len(), b.len(), "{name}: rows");
        for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
            assert_eq!(ra.len(), rb.len(), "{name} line {}: cells", i + 1);
            for (ca, cb) in ra.iter().zip(rb) {
                let expected = renamed(deal, ca);
                if expected == *ca {
                    assert_eq!(cb, ca, "{name} line {}: unchanged cell", i + 1);
                    if ca.starts_with('-') && csv_safe::is_number(ca.as_bytes()) {
                        negatives += 1;
                    }
                } else {
                    let written = csv_safe::neutralise(&expected);
                    assert_eq!(*cb, written, "{name} line {}: renamed cell", i + 1);
                    assert_eq!(csv_safe::restore(cb), expected);
                    if written != expected {
                        neutralised += 1;
                    }
                }
                let starts_formula = cb.bytes().next().is_some_and(|c| b"=+-@\t\r".contains(&c));
                assert!(
                    !starts_formula || csv_safe::is_number(cb.as_bytes()),
                    "{name} line {}: {cb:?} would be evaluated",
                    i + 1
                );
            }
        }
    }
    (neutralised, negatives)
}

#[test]
fn cashflow_csvs_neutralise_names_and_keep_numbers() {
    let deal = ROYALTY;
    let dir = TempDir::new().unwrap();
    let plain = write_scenario(&deal, &dir.path().join("plain"), false);
    let hostile = write_scenario(&deal, &dir.path().join("hostile"), true);
    let (out_plain, out_hostile) = (dir.path().join("out-plain"), dir.path().join("out-hostile"));
    // Defaults that draw the reserve: negative movements in accounts.csv.
    let args = ["cashflow", "--cdr", "0.3"];
    run(&args, &plain, &out_plain);
    run(&args, &hostile, &out_hostile);
    let (neutralised, negatives) = compare(&deal, &out_plain, &out_hostile);
    assert!(neutralised > 100, "{neutralised} neutralised cells");
    assert!(negatives > 0, "no negative numbers to check");
    let files = csvs(&out_hostile);
    // The raw text: quoted, a single quote in front, the name's quotes doubled.
    assert!(
        files["tranche_cashflows.csv"].contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",")
    );
    assert!(files["tranche_cashflows.csv"].contains(",\"'=1+1\","));
    assert!(files["fees.csv"].contains(",\"'@SUM(A1)\","));
    assert!(files["accounts.csv"].contains(",\"'-reserve\","));
    // Negative amounts stay plain numbers (no quote, no leading apostrophe).
    assert!(
        files["accounts.csv"]
            .split([',', '\n'])
            .any(|cell| cell.starts_with('-') && cell.parse::<f64>().is_ok())
    );
    assert!(!files.values().any(|t| t.contains(",=") || t.contains(",@")));
}

#[test]
fn breakeven_csv_neutralises_names() {
    let deal = LEASE;
    let dir = TempDir::new().unwrap();
    let plain = write_scenario(&deal, &dir.path().join("plain"), false);
    let hostile = write_scenario(&deal, &dir.path().join("hostile"), true);
    let (out_plain, out_hostile) = (dir.path().join("out-plain"), dir.path().join("out-hostile"));
    let args = |name| ["breakeven", "--tranche", name, "--periods", "4"];
    run(&args("A3"), &plain, &out_plain);
    run(&args("=1+1"), &hostile, &out_hostile);
    let (neutralised, _) = compare(&deal, &out_plain, &out_hostile);
    assert!(neutralised > 0, "{neutralised} neutralised cells");
    let text = &csvs(&out_hostile)["breakeven.csv"];
    assert!(text.contains("\n\"'=1+1\","), "{text}");
}

#[test]
fn sweep_csv_neutralises_names() {
    let deal = LEASE;
    let dir = TempDir::new().unwrap();
    let plain = write_scenario(&deal, &dir.path().join("plain"), false);
    let hostile = write_scenario(&deal, &dir.path().join("hostile"), true);
    let (out_plain, out_hostile) = (dir.path().join("out-plain"), dir.path().join("out-hostile"));
    let args = [
        "sweep",
        "--deterministic",
        "--vary",
        "assumptions.cdr=0,0.5",
    ];
    run(&args, &plain, &out_plain);
    run(&args, &hostile, &out_hostile);
    let (neutralised, _) = compare(&deal, &out_plain, &out_hostile);
    assert_eq!(neutralised, 2 * 2, "Sub and A3 at each of two points");
}

#[test]
fn run_csvs_and_xlsx_keep_names_as_text() {
    let deal = LEASE;
    let dir = TempDir::new().unwrap();
    let plain = write_scenario(&deal, &dir.path().join("plain"), false);
    let hostile = write_scenario(&deal, &dir.path().join("hostile"), true);
    let (out_plain, out_hostile) = (dir.path().join("out-plain"), dir.path().join("out-hostile"));
    let args = ["run", "--paths", "300", "--xlsx"];
    run(&args, &plain, &out_plain);
    run(&args, &hostile, &out_hostile);
    compare(&deal, &out_plain, &out_hostile);

    let mut book: Xlsx<_> = open_workbook(out_hostile.join("results.xlsx")).unwrap();
    let mut strings = 0;
    for sheet in book.sheet_names() {
        let formulas = book.worksheet_formula(&sheet).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{sheet}: formulas in the workbook"
        );
        let range = book.worksheet_range(&sheet).unwrap();
        for (_, _, cell) in range.used_cells() {
            if let Data::String(s) = cell {
                assert!(!s.starts_with('\''), "{sheet}: {s:?} keeps the CSV escape");
                if s == "=1+1" || s.starts_with("=HYPERLINK(") {
                    strings += 1;
                }
            }
        }
    }
    assert!(strings > 10, "{strings} hostile names found as strings");
    // The metrics sheet matched the Monte Carlo rows by the (restored) name.
    let metrics = book.worksheet_range("证券指标 Tranche metrics").unwrap();
    let header: Vec<String> = metrics
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mc = header.iter().position(|h| h.starts_with("mc_")).unwrap();
    let row = metrics
        .rows()
        .find(|r| r[0] == Data::String("=1+1".into()))
        .expect("a metrics row for =1+1");
    assert!(matches!(row[mc], Data::Float(_)), "{:?}", row[mc]);
}
