//! Asset records from a CSV loan tape or from `[[pool.assets]]` tables, and explicit payment
//! schedules from a CSV file. Both sources go through the same field readers.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use super::bounds::{MAX_RECOVERY_LAG_MONTHS, MAX_TERM_MONTHS, parse_amount};
use super::error::{Location, Problem};
use crate::dates::{Frequency, add_months};
use crate::pool::{Amortization, AssetType, IpKind, ScheduledPayment};

/// Columns a loan tape may have, in the documented order.
pub const COLUMNS: [&str; 17] = [
    "id",
    "obligor",
    "sector",
    "asset_type",
    "ip_kind",
    "ip_items",
    "appraised_value",
    "balance",
    "rate",
    "amortization",
    "frequency",
    "first_payment_date",
    "term_months",
    "maturity_date",
    "annual_pd",
    "recovery_rate",
    "recovery_lag_months",
];

const REQUIRED: [&str; 11] = [
    "id",
    "obligor",
    "sector",
    "asset_type",
    "ip_kind",
    "appraised_value",
    "balance",
    "rate",
    "amortization",
    "frequency",
    "annual_pd",
];

/// One cell of an asset record: its text and where it came from.
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub location: Location,
}

/// One asset as written, before validation.
#[derive(Debug, Clone)]
pub struct AssetRecord {
    pub file: std::path::PathBuf,
    /// Where to point when a whole record is wrong (missing field, duplicate).
    pub location: Location,
    /// Label for messages: `loan tape row 3` or `pool.assets[2]`.
    pub label: String,
    pub cells: BTreeMap<String, Cell>,
}

/// An asset read from a record; obligor and sector still as names.
#[derive(Debug, Clone)]
pub struct TapeAsset {
    pub id: String,
    pub obligor: String,
    pub sector: String,
    pub asset_type: AssetType,
    pub ip_kind: IpKind,
    pub ip_items: u32,
    pub appraised_value: Decimal,
    pub balance: Decimal,
    pub rate: Decimal,
    pub amortization: Amortization,
    pub frequency: Frequency,
    pub first_payment: Option<NaiveDate>,
    pub term_months: Option<u32>,
    pub maturity: Option<NaiveDate>,
    pub annual_pd: f64,
    pub recovery_rate: Option<f64>,
    pub recovery_lag_months: Option<u32>,
}

/// Reads a loan tape into records, reporting unknown or missing columns and unreadable rows.
pub fn read_tape(path: &Path, text: &str, problems: &mut Vec<Problem>) -> Vec<AssetRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(problem(
                path,
                Location::Line(1),
                "header",
                format!("unreadable CSV header: {e}"),
            ));
            return Vec::new();
        }
    };
    if !headers.iter().any(|h| REQUIRED.contains(&h)) {
        // Not a loan tape at all (another CSV, a binary file): say what was expected, without
        // echoing the file.
        problems.push(problem(
            path,
            Location::Line(1),
            "header",
            format!(
                "this is not a loan tape: the first line must be the header, with the columns {} (optional: {})",
                REQUIRED.join(","),
                COLUMNS
                    .iter()
                    .filter(|c| !REQUIRED.contains(c))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ));
        return Vec::new();
    }
    let mut ok = true;
    for (c, h) in headers.iter().enumerate() {
        if !COLUMNS.contains(&h) {
            let at = Location::Cell {
                line: 1,
                column: c + 1,
                header: shown(h),
            };
            problems.push(problem(
                path,
                at,
                &shown(h),
                format!(
                    "unknown column `{}`, expected one of: {}",
                    shown(h),
                    COLUMNS.join(", ")
                ),
            ));
            ok = false;
        }
    }
    for required in REQUIRED {
        if !headers.iter().any(|h| h == required) {
            problems.push(problem(
                path,
                Location::Line(1),
                required,
                format!("missing column `{required}`"),
            ));
            ok = false;
        }
    }
    if !ok {
        return Vec::new();
    }
    let mut records = Vec::new();
    for (line, row) in readable_rows(&mut reader, text, path, problems) {
        let cells = headers
            .iter()
            .zip(row.iter())
            .enumerate()
            .filter(|(_, (_, v))| !v.is_empty())
            .map(|(c, (h, v))| {
                let location = Location::Cell {
                    line,
                    column: c + 1,
                    header: h.to_string(),
                };
                (
                    h.to_string(),
                    Cell {
                        text: v.to_string(),
                        location,
                    },
                )
            })
            .collect();
        records.push(AssetRecord {
            file: path.to_path_buf(),
            location: Location::Line(line),
            label: format!("loan tape row {}", line.saturating_sub(1)),
            cells,
        });
    }
    records
}

