//! End-to-end checks of the loan tape formats: the shipped `ip-lease-733m` tape written as an
//! `.xlsx` workbook (number and date cells, a named sheet), as a GBK CSV with Excel's display
//! formats (CRLF, `"120,000,000.00"`, `6.5%`) and as a UTF-8 CSV with a byte-order mark must give
//! the same cash flows, byte for byte, as the shipped CSV; and a bad cell of each form is an
//! error that says where it is.

use assert_cmd::cargo::cargo_bin_cmd;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const SCENARIO: &str = "ip-lease-733m.toml";
const TAPE_KEY: &str = "loan_tape = \"data/ip-lease-733m-tape.csv\"";

/// The CSVs `ipabs cashflow` writes (src/report/cashflow.rs).
const OUTPUTS: [&str; 5] = [
    "pool_cashflows.csv",
    "tranche_cashflows.csv",
    "fees.csv",
    "accounts.csv",
    "ledger.csv",
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped_toml() -> String {
    fs::read_to_string(repo().join("scenarios").join(SCENARIO)).unwrap()
}

/// The shipped tape as rows of cells, header first.
fn shipped_tape() -> Vec<Vec<String>> {
    fs::read_to_string(repo().join("scenarios/data/ip-lease-733m-tape.csv"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn column(tape: &[Vec<String>], name: &str) -> usize {
    tape[0].iter().position(|h| h == name).unwrap()
}

/// A scenario in `dir` naming `tape` (relative to it), with `extra` lines added to `[pool]`.
fn scenario(dir: &Path, tape: &str, extra: &str) -> PathBuf {
    let text = shipped_toml();
    assert_eq!(text.matches(TAPE_KEY).count(), 1);
    let text = text.replacen(TAPE_KEY, &format!("loan_tape = \"{tape}\"\n{extra}"), 1);
    let path = dir.join(SCENARIO);
    fs::write(&path, text).unwrap();
    path
}

/// Runs `ipabs cashflow` and returns the output CSVs.
fn cashflows(scenario: &Path, out: &Path) -> Vec<(String, Vec<u8>)> {
    cargo_bin_cmd!("ipabs")
        .arg("cashflow")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    OUTPUTS
        .iter()
        .map(|name| (name.to_string(), fs::read(out.join(name)).unwrap()))
        .collect()
}

/// The shipped scenario's cash flows (computed once per test; the run is quick).
fn reference(dir: &Path) -> Vec<(String, Vec<u8>)> {
    cashflows(
        &repo().join("scenarios").join(SCENARIO),
        &dir.join("reference"),
    )
}

fn assert_same(got: &[(String, Vec<u8>)], want: &[(String, Vec<u8>)]) {
    for ((name, g), (_, w)) in got.iter().zip(want) {
        assert!(g == w, "{name} differs from the shipped CSV scenario's");
    }
}

/// `ipabs validate` fails with exit code 2; its stderr.
fn rejected(scenario: &Path) -> String {
    let run = cargo_bin_cmd!("ipabs")
        .arg("validate")
        .arg(scenario)
        .assert()
        .code(2)
        .stdout("");
    String::from_utf8(run.get_output().stderr.clone()).unwrap()
}

fn has(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "expected `{p}` in:\n{text}");
    }
}

/// Writes the tape as a workbook: numbers as number cells, L01's first payment date as a date
/// cell (the date the scenario's closing implies, so the cash flows do not change), on a sheet
/// named `Pool` after a first sheet of notes. `edit` may change cells before saving.
fn write_xlsx(path: &Path, edit: impl Fn(&mut rust_xlsxwriter::Worksheet, &[Vec<String>])) {
    let tape = shipped_tape();
    let mut book = Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("Notes").unwrap();
    notes.write_string(0, 0, "Pool tape, sheet Pool").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("Pool").unwrap();
    let date_col = tape[0].len() as u16;
    for (r, row) in tape.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if v.is_empty() {
                continue;
            }
            match v.parse::<f64>() {
                Ok(x) if r > 0 => sheet.write_number(r, c, x).unwrap(),
                _ => sheet.write_string(r, c, v).unwrap(),
            };
        }
    }
    sheet
        .write_string(0, date_col, "first_payment_date")
        .unwrap();
    let date = ExcelDateTime::from_ymd(2019, 6, 8).unwrap();
    let format = Format::new().set_num_format("yyyy-mm-dd");
    sheet
        .write_datetime_with_format(1, date_col, &date, &format)
        .unwrap();
    edit(sheet, &tape);
    book.save(path).unwrap();
}

