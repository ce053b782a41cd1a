//! A scenario file parsed once: its TOML tree with source spans, and the files it names (loan
//! tape, schedules) read and parsed once into [`Attachments`]. Validation turns a tree — the
//! file as written, or with values set from outside it (a sweep point, a sizing step) — into a
//! [`Deal`], so a sweep or a sizing search validates many trees without reading a file again.

use serde::Deserialize;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::DeTable;

use super::ctx::Ctx;
use super::error::{Location, Problem, ScenarioError};
use super::raw::RawScenario;
use super::table::{self, Encoding, Key, Table};
use super::tape::{self, AssetRecord};
use crate::deal::Deal;
use crate::pool::ScheduledPayment;

/// A TOML tree with the byte spans of its values in the scenario text.
pub type Tree<'i> = Spanned<DeTable<'i>>;

/// A scenario file's text and its parsed tree (syntax checked; nothing validated yet).
pub struct Document<'t> {
    path: PathBuf,
    text: &'t str,
    tree: Tree<'t>,
}

/// A value of a tree set from outside the file: a sweep point's value, a sizing step's balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The span the value carries in the tree, from [`Document::override_span`]: past the end
    /// of the text, so validation tells it from the file's own values.
    pub span: Range<usize>,
    /// The value as TOML (`0.45`), read exactly, as the file's literals are.
    pub literal: String,
    /// Where in the file it goes: the value it replaces, or the table it is added to.
    pub at: Range<usize>,
    /// The value the file has there, as written; `None` when the key is added.
    pub replaced: Option<String>,
    /// What set it, for messages (`assumptions.recovery_rate=1.5`).
    pub origin: String,
}

/// Explicit payments per asset id, from a schedules file.
pub type Schedules = HashMap<String, ScheduleRows>;

/// One asset's rows of a schedules file: where the first is and the payments.
#[derive(Debug, Clone)]
pub struct ScheduleRows {
    /// The first row's line (CSV) or row (sheet), for file order.
    pub line: u64,
    /// Its `asset_id` cell, for problems with the rows as a whole.
    pub at: Location,
    pub payments: Vec<ScheduledPayment>,
}

/// One file the scenario names, read and parsed.
pub struct Attached<T> {
    pub path: PathBuf,
    pub parsed: T,
    /// What the file's reader found wrong with it (reported by every validation).
    pub problems: Vec<Problem>,
}

/// The files a scenario names, read and parsed once per document: validation does no I/O.
#[derive(Default)]
pub struct Attachments {
    pub tape: Option<Attached<Vec<AssetRecord>>>,
    pub schedules: Option<Attached<Schedules>>,
    /// Files that could not be read (missing, undecodable, no such sheet), located at the name
    /// in the scenario or in the file.
    unread: Vec<Problem>,
    /// Each file's text, for excerpts in messages.
    sources: Vec<(PathBuf, String)>,
}