fn problem(path: &Path, location: Location, field: &str, message: impl Into<String>) -> Problem {
    Problem {
        file: path.to_path_buf(),
        location,
        field: field.to_string(),
        message: message.into(),
    }
}

/// Reads one record's fields, reporting every bad cell.
pub fn read_asset(record: &AssetRecord, problems: &mut Vec<Problem>) -> Option<TapeAsset> {
    let mut r = Reader {
        record,
        problems,
        ok: true,
    };
    for key in record.cells.keys() {
        if !COLUMNS.contains(&key.as_str()) {
            let loc = record.cells[key].location.clone();
            r.fail(
                loc,
                key,
                format!(
                    "unknown field `{key}`, expected one of: {}",
                    COLUMNS.join(", ")
                ),
            );
        }
    }
    let asset = TapeAsset {
        id: r.text("id").unwrap_or_default(),
        obligor: r.text("obligor").unwrap_or_default(),
        sector: r.text("sector").unwrap_or_default(),
        asset_type: r
            .word("asset_type", AssetType::parse, AssetType::NAMES)
            .unwrap_or(AssetType::IpLease),
        ip_kind: r
            .word("ip_kind", IpKind::parse, IpKind::NAMES)
            .unwrap_or(IpKind::Mixed),
        ip_items: r
            .optional(
                "ip_items",
                |s| s.parse::<u32>().ok().filter(|n| *n >= 1),
                "a whole number of at least 1",
            )
            .unwrap_or(1),
        appraised_value: r.amount("appraised_value", false).unwrap_or_default(),
        balance: r.amount("balance", true).unwrap_or_default(),
        rate: r
            .required(
                "rate",
                |s| {
                    Decimal::from_str(s)
                        .ok()
                        .filter(|x| *x >= Decimal::ZERO && *x < Decimal::ONE)
                },
                "an annual rate in [0, 1), e.g. 0.065",
            )
            .unwrap_or_default(),
        amortization: r
            .word("amortization", Amortization::parse, Amortization::NAMES)
            .unwrap_or(Amortization::Level),
        frequency: r
            .word("frequency", Frequency::parse, Frequency::NAMES)
            .unwrap_or(Frequency::Quarterly),
        first_payment: r.optional("first_payment_date", parse_date, "a date like 2019-06-08"),
        term_months: r.optional(
            "term_months",
            |s| {
                s.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_TERM_MONTHS).contains(n))
            },
            &format!("a whole number of months in 1..={MAX_TERM_MONTHS}"),
        ),
        maturity: r.optional("maturity_date", parse_date, "a date like 2023-03-08"),
        annual_pd: r
            .required(
                "annual_pd",
                parse_probability,
                "a probability in [0, 1], e.g. 0.03",
            )
            .unwrap_or(0.0),
        recovery_rate: r.optional(
            "recovery_rate",
            parse_probability,
            "a rate in [0, 1], e.g. 0.2",
        ),
        recovery_lag_months: r.optional(
            "recovery_lag_months",
            |s| {
                s.parse::<u32>()
                    .ok()
                    .filter(|n| *n <= MAX_RECOVERY_LAG_MONTHS)
            },
            &format!("a whole number of months in 0..={MAX_RECOVERY_LAG_MONTHS}"),
        ),
    };
    if asset.term_months.is_none()
        && asset.maturity.is_none()
        && asset.amortization != Amortization::Schedule
    {
        let loc = record.location.clone();
        r.fail(
            loc,
            "term_months",
            "needs `term_months` or `maturity_date`".to_string(),
        );
    }
    r.ok.then_some(asset)
}

