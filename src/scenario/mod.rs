//! Scenario files: TOML (see `docs/scenario-format.md`), an optional loan tape and an optional
//! file of explicit payment schedules (each CSV or `.xlsx`). Parse, then validate, then hand the engine a
//! [`Deal`] it can trust.

pub mod bounds;
mod ctx;
pub mod document;
pub mod error;
pub mod raw;
pub mod table;
pub mod tape;
mod validate;
pub mod warning;

pub use document::{Attachments, Document, Override};
pub use error::{Location, Problem, ScenarioError};
pub use validate::{DEFAULT_PATHS, DEFAULT_SEED};
pub use warning::{Warning, WarningKind};

use std::path::Path;

use crate::deal::Deal;

/// Reads and validates a scenario file and the files it names: the deal only. Commands load
/// through `crate::structuring::load`, which also checks `[breakeven]` and `[rating]`.
pub fn load(path: &Path) -> Result<Deal, ScenarioError> {
    let text = read_scenario(path)?;
    load_text(path, &text)
}

/// Reads a scenario file; a file that is not UTF-8 is a problem located at its first invalid
/// byte.
pub fn read_scenario(path: &Path) -> Result<String, ScenarioError> {
    crate::input::read_text(path).map_err(|source| match crate::input::not_utf8(&source) {
        Some(bad) => ScenarioError::Invalid {
            problems: vec![Problem {
                file: path.to_path_buf(),
                // The bad byte (a replacement character in the excerpt).
                location: Location::Span(bad.offset..bad.offset + 1),
                field: "encoding".into(),
                message: bad.to_string(),
            }],
            sources: vec![(path.to_path_buf(), bad.lossy.clone())],
        },
        None => ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// Validates scenario `text` as if read from `path` (attachments are resolved next to it).
pub fn load_text(path: &Path, text: &str) -> Result<Deal, ScenarioError> {
    let doc = Document::parse(path, text)?;
    let attachments = doc.attachments();
    doc.validate_as_written(&attachments)
}

/// The key path (`tranches[1].coupon`, `deal`) of the TOML line holding `offset`, found from the
/// table headers above it; for naming the field in parse errors, which carry only a span.
pub fn key_path_at(text: &str, offset: usize) -> String {
    let offset = text.floor_char_boundary(offset.min(text.len()));
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.starts_with('['));
    let mut table = String::new();
    for header in text[..line_start].lines().rev().map(str::trim) {
        if let Some(name) = header.strip_prefix("[[").and_then(|h| h.split("]]").next()) {
            let name = name.trim();
            let before = text[..line_start]
                .lines()
                .filter(|l| l.trim().starts_with(&format!("[[{name}]]")))
                .count();
            table = format!("{name}[{}]", before.saturating_sub(1));
            break;
        }
        if let Some(name) = header.strip_prefix('[').and_then(|h| h.split(']').next()) {
            table = name.trim().to_string();
            break;
        }
    }
    if line.starts_with("[[") && key.is_none() {
        // The error is about a whole table (a missing field): name the new element.
        if let Some(name) = line.strip_prefix("[[").and_then(|h| h.split("]]").next()) {
            let name = name.trim();
            let before = text[..line_start]
                .lines()
                .filter(|l| l.trim().starts_with(&format!("[[{name}]]")))
                .count();
            return format!("{name}[{before}]");
        }
    }
    match (table.is_empty(), key) {
        (true, Some(k)) => k,
        (true, None) => "syntax".to_string(),
        (false, Some(k)) => format!("{table}.{k}"),
        (false, None) => table,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_for_parse_errors() {
        let text = "[deal]\nname = 1\n\n[[tranches]]\nname = \"A\"\n\n[[tranches]]\ncupon = 0.1\n";
        assert_eq!(
            key_path_at(text, text.find("name = 1").unwrap()),
            "deal.name"
        );
        assert_eq!(
            key_path_at(text, text.find("cupon").unwrap()),
            "tranches[1].cupon"
        );
        let header = text.rfind("[[tranches]]").unwrap();
        assert_eq!(key_path_at(text, header), "tranches[1]");
    }
}
