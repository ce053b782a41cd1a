//! One file per subcommand, each with its own `run()`; [`AppError`] decides the exit code.

pub mod breakeven;
pub mod cashflow;
pub mod chart;
pub mod rate;
pub mod run;
pub mod size;
pub mod sweep;
pub mod validate;

use crate::report::ReportError;
use crate::scenario::ScenarioError;

/// Every error a command can end with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("{0}")]
    Report(#[from] ReportError),
    /// A command-line value out of range.
    #[error("error: {0}")]
    Usage(String),
    #[error("interrupted: no output was written")]
    Interrupted,
}

impl AppError {
    /// 2 for bad input (scenario or arguments), 1 for failures while writing, 130 when stopped.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Scenario(_) | AppError::Usage(_) => 2,
            AppError::Report(_) => 1,
            AppError::Interrupted => 130,
        }
    }
}

/// Checks a rate given on the command line.
pub fn check_rate(flag: &str, value: Option<f64>) -> Result<(), AppError> {
    match value {
        Some(v) if !(0.0..=1.0).contains(&v) => Err(AppError::Usage(format!(
            "--{flag} expects a rate in [0, 1], found {v}"
        ))),
        _ => Ok(()),
    }
}