/// The rows that parse, with their 1-based line numbers; malformed rows are reported.
fn readable_rows(
    reader: &mut csv::Reader<&[u8]>,
    text: &str,
    path: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<(u64, csv::StringRecord)> {
    let lines = LineIndex::new(text);
    let mut rows = Vec::new();
    for row in reader.records() {
        match row {
            Ok(r) => rows.push((r.position().map_or(0, |p| lines.line_of(p.byte())), r)),
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_of(p.byte()));
                problems.push(problem(
                    path,
                    Location::Line(line),
                    "row",
                    csv_row_message(&e),
                ));
            }
        }
    }
    rows
}

/// 1-based line numbers from byte offsets, counting `\n`. The CSV reader's own line count is
/// off by one per CRLF line, and after a `\r\n` it reports a record as starting at the `\n`;
/// line terminators at the offset are skipped, so the record's first character is numbered.
pub struct LineIndex<'a> {
    bytes: &'a [u8],
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex {
            bytes: text.as_bytes(),
            starts,
        }
    }

    /// The line holding byte `offset` (or the first character after the line breaks there).
    pub fn line_of(&self, offset: u64) -> u64 {
        let mut offset = usize::try_from(offset).unwrap_or(usize::MAX);
        while offset < self.bytes.len() && matches!(self.bytes[offset], b'\r' | b'\n') {
            offset += 1;
        }
        self.starts.partition_point(|&s| s <= offset) as u64
    }
}

/// A cell or header as quoted in a message: control characters escaped, at most 40 characters,
/// so a wrong or binary file is not echoed.
pub fn shown(text: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = text
        .chars()
        .take(MAX)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

/// A CSV reading error in an analyst's words.
fn csv_row_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("malformed row: {len} fields, but the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => {
            "malformed row: not valid UTF-8 text (save the tape as UTF-8)".to_string()
        }
        _ => format!("malformed row: {e}"),
    }
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn parse_probability(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|p| (0.0..=1.0).contains(p))
}

struct Reader<'a> {
    record: &'a AssetRecord,
    problems: &'a mut Vec<Problem>,
    ok: bool,
}

