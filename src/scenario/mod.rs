//! Scenario files: TOML (see `docs/scenario-format.md`), an optional CSV loan tape and an
//! optional CSV of explicit payment schedules. Parse, then validate, then hand the engine a
//! [`Deal`] it can trust.

mod ctx;
pub mod error;
pub mod raw;
pub mod tape;
mod validate;

pub use error::{Location, Problem, ScenarioError};
pub use validate::{DEFAULT_PATHS, DEFAULT_SEED};

use std::path::{Path, PathBuf};

use crate::deal::Deal;
use ctx::Ctx;
use validate::Attachments;

/// Reads and validates a scenario file and the files it names.
pub fn load(path: &Path) -> Result<Deal, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_text(path, &text)
}

/// Validates scenario `text` as if read from `path` (attachments are resolved next to it).
pub fn load_text(path: &Path, text: &str) -> Result<Deal, ScenarioError> {
    let mut sources = vec![(path.to_path_buf(), text.to_string())];
    let raw: raw::RawScenario = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let problem = Problem {
                file: path.to_path_buf(),
                location: e.span().map_or(Location::File, Location::Span),
                field: "syntax".into(),
                message: e.message().trim().to_string(),
            };
            return Err(ScenarioError::Invalid {
                problems: vec![problem],
                sources,
            });
        }
    };
    let mut ctx = Ctx::new(path, text);
    let base = path.parent().unwrap_or(Path::new("."));
    let mut attach =
        |name: &Option<raw::Text>, field: &str, ctx: &mut Ctx<'_>| -> Option<(PathBuf, String)> {
            let name = name.as_ref()?;
            let file = base.join(name.get_ref());
            match std::fs::read_to_string(&file) {
                Ok(content) => {
                    sources.push((file.clone(), content.clone()));
                    Some((file, content))
                }
                Err(e) => {
                    ctx.err(
                        name.span(),
                        field,
                        format!("cannot read {}: {e}", file.display()),
                    );
                    None
                }
            }
        };
    let attachments = Attachments {
        tape: attach(&raw.pool.loan_tape, "pool.loan_tape", &mut ctx),
        schedules: attach(&raw.pool.schedules, "pool.schedules", &mut ctx),
    };
    let deal = validate::validate(&raw, &mut ctx, &attachments);
    match deal {
        Some(deal) if ctx.problems.is_empty() => Ok(deal),
        _ => Err(ScenarioError::Invalid {
            problems: ctx.problems,
            sources,
        }),
    }
}
