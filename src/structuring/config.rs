//! The optional `[breakeven]` and `[rating]` sections of a scenario file (the scenario loader
//! accepts them; their contents, and the tables `[rating]` names, are read and checked here,
//! for every command, by [`super::load`]).

use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

use super::breakeven::BreakevenConfig;
use super::rating::{Grade, LossTable, parse_grades};
use crate::scenario::{Location, Problem};

/// `[rating]`: files overriding the shipped tables, relative to the scenario file.
#[derive(Debug, Clone, Default)]
pub struct RatingSection {
    /// Grade table CSV (`grade,multiplier,large_obligors,1,2,...`), as named.
    pub grades: Option<String>,
    /// Idealized cumulative expected loss table CSV (`rating,1,2,...,10`), as named.
    pub idealized_loss: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRating {
    grades: Option<Spanned<String>>,
    idealized_loss: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
struct Sections {
    #[serde(default)]
    breakeven: Option<Spanned<BreakevenConfig>>,
    #[serde(default)]
    rating: Option<RawRating>,
}

/// The structuring settings of a scenario.
#[derive(Debug, Clone, Default)]
pub struct StructuringConfig {
    pub breakeven: BreakevenConfig,
    pub rating: RatingSection,
    /// The tables named in `[rating]`, read and checked (`None`: the shipped table).
    pub grades: Option<Vec<Grade>>,
    pub loss_table: Option<LossTable>,
    /// Folder of the scenario file (relative paths resolve against it).
    pub dir: PathBuf,
}

impl StructuringConfig {
    /// A path from the scenario, resolved next to the scenario file.
    pub fn resolve(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Reads `[breakeven]` and `[rating]` from the scenario text, and the tables `[rating]` names,
/// reporting every problem. A TOML syntax error gives no problem here: the scenario loader
/// reports it.
pub fn read(path: &Path, text: &str) -> Result<StructuringConfig, Vec<Problem>> {
    let problem = |location: Location, field: &str, message: String| Problem {
        file: path.to_path_buf(),
        location,
        field: field.into(),
        message,
    };
    if text.parse::<toml::Table>().is_err() {
        return Err(Vec::new());
    }
    let sections: Sections = toml::from_str(text).map_err(|e| {
        let field = e.span().map_or_else(
            || "syntax".to_string(),
            |span| crate::scenario::key_path_at(text, span.start),
        );
        vec![problem(
            e.span().map_or(Location::File, Location::Span),
            &field,
            e.message().trim().to_string(),
        )]
    })?;
    let mut problems = Vec::new();
    let breakeven = match sections.breakeven {
        Some(b) => {
            let span = b.span();
            let cfg = b.into_inner();
            for (field, message) in cfg.check() {
                problems.push(problem(Location::Span(span.clone()), &field, message));
            }
            cfg
        }
        None => BreakevenConfig::default(),
    };
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let raw = sections.rating.unwrap_or(RawRating {
        grades: None,
        idealized_loss: None,
    });
    let mut table = |name: &Option<Spanned<String>>, field: &str, what: &str| {
        let name = name.as_ref()?;
        let file = dir.join(name.get_ref());
        let at = Location::Span(name.span());
        match crate::input::read_text(&file) {
            Ok(text) => Some((text, file.display().to_string(), at)),
            Err(e) => {
                problems.push(problem(
                    at,
                    field,
                    format!("cannot read the {what} {}: {e}", file.display()),
                ));
                None
            }
        }
    };
    let grades_text = table(&raw.grades, "rating.grades", "grade table");
    let loss_text = table(
        &raw.idealized_loss,
        "rating.idealized_loss",
        "idealized loss table",
    );
    let grades = grades_text.and_then(|(text, origin, at)| {
        parse_grades(&text, &origin)
            .map_err(|m| problems.push(problem(at, "rating.grades", m)))
            .ok()
    });
    let loss_table = loss_text.and_then(|(text, origin, at)| {
        LossTable::parse(&text, &origin)
            .map_err(|m| problems.push(problem(at, "rating.idealized_loss", m)))
            .ok()
    });
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(StructuringConfig {
        breakeven,
        rating: RatingSection {
            grades: raw.grades.map(Spanned::into_inner),
            idealized_loss: raw.idealized_loss.map(Spanned::into_inner),
        },
        grades,
        loss_table,
        dir,
    })
}