/// The tape as a GBK CSV as Excel exports it: CRLF, quoted grouped amounts, percent rates.
fn gbk_tape() -> Vec<u8> {
    let tape = shipped_tape();
    let amounts = [column(&tape, "appraised_value"), column(&tape, "balance")];
    let rates = [column(&tape, "rate"), column(&tape, "annual_pd")];
    let mut text = String::new();
    for (r, row) in tape.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| {
                if r == 0 {
                    v.clone()
                } else if amounts.contains(&c) {
                    format!("\"{}\"", group(v))
                } else if rates.contains(&c) {
                    as_percent(v)
                } else {
                    v.clone()
                }
            })
            .collect();
        text += &cells.join(",");
        text += "\r\n";
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "GBK bytes should not be UTF-8"
    );
    bytes.into_owned()
}

/// `120000000.00` → `120,000,000.00`.
fn group(amount: &str) -> String {
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let digits: Vec<char> = whole.chars().collect();
    let mut out = String::new();
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(*d);
    }
    if fraction.is_empty() {
        out
    } else {
        format!("{out}.{fraction}")
    }
}

/// `0.065` → `6.5%`, moving the point textually (so the value is the same exactly).
fn as_percent(rate: &str) -> String {
    let (whole, fraction) = rate.split_once('.').unwrap();
    assert_eq!(whole, "0");
    let fraction = format!("{fraction:0<2}");
    let (a, b) = fraction.split_at(2);
    let a = a.trim_start_matches('0');
    let a = if a.is_empty() { "0" } else { a };
    if b.is_empty() {
        format!("{a}%")
    } else {
        format!("{a}.{b}%")
    }
}

#[test]
fn an_xlsx_tape_gives_the_same_cash_flows() {
    let dir = TempDir::new().unwrap();
    let want = reference(dir.path());
    write_xlsx(&dir.path().join("tape.xlsx"), |_, _| {});
    let path = scenario(dir.path(), "tape.xlsx", "loan_tape_sheet = \"Pool\"");
    assert_same(&cashflows(&path, &dir.path().join("out")), &want);
}

#[test]
fn a_gbk_csv_with_excel_formats_gives_the_same_cash_flows() {
    let dir = TempDir::new().unwrap();
    let want = reference(dir.path());
    fs::write(dir.path().join("tape.csv"), gbk_tape()).unwrap();
    // Detected, and declared.
    let path = scenario(dir.path(), "tape.csv", "");
    assert_same(&cashflows(&path, &dir.path().join("detected")), &want);
    let path = scenario(dir.path(), "tape.csv", "encoding = \"GBK\"");
    assert_same(&cashflows(&path, &dir.path().join("declared")), &want);
}

#[test]
fn a_utf8_csv_with_a_bom_gives_the_same_cash_flows() {
    let dir = TempDir::new().unwrap();
    let want = reference(dir.path());
    let shipped = fs::read(repo().join("scenarios/data/ip-lease-733m-tape.csv")).unwrap();
    fs::write(
        dir.path().join("tape.csv"),
        [b"\xEF\xBB\xBF".as_slice(), &shipped].concat(),
    )
    .unwrap();
    let path = scenario(dir.path(), "tape.csv", "");
    assert_same(&cashflows(&path, &dir.path().join("out")), &want);
}

