//! `results.xlsx`: every table a run writes, in one workbook, from the typed rows read back
//! from the output folder ([`RunFiles`]).
//!
//! The first sheet, 说明 Notes, names the units and defines the measures; the others hold the
//! pool, tranche, fee, account and ledger rows, the tranche metrics (base case beside Monte
//! Carlo), the Monte Carlo summary and distributions, the break-even rates, the implied grades
//! and the pool stratification, as the folder has them. Each table sheet has the columns of its
//! file ([`cells::fields`]). Amounts use `#,##0.00`, rates, shares and probabilities `0.0000%`
//! (so a senior expected loss of 0.0147 % shows as such); columns are fitted to their contents
//! and header rows frozen.

mod cells;

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};
use serde::Serialize;
use std::path::Path;

use super::charts::RunFiles;
use super::charts::inputs::InputError;
use crate::money::Amount;

/// Sheet names, in workbook order (those a folder has no data for are left out).
pub const SHEETS: [&str; 16] = [
    NOTES,
    POOL,
    TRANCHES,
    FEES,
    ACCOUNTS,
    LEDGER,
    METRICS,
    MONTE_CARLO,
    DISTRIBUTIONS,
    DEFAULTED_OBLIGORS,
    BREAK_EVEN,
    BREAK_EVEN_BY_STRESS,
    RATING,
    STRATIFICATION,
    OBLIGORS,
    RUN,
];
pub const NOTES: &str = "说明 Notes";
pub const POOL: &str = "资产池现金流 Pool";
pub const TRANCHES: &str = "证券现金流 Tranches";
pub const FEES: &str = "税费 Fees";
pub const ACCOUNTS: &str = "账户 Accounts";
pub const LEDGER: &str = "现金流水 Ledger";
pub const METRICS: &str = "证券指标 Tranche metrics";
pub const MONTE_CARLO: &str = "蒙特卡洛汇总 Monte Carlo";
pub const DISTRIBUTIONS: &str = "损失分布 Distributions";
pub const DEFAULTED_OBLIGORS: &str = "违约户数 Defaulted obligors";
pub const BREAK_EVEN: &str = "盈亏平衡 Break-even";
pub const BREAK_EVEN_BY_STRESS: &str = "压力情景 BDR by stress";
pub const RATING: &str = "评级 Rating";
pub const STRATIFICATION: &str = "资产池分层 Stratification";
pub const OBLIGORS: &str = "债务人 Obligors";
pub const RUN: &str = "运行信息 Run";

/// Number format of rates, shares and probabilities.
pub const PERCENT_FORMAT: &str = "0.0000%";
/// Number format of amounts in yuan.
pub const AMOUNT_FORMAT: &str = "#,##0.00";

/// Why the workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum XlsxWriteError {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("writing {path}: {source}")]
    Xlsx { path: String, source: XlsxError },
    #[error("laying out {sheet}: {source}")]
    Layout {
        sheet: &'static str,
        source: cells::NotARow,
    },
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
    Bool(bool),
    Empty,
}

/// How values in a column are shown, from the column's name.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Amount,
    Rate,
    Number,
    Integer,
    Date,
}

/// Columns holding names and labels, never numbers.
const TEXT_COLUMNS: [&str; 17] = [
    "tranche",
    "fee",
    "account",
    "party",
    "direction",
    "reason",
    "measure",
    "label",
    "obligor",
    "sector",
    "stress",
    "timing",
    "note",
    "table",
    "grade",
    "method",
    "basis",
];

