//! Errors in scenario files and loan tapes, each with its file and location, rendered once.

use std::fmt;
use std::path::PathBuf;

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A byte range in a TOML file.
    Span(std::ops::Range<usize>),
    /// A CSV cell: 1-based line in the file and 1-based column, with the column's header.
    Cell {
        line: u64,
        column: usize,
        header: String,
    },
    /// A whole CSV line.
    Line(u64),
    /// A cell of a worksheet (`.xlsx` tapes): row and column as Excel numbers them (row 1,
    /// column 1 = A1), with the column's header.
    SheetCell {
        sheet: String,
        row: u64,
        column: usize,
        header: String,
    },
    /// A whole worksheet row.
    SheetRow { sheet: String, row: u64 },
    /// The file as a whole.
    File,
}

/// One problem found in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub location: Location,
    /// The field, as a path (`tranches[1].balance`) or a CSV column name.
    pub field: String,
    /// What was expected.
    pub message: String,
}

/// Every way loading a scenario can fail.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// One or more problems; `sources` maps files to their text for excerpts.
    #[error("{}", render(problems, sources))]
    Invalid {
        problems: Vec<Problem>,
        sources: Vec<(PathBuf, String)>,
    },
}

/// A problem as a program reads it (`--json`): the file, and the line and column of a TOML
/// value (columns in characters) or the row and column of a tape cell.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LocatedProblem {
    pub file: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// A tape cell's column name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// The worksheet of a workbook tape (`line` is then its row, as Excel numbers them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub field: String,
    pub message: String,
}

impl ScenarioError {
    /// Every problem with its place resolved to line and column.
    pub fn located(&self) -> Vec<LocatedProblem> {
        let ScenarioError::Invalid { problems, sources } = self else {
            return Vec::new();
        };
        problems
            .iter()
            .map(|p| {
                let text = sources.iter().find(|(f, _)| *f == p.file).map(|(_, t)| t);
                let mut sheet = None;
                let (line, column, header) = match (&p.location, text) {
                    (Location::Span(span), Some(text)) => {
                        let (line, column) = line_col(text, span.start);
                        (Some(line as u64), Some(column), None)
                    }
                    (Location::Span(_), None) | (Location::File, _) => (None, None, None),
                    (
                        Location::Cell {
                            line,
                            column,
                            header,
                        },
                        _,
                    ) => (Some(*line), Some(*column), Some(header.clone())),
                    (Location::Line(line), _) => (Some(*line), None, None),
                    (
                        Location::SheetCell {
                            sheet: s,
                            row,
                            column,
                            header,
                        },
                        _,
                    ) => {
                        sheet = Some(s.clone());
                        (Some(*row), Some(*column), Some(header.clone()))
                    }
                    (Location::SheetRow { sheet: s, row }, _) => {
                        sheet = Some(s.clone());
                        (Some(*row), None, None)
                    }
                };
                LocatedProblem {
                    file: p.file.clone(),
                    line,
                    column,
                    header,
                    sheet,
                    field: p.field.clone(),
                    message: p.message.clone(),
                }
            })
            .collect()
    }

    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Invalid { problems, .. } => problems,
            ScenarioError::Io { .. } => &[],
        }
    }
}

/// 1-based line and column (in characters, so Chinese text lines up) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    // The `\n` of a CRLF ending is where the `\r` is: the end of the line, as with LF.
    if offset > 0
        && text.as_bytes().get(offset) == Some(&b'\n')
        && text.as_bytes()[offset - 1] == b'\r'
    {
        offset -= 1;
    }
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Most problems printed; the rest are counted ("... and N more problems").
pub const MAX_PROBLEMS_SHOWN: usize = 50;

