//! Writing results: one manager does all file writing, into a temporary folder that is renamed
//! into place only when every file is complete.

pub mod cashflow;
pub mod charts;
pub mod csv_safe;
pub mod html;
pub mod montecarlo;
pub mod table;
pub mod xlsx;

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

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
}

/// An output folder being written. Files go to a hidden sibling folder; [`OutputDir::commit`]
/// replaces the target folder with it. Dropped without commit, the partial folder is removed.
pub struct OutputDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl OutputDir {
    /// Starts writing `target` (created with its parents when committed).
    pub fn create(target: &Path) -> Result<Self, ReportError> {
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|source| ReportError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
        let name = target
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|source| ReportError::Io {
            path: staging.clone(),
            source,
        })?;
        Ok(OutputDir {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// The folder files are being written to now.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// Where a file named `name` is written (sub-folders created).
    pub fn path(&self, name: &str) -> Result<PathBuf, ReportError> {
        let path = self.staging.join(name);
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

    /// Writes a value as pretty JSON.
    pub fn json<T: Serialize>(&self, name: &str, value: &T) -> Result<(), ReportError> {
        let path = self.path(name)?;
        let text = serde_json::to_string_pretty(value).map_err(|source| ReportError::Json {
            path: path.clone(),
            source,
        })?;
        std::fs::write(&path, text + "\n").map_err(|source| ReportError::Io { path, source })
    }

    /// Writes text.
    pub fn text(&self, name: &str, text: &str) -> Result<(), ReportError> {
        let path = self.path(name)?;
        std::fs::write(&path, text).map_err(|source| ReportError::Io { path, source })
    }

    /// Replaces the target folder with the finished one.
    pub fn commit(mut self) -> Result<PathBuf, ReportError> {
        if self.target.exists() {
            std::fs::remove_dir_all(&self.target).map_err(|source| ReportError::Io {
                path: self.target.clone(),
                source,
            })?;
        }
        std::fs::rename(&self.staging, &self.target).map_err(|source| ReportError::Io {
            path: self.target.clone(),
            source,
        })?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Identifies a run: program version, scenario file and its SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct RunMetadata {
    pub program: &'static str,
    pub version: &'static str,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub rounding: &'static str,
}

impl RunMetadata {
    pub fn new(scenario: &Path) -> Self {
        let bytes = std::fs::read(scenario).unwrap_or_default();
        let digest = Sha256::digest(&bytes);
        RunMetadata {
            program: "ipabs",
            version: env!("CARGO_PKG_VERSION"),
            scenario_file: scenario.display().to_string(),
            scenario_sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
            rounding: "amounts in yuan, exact decimals rounded half-up (away from zero) to the fen (0.01)",
        }
    }
}