#[test]
fn a_bad_xlsx_cell_names_sheet_row_and_column() {
    let dir = TempDir::new().unwrap();
    let tape = dir.path().join("tape.xlsx");
    write_xlsx(&tape, |sheet, rows| {
        let balance = column(rows, "balance") as u16;
        let rate = column(rows, "rate") as u16;
        // Excel row 7 (L06): a balance off the fen; row 4 (L03): a rate as text.
        sheet.write_number(6, balance, 1234.5600000001).unwrap();
        sheet.write_string(3, rate, "6.5 pct").unwrap();
        // Excel row 9 (L08): a formula whose cached result is #N/A.
        let pd = column(rows, "annual_pd") as u16;
        sheet
            .write_formula(8, pd, Formula::new("=NA()").set_result("#N/A"))
            .unwrap();
    });
    let path = scenario(dir.path(), "tape.xlsx", "loan_tape_sheet = \"Pool\"");
    let err = rejected(&path);
    let file = tape.display().to_string();
    has(
        &err,
        &[
            "error: balance: expected an amount exact to the fen, found the number 1234.5600000001",
            &format!("--> {file}, sheet Pool, row 7, column balance (cell H7)"),
            "error: rate: expected an annual rate in [0, 1), e.g. 0.065, found `6.5 pct`",
            &format!("--> {file}, sheet Pool, row 4, column rate (cell I4)"),
            "#N/A",
            &format!("--> {file}, sheet Pool, row 9, column annual_pd (cell M9)"),
        ],
    );
}

#[test]
fn an_unknown_sheet_is_located_at_the_key() {
    let dir = TempDir::new().unwrap();
    write_xlsx(&dir.path().join("tape.xlsx"), |_, _| {});
    let path = scenario(dir.path(), "tape.xlsx", "loan_tape_sheet = \"Loans\"");
    let err = rejected(&path);
    has(
        &err,
        &[
            "error: pool.loan_tape_sheet: ",
            "has no sheet `Loans`; its sheets are: Notes, Pool",
            &format!("--> {}:46:", path.display()),
        ],
    );
    // Without the key the first sheet is read: the notes, not a tape.
    let path = scenario(dir.path(), "tape.xlsx", "");
    let err = rejected(&path);
    has(&err, &["this is not a loan tape", "sheet Notes, row 1"]);
}

#[test]
fn an_undecodable_csv_names_the_encodings_and_the_byte() {
    let dir = TempDir::new().unwrap();
    let mut bytes = gbk_tape();
    // A byte no GBK character starts with, at the start of line 3.
    let at = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0
        + 1;
    bytes.insert(at, 0xFF);
    fs::write(dir.path().join("tape.csv"), &bytes).unwrap();
    let file = dir.path().join("tape.csv").display().to_string();
    let path = scenario(dir.path(), "tape.csv", "encoding = \"gbk\"");
    has(
        &rejected(&path),
        &[
            "error: encoding: not UTF-8 text: cannot decode the file as GB18030/GBK",
            &format!("(invalid byte at byte offset {at}, line 3) (declared by pool.encoding)"),
            &format!("--> {file}:3"),
        ],
    );
    let path = scenario(dir.path(), "tape.csv", "");
    has(
        &rejected(&path),
        &[
            "cannot decode the file as UTF-8 (invalid byte at byte offset",
            &format!("or as GB18030/GBK (invalid byte at byte offset {at}, line 3) (detected)"),
        ],
    );
    let path = scenario(dir.path(), "tape.csv", "encoding = \"latin-1\"");
    has(
        &rejected(&path),
        &["error: pool.encoding: expected one of utf-8, gbk, gb18030, found `latin-1`"],
    );
}

#[test]
fn bad_thousands_and_percentages_are_located() {
    let dir = TempDir::new().unwrap();
    let text = String::from_utf8(
        encoding_rs::GBK
            .decode_without_bom_handling(&gbk_tape())
            .0
            .as_bytes()
            .to_vec(),
    )
    .unwrap();
    let text = text
        .replacen("\"120,000,000.00\"", "\"1,20,000,000.00\"", 1)
        // Quoted, as a decimal comma must be in a CSV.
        .replacen("6.5%", "\"6,5%\"", 1);
    fs::write(dir.path().join("tape.csv"), text).unwrap();
    let file = dir.path().join("tape.csv").display().to_string();
    let path = scenario(dir.path(), "tape.csv", "");
    has(
        &rejected(&path),
        &[
            "error: balance: expected an amount with thousands separators between groups of 3 digits (like 1,234,567.00), found `1,20,000,000.00`",
            &format!("--> {file}:2:8 (row 1, column `balance`)"),
            "error: rate: expected an annual rate in [0, 1), e.g. 0.065, found `6,5%`",
            &format!("--> {file}:2:9 (row 1, column `rate`)"),
        ],
    );
}

