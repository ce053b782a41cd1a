//! Command-line arguments (clap), one struct per subcommand.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// ipabs — simulate IP asset-backed securities: pool, tranche waterfall, Monte Carlo, charts.
#[derive(Debug, Parser)]
#[command(name = "ipabs", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a scenario file and its loan tape; print the pool summary.
    Validate(ValidateArgs),
    /// Run the deal's waterfall under deterministic assumptions; write cash-flow tables.
    Cashflow(CashflowArgs),
    /// Run the base case and a Monte Carlo of correlated defaults through the same waterfall.
    Run(RunArgs),
    /// Redraw the charts, report.html (and results.xlsx) of a run's output folder.
    Chart(crate::commands::chart::ChartArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Number of Monte Carlo paths [default: `simulation.paths` of the scenario].
    #[arg(long)]
    pub paths: Option<u64>,
    /// Random seed [default: `simulation.seed` of the scenario].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder [default: output/<scenario file stem>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar and no terminal report.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub report: crate::commands::chart::RunReportFlags,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
}

#[derive(Debug, Args)]
pub struct CashflowArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Annual constant default rate, overriding `assumptions.cdr` (e.g. 0.05).
    #[arg(long)]
    pub cdr: Option<f64>,
    /// Annual constant prepayment rate, overriding `assumptions.cpr`.
    #[arg(long)]
    pub cpr: Option<f64>,
    /// Recovery rate (share of defaulted exposure), overriding `assumptions.recovery_rate`.
    #[arg(long)]
    pub recovery: Option<f64>,
    /// Recovery lag in months, overriding `assumptions.recovery_lag_months`.
    #[arg(long)]
    pub lag: Option<u32>,
    /// Output folder [default: output/<scenario file stem>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

/// `output/<scenario stem>` unless `--out` says otherwise.
pub fn default_out(scenario: &std::path::Path, out: &Option<PathBuf>) -> PathBuf {
    out.clone().unwrap_or_else(|| {
        let stem = scenario
            .file_stem()
            .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("output").join(stem)
    })
}
