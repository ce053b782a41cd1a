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

impl ScenarioError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Invalid { problems, .. } => problems,
            ScenarioError::Io { .. } => &[],
        }
    }
}

/// 1-based line and column (in characters, so Chinese text lines up) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn render(problems: &[Problem], sources: &[(PathBuf, String)]) -> String {
    let mut out = String::new();
    let count = problems.len();
    for p in problems {
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
                let width = text[span.clone()]
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
        }
    }
    if count > 1 {
        out += &format!("{count} problems found\n");
    }
    out.trim_end().to_string()
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