fn render(problems: &[Problem], sources: &[(PathBuf, String)]) -> String {
    let mut out = String::new();
    let count = problems.len();
    for p in problems.iter().take(MAX_PROBLEMS_SHOWN) {
        let file = p.file.display();
        let text = sources
            .iter()
            .find(|(f, _)| *f == p.file)
            .map(|(_, t)| t.as_str());
        match (&p.location, text) {
            (Location::Span(span), Some(text)) => {
                let (line, col) = line_col(text, span.start);
                out += &format!(
                    "error: {}: {}\n  --> {file}:{line}:{col}\n",
                    p.field, p.message
                );
                let source_line = text.lines().nth(line - 1).unwrap_or("");
                // A span that does not fall on character boundaries is widened to them
                // rather than sliced (slicing would panic).
                let start = text.floor_char_boundary(span.start.min(text.len()));
                let end = text.ceil_char_boundary(span.end.clamp(start, text.len()));
                let width = text[start..end]
                    .lines()
                    .next()
                    .map_or(1, |s| s.chars().count().max(1));
                let gutter = line.to_string().len();
                out += &format!(
                    "{:gutter$} |\n{line} | {source_line}\n{:gutter$} | {}{}\n",
                    "",
                    "",
                    " ".repeat(col - 1),
                    "^".repeat(width)
                );
            }
            (Location::Span(_), None) | (Location::File, _) => {
                out += &format!("error: {}: {}\n  --> {file}\n", p.field, p.message);
            }
            (
                Location::Cell {
                    line,
                    column,
                    header,
                },
                _,
            ) => {
                let row = if *line <= 1 {
                    "header".to_string()
                } else {
                    format!("row {}", line - 1)
                };
                out += &format!(
                    "error: {}: {}\n  --> {file}:{line}:{column} ({row}, column `{header}`)\n",
                    p.field, p.message,
                );
            }
            (Location::Line(line), _) => {
                out += &format!("error: {}: {}\n  --> {file}:{line}\n", p.field, p.message);
            }
            // No excerpt: a workbook has no text to quote.
            (
                Location::SheetCell {
                    sheet,
                    row,
                    column,
                    header,
                },
                _,
            ) => {
                let cell = format!("{}{row}", column_letters(*column));
                let column = if header.is_empty() {
                    String::new()
                } else {
                    format!(", column {header}")
                };
                out += &format!(
                    "error: {}: {}\n  --> {file}, sheet {sheet}, row {row}{column} (cell {cell})\n",
                    p.field, p.message,
                );
            }
            (Location::SheetRow { sheet, row }, _) => {
                out += &format!(
                    "error: {}: {}\n  --> {file}, sheet {sheet}, row {row}\n",
                    p.field, p.message
                );
            }
        }
    }
    if count > MAX_PROBLEMS_SHOWN {
        let more = count - MAX_PROBLEMS_SHOWN;
        let noun = if more == 1 { "problem" } else { "problems" };
        out += &format!("... and {more} more {noun}\n");
    }
    if count > 1 {
        out += &format!("{count} problems found\n");
    }
    out.trim_end().to_string()
}

/// Excel's name of 1-based column `n`: 1 → A, 27 → AA.
fn column_letters(mut n: usize) -> String {
    let mut letters = Vec::new();
    while n > 0 {
        let k = (n - 1) % 26;
        letters.push(b'A' + k as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.file.display(),
            self.field,
            self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(n: usize) -> Vec<Problem> {
        (0..n)
            .map(|k| Problem {
                file: PathBuf::from("tape.csv"),
                location: Location::Line(k as u64 + 2),
                field: "rate".into(),
                message: format!("problem {k}"),
            })
            .collect()
    }

    #[test]
    fn the_list_of_problems_is_capped() {
        let text = render(&problems(MAX_PROBLEMS_SHOWN + 7), &[]);
        assert_eq!(text.matches("error: ").count(), MAX_PROBLEMS_SHOWN);
        assert!(text.contains("problem 49\n") && !text.contains("problem 50\n"));
        assert!(
            text.ends_with("... and 7 more problems\n57 problems found"),
            "{text}"
        );
        let text = render(&problems(MAX_PROBLEMS_SHOWN), &[]);
        assert!(!text.contains("more problem"));
    }

    #[test]
    fn sheet_cells_are_named_as_in_excel() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(703), "AAA");
        let p = Problem {
            file: PathBuf::from("tape.xlsx"),
            location: Location::SheetCell {
                sheet: "Pool".into(),
                row: 7,
                column: 8,
                header: "balance".into(),
            },
            field: "balance".into(),
            message: "expected a positive amount".into(),
        };
        assert_eq!(
            render(&[p], &[]),
            "error: balance: expected a positive amount\n  --> tape.xlsx, sheet Pool, row 7, column balance (cell H7)"
        );
    }

    #[test]
    fn crlf_lines_and_columns() {
        let text = "[deal]\r\nname = 1\r\ncoupon = 1.5\r\n";
        assert_eq!(line_col(text, text.find("1.5").unwrap()), (3, 10));
    }

    #[test]
    fn end_of_line_is_the_same_column_with_lf_and_crlf() {
        // An error at the end of a line (an unterminated string) points at its line break.
        let lf = "a = 1\nname = \"manage\nb = 2\n";
        let crlf = lf.replace('\n', "\r\n");
        let at_lf = line_col(lf, lf.find("manage").unwrap() + 6);
        let at_crlf = line_col(&crlf, crlf.find("manage").unwrap() + 7);
        assert_eq!(at_lf, (2, 15));
        assert_eq!(at_crlf, at_lf);
    }
}
