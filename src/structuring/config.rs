//! The optional `[breakeven]` and `[rating]` sections of a scenario file (the scenario loader
//! accepts them; their contents are read and checked here).

use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

use super::breakeven::BreakevenConfig;
use crate::scenario::{Location, Problem, ScenarioError};

/// `[rating]`: files overriding the shipped tables, relative to the scenario file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingSection {
    /// Grade table CSV (`grade,default_probability,multiplier,large_obligors`).
    pub grades: Option<String>,
    /// Idealized cumulative expected loss table CSV (`rating,1,2,...,10`).
    pub idealized_loss: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Sections {
    #[serde(default)]
    breakeven: Option<Spanned<BreakevenConfig>>,
    #[serde(default)]
    rating: Option<RatingSection>,
}

/// The structuring settings of a scenario.
#[derive(Debug, Clone, Default)]
pub struct StructuringConfig {
    pub breakeven: BreakevenConfig,
    pub rating: RatingSection,
    /// Folder of the scenario file (relative paths resolve against it).
    pub dir: PathBuf,
}

impl StructuringConfig {
    /// A path from the scenario, resolved next to the scenario file.
    pub fn resolve(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Reads `[breakeven]` and `[rating]` from the scenario text.
pub fn read(path: &Path, text: &str) -> Result<StructuringConfig, ScenarioError> {
    let invalid = |location: Location, field: &str, message: String| ScenarioError::Invalid {
        problems: vec![Problem {
            file: path.to_path_buf(),
            location,
            field: field.into(),
            message,
        }],
        sources: vec![(path.to_path_buf(), text.to_string())],
    };
    let sections: Sections = toml::from_str(text).map_err(|e| {
        let field = e.span().map_or_else(
            || "syntax".to_string(),
            |span| crate::scenario::key_path_at(text, span.start),
        );
        invalid(
            e.span().map_or(Location::File, Location::Span),
            &field,
            e.message().trim().to_string(),
        )
    })?;
    let breakeven = match sections.breakeven {
        Some(b) => {
            let span = b.span();
            let cfg = b.into_inner();
            cfg.check()
                .map_err(|m| invalid(Location::Span(span), "breakeven", m))?;
            cfg
        }
        None => BreakevenConfig::default(),
    };
    Ok(StructuringConfig {
        breakeven,
        rating: sections.rating.unwrap_or_default(),
        dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
    })
}
