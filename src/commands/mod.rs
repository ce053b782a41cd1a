//! One file per subcommand, each with its own `run()`; [`AppError`] decides the exit code.

pub mod breakeven;
pub mod budget;
pub mod cashflow;
pub mod chart;
pub mod colour;
pub mod compare;
pub mod merge;
pub mod new;
pub mod outcome;
pub mod rate;
pub mod run;
pub mod shard;
pub mod shell;
pub mod size;
pub mod sweep;
pub mod validate;

use std::path::{Path, PathBuf};

use crate::report::{OutputDir, ReportError, Request, RunMetadata};
use crate::results::CashflowRun;
use crate::scenario::{ScenarioError, Warning};
use crate::structuring::StructuringError;

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
    /// A scenario edit (`--vary`, a sizing step) that cannot be made, or a scenario it makes
    /// invalid.
    #[error("error: {0}")]
    Structuring(#[from] StructuringError),
    /// Stopped by Ctrl-C or SIGTERM before the output was committed.
    #[error("{0}")]
    Interrupted(crate::cancel::Cancelled),
}

impl From<crate::cancel::Cancelled> for AppError {
    fn from(c: crate::cancel::Cancelled) -> Self {
        AppError::Interrupted(c)
    }
}

impl AppError {
    /// 2 for bad input (scenario, arguments, an output folder that may not be written or is
    /// in use), 1 for failures while writing, 128 + signal when stopped (130 Ctrl-C, 143 SIGTERM).
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Scenario(_) | AppError::Usage(_) | AppError::Structuring(_) => 2,
            AppError::Report(ReportError::Refused { .. } | ReportError::Busy { .. }) => 2,
            AppError::Report(ReportError::Cancelled(c)) | AppError::Interrupted(c) => c.exit_code(),
            AppError::Report(_) => 1,
        }
    }
}

impl From<crate::montecarlo::McError> for AppError {
    fn from(e: crate::montecarlo::McError) -> Self {
        match e {
            // The signal that stopped it (SIGINT if the flag was somehow cleared).
            crate::montecarlo::McError::Interrupted => {
                AppError::Interrupted(crate::cancel::check().err().unwrap_or(
                    crate::cancel::Cancelled {
                        signal: crate::cancel::SIGINT,
                    },
                ))
            }
            other => AppError::Usage(other.to_string()),
        }
    }
}

/// Prints warnings to stderr, one line each (`warning: <file>: ...`). They never change the
/// exit code, and `--quiet` does not hide them.
pub fn print_warnings<'a>(warnings: impl IntoIterator<Item = &'a Warning>) {
    for w in warnings {
        colour::eprint_warning(&w.to_string());
    }
}

/// What a deterministic run of `scenario` found questionable: recovery cash falling due after
/// its last payment date.
pub fn run_warnings(scenario: &Path, run: &CashflowRun) -> Option<Warning> {
    Warning::recovery_after_last_date(scenario, run.recovery_after_last_date, run.last_date()?)
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

/// The input files of a run on `scenario`: the scenario itself, the loan tape, schedules and
/// rating tables it names (resolved next to it), and `extra` files given on the command line.
/// A folder holding any of them is never used as an output folder.
pub fn input_files(scenario: &Path, text: &str, extra: &[&Option<PathBuf>]) -> Vec<PathBuf> {
    let mut files = vec![scenario.to_path_buf()];
    let dir = scenario.parent().unwrap_or(Path::new("."));
    if let Ok(value) = text.parse::<toml::Table>() {
        for (section, key) in [
            ("pool", "loan_tape"),
            ("pool", "schedules"),
            ("rating", "grades"),
            ("rating", "idealized_loss"),
        ] {
            if let Some(name) = value
                .get(section)
                .and_then(|s| s.get(key))
                .and_then(|v| v.as_str())
            {
                files.push(dir.join(name));
            }
        }
    }
    files.extend(extra.iter().filter_map(|p| (*p).clone()));
    files
}

/// Opens the output folder of `command` on the scenario `loaded` from `scenario` (the ownership
/// checks and the lock of [`OutputDir::create`]) and installs the Ctrl-C / SIGTERM handlers.
/// Called before any work, so a folder that may not be written, or is in use, fails at once.
/// Writes `run-info.json` (how the command ran: time, threads, host) and commits the folder.
pub fn commit_with_info(
    out: crate::report::OutputDir,
    info: &crate::report::run_info::RunInfo,
) -> Result<crate::report::outdir::Committed, AppError> {
    info.write(&out)?;
    Ok(out.commit()?)
}

pub fn open_output(
    command: &str,
    scenario: &Path,
    loaded: &crate::structuring::Loaded,
    target: &Path,
    extra_inputs: &[&Option<PathBuf>],
) -> Result<(OutputDir, RunMetadata), AppError> {
    crate::cancel::install();
    // The hash and the input list come from the text that was loaded, not a second read.
    let meta = RunMetadata::new(scenario, &loaded.text);
    let inputs = input_files(scenario, &loaded.text, extra_inputs);
    let out = OutputDir::create(
        target,
        &Request {
            command,
            scenario_sha256: &meta.scenario_sha256,
            inputs: &inputs,
        },
    )?;
    Ok((out, meta))
}
