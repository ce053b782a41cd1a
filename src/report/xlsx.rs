//! `results.xlsx`: the run's tables in one workbook, from the saved files of an output folder.
//!
//! Sheets: 资产池现金流 (pool cash flows), 证券现金流 (tranche cash flows), 蒙特卡洛汇总
//! (Monte Carlo distributions), 证券指标 (tranche metrics: base case and Monte Carlo) and
//! 运行信息 (run metadata). Amounts use `#,##0.00`, rates `0.00%`; header rows are frozen.

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};
use std::path::Path;

use super::charts::RunFiles;
use super::charts::inputs::InputError;
use crate::money::Amount;

/// Sheet names, in workbook order.
pub const SHEETS: [&str; 5] = [
    "资产池现金流",
    "证券现金流",
    "蒙特卡洛汇总",
    "证券指标",
    "运行信息",
];

/// Why the workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum XlsxWriteError {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("writing {path}: {source}")]
    Xlsx { path: String, source: XlsxError },
}

/// What a cell holds, which decides its format.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Amount(f64),
    Rate(f64),
    Number(f64),
    Integer(f64),
    Date(u16, u8, u8),
    Empty,
}

/// How numbers in a column are shown, from the column's name.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Amount,
    Rate,
    Number,
    Integer,
    Date,
}

fn kind_of(column: &str, all_rates: bool) -> Kind {
    let c = column.to_ascii_lowercase();
    if c == "period" || c == "defaulted_obligors" || c == "paths" || c == "seed" {
        Kind::Integer
    } else if c == "date" || c.ends_with("_date") {
        Kind::Date
    } else if c.contains("wal") || c.contains("years") || c.contains("duration") {
        Kind::Number
    } else if all_rates
        || [
            "rate",
            "share",
            "probability",
            "yield",
            "coupon",
            "expected_loss",
            "loss_p",
            "loss_given_loss",
        ]
        .iter()
        .any(|k| c.contains(k))
    {
        Kind::Rate
    } else {
        Kind::Amount
    }
}

fn parse_date(s: &str) -> Option<(u16, u8, u8)> {
    let mut it = s.trim().splitn(3, '-');
    let y = it.next()?.parse().ok()?;
    let m = it.next()?.parse().ok()?;
    let d = it.next()?.parse().ok()?;
    Some((y, m, d))
}

fn cell(text: &str, kind: Kind) -> Cell {
    let t = text.trim();
    if t.is_empty() {
        return Cell::Empty;
    }
    if kind == Kind::Date {
        return parse_date(t).map_or_else(|| Cell::Text(t.into()), |(y, m, d)| Cell::Date(y, m, d));
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => match kind {
            Kind::Amount => Cell::Amount(v),
            Kind::Rate => Cell::Rate(v),
            Kind::Number => Cell::Number(v),
            Kind::Integer => Cell::Integer(v),
            Kind::Date => unreachable!(),
        },
        _ => Cell::Text(t.into()),
    }
}

