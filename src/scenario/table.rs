//! Loan tapes and schedules as one in-memory table, whatever the file: a CSV in UTF-8 (with or
//! without a byte-order mark) or GB18030/GBK, or a worksheet of an `.xlsx` / `.xlsm` workbook.
//! Every cell keeps its [`Location`], so the tape and schedule readers (`tape.rs`) parse all
//! fields the same way and every bad cell is reported where it is. Also here: the readers of the
//! Excel display formats a tape may carry (thousands separators, percentages, number cells for
//! amounts).

use std::ops::Range;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx};
use rust_decimal::Decimal;

use super::error::{Location, Problem};
use super::tape::{problem, shown};

/// One cell as read: its text (trimmed; empty when the cell is empty), the number when the
/// workbook stored one (for amounts, which must be whole fen), and where it is.
#[derive(Debug, Clone)]
pub struct TableCell {
    pub text: String,
    pub number: Option<f64>,
    pub location: Location,
}

/// A data row: its line (CSV) or row number (sheet) as the file's editor shows it, where it is
/// as a whole, a label for messages (`row 3`, `sheet Pool, row 4`) and its cells in header
/// order.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub location: Location,
    pub label: String,
    pub cells: Vec<TableCell>,
}

/// A header and its data rows. Rows that could not be read (a malformed CSV row, an Excel error
/// cell) are reported by the reader and left out.
#[derive(Debug, Clone)]
pub struct Table {
    pub header: Vec<TableCell>,
    /// Where the header is, for problems with the header as a whole (a missing column).
    pub header_location: Location,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn headers(&self) -> impl Iterator<Item = &str> {
        self.header.iter().map(|c| c.text.as_str())
    }
}

/// A text encoding a CSV may be declared in (`pool.encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// GB18030, a superset of GBK: a GBK file decodes the same either way.
    Gb18030,
}

impl Encoding {
    pub const NAMES: &'static str = "utf-8, gbk, gb18030";

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "gbk" | "gb18030" => Some(Encoding::Gb18030),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Gb18030 => "GB18030/GBK",
        }
    }
}

/// A scenario key that applies to a file, with where it is in the scenario (problems with it
/// point there).
pub struct Key {
    pub value: String,
    pub scenario: PathBuf,
    pub span: Range<usize>,
    /// `pool.loan_tape_sheet`, for messages.
    pub field: String,
}

/// What reading a file gave: the table, if it could be read, and the decoded text of a CSV
/// (for excerpts in messages).
pub struct Read {
    pub table: Option<Table>,
    pub text: Option<String>,
}

/// What a file is, by its extension (as Excel itself decides).
#[derive(PartialEq)]
enum Kind {
    Csv,
    Workbook,
    /// A spreadsheet format that is not read (`.xls`, `.xlsb`, `.ods`): said so, rather than
    /// reported as undecodable text.
    Unsupported,
}

fn kind(path: &Path) -> Kind {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("xlsx" | "xlsm") => Kind::Workbook,
        Some("xls" | "xlsb" | "ods") => Kind::Unsupported,
        _ => Kind::Csv,
    }
}