impl Reader<'_> {
    fn fail(&mut self, location: Location, field: &str, message: String) {
        self.ok = false;
        let field = match &location {
            Location::Span(_) => format!("{}.{field}", self.record.label),
            _ => field.to_string(),
        };
        self.problems.push(Problem {
            file: self.record.file.clone(),
            location,
            field,
            message,
        });
    }

    fn optional<T>(
        &mut self,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<T> {
        let cell = self.record.cells.get(key)?;
        let value = parse(cell.text.as_str());
        if value.is_none() {
            let loc = cell.location.clone();
            let text = shown(&cell.text);
            self.fail(loc, key, format!("expected {expected}, found `{text}`"));
        }
        value
    }

    fn required<T>(
        &mut self,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<T> {
        if !self.record.cells.contains_key(key) {
            let loc = self.record.location.clone();
            let label = self.record.label.clone();
            self.fail(
                loc,
                key,
                format!("{label} is missing `{key}` (expected {expected})"),
            );
            return None;
        }
        self.optional(key, parse, expected)
    }

    fn text(&mut self, key: &str) -> Option<String> {
        self.required(
            key,
            |s| Some(s.to_string()).filter(|s| !s.is_empty()),
            "a name",
        )
    }

    fn word<T>(&mut self, key: &str, parse: fn(&str) -> Option<T>, names: &str) -> Option<T> {
        self.required(key, parse, names)
    }

    fn amount(&mut self, key: &str, strictly_positive: bool) -> Option<Decimal> {
        let what = if strictly_positive {
            "a positive amount in yuan with at most 2 decimals"
        } else {
            "an amount in yuan (≥ 0) with at most 2 decimals"
        };
        // Presence is checked (and reported) by `required`; the value by `parse_amount`.
        self.required(key, |_| Some(()), what)?;
        let cell = &self.record.cells[key];
        match parse_amount(&cell.text.replace('_', ""), strictly_positive) {
            Ok(v) => Some(v),
            Err(expected) => {
                let (loc, text) = (cell.location.clone(), shown(&cell.text));
                self.fail(loc, key, format!("{expected}, found `{text}`"));
                None
            }
        }
    }
}

/// Explicit payments per asset id, read from a schedules CSV (`asset_id,date,principal,interest`).
pub fn read_schedules(
    path: &Path,
    text: &str,
    problems: &mut Vec<Problem>,
) -> HashMap<String, (u64, Vec<ScheduledPayment>)> {
    let mut out: HashMap<String, (u64, Vec<ScheduledPayment>)> = HashMap::new();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let expected = ["asset_id", "date", "principal", "interest"];
    match reader.headers() {
        Ok(h) if h.iter().eq(expected.iter().copied()) => {}
        Ok(_) => {
            problems.push(problem(
                path,
                Location::Line(1),
                "header",
                "this is not a schedules file: the first line must be the header \
                 asset_id,date,principal,interest (in this order)",
            ));
            return out;
        }
        Err(e) => {
            problems.push(problem(
                path,
                Location::Line(1),
                "header",
                format!("unreadable CSV header: {e}"),
            ));
            return out;
        }
    }
    for (line, row) in readable_rows(&mut reader, text, path, problems) {
        let cell = |c: usize| Location::Cell {
            line,
            column: c + 1,
            header: expected[c].to_string(),
        };
        let date = parse_date(&row[1]);
        if date.is_none() {
            problems.push(problem(
                path,
                cell(1),
                "date",
                format!(
                    "expected a date like 2019-06-08, found `{}`",
                    shown(&row[1])
                ),
            ));
        }
        let mut amount = |c: usize| match parse_amount(&row[c], false) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(problem(
                    path,
                    cell(c),
                    expected[c],
                    format!("{e}, found `{}`", shown(&row[c])),
                ));
                None
            }
        };
        let (principal, interest) = (amount(2), amount(3));
        if let (Some(date), Some(principal), Some(interest)) = (date, principal, interest) {
            let entry = out.entry(row[0].to_string()).or_insert((line, Vec::new()));
            if let Some(last) = entry.1.last().filter(|p| p.date >= date) {
                problems.push(problem(
                    path,
                    cell(1),
                    "date",
                    format!(
                        "dates of asset {} must increase; {date} follows {}",
                        &row[0], last.date
                    ),
                ));
            }
            entry.1.push(ScheduledPayment {
                date,
                principal,
                interest,
            });
        }
    }
    out
}

/// First payment and maturity of a non-schedule asset.
pub fn asset_dates(asset: &TapeAsset, closing: NaiveDate) -> (NaiveDate, NaiveDate) {
    let step = asset.frequency.months();
    let first = asset
        .first_payment
        .unwrap_or_else(|| add_months(closing, step));
    let maturity = asset.maturity.unwrap_or_else(|| {
        let term = asset.term_months.unwrap_or(step);
        // The last payment falls `term` months after closing, on the asset's payment cycle.
        let payments = term.div_ceil(step).max(1);
        add_months(first, (payments - 1) * step)
    });
    (first, maturity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_tapes_number_lines_as_editors_do() {
        for eol in ["\n", "\r\n"] {
            let text = ["id,rate", "L1,0.1", "L2,x", "L3,0.2"].join(eol) + eol;
            let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
            let mut problems = Vec::new();
            let rows = readable_rows(&mut reader, &text, Path::new("t.csv"), &mut problems);
            let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
            assert_eq!(lines, vec![2, 3, 4], "eol {eol:?}");
        }
    }

    #[test]
    fn quoted_cells_are_short_and_printable() {
        assert_eq!(shown("a\u{0}b\x1b"), "a\\u{0}b\\u{1b}");
        let long = "x".repeat(100);
        assert_eq!(shown(&long), format!("{}…", "x".repeat(40)));
    }
}
