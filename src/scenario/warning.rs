//! Warnings: things in a valid scenario that probably do not mean what the user thinks. They
//! never stop a command; the commands print them to stderr as `warning: <file>: <message>`.

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

use crate::credit::RecoverySource;

/// One warning, about one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// The file the warning is about (the loan tape, the scenario).
    pub file: PathBuf,
    pub kind: WarningKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum WarningKind {
    /// Assets of `file` carry per-asset recovery columns and the scenario has a
    /// `[model.recovery]` table, but does not say which of the two the Monte Carlo uses
    /// (`model.recovery.source`).
    RecoverySourceUnset {
        /// The recovery columns that have a value for at least one asset, in column order.
        columns: Vec<&'static str>,
        /// How many assets of the file have a value in them.
        assets: usize,
        /// What the Monte Carlo uses without the key.
        used: RecoverySource,
    },
}

/// The tape columns [`WarningKind::RecoverySourceUnset`] is about.
pub const RECOVERY_COLUMNS: [&str; 2] = ["recovery_rate", "recovery_lag_months"];

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "warning: {}: ", self.file.display())?;
        match &self.kind {
            WarningKind::RecoverySourceUnset {
                columns,
                assets,
                used,
            } => {
                let names: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
                let (noun, verb) = if columns.len() == 1 {
                    ("column", "gives")
                } else {
                    ("columns", "give")
                };
                let whose = if *assets == 1 { "asset" } else { "assets" };
                let (uses, ignores) = match used {
                    RecoverySource::Model => (
                        "[model.recovery]",
                        "the tape's recoveries apply to the deterministic base case only",
                    ),
                    RecoverySource::Tape => (
                        "the tape's recoveries",
                        "[model.recovery] applies to the other assets",
                    ),
                };
                write!(
                    f,
                    "{noun} {} {verb} recoveries for {assets} {whose} and the scenario also has \
                     [model.recovery]; the Monte Carlo uses {uses} ({ignores}). Set \
                     model.recovery.source = \"model\" or \"tape\" to choose",
                    names.join(" and ")
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_and_the_choice() {
        let w = Warning {
            file: "data/tape.csv".into(),
            kind: WarningKind::RecoverySourceUnset {
                columns: vec!["recovery_rate"],
                assets: 11,
                used: RecoverySource::Model,
            },
        };
        assert_eq!(
            w.to_string(),
            "warning: data/tape.csv: column `recovery_rate` gives recoveries for 11 assets and \
             the scenario also has [model.recovery]; the Monte Carlo uses [model.recovery] (the \
             tape's recoveries apply to the deterministic base case only). Set \
             model.recovery.source = \"model\" or \"tape\" to choose"
        );
    }
}
