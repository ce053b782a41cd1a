//! What a command ends with: a report for a person (the terminal text) and a summary for a
//! program (`--json`). The summary of a command that writes an output folder carries the JSON
//! documents it wrote there, as written, so stdout and the files share one schema.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::value::RawValue;
use std::path::PathBuf;

use super::AppError;
use crate::report::outdir::{Committed, Document};

/// A finished command: its terminal report and its `--json` summary.
pub struct Outcome {
    pub text: String,
    /// Errors found along the way that did not stop the command (`validate` of several
    /// files), printed to stderr with or without `--json`.
    pub stderr: String,
    pub summary: Summary,
}

/// The `--json` document of a command (success or failure), one JSON object on stdout.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub program: &'static str,
    pub version: &'static str,
    pub command: String,
    pub ok: bool,
    /// The exit code the command ends with (0, or that of its error).
    pub exit_code: i32,
    /// The output folder written, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out: Option<PathBuf>,
    /// Every file and folder of the output folder, relative (the ownership marker excluded).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// The folder's JSON documents by file name, as written there.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "documents_as_map"
    )]
    pub documents: Vec<Document>,
    /// What a command that writes no folder found (`validate`, `new`, ...), or the rows a
    /// command writes only as CSV (`sweep`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorSummary>,
}

/// A failed command: its message as printed, and each located problem of an invalid scenario.
#[derive(Debug, Serialize)]
pub struct ErrorSummary {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<crate::scenario::error::LocatedProblem>,
}

fn documents_as_map<S: serde::Serializer>(docs: &[Document], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(docs.len()))?;
    for (name, raw) in docs {
        map.serialize_entry(name, raw)?;
    }
    map.end()
}

impl Summary {
    fn new(command: &str) -> Self {
        Summary {
            program: "ipabs",
            version: env!("CARGO_PKG_VERSION"),
            command: command.to_string(),
            ok: true,
            exit_code: 0,
            out: None,
            files: Vec::new(),
            documents: Vec::new(),
            result: None,
            error: None,
        }
    }

    /// The summary of a failed command.
    pub fn failed(command: &str, error: &AppError) -> Self {
        let problems = match error {
            AppError::Scenario(e) => e.located(),
            AppError::Structuring(crate::structuring::StructuringError::Invalid {
                error, ..
            }) => error.located(),
            _ => Vec::new(),
        };
        Summary {
            ok: false,
            exit_code: error.exit_code(),
            error: Some(ErrorSummary {
                message: error.to_string(),
                problems,
            }),
            ..Summary::new(command)
        }
    }
}

impl Outcome {
    /// A command that wrote the output folder `written`.
    pub fn folder(command: &str, text: String, written: Committed) -> Self {
        Outcome {
            text,
            stderr: String::new(),
            summary: Summary {
                out: Some(written.path),
                files: written.entries,
                documents: written.documents,
                ..Summary::new(command)
            },
        }
    }

    /// A command whose summary is `result`.
    pub fn of<T: Serialize>(command: &str, text: String, result: &T) -> Self {
        Outcome {
            text,
            stderr: String::new(),
            summary: Summary {
                result: Some(raw(result)),
                ..Summary::new(command)
            },
        }
    }

    /// Adds `result` to the summary (rows that the folder holds only as CSV).
    pub fn with_result<T: Serialize>(mut self, result: &T) -> Self {
        self.summary.result = Some(raw(result));
        self
    }
}

/// A typed value as JSON text: the types here serialise infallibly (no maps with non-string
/// keys); should one not, the summary says so rather than the command failing after its work.
fn raw<T: Serialize>(value: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).unwrap_or_else(|e| {
        serde_json::value::to_raw_value(&format!("unserialisable summary: {e}"))
            .expect("a string serialises")
    })
}
