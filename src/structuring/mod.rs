//! Structuring tools: parameter sweeps, break-even default rates, implied ratings and tranche
//! sizing, all built on the one waterfall (`engine::run_path`) and the Monte Carlo driver.

pub mod breakeven;
pub mod config;
pub mod error;
pub mod overrides;
pub mod rating;
pub mod sensitivity;
pub mod sizing;
pub mod sweep;

use std::path::Path;

pub use error::StructuringError;

use crate::deal::Deal;
use crate::scenario::{Attachments, Document, ScenarioError};

/// A scenario as the structuring commands need it: its text (for overrides), the validated
/// deal, the structuring sections and the files it names, read once (every sweep point and
/// sizing step reuses them).
pub struct Loaded {
    pub text: String,
    pub deal: Deal,
    pub config: config::StructuringConfig,
    pub attachments: Attachments,
}

impl Loaded {
    /// The scenario's parsed tree, for overrides (`path`: where it was read from).
    pub fn document<'a>(&'a self, path: &Path) -> Result<Document<'a>, ScenarioError> {
        Document::parse(path, &self.text)
    }
}

/// Reads and validates a scenario file, its attachments and its structuring sections (and the
/// tables `[rating]` names). Every command loads scenarios through here, so they accept and
/// reject the same files, with the same problems.
pub fn load(path: &Path) -> Result<Loaded, ScenarioError> {
    let text = crate::scenario::read_scenario(path)?;
    load_text(path, text)
}

/// [`load`] for scenario `text` as if read from `path`. All problems of the deal and of the
/// structuring sections are reported together.
pub fn load_text(path: &Path, text: String) -> Result<Loaded, ScenarioError> {
    let (deal, attachments) = match Document::parse(path, &text) {
        Ok(doc) => {
            let attachments = doc.attachments();
            (doc.validate_as_written(&attachments), attachments)
        }
        Err(e) => (Err(e), Attachments::default()),
    };
    let config = config::read(path, &text);
    match (deal, config) {
        (Ok(deal), Ok(config)) => {
            // Defaults spread over more payment dates than the deal has is a mistyped number,
            // not something to clamp silently.
            let dates = deal.period_ends.len();
            match config.breakeven.periods {
                Some(n) if n > dates => Err(ScenarioError::Invalid {
                    problems: vec![crate::scenario::Problem {
                        file: path.to_path_buf(),
                        location: crate::scenario::Location::File,
                        field: "breakeven.periods".into(),
                        message: format!(
                            "expected at most {dates} (the deal's payment dates), found {n}"
                        ),
                    }],
                    sources: vec![(path.to_path_buf(), text)],
                }),
                _ => Ok(Loaded {
                    text,
                    deal,
                    config,
                    attachments,
                }),
            }
        }
        (Err(e), Ok(_)) => Err(e),
        (Ok(_), Err(problems)) => Err(ScenarioError::Invalid {
            problems,
            sources: vec![(path.to_path_buf(), text)],
        }),
        (
            Err(ScenarioError::Invalid {
                mut problems,
                sources,
            }),
            Err(more),
        ) => {
            problems.extend(more);
            Err(ScenarioError::Invalid { problems, sources })
        }
        (Err(e), Err(_)) => Err(e),
    }
}

/// Index of the tranche called `name`, or an error listing the tranches.
pub fn tranche_index(deal: &Deal, name: &str) -> Result<usize, StructuringError> {
    deal.structure
        .tranches
        .iter()
        .position(|t| t.name == name)
        .ok_or_else(|| {
            let known: Vec<&str> = deal
                .structure
                .tranches
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            StructuringError::NoTranche {
                name: name.into(),
                known: known.join(", "),
            }
        })
}

/// `12.3456%` style percentage for tables.
pub fn pct(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{:.*}%", decimals, x * 100.0)
    } else {
        "-".into()
    }
}

/// The shipped scenarios, for the unit tests of the structuring tools.
#[cfg(test)]
pub(crate) mod shipped {
    use std::path::{Path, PathBuf};

    /// `scenarios/ip-lease-733m.toml`: its path and text.
    pub fn lease() -> (PathBuf, String) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ip-lease-733m.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        (path, text)
    }

    /// The lease scenario's text and a copy of its loan tape in a new folder (which goes when
    /// the `TempDir` is dropped): the path the scenario would have there and the tape's, to
    /// delete it after loading.
    pub fn lease_copy() -> (tempfile::TempDir, PathBuf, PathBuf, String) {
        let (path, text) = lease();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let tape = dir.path().join("data/ip-lease-733m-tape.csv");
        std::fs::copy(path.with_file_name("data/ip-lease-733m-tape.csv"), &tape).unwrap();
        let copy = dir.path().join("s.toml");
        (dir, copy, tape, text)
    }
}