impl<'t> Document<'t> {
    /// Parses scenario `text` as if read from `path`; a TOML syntax error is a located problem.
    pub fn parse(path: &Path, text: &'t str) -> Result<Self, ScenarioError> {
        match DeTable::parse(text) {
            Ok(tree) => Ok(Document {
                path: path.to_path_buf(),
                text,
                tree,
            }),
            Err(e) => Err(ScenarioError::Invalid {
                problems: vec![toml_problem(path, text, &e, &[])],
                sources: vec![(path.to_path_buf(), text.to_string())],
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn text(&self) -> &'t str {
        self.text
    }

    /// The file as parsed; clone it to set values.
    pub fn tree(&self) -> &Tree<'t> {
        &self.tree
    }

    /// The span for the `k`-th value set from outside the file (see [`Override::span`]).
    pub fn override_span(&self, k: usize) -> Range<usize> {
        let at = self.text.len() + 1 + k;
        at..at + 1
    }

    /// Reads and parses the loan tape and schedules the file names (next to the file). Problems
    /// are kept, and reported by each validation.
    pub fn attachments(&self) -> Attachments {
        let mut out = Attachments::default();
        let pool = self
            .tree
            .get_ref()
            .get("pool")
            .and_then(|p| p.get_ref().as_table());
        // A key of another type is reported when the tree is validated (raw.rs).
        let named = |key: &str| {
            let value = pool?.get(key)?;
            Some((value.get_ref().as_str()?.to_string(), value.span()))
        };
        let key = |key: &str| {
            named(key).map(|(value, span)| Key {
                value,
                scenario: self.path.clone(),
                span,
                field: format!("pool.{key}"),
            })
        };
        let encoding = match named("encoding") {
            None => None,
            Some((name, span)) => match Encoding::parse(&name) {
                Some(e) => Some(e),
                None => {
                    out.unread.push(Problem {
                        file: self.path.clone(),
                        location: Location::Span(span),
                        field: "pool.encoding".into(),
                        message: format!(
                            "expected one of {}, found `{}`",
                            Encoding::NAMES,
                            tape::shown(&name)
                        ),
                    });
                    // The files are not read in an encoding that is not the one meant.
                    return out;
                }
            },
        };
        if let Some((name, span)) = named("loan_tape") {
            let sheet = key("loan_tape_sheet");
            out.tape = self.attach(
                &name,
                span,
                "pool.loan_tape",
                (sheet.as_ref(), encoding),
                &mut out,
                tape::read_tape,
            );
        }
        if let Some((name, span)) = named("schedules") {
            let sheet = key("schedules_sheet");
            out.schedules = self.attach(
                &name,
                span,
                "pool.schedules",
                (sheet.as_ref(), encoding),
                &mut out,
                tape::read_schedules,
            );
        }
        out
    }

    /// Reads file `name` (next to the scenario) into a table with the sheet and encoding keys
    /// that apply to it, and parses the table.
    fn attach<T>(
        &self,
        name: &str,
        span: Range<usize>,
        field: &str,
        (sheet, encoding): (Option<&Key>, Option<Encoding>),
        out: &mut Attachments,
        parse: impl Fn(&Path, &Table, &mut Vec<Problem>) -> T,
    ) -> Option<Attached<T>> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        let file = base.join(name);
        let bytes = match crate::input::read_bytes(&file) {
            Ok(bytes) => bytes,
            Err(e) => {
                out.unread.push(Problem {
                    file: self.path.clone(),
                    location: Location::Span(span),
                    field: field.into(),
                    message: format!("cannot read {}: {e}", file.display()),
                });
                return None;
            }
        };
        let mut problems = Vec::new();
        let read = table::read(&file, &bytes, sheet, encoding, &mut problems);
        if let Some(text) = read.text {
            out.sources.push((file.clone(), text));
        }
        let Some(table) = read.table else {
            // Not read at all (undecodable, no such sheet): the reasons stand for the file.
            out.unread.extend(problems);
            return None;
        };
        let parsed = parse(&file, &table, &mut problems);
        Some(Attached {
            path: file,
            parsed,
            problems,
        })
    }

    /// Validates the file as written.
    pub fn validate_as_written(&self, attachments: &Attachments) -> Result<Deal, ScenarioError> {
        self.validate(self.tree.clone(), &[], attachments)
    }

    /// Validates `tree` (this document's tree with `overrides` set) with the attachments read
    /// once. A problem with a set value points at where it goes in the file and says what set
    /// it.
    pub fn validate(
        &self,
        tree: Tree<'_>,
        overrides: &[Override],
        attachments: &Attachments,
    ) -> Result<Deal, ScenarioError> {
        let raw = match RawScenario::deserialize(toml::de::Deserializer::from(tree)) {
            Ok(raw) => raw,
            Err(e) => {
                return Err(ScenarioError::Invalid {
                    problems: vec![toml_problem(&self.path, self.text, &e, overrides)],
                    sources: vec![(self.path.clone(), self.text.to_string())],
                });
            }
        };
        let mut ctx = Ctx::new(&self.path, self.text, overrides);
        ctx.problems.extend(attachments.unread.iter().cloned());
        let deal = super::validate::validate(&raw, &mut ctx, attachments);
        match deal {
            Some(deal) if ctx.problems.is_empty() => Ok(deal),
            _ => {
                let mut problems = ctx.problems;
                for p in &mut problems {
                    if p.file == self.path {
                        relocate(p, overrides);
                    }
                }
                let mut sources = vec![(self.path.clone(), self.text.to_string())];
                sources.extend(attachments.sources.iter().cloned());
                Err(ScenarioError::Invalid { problems, sources })
            }
        }
    }
}

/// Points a problem with a set value at its place in the file, and says what set it.
fn relocate(problem: &mut Problem, overrides: &[Override]) {
    let Location::Span(span) = &problem.location else {
        return;
    };
    let Some(o) = overrides.iter().find(|o| o.span == *span) else {
        return;
    };
    problem.message += &match &o.replaced {
        Some(old) => format!(" (set by {}; the file has {old})", o.origin),
        None => format!(" (set by {}; not in the file)", o.origin),
    };
    problem.location = Location::Span(o.at.clone());
}

/// A TOML syntax or type error as a problem, its field named from the text.
fn toml_problem(path: &Path, text: &str, e: &toml::de::Error, overrides: &[Override]) -> Problem {
    let mut problem = Problem {
        file: path.to_path_buf(),
        location: e.span().map_or(Location::File, Location::Span),
        field: String::new(),
        message: parse_message(e.message()),
    };
    relocate(&mut problem, overrides);
    problem.field = match &problem.location {
        Location::Span(span) => super::key_path_at(text, span.start),
        _ => "syntax".to_string(),
    };
    problem
}

/// toml's message for a bare word where a value belongs talks about quoting; say what fits.
fn parse_message(message: &str) -> String {
    let message = message.trim();
    if message.starts_with("string values must be quoted") {
        return "invalid value: expected a number, a quoted string, a date or a list".to_string();
    }
    message.to_string()
}
