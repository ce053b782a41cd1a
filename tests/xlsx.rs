//! `results.xlsx` holds every table the run writes, from the same typed rows: one sheet each,
//! rates at four decimals, amounts to the fen, columns fitted, a first sheet of notes.

use assert_cmd::cargo::cargo_bin_cmd;
use calamine::{Data, Reader, Xlsx, open_workbook};
use std::io::Read;
use std::path::Path;

use ipabs::report::xlsx::{self, PERCENT_FORMAT, SHEETS};

fn run(args: &[&str], out: &Path) {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ip-lease-733m.toml");
    cargo_bin_cmd!("ipabs")
        .arg(args[0])
        .arg(&scenario)
        .args(&args[1..])
        .args(["--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
}

fn zip_text(path: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn rows(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, sheet: &str) -> Vec<Vec<Data>> {
    book.worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("{sheet}: {e}"))
        .rows()
        .map(|r| r.to_vec())
        .collect()
}

#[test]
fn every_table_of_a_run_has_its_sheet() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run(&["run", "--paths", "2000", "--no-charts", "--xlsx"], &out);
    let path = out.join("results.xlsx");
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    // Every sheet, in order, the notes first.
    assert_eq!(book.sheet_names(), SHEETS.map(String::from).to_vec());

    // Each file's table has the file's rows (header + one per CSV line).
    let lines = |f: &str| {
        std::fs::read_to_string(out.join(f))
            .unwrap()
            .lines()
            .count()
    };
    for (sheet, file) in [
        (xlsx::POOL, "pool_cashflows.csv"),
        (xlsx::TRANCHES, "tranche_cashflows.csv"),
        (xlsx::FEES, "fees.csv"),
        (xlsx::ACCOUNTS, "accounts.csv"),
        (xlsx::LEDGER, "ledger.csv"),
        (xlsx::DISTRIBUTIONS, "mc_distributions.csv"),
        (xlsx::DEFAULTED_OBLIGORS, "mc_defaulted_obligors.csv"),
        (xlsx::BREAK_EVEN_BY_STRESS, "breakeven.csv"),
    ] {
        let r = rows(&mut book, sheet);
        assert_eq!(r.len(), lines(file), "{sheet} vs {file}");
        let header: Vec<String> = r[0].iter().map(|c| c.to_string()).collect();
        let csv_header = std::fs::read_to_string(out.join(file)).unwrap();
        assert_eq!(
            header.join(","),
            csv_header.lines().next().unwrap(),
            "{sheet}"
        );
    }
    // The ledger's amounts are numbers equal to the CSV's, to the fen.
    let ledger = rows(&mut book, xlsx::LEDGER);
    let amount = ledger[0].iter().position(|h| *h == "amount").unwrap();
    let csv_total: f64 = std::fs::read_to_string(out.join("ledger.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .sum();
    let xl_total: f64 = ledger[1..]
        .iter()
        .map(|r| match r[amount] {
            Data::Float(f) => f,
            ref other => panic!("ledger amount {other:?}"),
        })
        .sum();
    assert!(
        (xl_total - csv_total).abs() < 1e-4,
        "{xl_total} vs {csv_total}"
    );

    // Break-even and rating: a row per tranche and per awarded grade.
    let be = rows(&mut book, xlsx::BREAK_EVEN);
    assert_eq!(be.len(), 1 + 4, "header + A1, A2, A3, Sub");
    let rating = rows(&mut book, xlsx::RATING);
    assert!(rating.len() > 4 && rating[0][0] == "tranche");
    let strat = rows(&mut book, xlsx::STRATIFICATION);
    assert!(strat.iter().any(|r| r[0].to_string().starts_with("Sector")));

    // The notes name the units and define the measures.
    let notes: String = rows(&mut book, xlsx::NOTES)
        .iter()
        .flatten()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    for word in ["yuan", "fen", "0.0000%", "BDR", "expected loss", "ACT/365F"] {
        assert!(notes.contains(word), "notes lack {word}");
    }

    // Rates at four decimals; no two-decimal percent format left; columns sized.
    let styles = zip_text(&path, "xl/styles.xml");
    assert!(
        styles.contains(&format!("formatCode=\"{PERCENT_FORMAT}\"")),
        "{styles}"
    );
    assert!(!styles.contains("formatCode=\"0.00%\""));
    let metrics_sheet = zip_text(&path, "xl/worksheets/sheet7.xml");
    assert!(metrics_sheet.contains("<cols>") && metrics_sheet.contains("customWidth"));
    // The senior expected loss is a number in the metrics sheet (shown 0.0000%).
    let metrics = rows(&mut book, xlsx::METRICS);
    let el = metrics[0]
        .iter()
        .position(|h| *h == "mc_expected_loss")
        .unwrap();
    assert!(
        matches!(metrics[1][el], Data::Float(_)),
        "{:?}",
        metrics[1][el]
    );
}

#[test]
fn a_cashflow_folder_gets_the_deterministic_sheets() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cf");
    run(&["cashflow"], &out);
    cargo_bin_cmd!("ipabs")
        .arg("chart")
        .arg(&out)
        .arg("--xlsx")
        .assert()
        .success();
    let book: Xlsx<_> = open_workbook(out.join("results.xlsx")).unwrap();
    let names = book.sheet_names();
    for s in [
        xlsx::NOTES,
        xlsx::POOL,
        xlsx::LEDGER,
        xlsx::METRICS,
        xlsx::STRATIFICATION,
    ] {
        assert!(names.iter().any(|n| n == s), "{s} in {names:?}");
    }
    assert!(!names.iter().any(|n| n == xlsx::MONTE_CARLO), "{names:?}");
}
