//! CSV files that are safe to open in a spreadsheet (OWASP "CSV injection").
//!
//! Names from the scenario and the loan tape (tranches, fees, accounts, loans, obligors) reach
//! the CSVs ipabs writes. A spreadsheet evaluates a cell that begins with `=`, `+`, `-`, `@`,
//! tab or carriage return as a formula, so a tranche named `=HYPERLINK("http://x","y")` would
//! become a live link. Following OWASP, such a *text* cell is written with a single quote in
//! front (`'=HYPERLINK(...)`) and always quoted. Numbers are not text: `-17.80`, `-0.05` or
//! `-1e-7` are written unchanged (every amount is serialised as a decimal string, so the test is
//! on the text: a cell that parses as a plain decimal number is a number).
//!
//! The escape is reversible, so ipabs can read its own files back ([`restore`]): a cell whose
//! leading quotes are followed by a formula character gets exactly one more quote on writing
//! and loses exactly one on reading; every other cell is untouched both ways.

use serde::Serialize;
use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The characters a spreadsheet starts a formula (or a DDE call) with.
const FORMULA_START: [u8; 6] = [b'=', b'+', b'-', b'@', b'\t', b'\r'];

/// A CSV writer whose text cells cannot start a formula. Rows are serialised exactly as
/// `csv::Writer::serialize` does (a header from the field names before the first row), then
/// every cell is filtered by [`neutralise`].
pub struct Writer<W: Write> {
    out: W,
    /// Whether a header came with a serialised row yet.
    header_written: bool,
    line: Vec<u8>,
}

impl Writer<BufWriter<File>> {
    /// Creates (truncates) the file at `path`.
    pub fn from_path(path: &Path) -> Result<Self, csv::Error> {
        Ok(Self::from_writer(BufWriter::new(File::create(path)?)))
    }
}

impl<W: Write> Writer<W> {
    pub fn from_writer(out: W) -> Self {
        Writer {
            out,
            header_written: false,
            line: Vec::new(),
        }
    }

    /// Writes one row (preceded, the first time, by the header of the row type's field names).
    pub fn serialize<T: Serialize>(&mut self, row: &T) -> Result<(), csv::Error> {
        // The row as the csv crate writes it (with the header the first time), parsed back.
        let mut scratch = csv::WriterBuilder::new()
            .has_headers(!self.header_written)
            .buffer_capacity(1024)
            .from_writer(Vec::new());
        scratch.serialize(row)?;
        self.header_written = true;
        let bytes = scratch
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes.as_slice());
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record)? {
            self.write_record(&record)?;
        }
        Ok(())
    }

    /// Writes one record of cells.
    pub fn write_record<I, F>(&mut self, record: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = F>,
        F: AsRef<[u8]>,
    {
        self.line.clear();
        let mut count = 0;
        for field in record {
            if count > 0 {
                self.line.push(b',');
            }
            encode(field.as_ref(), &mut self.line);
            count += 1;
        }
        if count == 1 && self.line.is_empty() {
            // One empty cell: quoted, so the line is not read as blank.
            self.line.extend_from_slice(b"\"\"");
        }
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Appends one cell: neutralised and quoted when it could start a formula, else quoted only
/// when it has to be (a comma, quote or line break inside).
fn encode(field: &[u8], line: &mut Vec<u8>) {
    let neutral = needs_neutralising(field);
    let quote = neutral
        || field
            .iter()
            .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if quote {
        line.push(b'"');
    }
    if neutral {
        line.push(b'\'');
    }
    for &b in field {
        if b == b'"' {
            line.push(b'"');
        }
        line.push(b);
    }
    if quote {
        line.push(b'"');
    }
}

/// Whether a cell is text that starts a formula once its leading quotes are skipped (so that
/// [`restore`] can tell an added quote from one that was in the text).
fn needs_neutralising(field: &[u8]) -> bool {
    let rest = trim_quotes(field);
    rest.first().is_some_and(|b| FORMULA_START.contains(b)) && !is_number(field)
}

fn trim_quotes(field: &[u8]) -> &[u8] {
    let n = field.iter().take_while(|&&b| b == b'\'').count();
    &field[n..]
}

/// A plain decimal number: `[+-]digits[.digits][e[+-]digits]` (or `.digits`), nothing else.
pub fn is_number(field: &[u8]) -> bool {
    let mut s = field;
    if let [b'+' | b'-', rest @ ..] = s {
        s = rest;
    }
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let int = digits(s);
    s = &s[int..];
    let mut frac = 0;
    if let [b'.', rest @ ..] = s {
        frac = digits(rest);
        s = &rest[frac..];
    }
    if int + frac == 0 {
        return false;
    }
    if let [b'e' | b'E', rest @ ..] = s {
        let mut e = rest;
        if let [b'+' | b'-', r @ ..] = e {
            e = r;
        }
        let n = digits(e);
        if n == 0 {
            return false;
        }
        s = &e[n..];
    }
    s.is_empty()
}

/// The text `neutralise` was given, from a cell of a file this module wrote.
pub fn restore(cell: &str) -> Cow<'_, str> {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_neutralising(cell.as_bytes()) => Cow::Borrowed(rest),
        _ => Cow::Borrowed(cell),
    }
}

