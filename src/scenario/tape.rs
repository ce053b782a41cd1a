//! Asset records from a loan tape (CSV or workbook, read into a [`Table`] by `table.rs`) or from
//! `[[pool.assets]]` tables, and explicit payment schedules from a schedules table. All sources
//! go through the same field readers.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use super::bounds::{MAX_RECOVERY_LAG_MONTHS, MAX_TERM_MONTHS, parse_amount};
use super::document::{ScheduleRows, Schedules};
use super::error::{Location, Problem};
use super::table::{self, Table};
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

/// The amount columns of a tape: a workbook's number cells there must be whole fen.
const AMOUNTS: [&str; 2] = ["appraised_value", "balance"];

/// Reads a loan tape into records, reporting unknown or missing columns and unreadable cells.
pub fn read_tape(path: &Path, table: &Table, problems: &mut Vec<Problem>) -> Vec<AssetRecord> {
    let at_header = || table.header_location.clone();
    if !table.headers().any(|h| REQUIRED.contains(&h)) {
        // Not a loan tape at all (another CSV, a binary file): say what was expected, without
        // echoing the file.
        problems.push(problem(
            path,
            at_header(),
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
    for cell in &table.header {
        let h = cell.text.as_str();
        if !COLUMNS.contains(&h) {
            problems.push(problem(
                path,
                cell.location.clone(),
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
        if !table.headers().any(|h| h == required) {
            problems.push(problem(
                path,
                at_header(),
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
    'rows: for row in &table.rows {
        let mut cells = BTreeMap::new();
        for (h, cell) in table.headers().zip(&row.cells) {
            if cell.text.is_empty() {
                continue;
            }
            let text = if AMOUNTS.contains(&h) {
                match table::amount_text(cell) {
                    Ok(text) => text,
                    Err(message) => {
                        problems.push(problem(path, cell.location.clone(), h, message));
                        continue 'rows;
                    }
                }
            } else {
                cell.text.clone()
            };
            let location = cell.location.clone();
            cells.insert(h.to_string(), Cell { text, location });
        }
        records.push(AssetRecord {
            file: path.to_path_buf(),
            location: row.location.clone(),
            label: format!("loan tape {}", row.label),
            cells,
        });
    }
    records
}

/// A problem in a tape or schedules file (both readers report through it).
pub(super) fn problem(
    path: &Path,
    location: Location,
    field: &str,
    message: impl Into<String>,
) -> Problem {
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
            .fraction(
                "rate",
                |s| {
                    Decimal::from_str(s)
                        .ok()
                        .filter(|x| *x >= Decimal::ZERO && *x < Decimal::ONE)
                },
                "an annual rate in [0, 1), e.g. 0.065",
                true,
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
            .fraction(
                "annual_pd",
                parse_probability,
                "a probability in [0, 1], e.g. 0.03",
                true,
            )
            .unwrap_or(0.0),
        recovery_rate: r.fraction(
            "recovery_rate",
            parse_probability,
            "a rate in [0, 1], e.g. 0.2",
            false,
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

    /// Whether `key`'s cell comes from a tape (CSV or workbook) rather than the TOML file:
    /// only tapes carry Excel's display formats (`6.5%`, `1,234.00`); TOML numbers are typed.
    fn on_tape(&self, key: &str) -> bool {
        self.record
            .cells
            .get(key)
            .is_some_and(|c| !matches!(c.location, Location::Span(_)))
    }

    /// A rate or probability; on a tape it may be a percentage (`6.5%` is 0.065, read exactly).
    fn fraction<T>(
        &mut self,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
        required: bool,
    ) -> Option<T> {
        let percent = self.on_tape(key);
        let read = |s: &str| {
            if percent {
                parse(&table::percent(s))
            } else {
                parse(s)
            }
        };
        if required {
            self.required(key, read, expected)
        } else {
            self.optional(key, read, expected)
        }
    }

    fn amount(&mut self, key: &str, strictly_positive: bool) -> Option<Decimal> {
        let what = if strictly_positive {
            "a positive amount in yuan with at most 2 decimals"
        } else {
            "an amount in yuan (≥ 0) with at most 2 decimals"
        };
        // Presence is checked (and reported) by `required`; the value by `parse_amount`.
        self.required(key, |_| Some(()), what)?;
        let grouped = self.on_tape(key);
        let cell = &self.record.cells[key];
        let text = if grouped {
            match table::ungroup(&cell.text) {
                Ok(text) => text,
                Err(message) => {
                    let loc = cell.location.clone();
                    self.fail(loc, key, message);
                    return None;
                }
            }
        } else {
            cell.text.clone()
        };
        match parse_amount(&text.replace('_', ""), strictly_positive) {
            Ok(v) => Some(v),
            Err(expected) => {
                let (loc, text) = (cell.location.clone(), shown(&cell.text));
                self.fail(loc, key, format!("{expected}, found `{text}`"));
                None
            }
        }
    }
}

/// Explicit payments per asset id, read from a schedules table (`asset_id,date,principal,interest`).
pub fn read_schedules(path: &Path, table: &Table, problems: &mut Vec<Problem>) -> Schedules {
    let mut out = Schedules::new();
    let expected = ["asset_id", "date", "principal", "interest"];
    if !table.headers().eq(expected.iter().copied()) {
        problems.push(problem(
            path,
            table.header_location.clone(),
            "header",
            "this is not a schedules file: the first line must be the header \
             asset_id,date,principal,interest (in this order)",
        ));
        return out;
    }
    for row in &table.rows {
        let cell = |c: usize| &row.cells[c];
        let date = parse_date(&cell(1).text);
        if date.is_none() {
            problems.push(problem(
                path,
                cell(1).location.clone(),
                "date",
                format!(
                    "expected a date like 2019-06-08, found `{}`",
                    shown(&cell(1).text)
                ),
            ));
        }
        let mut amount = |c: usize| {
            let read = table::amount_text(cell(c))
                .and_then(|t| table::ungroup(&t))
                .and_then(|t| {
                    parse_amount(&t, false)
                        .map_err(|e| format!("{e}, found `{}`", shown(&cell(c).text)))
                });
            match read {
                Ok(v) => Some(v),
                Err(message) => {
                    problems.push(problem(
                        path,
                        cell(c).location.clone(),
                        expected[c],
                        message,
                    ));
                    None
                }
            }
        };
        let (principal, interest) = (amount(2), amount(3));
        if let (Some(date), Some(principal), Some(interest)) = (date, principal, interest) {
            let id = &cell(0).text;
            let entry = out.entry(id.clone()).or_insert_with(|| ScheduleRows {
                line: row.line,
                at: cell(0).location.clone(),
                payments: Vec::new(),
            });
            if let Some(last) = entry.payments.last().filter(|p| p.date >= date) {
                problems.push(problem(
                    path,
                    cell(1).location.clone(),
                    "date",
                    format!(
                        "dates of asset {id} must increase; {date} follows {}",
                        last.date
                    ),
                ));
            }
            entry.payments.push(ScheduledPayment {
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
    fn quoted_cells_are_short_and_printable() {
        assert_eq!(shown("a\u{0}b\x1b"), "a\\u{0}b\\u{1b}");
        let long = "x".repeat(100);
        assert_eq!(shown(&long), format!("{}…", "x".repeat(40)));
    }
}
