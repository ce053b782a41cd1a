//! Warnings: things in a valid scenario that probably do not mean what the user thinks. They
//! never stop a command; the commands print them to stderr as `warning: <file>: <message>`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
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
    /// In the deterministic base case, recovery cash falls due after the deal's last payment
    /// date and is never received.
    RecoveryAfterLastDate {
        /// Recovery cash forgone, yuan.
        amount: Decimal,
        /// The deal's last payment date in that run.
        last_date: NaiveDate,
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
            WarningKind::RecoveryAfterLastDate { amount, last_date } => write!(
                f,
                "{} yuan of recoveries fall due after the last payment date {last_date} in the \
                 deterministic base case and are never received (recovery lags reach past the \
                 deal's end)",
                crate::report::table::thousands(*amount)
            ),
        }
    }
}

impl Warning {
    /// The warning for recovery cash the base case schedules after its last payment date, if
    /// there is any.
    pub fn recovery_after_last_date(
        scenario: &std::path::Path,
        amount: Decimal,
        last_date: NaiveDate,
    ) -> Option<Warning> {
        (amount > Decimal::ZERO).then(|| Warning {
            file: scenario.to_path_buf(),
            kind: WarningKind::RecoveryAfterLastDate { amount, last_date },
        })
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
        let date = NaiveDate::from_ymd_opt(2026, 9, 27).unwrap();
        let w = Warning::recovery_after_last_date(
            std::path::Path::new("deal.toml"),
            Decimal::new(123456789, 2),
            date,
        )
        .unwrap();
        assert!(
            w.to_string().starts_with(
                "warning: deal.toml: 1,234,567.89 yuan of recoveries fall due after the last \
                 payment date 2026-09-27"
            ),
            "{w}"
        );
        assert!(
            Warning::recovery_after_last_date(std::path::Path::new("x"), Decimal::ZERO, date)
                .is_none()
        );
    }
}