/// A CSV file of the folder as a header and typed rows.
fn csv_table(path: &Path, all_rates: bool) -> Result<(Vec<String>, Vec<Vec<Cell>>), InputError> {
    let err = |m: String| InputError {
        path: path.to_path_buf(),
        message: m,
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| err(e.to_string()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| err(e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let kinds: Vec<Kind> = header.iter().map(|h| kind_of(h, all_rates)).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = super::csv_safe::restore_record(&record.map_err(|e| err(e.to_string()))?);
        rows.push(
            record
                .iter()
                .zip(&kinds)
                .map(|(v, k)| cell(v, *k))
                .collect(),
        );
    }
    Ok((header, rows))
}

struct Formats {
    header: Format,
    amount: Format,
    rate: Format,
    number: Format,
    integer: Format,
    date: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color("#F2F4F7")
                .set_align(FormatAlign::Center),
            amount: Format::new().set_num_format("#,##0.00"),
            rate: Format::new().set_num_format("0.00%"),
            number: Format::new().set_num_format("0.00"),
            integer: Format::new().set_num_format("0"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        }
    }
}

fn write_table(
    sheet: &mut Worksheet,
    f: &Formats,
    header: &[String],
    rows: &[Vec<Cell>],
) -> Result<(), XlsxError> {
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &f.header)?;
        let width = if h == "tranche" || h == "fee" || h == "account" {
            12.0
        } else {
            (h.chars().count() as f64 + 2.0).max(16.0)
        };
        sheet.set_column_width(c as u16, width)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            let c = c as u16;
            match v {
                Cell::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Cell::Amount(x) => {
                    sheet.write_number_with_format(r, c, *x, &f.amount)?;
                }
                Cell::Rate(x) => {
                    sheet.write_number_with_format(r, c, *x, &f.rate)?;
                }
                Cell::Number(x) => {
                    sheet.write_number_with_format(r, c, *x, &f.number)?;
                }
                Cell::Integer(x) => {
                    sheet.write_number_with_format(r, c, *x, &f.integer)?;
                }
                Cell::Date(y, m, d) => match ExcelDateTime::from_ymd(*y, *m, *d) {
                    Ok(dt) => {
                        sheet.write_datetime_with_format(r, c, &dt, &f.date)?;
                    }
                    Err(_) => {
                        sheet.write_string(r, c, format!("{y:04}-{m:02}-{d:02}"))?;
                    }
                },
                Cell::Empty => {}
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Tranche metrics: base case from summary.json next to Monte Carlo from mc_tranches.csv.
fn metrics_table(run: &RunFiles) -> Result<(Vec<String>, Vec<Vec<Cell>>), InputError> {
    let (mc_header, mc_rows) = csv_table(&run.dir.join("mc_tranches.csv"), false)?;
    let mut header: Vec<String> = [
        "tranche",
        "original_balance",
        "coupon",
        "base_total_interest",
        "base_total_principal",
        "base_principal_loss",
        "base_loss_rate",
        "base_wal_years",
        "base_yield",
        "base_modified_duration",
        "base_final_payment_date",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // The Monte Carlo columns, less the two already shown.
    let keep: Vec<usize> = (0..mc_header.len())
        .filter(|&i| mc_header[i] != "tranche" && mc_header[i] != "original_balance")
        .collect();
    header.extend(keep.iter().map(|&i| format!("mc_{}", mc_header[i])));
    let tranche_col = mc_header.iter().position(|h| h == "tranche");
    let rows = run
        .summary
        .tranches
        .iter()
        .map(|t| {
            let mut row = vec![
                Cell::Text(t.tranche.clone()),
                Cell::Amount(t.original_balance.to_f64()),
                Cell::Rate(t.coupon.to_f64()),
                Cell::Amount(t.total_interest.to_f64()),
                Cell::Amount(t.total_principal.to_f64()),
                Cell::Amount(t.principal_loss.to_f64()),
                Cell::Rate(t.loss_rate),
                Cell::Number(t.wal_years),
                t.yield_at_par.map_or(Cell::Empty, Cell::Rate),
                Cell::Number(t.modified_duration),
                t.final_payment_date
                    .map_or(Cell::Empty, |d| cell(&d.to_string(), Kind::Date)),
            ];
            let mc = tranche_col.and_then(|c| {
                mc_rows
                    .iter()
                    .find(|r| r.get(c) == Some(&Cell::Text(t.tranche.clone())))
            });
            row.extend(
                keep.iter()
                    .map(|&i| mc.and_then(|r| r.get(i).cloned()).unwrap_or(Cell::Empty)),
            );
            row
        })
        .collect();
    Ok((header, rows))
}

fn metadata_table(run: &RunFiles) -> Result<(Vec<String>, Vec<Vec<Cell>>), InputError> {
    let m = &run.summary.metadata;
    let mc = run
        .mc
        .as_ref()
        .map(|m| &m.summary.results)
        .ok_or_else(|| InputError::new(&run.dir.join("mc-summary.json"), "file not found"))?;
    let text = |k: &str, v: String| vec![Cell::Text(k.into()), Cell::Text(v)];
    Ok((
        vec!["item".into(), "value".into()],
        vec![
            text("deal", run.summary.deal.to_string()),
            text("scenario_file", m.scenario_file.clone()),
            text("scenario_sha256", m.scenario_sha256.clone()),
            vec![Cell::Text("seed".into()), Cell::Text(mc.seed.to_string())],
            vec![Cell::Text("paths".into()), Cell::Integer(mc.paths as f64)],
            text("generator", mc.generator.to_string()),
            text("version", format!("ipabs {}", m.version)),
            text("currency", run.summary.currency.to_string()),
            text("amounts", "yuan".into()),
            text("yields", run.summary.yield_convention.label.clone()),
        ],
    ))
}

/// Writes results.xlsx for the run in `run.dir` to `path`.
pub fn write(run: &RunFiles, path: &Path) -> Result<(), XlsxWriteError> {
    let tables = [
        csv_table(&run.dir.join("pool_cashflows.csv"), false)?,
        csv_table(&run.dir.join("tranche_cashflows.csv"), false)?,
        csv_table(&run.dir.join("mc_distributions.csv"), true)?,
        metrics_table(run)?,
        metadata_table(run)?,
    ];
    let xerr = |source| XlsxWriteError::Xlsx {
        path: path.display().to_string(),
        source,
    };
    let formats = Formats::new();
    let mut book = Workbook::new();
    for (name, (header, rows)) in SHEETS.iter().zip(&tables) {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).map_err(xerr)?;
        write_table(sheet, &formats, header, rows).map_err(xerr)?;
    }
    book.save(path).map_err(xerr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_kinds() {
        assert_eq!(kind_of("opening_balance", false), Kind::Amount);
        assert_eq!(kind_of("cumulative_default_rate", false), Kind::Rate);
        assert_eq!(kind_of("probability_of_loss", false), Kind::Rate);
        assert_eq!(kind_of("wal_mean_years", false), Kind::Number);
        assert_eq!(kind_of("period", false), Kind::Integer);
        assert_eq!(kind_of("date", false), Kind::Date);
        assert_eq!(kind_of("mean", true), Kind::Rate);
        assert_eq!(cell("A1", Kind::Amount), Cell::Text("A1".into()));
        assert_eq!(cell("", Kind::Rate), Cell::Empty);
        assert_eq!(cell("2019-06-08", Kind::Date), Cell::Date(2019, 6, 8));
    }
}