/// What a cell is written as: `'` in front of text that would start a formula.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if needs_neutralising(cell.as_bytes()) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// [`restore`] on every cell of a record read from a file this module wrote.
pub fn restore_record(record: &csv::StringRecord) -> csv::StringRecord {
    record.iter().map(|c| restore(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        tranche: String,
        amount: rust_decimal::Decimal,
        rate: f64,
        period: i64,
        note: Option<String>,
    }

    fn write_rows(rows: &[Row]) -> String {
        let mut w = Writer::from_writer(Vec::new());
        for r in rows {
            w.serialize(r).unwrap();
        }
        w.flush().unwrap();
        String::from_utf8(w.out).unwrap()
    }

    fn row(name: &str, amount: &str, rate: f64, period: i64) -> Row {
        Row {
            tranche: name.into(),
            amount: amount.parse().unwrap(),
            rate,
            period,
            note: None,
        }
    }

    #[test]
    fn formula_text_is_quoted_and_numbers_are_not() {
        let text = write_rows(&[
            row("=HYPERLINK(\"http://x\",\"y\")", "-17.80", -0.05, -3),
            row("@SUM(A1)", "1234.56", 1e-7, 4),
            row("+1", "0.00", -1e-7, 0),
            row("-", "-0.05", 0.0, 1),
            row("\tx", "5", 2.5, 1),
            row("\rx", "5", 2.5, 1),
            row("A", "5", 2.5, 1),
        ]);
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines[0], "tranche,amount,rate,period,note");
        assert_eq!(
            lines[1],
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-17.80,-0.05,-3,"
        );
        assert_eq!(lines[2], "\"'@SUM(A1)\",1234.56,1e-7,4,");
        // `+1` is a number: a spreadsheet reads it as 1, it calls nothing.
        assert_eq!(lines[3], "+1,0.00,-1e-7,0,");
        assert_eq!(lines[4], "\"'-\",-0.05,0.0,1,");
        assert_eq!(lines[5], "\"'\tx\",5,2.5,1,");
        assert_eq!(lines[6], "\"'\rx\",5,2.5,1,");
        assert_eq!(lines[7], "A,5,2.5,1,");
        assert_eq!(lines[8], "");
        assert_eq!(lines.len(), 9);
    }

    #[test]
    fn output_is_what_the_csv_crate_writes_for_safe_cells() {
        #[derive(Serialize)]
        struct Mixed<'a> {
            a: &'a str,
            b: Option<f64>,
            c: bool,
            d: &'a str,
        }
        let rows = [
            Mixed {
                a: "x,y",
                b: Some(1.5),
                c: true,
                d: "say \"hi\"",
            },
            Mixed {
                a: "multi\nline",
                b: None,
                c: false,
                d: "演艺公司甲",
            },
        ];
        let mut ours = Writer::from_writer(Vec::new());
        let mut theirs = csv::Writer::from_writer(Vec::new());
        for r in &rows {
            ours.serialize(r).unwrap();
            theirs.serialize(r).unwrap();
        }
        assert_eq!(ours.out, theirs.into_inner().unwrap());
    }

    #[test]
    fn a_single_empty_cell_is_not_a_blank_line() {
        let mut w = Writer::from_writer(Vec::new());
        w.write_record([""]).unwrap();
        w.write_record(["", ""]).unwrap();
        assert_eq!(w.out, b"\"\"\n,\n");
    }

    #[test]
    fn numbers() {
        for n in [
            "0", "-17.80", "-0.05", "+3", "1e300", "-1E-7", ".5", "5.", "-.5e+2",
        ] {
            assert!(is_number(n.as_bytes()), "{n}");
        }
        for t in [
            "", "-", "+", ".", "-e5", "1e", "1e+", "--1", "-1-1", "-inf", "NaN", "1 ",
        ] {
            assert!(!is_number(t.as_bytes()), "{t}");
        }
    }

    #[test]
    fn restore_inverts_neutralise() {
        for s in [
            "=1+1", "'=1+1", "''=1+1", "'", "'abc", "abc", "-5", "'-5", "-", "@", "\t", "",
            "-17.80", "'+1", "+1",
        ] {
            let written = neutralise(s);
            assert_eq!(restore(&written), s, "{s:?} written as {written:?}");
            let cell = written.as_bytes();
            let evaluates = cell.first().is_some_and(|b| FORMULA_START.contains(b));
            assert!(
                !evaluates || is_number(cell),
                "{s:?} written as {written:?}"
            );
        }
    }

    #[test]
    fn files_read_back_with_the_csv_crate_and_restore() {
        let text = write_rows(&[row("=1+1", "-17.80", -0.05, 1), row("'=x", "2", 1.0, 2)]);
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let names: Vec<String> = r
            .records()
            .map(|rec| restore_record(&rec.unwrap())[0].to_string())
            .collect();
        assert_eq!(names, ["=1+1", "'=x"]);
    }
}