/// Reads a tape or schedules file into a [`Table`]. `sheet` (workbooks only) and `encoding`
/// (CSV only) are the scenario's keys for this file.
pub fn read(
    path: &Path,
    bytes: &[u8],
    sheet: Option<&Key>,
    encoding: Option<Encoding>,
    problems: &mut Vec<Problem>,
) -> Read {
    match kind(path) {
        Kind::Workbook => {
            return Read {
                table: read_workbook(path, bytes, sheet, problems),
                text: None,
            };
        }
        Kind::Unsupported => {
            problems.push(workbook_problem(
                path,
                "this spreadsheet format is not read: save the file as .xlsx (Excel Workbook) or as CSV",
            ));
            return Read {
                table: None,
                text: None,
            };
        }
        Kind::Csv => {}
    }
    if let Some(key) = sheet {
        problems.push(Problem {
            file: key.scenario.clone(),
            location: Location::Span(key.span.clone()),
            field: key.field.clone(),
            message: format!(
                "a sheet is named, but {} is not an .xlsx or .xlsm workbook (it is read as CSV)",
                path.display()
            ),
        });
        return Read {
            table: None,
            text: None,
        };
    }
    match decode(bytes, encoding) {
        Ok(text) => Read {
            table: read_csv(path, &text, problems),
            text: Some(text),
        },
        Err(bad) => {
            problems.push(problem(
                path,
                Location::Line(bad.line),
                "encoding",
                bad.message,
            ));
            // The text with bad bytes replaced, so a line excerpt can still be shown.
            Read {
                table: None,
                text: Some(String::from_utf8_lossy(bytes).into_owned()),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encodings

/// Why a file could not be decoded, and the line of the first bad byte.
#[derive(Debug, PartialEq, Eq)]
pub struct Undecodable {
    pub line: u64,
    pub message: String,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes a CSV: as declared, or UTF-8 when the bytes are valid UTF-8, else GB18030 when they
/// decode without error. A UTF-8 byte-order mark is dropped (Excel's "CSV UTF-8" writes one; left
/// in, it would become part of the first header). Errors name each encoding tried and the byte
/// offset and line of the first byte it could not read.
pub fn decode(bytes: &[u8], declared: Option<Encoding>) -> Result<String, Undecodable> {
    let tried: Vec<Encoding> = match declared {
        Some(e) => vec![e],
        None => vec![Encoding::Utf8, Encoding::Gb18030],
    };
    let mut failures = Vec::new();
    for &encoding in &tried {
        match decode_as(bytes, encoding) {
            Ok(text) => return Ok(text),
            Err(offset) => failures.push((encoding, offset)),
        }
    }
    let line_of =
        |offset: usize| bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let parts: Vec<String> = failures
        .iter()
        .map(|&(e, offset)| {
            format!(
                "{} (invalid byte at byte offset {offset}, line {})",
                e.name(),
                line_of(offset)
            )
        })
        .collect();
    // The encoding that read furthest is most likely the one meant: point at its bad byte.
    let furthest = failures.iter().map(|&(_, o)| o).max().unwrap_or(0);
    let how = match declared {
        Some(_) => "declared by pool.encoding",
        None => "detected",
    };
    let fix = match declared {
        Some(_) => "check pool.encoding, or save the file as UTF-8",
        None => "save the file as UTF-8, or set pool.encoding",
    };
    Err(Undecodable {
        line: line_of(furthest),
        message: format!(
            "not UTF-8 text: cannot decode the file as {} ({how}); {fix}",
            parts.join(" or as ")
        ),
    })
}

/// The decoded text, or the byte offset (in `bytes`) of the first byte that does not decode.
fn decode_as(bytes: &[u8], encoding: Encoding) -> Result<String, usize> {
    match encoding {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
            let skipped = bytes.len() - body.len();
            std::str::from_utf8(body)
                .map(str::to_string)
                .map_err(|e| skipped + e.valid_up_to())
        }
        Encoding::Gb18030 => {
            let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
            let capacity = decoder
                .max_utf8_buffer_length_without_replacement(bytes.len())
                .unwrap_or(bytes.len().saturating_mul(3));
            let mut out = String::with_capacity(capacity);
            let mut read = 0;
            loop {
                let (result, n) =
                    decoder.decode_to_string_without_replacement(&bytes[read..], &mut out, true);
                read += n;
                match result {
                    encoding_rs::DecoderResult::InputEmpty => return Ok(out),
                    // Not expected with the capacity above; grow and go on.
                    encoding_rs::DecoderResult::OutputFull => out.reserve(bytes.len() - read + 16),
                    encoding_rs::DecoderResult::Malformed(bad, after) => {
                        return Err(read.saturating_sub(usize::from(bad) + usize::from(after)));
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

fn read_csv(path: &Path, text: &str, problems: &mut Vec<Problem>) -> Option<Table> {
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
            return None;
        }
    };
    let header = headers
        .iter()
        .enumerate()
        .map(|(c, h)| TableCell {
            text: h.to_string(),
            number: None,
            location: Location::Cell {
                line: 1,
                column: c + 1,
                header: shown(h),
            },
        })
        .collect();
    let lines = LineIndex::new(text);
    let mut rows = Vec::new();
    for row in reader.records() {
        match row {
            Ok(r) => {
                let line = r.position().map_or(0, |p| lines.line_of(p.byte()));
                let cells = headers
                    .iter()
                    .zip(r.iter())
                    .enumerate()
                    .map(|(c, (h, v))| TableCell {
                        text: v.to_string(),
                        number: None,
                        location: Location::Cell {
                            line,
                            column: c + 1,
                            header: h.to_string(),
                        },
                    })
                    .collect();
                rows.push(Row {
                    line,
                    location: Location::Line(line),
                    label: format!("row {}", line.saturating_sub(1)),
                    cells,
                });
            }
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
    Some(Table {
        header,
        header_location: Location::Line(1),
        rows,
    })
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

/// A CSV reading error in an analyst's words.
fn csv_row_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("malformed row: {len} fields, but the header has {expected_len}")
        }
        _ => format!("malformed row: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Workbooks

/// A problem with a workbook as a whole (not one of its cells).
fn workbook_problem(path: &Path, message: impl Into<String>) -> Problem {
    problem(path, Location::File, "workbook", message)
}

fn read_workbook(
    path: &Path,
    bytes: &[u8],
    sheet: Option<&Key>,
    problems: &mut Vec<Problem>,
) -> Option<Table> {
    if let Err(message) = check_expanded_size(bytes) {
        problems.push(workbook_problem(path, message));
        return None;
    }
    let mut book = match Xlsx::new(std::io::Cursor::new(bytes)) {
        Ok(book) => book,
        Err(e) => {
            problems.push(workbook_problem(
                path,
                format!(
                    "not a readable .xlsx workbook ({}); save the tape from Excel as .xlsx, or as CSV",
                    shown(&e.to_string())
                ),
            ));
            return None;
        }
    };
    let names = book.sheet_names();
    let name = match sheet {
        Some(key) => {
            if !names.contains(&key.value) {
                problems.push(Problem {
                    file: key.scenario.clone(),
                    location: Location::Span(key.span.clone()),
                    field: key.field.clone(),
                    message: format!(
                        "{} has no sheet `{}`; its sheets are: {}",
                        path.display(),
                        shown(&key.value),
                        names
                            .iter()
                            .map(|n| shown(n))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
                return None;
            }
            key.value.clone()
        }
        None => match names.first() {
            Some(first) => first.clone(),
            None => {
                problems.push(workbook_problem(path, "the workbook has no worksheets"));
                return None;
            }
        },
    };
    let range = match book.worksheet_range(&name) {
        Ok(range) => range,
        Err(e) => {
            problems.push(workbook_problem(
                path,
                format!(
                    "cannot read sheet `{}`: {}",
                    shown(&name),
                    shown(&e.to_string())
                ),
            ));
            return None;
        }
    };
    sheet_table(path, &shown(&name), &range, problems)
}

/// Most bytes a workbook's parts may unpack to (a zip of 64 MiB can declare gigabytes).
pub const MAX_EXPANDED_BYTES: u64 = 512 * 1024 * 1024;

/// Refuses a workbook whose parts declare more than [`MAX_EXPANDED_BYTES`] unpacked, before
/// calamine inflates any of them: memory stays bounded by the input, not by what it claims.
fn check_expanded_size(bytes: &[u8]) -> Result<(), String> {
    // Not a zip at all: calamine says so in its own words.
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let size = archive.by_index_raw(i).map(|f| f.size()).unwrap_or(0);
        total = total.saturating_add(size);
    }
    if total > MAX_EXPANDED_BYTES {
        return Err(format!(
            "the workbook's parts unpack to {} MiB, more than the {} MiB ipabs reads; \
             save the tape as a smaller workbook or as CSV",
            total / (1024 * 1024),
            MAX_EXPANDED_BYTES / (1024 * 1024)
        ));
    }
    Ok(())
}

/// The used range of a sheet as a table: its first non-empty row is the header; rows and
/// columns are numbered as Excel numbers them (row 1, column 1 = A1), whatever the range's
/// offset; blank rows are skipped, as a CSV reader skips blank lines.
fn sheet_table(
    path: &Path,
    sheet: &str,
    range: &calamine::Range<Data>,
    problems: &mut Vec<Problem>,
) -> Option<Table> {
    let Some((top, left)) = range.start() else {
        problems.push(problem(
            path,
            Location::File,
            "header",
            format!("sheet `{sheet}` is empty: the first row must be the header"),
        ));
        return None;
    };
    let (top, left) = (u64::from(top) + 1, left as usize + 1);
    let mut rows = range
        .rows()
        .enumerate()
        .map(|(i, r)| (top + i as u64, r))
        .filter(|(_, r)| r.iter().any(|d| !matches!(d, Data::Empty)));
    let (header_row, header_cells) = rows.next()?;
    // The header ends at its last named column; the range may be wider because of a data cell.
    let width = header_cells
        .iter()
        .rposition(|d| !matches!(d, Data::Empty))
        .map_or(0, |i| i + 1);
    let at = |row: u64, c: usize, header: &str| Location::SheetCell {
        sheet: sheet.to_string(),
        row,
        column: left + c,
        header: header.to_string(),
    };
    let header_location = Location::SheetRow {
        sheet: sheet.to_string(),
        row: header_row,
    };
    let mut header = Vec::with_capacity(width);
    let mut ok = true;
    for (c, d) in header_cells[..width].iter().enumerate() {
        let text = match cell_text(d) {
            Ok((text, _)) => text,
            Err(error) => {
                problems.push(problem(
                    path,
                    at(header_row, c, ""),
                    "header",
                    format!("expected a column name, found the Excel error {error}"),
                ));
                ok = false;
                String::new()
            }
        };
        header.push(TableCell {
            location: at(header_row, c, &shown(&text)),
            text,
            number: None,
        });
    }
    let mut table_rows = Vec::new();
    for (row, cells) in rows {
        let mut out = Vec::with_capacity(width);
        let mut readable = true;
        for (c, d) in cells.iter().enumerate() {
            let name = header.get(c).map_or("", |h| h.text.as_str());
            let location = at(row, c, name);
            match cell_text(d) {
                Ok((text, number)) if c < width => out.push(TableCell {
                    text,
                    number,
                    location,
                }),
                Ok((text, _)) => {
                    if !text.is_empty() {
                        problems.push(problem(
                            path,
                            location,
                            "row",
                            format!(
                                "a value right of the last column of the header, found `{}`",
                                shown(&text)
                            ),
                        ));
                        readable = false;
                    }
                }
                Err(error) => {
                    problems.push(problem(
                        path,
                        location,
                        if name.is_empty() { "row" } else { name },
                        format!("expected a value, found the Excel error {error}"),
                    ));
                    readable = false;
                }
            }
        }
        if readable {
            table_rows.push(Row {
                line: row,
                location: Location::SheetRow {
                    sheet: sheet.to_string(),
                    row,
                },
                label: format!("sheet {sheet}, row {row}"),
                cells: out,
            });
        }
    }
    ok.then_some(Table {
        header,
        header_location,
        rows: table_rows,
    })
}

/// A workbook cell as text: strings trimmed (as CSV cells are), numbers in their shortest
/// round-trip decimal form (`0.065`, `120000000`, never an exponent) with the number kept,
/// dates as `YYYY-MM-DD` (with the time when it is not midnight, so a date column rejects it).
/// An error cell (`#N/A`) is `Err` with its display.
fn cell_text(d: &Data) -> Result<(String, Option<f64>), String> {
    Ok(match d {
        Data::Empty => (String::new(), None),
        Data::String(s) => (s.trim().to_string(), None),
        Data::Int(i) => (i.to_string(), Some(*i as f64)),
        Data::Float(f) => (format!("{f}"), Some(*f)),
        Data::Bool(b) => (b.to_string(), None),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
            let date = format!("{y:04}-{mo:02}-{d:02}");
            if (h, mi, s, ms) == (0, 0, 0, 0) {
                (date, None)
            } else {
                (format!("{date} {h:02}:{mi:02}:{s:02}"), None)
            }
        }
        // A duration (`[hh]:mm`) is no field of a tape: its serial number, to be rejected.
        Data::DateTime(dt) => (format!("{}", dt.as_f64()), None),
        Data::DateTimeIso(s) => {
            let s = s.trim();
            let midnight = ["T00:00:00", "T00:00:00.000", "T00:00"];
            match s.get(..10) {
                Some(date) if s.len() == 10 || midnight.contains(&&s[10..]) => {
                    (date.to_string(), None)
                }
                _ => (s.to_string(), None),
            }
        }
        Data::DurationIso(s) => (s.trim().to_string(), None),
        Data::Error(e) => return Err(e.to_string()),
    })
}

// ---------------------------------------------------------------------------------------------
// Excel display formats

/// The text of an amount cell for the exact amount reader. A number cell is taken as a whole
/// fen when it is one to the 15 significant digits Excel itself shows (its formula bar): a
/// formula's result a few units in the last place off (`=0.1+0.2` is 0.30000000000000004) is
/// that fen, while a value Excel shows with more decimals (`1234.5600000001`, `1234.565`) is an
/// error, not silently rounded. (An absolute tolerance such as 10⁻⁶ yuan would accept
/// `1234.5600000001`; float noise is relative to the size of the number.) Text cells are
/// returned as written.
pub fn amount_text(cell: &TableCell) -> Result<String, String> {
    let Some(x) = cell.number else {
        return Ok(cell.text.clone());
    };
    // Beyond 10^13 yuan 15 digits do not reach the fen; the amount reader rejects such sizes
    // anyway, from the text.
    if !x.is_finite() || x.abs() >= 1e13 {
        return Ok(cell.text.clone());
    }
    let fen = (x * 100.0).round();
    let shown = |v: f64| format!("{v:.14e}");
    if shown(x) != shown(fen / 100.0) {
        return Err(format!(
            "expected an amount exact to the fen, found the number {} (not a whole fen to the 15 digits Excel shows; round it in the workbook)",
            cell.text
        ));
    }
    // The shortest text when it already has at most 2 decimals (`120000000`), so the amount
    // reads as a CSV's would; else the fen.
    let fraction = cell.text.split_once('.').map_or("", |(_, f)| f);
    if fraction.len() <= 2 {
        return Ok(cell.text.clone());
    }
    Ok(Decimal::new(fen as i64, 2).to_string())
}

/// An amount with Excel's thousands separators without them: `120,000,000.00` →
/// `120000000.00`. Separators are accepted only between groups of exactly 3 digits after a first
/// group of 1 to 3, so a misplaced comma (`1,23`, a decimal comma) is not silently misread.
pub fn ungroup(text: &str) -> Result<String, String> {
    let t = text.trim();
    if !t.contains(',') {
        return Ok(t.to_string());
    }
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let mut groups = whole.split(',');
    let digits = |g: &str| g.chars().all(|c| c.is_ascii_digit());
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && digits(g));
    if !first_ok || !groups.all(|g| g.len() == 3 && digits(g)) || fraction.contains(',') {
        return Err(format!(
            "expected an amount with thousands separators between groups of 3 digits (like 1,234,567.00), found `{}`",
            shown(text)
        ));
    }
    Ok(t.replace(',', ""))
}

/// A percentage (`6.5%`) as the same number written as a fraction (`0.065`), by moving the
/// decimal point: exact for both decimal and binary readers. Text without `%` is returned
/// unchanged; a `%` after anything but a plain decimal number gives text no reader accepts.
pub fn percent(text: &str) -> String {
    let t = text.trim();
    let Some(number) = t.strip_suffix('%').map(str::trim_end) else {
        return t.to_string();
    };
    let unsigned = number.strip_prefix(['-', '+']).unwrap_or(number);
    let sign = &number[..number.len() - unsigned.len()];
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let plain = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !plain(whole) || !plain(fraction) {
        return t.to_string();
    }
    let digits = format!("{whole}{fraction}");
    let point = whole.len() as i64 - 2;
    if point <= 0 {
        format!(
            "{sign}0.{}{digits}",
            "0".repeat(point.unsigned_abs() as usize)
        )
    } else {
        let (a, b) = digits.split_at(point as usize);
        format!("{sign}{a}.{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workbook_that_unpacks_past_the_bound_is_refused_unread() {
        // A zip of one highly compressible part: small on disk, large unpacked.
        let mut bytes = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut bytes);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .large_file(true);
            w.start_file("xl/worksheets/sheet1.xml", options).unwrap();
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..(MAX_EXPANDED_BYTES >> 20) + 1 {
                std::io::Write::write_all(&mut w, &zeros).unwrap();
            }
            w.finish().unwrap();
        }
        let bytes = bytes.into_inner();
        assert!(bytes.len() < 4 << 20, "{} bytes", bytes.len());
        let message = check_expanded_size(&bytes).unwrap_err();
        assert!(message.contains("unpack to 513 MiB"), "{message}");
        let mut problems = Vec::new();
        assert!(read_workbook(Path::new("t.xlsx"), &bytes, None, &mut problems).is_none());
        assert_eq!(problems[0].field, "workbook");
    }

    fn number_cell(x: f64) -> TableCell {
        TableCell {
            text: format!("{x}"),
            number: Some(x),
            location: Location::File,
        }
    }

    #[test]
    fn number_cells_are_their_shortest_decimal_text() {
        assert_eq!(cell_text(&Data::Float(120000000.0)).unwrap().0, "120000000");
        assert_eq!(cell_text(&Data::Float(0.065)).unwrap().0, "0.065");
        assert_eq!(cell_text(&Data::Float(1e-7)).unwrap().0, "0.0000001");
        assert_eq!(cell_text(&Data::Int(48)).unwrap().0, "48");
        assert_eq!(cell_text(&Data::String(" L01 ".into())).unwrap().0, "L01");
        assert_eq!(
            cell_text(&Data::Error(calamine::CellErrorType::NA)).unwrap_err(),
            "#N/A"
        );
    }

    #[test]
    fn date_cells_are_iso_dates() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        // 43624 is 2019-06-08 in the 1900 date system.
        let d = Data::DateTime(ExcelDateTime::new(
            43624.0,
            ExcelDateTimeType::DateTime,
            false,
        ));
        assert_eq!(cell_text(&d).unwrap().0, "2019-06-08");
        let noon = Data::DateTime(ExcelDateTime::new(
            43624.5,
            ExcelDateTimeType::DateTime,
            false,
        ));
        assert_eq!(cell_text(&noon).unwrap().0, "2019-06-08 12:00:00");
        let iso = Data::DateTimeIso("2019-06-08T00:00:00".into());
        assert_eq!(cell_text(&iso).unwrap().0, "2019-06-08");
    }

    #[test]
    fn amount_cells_are_whole_fen() {
        assert_eq!(amount_text(&number_cell(120000000.0)).unwrap(), "120000000");
        assert_eq!(amount_text(&number_cell(1234.56)).unwrap(), "1234.56");
        // A formula's result a few ulps off a fen is that fen.
        assert_eq!(amount_text(&number_cell(0.1 + 0.2)).unwrap(), "0.30");
        let err = amount_text(&number_cell(1234.5600000001)).unwrap_err();
        assert!(
            err.contains("exact to the fen") && err.contains("1234.5600000001"),
            "{err}"
        );
        assert!(amount_text(&number_cell(1234.565)).is_err());
        assert!(amount_text(&number_cell(1234.5600001)).is_err());
        assert_eq!(
            amount_text(&number_cell(999_999_999_999.99)).unwrap(),
            "999999999999.99"
        );
        assert_eq!(amount_text(&number_cell(0.07 * 3.0)).unwrap(), "0.21");
        // Text cells are left to the amount reader.
        let text = TableCell {
            text: "1,234.00".into(),
            number: None,
            location: Location::File,
        };
        assert_eq!(amount_text(&text).unwrap(), "1,234.00");
    }

    #[test]
    fn thousands_separators_only_in_groups_of_three() {
        assert_eq!(ungroup("1,234.00").unwrap(), "1234.00");
        assert_eq!(ungroup("120,000,000.00").unwrap(), "120000000.00");
        assert_eq!(ungroup("999").unwrap(), "999");
        assert_eq!(ungroup("-1,000").unwrap(), "-1000");
        for bad in [
            "1,23",
            "1,2345",
            "1234,567",
            ",123",
            "1,,234",
            "1,234.5,6",
            "1.234,56",
            "a,bcd",
        ] {
            let err = ungroup(bad).unwrap_err();
            assert!(err.contains("groups of 3 digits"), "{bad}: {err}");
            assert!(err.contains(&format!("found `{bad}`")), "{bad}: {err}");
        }
    }

    #[test]
    fn percentages_move_the_decimal_point() {
        assert_eq!(percent("6.5%"), "0.065");
        assert_eq!(percent("3%"), "0.03");
        assert_eq!(percent("12.5 %"), "0.125");
        assert_eq!(percent("100%"), "1.00");
        assert_eq!(percent("150%"), "1.50");
        assert_eq!(percent("0.5%"), "0.005");
        assert_eq!(percent("0.065"), "0.065");
        // Exact: the same values as the fractions written out.
        assert_eq!(percent("6.5%").parse::<f64>(), "0.065".parse::<f64>());
        assert_eq!(
            percent("6.5%").parse::<Decimal>(),
            "0.065".parse::<Decimal>()
        );
        // Not a plain number before `%`: left for the reader to reject.
        for bad in ["%", "6,5%", "abc%", "1e2%", "6.5%%"] {
            let out = percent(bad);
            assert!(out.parse::<f64>().is_err(), "{bad} -> {out}");
        }
    }

    #[test]
    fn encodings_are_detected() {
        let utf8 = "id,obligor\nL01,演艺公司甲\n";
        assert_eq!(decode(utf8.as_bytes(), None).unwrap(), utf8);
        let bom = [BOM, utf8.as_bytes()].concat();
        assert_eq!(decode(&bom, None).unwrap(), utf8);
        assert_eq!(decode(&bom, Some(Encoding::Utf8)).unwrap(), utf8);
        let (gbk, _, _) = encoding_rs::GBK.encode(utf8);
        assert!(std::str::from_utf8(&gbk).is_err());
        assert_eq!(decode(&gbk, None).unwrap(), utf8);
        assert_eq!(decode(&gbk, Some(Encoding::Gb18030)).unwrap(), utf8);
        // Declared UTF-8, a GBK file is an error at its first Chinese byte (line 2).
        let err = decode(&gbk, Some(Encoding::Utf8)).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.message
                .contains("UTF-8 (invalid byte at byte offset 15, line 2)")
                && err.message.contains("declared"),
            "{}",
            err.message
        );
    }

    #[test]
    fn undecodable_bytes_are_located() {
        // 0xFF starts no character in either encoding.
        let mut bytes = b"id,obligor\nL01,".to_vec();
        bytes.extend(encoding_rs::GBK.encode("公司").0.iter());
        bytes.extend(b"\nL02,\xFF\n");
        let err = decode(&bytes, None).unwrap_err();
        assert!(
            err.message
                .contains("UTF-8 (invalid byte at byte offset 15, line 2)")
                && err
                    .message
                    .contains("GB18030/GBK (invalid byte at byte offset 24, line 3)"),
            "{}",
            err.message
        );
        assert_eq!(err.line, 3);
        let err = decode(&bytes, Some(Encoding::Gb18030)).unwrap_err();
        assert!(
            err.message
                .contains("GB18030/GBK (invalid byte at byte offset 24, line 3)")
                && !err.message.contains("UTF-8 ("),
            "{}",
            err.message
        );
    }

    #[test]
    fn crlf_tapes_number_lines_as_editors_do() {
        for eol in ["\n", "\r\n"] {
            let text = ["id,rate", "L1,0.1", "L2,x", "L3,0.2"].join(eol) + eol;
            let mut problems = Vec::new();
            let table = read_csv(Path::new("t.csv"), &text, &mut problems).unwrap();
            let lines: Vec<u64> = table.rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, vec![2, 3, 4], "eol {eol:?}");
            assert_eq!(table.rows[1].cells[1].text, "x");
            assert!(problems.is_empty());
        }
    }

    #[test]
    fn a_bom_is_not_part_of_the_first_header() {
        let bytes = [BOM, b"id,rate\nL1,0.1\n"].concat();
        let mut problems = Vec::new();
        let read = read(Path::new("t.csv"), &bytes, None, None, &mut problems);
        let table = read.table.unwrap();
        assert_eq!(table.headers().collect::<Vec<_>>(), ["id", "rate"]);
        assert!(problems.is_empty());
    }

    #[test]
    fn encoding_names() {
        assert_eq!(Encoding::parse("UTF-8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::parse("GBK"), Some(Encoding::Gb18030));
        assert_eq!(Encoding::parse("gb18030"), Some(Encoding::Gb18030));
        assert_eq!(Encoding::parse("latin1"), None);
    }
}