fn kind_of(column: &str, all_rates: bool) -> Kind {
    let c = column.to_ascii_lowercase();
    let is = |keys: &[&str]| keys.iter().any(|k| c.contains(k));
    if TEXT_COLUMNS.contains(&c.as_str()) || c.starts_with("binding") || c.ends_with("_grade") {
        Kind::Text
    } else if [
        "period",
        "defaulted_obligors",
        "paths",
        "paths_needed",
        "seed",
        "assets",
        "large_obligors",
    ]
    .contains(&c.as_str())
    {
        Kind::Integer
    } else if c == "date" || c.ends_with("_date") {
        Kind::Date
    } else if is(&["wal", "years", "duration", "factor", "_bp"]) {
        Kind::Number
    } else if all_rates
        || is(&[
            "rate",
            "share",
            "probability",
            "yield",
            "coupon",
            "expected_loss",
            "expected_pv_loss",
            "loss_p",
            "loss_given_loss",
            "bdr",
            "target",
            "tdr",
            "margin",
            "_pd",
            "wac",
            "with_support",
            "without_support",
        ])
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

/// The cell for a field's value as the files hold it: amounts come as fen strings, dates as
/// `YYYY-MM-DD`, rates as numbers (or exact decimal strings for the coupon).
fn cell(value: &serde_json::Value, kind: Kind) -> Cell {
    use serde_json::Value;
    let number = |v: f64| match kind {
        _ if !v.is_finite() => Cell::Empty,
        Kind::Amount => Cell::Amount(v),
        Kind::Rate => Cell::Rate(v),
        Kind::Integer => Cell::Integer(v),
        Kind::Number | Kind::Date | Kind::Text => Cell::Number(v),
    };
    match value {
        Value::Null => Cell::Empty,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => n.as_f64().map_or(Cell::Empty, number),
        Value::String(s) => match kind {
            Kind::Text => Cell::Text(s.clone()),
            Kind::Date => {
                parse_date(s).map_or_else(|| Cell::Text(s.clone()), |(y, m, d)| Cell::Date(y, m, d))
            }
            Kind::Amount => crate::money::parse_fen(s)
                .map_or_else(|_| Cell::Text(s.clone()), |d| Cell::Amount(d.to_f64())),
            _ => s
                .parse::<f64>()
                .map_or_else(|_| Cell::Text(s.clone()), number),
        },
        other => Cell::Text(other.to_string()),
    }
}

/// A sheet's header and rows.
#[derive(Debug, Clone, Default)]
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

/// The rows of one file as a table with the file's columns.
fn table<T: Serialize>(
    sheet: &'static str,
    rows: &[T],
    all_rates: bool,
) -> Result<Table, XlsxWriteError> {
    let mut t = Table::default();
    for row in rows {
        let fields =
            cells::fields(row).map_err(|source| XlsxWriteError::Layout { sheet, source })?;
        if t.header.is_empty() {
            t.header = fields.iter().map(|(k, _)| k.to_string()).collect();
        }
        t.rows.push(
            fields
                .iter()
                .map(|(k, v)| cell(v, kind_of(k, all_rates)))
                .collect(),
        );
    }
    Ok(t)
}

/// Two-column `item, value` rows.
fn key_values(rows: Vec<(String, Cell)>) -> Table {
    Table {
        header: vec!["item".into(), "value".into()],
        rows: rows
            .into_iter()
            .map(|(k, v)| vec![Cell::Text(k), v])
            .collect(),
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

struct Formats {
    header: Format,
    amount: Format,
    rate: Format,
    number: Format,
    integer: Format,
    date: Format,
    wrapped: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color("#F2F4F7")
                .set_align(FormatAlign::Center),
            amount: Format::new().set_num_format(AMOUNT_FORMAT),
            rate: Format::new().set_num_format(PERCENT_FORMAT),
            number: Format::new().set_num_format("0.00##"),
            integer: Format::new().set_num_format("0"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            wrapped: Format::new().set_text_wrap(),
        }
    }
}

/// Display width of text: CJK and other wide characters take two columns.
fn text_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

/// Characters a cell shows in its format (close enough to size the column).
fn shown_width(c: &Cell) -> usize {
    match c {
        Cell::Text(s) => text_width(s),
        Cell::Amount(x) => {
            let digits = format!("{:.2}", x.abs()).len();
            digits + (digits.saturating_sub(4)) / 3 + usize::from(*x < 0.0)
        }
        Cell::Rate(x) => format!("{:.4}%", x * 100.0).len(),
        Cell::Number(x) => format!("{x:.4}").len(),
        Cell::Integer(x) => format!("{x:.0}").len(),
        Cell::Date(..) => 10,
        Cell::Bool(b) => b.to_string().len(),
        Cell::Empty => 0,
    }
}

/// Widest column allowed, in characters (longer notes wrap within it).
const MAX_WIDTH: usize = 90;

fn write_table(sheet: &mut Worksheet, f: &Formats, t: &Table) -> Result<(), XlsxError> {
    for (c, h) in t.header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &f.header)?;
        let widest = t
            .rows
            .iter()
            .filter_map(|r| r.get(c))
            .map(shown_width)
            .chain([text_width(h)])
            .max()
            .unwrap_or(8);
        sheet.set_column_width(c as u16, (widest + 2).clamp(6, MAX_WIDTH) as f64)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            let c = c as u16;
            match v {
                // Text wider than the widest column wraps within it.
                Cell::Text(s) if text_width(s) > MAX_WIDTH => {
                    sheet.write_string_with_format(r, c, s, &f.wrapped)?;
                }
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
                Cell::Bool(b) => {
                    sheet.write_boolean(r, c, *b)?;
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

/// Tranche metrics: the base case (summary.json) beside the Monte Carlo (mc_tranches.csv),
/// joined by tranche.
fn metrics_table(run: &RunFiles) -> Result<Table, XlsxWriteError> {
    let mut t = table(METRICS, &run.summary.tranches, false)?;
    for h in t.header.iter_mut().skip(1) {
        *h = format!("base_{h}");
    }
    let Some(mc) = &run.mc else {
        return Ok(t);
    };
    let mc_table = table(METRICS, &mc.tranches, false)?;
    // The Monte Carlo columns, less the two already shown.
    let keep: Vec<usize> = (0..mc_table.header.len())
        .filter(|&i| !["tranche", "original_balance"].contains(&mc_table.header[i].as_str()))
        .collect();
    t.header
        .extend(keep.iter().map(|&i| format!("mc_{}", mc_table.header[i])));
    for (row, metrics) in t.rows.iter_mut().zip(run.summary.tranches.iter()) {
        let mc_row = mc
            .tranches
            .iter()
            .position(|m| m.tranche == metrics.tranche)
            .map(|k| &mc_table.rows[k]);
        row.extend(
            keep.iter()
                .map(|&i| mc_row.map_or(Cell::Empty, |r| r[i].clone())),
        );
    }
    Ok(t)
}

/// The pool-level Monte Carlo results.
fn monte_carlo_table(mc: &super::charts::McFiles) -> Table {
    let r = &mc.summary.results;
    let p = &r.pool;
    let mut rows = vec![
        ("paths".to_string(), Cell::Integer(r.paths as f64)),
        ("seed".to_string(), text(r.seed.to_string())),
        ("generator".to_string(), text(r.generator.as_ref())),
        (
            "yield_convention".to_string(),
            text(r.yield_convention.label.clone()),
        ),
    ];
    for (name, d) in [
        ("pool_cumulative_default_rate", &p.cumulative_default_rate),
        ("pool_loss_rate", &p.loss_rate),
    ] {
        for (stat, v) in [
            ("mean", d.mean),
            ("std", d.std),
            ("p5", d.p5),
            ("p50", d.p50),
            ("p95", d.p95),
            ("p99", d.p99),
            ("p99_9", d.p99_9),
        ] {
            rows.push((format!("{name}_{stat}"), Cell::Rate(v)));
        }
    }
    rows.push((
        "support_drawn_probability".to_string(),
        Cell::Rate(p.support_drawn_probability),
    ));
    rows.push((
        "support_drawn_mean".to_string(),
        Cell::Amount(p.support_drawn_mean),
    ));
    rows.push((
        "support_drawn_p99".to_string(),
        Cell::Amount(p.support_drawn_p99),
    ));
    key_values(rows)
}

/// One grade awarded to a tranche, a row of the rating sheet.
#[derive(Serialize)]
struct GradeLine<'a> {
    tranche: &'a str,
    /// `implied (with support)`, `standalone`, `joint default`, `expected loss`.
    basis: &'a str,
    method: &'a str,
    grade: Option<&'a str>,
    tdr: Option<f64>,
    min_bdr: Option<f64>,
    margin: Option<f64>,
    binding: &'a str,
    capped_from: Option<&'a str>,
    borderline_grade: Option<&'a str>,
    paths_needed: Option<u64>,
}

fn rating_table(
    rating: &crate::structuring::rating::RatingResult,
) -> Result<Table, XlsxWriteError> {
    let mut lines = Vec::new();
    for t in &rating.tranches {
        for (basis, awards, bdr) in [
            ("implied (with support)", &t.implied, t.min_bdr),
            ("standalone", &t.standalone, t.min_bdr_without_support),
        ] {
            for a in awards.iter().filter(|a| a.applies) {
                lines.push(GradeLine {
                    tranche: &t.tranche,
                    basis,
                    method: a.method.name(),
                    grade: a.grade.as_deref(),
                    tdr: a.tdr,
                    min_bdr: Some(bdr),
                    margin: a.margin,
                    binding: &a.binding,
                    capped_from: a.capped_from.as_deref(),
                    borderline_grade: a.borderline.as_ref().map(|b| b.grade.as_str()),
                    paths_needed: a.borderline.as_ref().map(|b| b.paths_needed),
                });
            }
        }
        let j = &t.supported_joint;
        lines.push(GradeLine {
            tranche: &t.tranche,
            basis: "joint default (promisor priced)",
            method: "P(fail)",
            grade: j.grade.as_deref(),
            tdr: Some(j.failure_probability),
            min_bdr: None,
            margin: None,
            binding: &j.binding,
            capped_from: j.capped_from.as_deref(),
            borderline_grade: j.borderline.as_ref().map(|b| b.grade.as_str()),
            paths_needed: j.borderline.as_ref().map(|b| b.paths_needed),
        });
        lines.push(GradeLine {
            tranche: &t.tranche,
            basis: "expected loss (idealized loss table)",
            method: "PV loss",
            grade: t.expected_loss_grade.as_deref(),
            tdr: Some(t.expected_pv_loss),
            min_bdr: None,
            margin: None,
            binding: "",
            capped_from: None,
            borderline_grade: t
                .expected_loss_grade_borderline
                .as_ref()
                .map(|b| b.grade.as_str()),
            paths_needed: t
                .expected_loss_grade_borderline
                .as_ref()
                .map(|b| b.paths_needed),
        });
    }
    table(RATING, &lines, false)
}

/// The bucketed stratification tables stacked, each row led by its table's title.
fn stratification_table(s: &crate::pool::Stratification) -> Result<Table, XlsxWriteError> {
    let mut out = Table::default();
    for (title, rows) in s.tables() {
        let t = table(STRATIFICATION, rows, false)?;
        if out.header.is_empty() && !t.header.is_empty() {
            out.header = std::iter::once("table".to_string())
                .chain(t.header.iter().cloned())
                .collect();
        }
        out.rows.extend(
            t.rows
                .into_iter()
                .map(|r| std::iter::once(text(title)).chain(r).collect()),
        );
    }
    Ok(out)
}

/// The first sheet: what the workbook holds, in which units, and what the measures mean.
fn notes_table(run: &RunFiles, sheets: &[&str]) -> Table {
    let s = &run.summary;
    let m = &s.metadata;
    let mut rows: Vec<(&str, Cell)> = vec![
        ("deal 交易", text(s.deal.as_ref())),
        ("scenario file 情景文件", text(m.scenario_file.clone())),
        ("scenario SHA-256", text(m.scenario_sha256.clone())),
        ("written by 程序版本", text(format!("ipabs {}", m.version))),
        (
            "amounts 金额",
            text(format!(
                "{} yuan (元), exact decimals rounded half-up (away from zero) to the fen (0.01); shown {AMOUNT_FORMAT}",
                s.currency
            )),
        ),
        (
            "rates 比率",
            text(format!(
                "rates, shares, probabilities and yields are fractions shown as percentages with four decimals ({PERCENT_FORMAT}): 0.0147 % is 0.000147"
            )),
        ),
        (
            "dates 日期",
            text("payment dates yyyy-mm-dd; period = the payment date's number, from 1"),
        ),
        (
            "years 年",
            text("WAL, duration and horizons in years, ACT/365F from the closing date"),
        ),
        (
            "yields 收益率",
            text(format!("IRR at par, {}", s.yield_convention.label)),
        ),
        (
            "CDR 累计违约率",
            text("cumulative default rate: defaulted principal / original pool balance"),
        ),
        (
            "loss rate 损失率",
            text(
                "principal not repaid / original balance (pool: realized loss; tranche: original − principal paid)",
            ),
        ),
        (
            "principal deficiency 本金亏损",
            text(
                "the part of a class's balance no longer backed by collateral and principal cash after the date (junior classes first)",
            ),
        ),
        (
            "support drawn 差额支付",
            text("cash paid by a shortfall support (差额支付承诺) to cover a shortfall"),
        ),
        (
            "EL 预期损失",
            text("expected loss: the mean over Monte Carlo paths of the tranche's loss rate"),
        ),
        (
            "P(loss) 损失概率",
            text("share of paths on which the tranche loses any principal"),
        ),
        (
            "P(missed interest)",
            text(
                "share of paths on which interest due on a date is not paid in full on that date (empty for a class without a coupon)",
            ),
        ),
        (
            "P(default) 违约概率",
            text("share of paths with a missed interest payment or a principal loss"),
        ),
        (
            "loss given loss",
            text("mean loss rate over the paths with a loss"),
        ),
        (
            "BDR 盈亏平衡违约率",
            text(super::structuring::BDR_DEFINITION),
        ),
        (
            "TDR 目标违约率",
            text(
                "target default rate of a grade: the pool CDR the tranche must survive for that grade (empirical quantile, lognormal fit or multiplier of the mean CDR); the implied grade is the highest whose TDR ≤ the tranche's lowest BDR",
            ),
        ),
    ];
    let shown: Vec<&str> = SHEETS
        .iter()
        .copied()
        .filter(|n| sheets.contains(n))
        .collect();
    let missing: Vec<&str> = SHEETS
        .iter()
        .copied()
        .filter(|n| !sheets.contains(n))
        .collect();
    rows.push(("sheets 工作表", text(shown[1..].join(" · "))));
    if !missing.is_empty() {
        rows.push((
            "not in this folder",
            text(format!(
                "{} (the folder has no {})",
                missing.join(" · "),
                absent_files(run).join(", ")
            )),
        ));
    }
    Table {
        header: vec!["item 项目".into(), "meaning 说明".into()],
        rows: rows
            .into_iter()
            .map(|(k, v)| vec![Cell::Text(k.into()), v])
            .collect(),
    }
}

fn absent_files(run: &RunFiles) -> Vec<&'static str> {
    let mut out = Vec::new();
    if run.mc.is_none() {
        out.push("Monte Carlo results (mc-summary.json: an `ipabs cashflow` folder)");
    }
    if run.breakeven.is_none() {
        out.push(if run.skipped("breakeven") {
            "breakeven.json (not computed: --mc-only)"
        } else {
            "breakeven.json"
        });
    }
    if run.rating.is_none() {
        out.push(if run.skipped("rating") {
            "rating.json (not computed: --mc-only)"
        } else {
            "rating.json"
        });
    }
    if run.stratification.is_none() {
        out.push("stratification.json");
    }
    out
}

fn run_table(run: &RunFiles) -> Table {
    let m = &run.summary.metadata;
    let mut rows = vec![
        ("deal".to_string(), text(run.summary.deal.as_ref())),
        ("scenario_file".to_string(), text(m.scenario_file.clone())),
        (
            "scenario_sha256".to_string(),
            text(m.scenario_sha256.clone()),
        ),
        ("version".to_string(), text(format!("ipabs {}", m.version))),
        ("currency".to_string(), text(run.summary.currency.as_ref())),
        ("amounts".to_string(), text("yuan")),
        (
            "closing_date".to_string(),
            text(run.summary.closing_date.to_string()),
        ),
        (
            "legal_final_date".to_string(),
            text(run.summary.legal_final_date.to_string()),
        ),
        (
            "periods_run".to_string(),
            Cell::Integer(run.summary.periods_run as f64),
        ),
    ];
    if let Some(mc) = &run.mc {
        let r = &mc.summary.results;
        rows.push(("seed".to_string(), text(r.seed.to_string())));
        rows.push(("paths".to_string(), Cell::Integer(r.paths as f64)));
        rows.push(("generator".to_string(), text(r.generator.as_ref())));
    }
    key_values(rows)
}

/// Every sheet the folder has data for, in workbook order.
fn sheets(run: &RunFiles) -> Result<Vec<(&'static str, Table)>, XlsxWriteError> {
    let mut out = vec![
        (POOL, table(POOL, &run.pool, false)?),
        (TRANCHES, table(TRANCHES, &run.tranches, false)?),
        (FEES, table(FEES, &run.fees, false)?),
        (ACCOUNTS, table(ACCOUNTS, &run.accounts, false)?),
        (LEDGER, table(LEDGER, &run.ledger, false)?),
        (METRICS, metrics_table(run)?),
    ];
    if let Some(mc) = &run.mc {
        out.push((MONTE_CARLO, monte_carlo_table(mc)));
        out.push((
            DISTRIBUTIONS,
            table(DISTRIBUTIONS, &mc.distributions, true)?,
        ));
        out.push((
            DEFAULTED_OBLIGORS,
            table(DEFAULTED_OBLIGORS, &mc.defaulted_obligors, false)?,
        ));
    }
    if let Some(b) = &run.breakeven {
        out.push((BREAK_EVEN, table(BREAK_EVEN, &b.result.minimum, false)?));
        out.push((
            BREAK_EVEN_BY_STRESS,
            table(BREAK_EVEN_BY_STRESS, &b.result.rows, false)?,
        ));
    }
    if let Some(r) = &run.rating {
        out.push((RATING, rating_table(&r.result)?));
    }
    if let Some(s) = &run.stratification {
        out.push((STRATIFICATION, stratification_table(s)?));
        out.push((OBLIGORS, table(OBLIGORS, &s.obligors, false)?));
    }
    out.push((RUN, run_table(run)));
    let names: Vec<&str> = std::iter::once(NOTES)
        .chain(out.iter().map(|(n, _)| *n))
        .collect();
    out.insert(0, (NOTES, notes_table(run, &names)));
    Ok(out)
}

/// Writes results.xlsx for the run in `run.dir` to `path`.
pub fn write(run: &RunFiles, path: &Path) -> Result<(), XlsxWriteError> {
    let tables = sheets(run)?;
    let xerr = |source| XlsxWriteError::Xlsx {
        path: path.display().to_string(),
        source,
    };
    let formats = Formats::new();
    let mut book = Workbook::new();
    // A fixed creation date (1980-01-01, the ZIP epoch that reproducible archives use) instead
    // of the clock: two runs of one scenario and seed write the same workbook byte for byte.
    let epoch = rust_xlsxwriter::ExcelDateTime::from_ymd(1980, 1, 1).map_err(xerr)?;
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&epoch));
    for (name, t) in &tables {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).map_err(xerr)?;
        write_table(sheet, &formats, t).map_err(xerr)?;
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
        assert_eq!(kind_of("tranche", false), Kind::Text);
        assert_eq!(kind_of("min_with_support", false), Kind::Rate);
        assert_eq!(kind_of("binding_stress_with_support", false), Kind::Text);
        assert_eq!(kind_of("annual_pd", false), Kind::Rate);
        assert_eq!(kind_of("spread_bp", false), Kind::Number);
    }

    #[test]
    fn cells_from_values_as_the_files_hold_them() {
        use serde_json::json;
        assert_eq!(cell(&json!("A1"), Kind::Text), Cell::Text("A1".into()));
        // A tranche named like a number stays a name.
        assert_eq!(cell(&json!("1"), Kind::Text), Cell::Text("1".into()));
        assert_eq!(cell(&json!(null), Kind::Rate), Cell::Empty);
        assert_eq!(
            cell(&json!("2019-06-08"), Kind::Date),
            Cell::Date(2019, 6, 8)
        );
        assert_eq!(cell(&json!("1234.50"), Kind::Amount), Cell::Amount(1234.5));
        assert_eq!(cell(&json!("0.045"), Kind::Rate), Cell::Rate(0.045));
        assert_eq!(cell(&json!(0.000147), Kind::Rate), Cell::Rate(0.000147));
    }

    #[test]
    fn widths_count_wide_characters_twice() {
        assert_eq!(text_width("A1"), 2);
        assert_eq!(text_width("优先A1"), 6);
        assert_eq!(shown_width(&Cell::Amount(1234567.5)), "1,234,567.50".len());
        assert_eq!(shown_width(&Cell::Rate(0.000147)), "0.0147%".len());
    }
}
