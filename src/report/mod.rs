//! Writing results: one manager does all file writing, into a staging folder that is renamed
//! into place only when every file is complete (the ownership rules are in [`outdir`]).

pub mod cashflow;
pub mod charts;
pub mod compare;
pub mod csv_safe;
pub mod deal_doc;
pub mod html;
pub mod montecarlo;
pub mod outdir;
pub mod run_info;
pub mod sections;
pub mod shard;
pub mod structuring;
pub mod table;
pub mod xlsx;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

pub use outdir::{OutputDir, Request};

/// Errors while writing outputs.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error("cannot write {}: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{0}")]
    Other(String),
    /// The output target may not be written; nothing was changed.
    #[error("refusing to write {}: {reason}", target.display())]
    Refused { target: PathBuf, reason: String },
    /// Another process holds the target's lock.
    #[error("{} is being written by {holder}; wait for it to finish or choose another --out", target.display())]
    Busy { target: PathBuf, holder: String },
    /// Stopped by a signal; the staging folder is removed and the previous output kept.
    #[error("{0}")]
    Cancelled(crate::cancel::Cancelled),
}

impl OutputDir {
    /// Where a file named `name` is written (sub-folders created).
    pub fn path(&self, name: &str) -> Result<PathBuf, ReportError> {
        let path = self.staging().join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        Ok(path)
    }

    /// Writes rows as a CSV with a header from the row type's field names; text cells that
    /// would start a spreadsheet formula are neutralised ([`csv_safe`]).
    pub fn csv<T: Serialize>(&self, name: &str, rows: &[T]) -> Result<(), ReportError> {
        let path = self.path(name)?;
        let mut w = csv_safe::Writer::from_path(&path).map_err(|source| ReportError::Csv {
            path: path.clone(),
            source,
        })?;
        for row in rows {
            w.serialize(row).map_err(|source| ReportError::Csv {
                path: path.clone(),
                source,
            })?;
        }
        w.flush().map_err(|source| ReportError::Io { path, source })
    }

    /// Writes a value as pretty JSON (and keeps it for the command's `--json` summary).
    pub fn json<T: Serialize>(&self, name: &str, value: &T) -> Result<(), ReportError> {
        let path = self.path(name)?;
        let text = serde_json::to_string_pretty(value).map_err(|source| ReportError::Json {
            path: path.clone(),
            source,
        })?;
        self.keep_document(name, &text);
        std::fs::write(&path, text + "\n").map_err(|source| ReportError::Io { path, source })
    }

    /// Writes text.
    pub fn text(&self, name: &str, text: &str) -> Result<(), ReportError> {
        let path = self.path(name)?;
        std::fs::write(&path, text).map_err(|source| ReportError::Io { path, source })
    }
}

/// Identifies a run: program version, scenario file and its SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunMetadata {
    pub program: Cow<'static, str>,
    pub version: Cow<'static, str>,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub rounding: Cow<'static, str>,
}

impl RunMetadata {
    /// The metadata of a run on `text`, read from `scenario`.
    pub fn new(scenario: &Path, text: &str) -> Self {
        let digest = Sha256::digest(text.as_bytes());
        RunMetadata {
            program: "ipabs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario_file: scenario.display().to_string(),
            scenario_sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
            rounding:
                "amounts in yuan, exact decimals rounded half-up (away from zero) to the fen (0.01)"
                    .into(),
        }
    }
}