/// An extra schedules row: asset id, (year, month, day), principal, interest.
type ExtraRow<'a> = (&'a str, (u16, u8, u8), f64, f64);

/// The royalty deal's schedules file as a workbook (dates as date cells, amounts as number
/// cells), with `extra` rows appended.
fn royalty_with_xlsx_schedules(dir: &Path, extra: &[ExtraRow<'_>]) -> PathBuf {
    let repo = repo();
    let text =
        fs::read_to_string(repo.join("scenarios/data/patent-royalty-300m-schedules.csv")).unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Schedules").unwrap();
    let format = Format::new().set_num_format("yyyy-mm-dd");
    let mut last = 0;
    for (r, line) in text.lines().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let r = r as u32;
        last = r;
        if r == 0 {
            for (c, h) in cells.iter().enumerate() {
                sheet.write_string(0, c as u16, *h).unwrap();
            }
            continue;
        }
        let ymd: Vec<u16> = cells[1].split('-').map(|p| p.parse().unwrap()).collect();
        let date = ExcelDateTime::from_ymd(ymd[0], ymd[1] as u8, ymd[2] as u8).unwrap();
        sheet.write_string(r, 0, cells[0]).unwrap();
        sheet
            .write_datetime_with_format(r, 1, &date, &format)
            .unwrap();
        sheet
            .write_number(r, 2, cells[2].parse::<f64>().unwrap())
            .unwrap();
        sheet
            .write_number(r, 3, cells[3].parse::<f64>().unwrap())
            .unwrap();
    }
    for (k, (id, (y, m, d), principal, interest)) in extra.iter().enumerate() {
        let r = last + 1 + k as u32;
        let date = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
        sheet.write_string(r, 0, *id).unwrap();
        sheet
            .write_datetime_with_format(r, 1, &date, &format)
            .unwrap();
        sheet.write_number(r, 2, *principal).unwrap();
        sheet.write_number(r, 3, *interest).unwrap();
    }
    fs::create_dir_all(dir.join("data")).unwrap();
    book.save(dir.join("data/schedules.xlsx")).unwrap();
    let toml = fs::read_to_string(repo.join("scenarios/patent-royalty-300m.toml"))
        .unwrap()
        .replace(
            "data/patent-royalty-300m-tape.csv",
            &repo
                .join("scenarios/data/patent-royalty-300m-tape.csv")
                .display()
                .to_string(),
        )
        .replace(
            "data/patent-royalty-300m-schedules.csv",
            "data/schedules.xlsx",
        );
    let path = dir.join("royalty.toml");
    fs::write(&path, toml).unwrap();
    path
}

#[test]
fn xlsx_schedules_give_the_same_cash_flows_and_locate_stray_rows() {
    let tmp = TempDir::new().unwrap();
    let scenario = royalty_with_xlsx_schedules(tmp.path(), &[]);
    let got = cashflows(&scenario, &tmp.path().join("xlsx"));
    let want = cashflows(
        &repo().join("scenarios/patent-royalty-300m.toml"),
        &tmp.path().join("csv"),
    );
    assert_same(&got, &want);

    // Rows for an id that is not a schedule asset: located at its first row's asset_id cell.
    let stray = tmp.path().join("stray");
    let scenario = royalty_with_xlsx_schedules(&stray, &[("R99", (2020, 3, 20), 1000.0, 10.0)]);
    let rows = fs::read_to_string(repo().join("scenarios/data/patent-royalty-300m-schedules.csv"))
        .unwrap()
        .lines()
        .count();
    let err = rejected(&scenario);
    has(
        &err,
        &[
            "schedule rows for `R99`",
            "schedules.xlsx, sheet Schedules",
            &format!("row {}", rows + 1),
            "column asset_id",
        ],
    );
}
