//! Command-line arguments (clap), one struct per subcommand.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub mod examples;

/// ipabs — simulate IP asset-backed securities: pool, tranche waterfall, Monte Carlo, charts.
#[derive(Debug, Parser)]
#[command(name = "ipabs", version, about, long_about = None, after_help = examples::TOP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print the command's summary as one JSON object on stdout instead of the terminal
    /// report: the JSON files it wrote, its files and output folder, or on failure the error
    /// and each located problem (`"ok": false`, with the exit code).
    #[arg(long, global = true)]
    pub json: bool,
    /// Colour of errors and warnings on stderr: auto (on a terminal, unless NO_COLOR is set),
    /// always or never.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorWhen,
}

/// When errors and warnings are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// A count given on the command line: digits with optional `_` separators (`1_000_000`) or
/// scientific notation that is a whole number (`1e6`, `2.5e5`).
pub fn count(text: &str) -> Result<u64, String> {
    let expected =
        || format!("expected a whole number such as 1000000, 1_000_000 or 1e6, found `{text}`");
    let t = text.trim();
    // `_` only between digits, as in Rust and TOML literals.
    let b = t.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'_'
            && !(i > 0 && i + 1 < b.len() && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit())
        {
            return Err(expected());
        }
    }
    let t = t.replace('_', "");
    if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) {
        return t
            .parse::<u64>()
            .map_err(|_| format!("`{text}` is larger than {}", u64::MAX));
    }
    let (mantissa, exponent) = t.split_once(['e', 'E']).ok_or_else(expected)?;
    let exponent: u32 = exponent
        .strip_prefix('+')
        .unwrap_or(exponent)
        .parse()
        .map_err(|_| expected())?;
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits_ok(whole) || !digits_ok(fraction) {
        return Err(expected());
    }
    // Exact: the digits shifted left by the exponent must leave no fraction.
    let fraction = fraction.trim_end_matches('0');
    let shift = exponent
        .checked_sub(u32::try_from(fraction.len()).unwrap_or(u32::MAX))
        .ok_or_else(|| format!("`{text}` is not a whole number"))?;
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(0);
    }
    let too_large = || format!("`{text}` is larger than {}", u64::MAX);
    let base: u64 = digits.parse().map_err(|_| too_large())?;
    10u64
        .checked_pow(shift)
        .and_then(|p| base.checked_mul(p))
        .ok_or_else(too_large)
}

/// [`count`] for a `usize` (threads, periods).
pub fn count_usize(text: &str) -> Result<usize, String> {
    count(text).and_then(|n| usize::try_from(n).map_err(|_| format!("`{text}` is too large")))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check scenario files and their loan tapes; print each pool summary.
    #[command(after_help = examples::VALIDATE)]
    Validate(ValidateArgs),
    /// Run the deal's waterfall under deterministic assumptions; write cash-flow tables.
    #[command(after_help = examples::CASHFLOW)]
    Cashflow(CashflowArgs),
    /// Run the base case and a Monte Carlo of correlated defaults through the same waterfall.
    #[command(after_help = examples::RUN)]
    Run(RunArgs),
    /// Join the shard folders of a run (`run --shard`) into the output a single run writes.
    #[command(after_help = examples::MERGE)]
    Merge(MergeArgs),
    /// Run the Monte Carlo (or the deterministic case) over a grid of scenario values.
    #[command(after_help = examples::SWEEP)]
    Sweep(SweepArgs),
    /// Break-even default rate of each tranche under a stress set, by bisection.
    #[command(after_help = examples::BREAKEVEN)]
    Breakeven(BreakevenArgs),
    /// Implied rating of each tranche: target default rates (TDR) against break-even rates.
    #[command(after_help = examples::RATE)]
    Rate(RateArgs),
    /// Largest senior size meeting a rating, expected-loss or break-even target.
    #[command(after_help = examples::SIZE)]
    Size(SizeArgs),
    /// Redraw the charts, report.html (and results.xlsx) of a run's output folder.
    #[command(after_help = examples::CHART)]
    Chart(crate::commands::chart::ChartArgs),
    /// Compare a base and a stressed run of one deal: difference table and overlaid charts.
    #[command(after_help = examples::COMPARE)]
    Compare(crate::commands::compare::CompareArgs),
    /// Write a commented starter scenario and loan tape for a kind of deal (`--list` the kinds).
    New(crate::commands::new::NewArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = examples::COMPLETIONS)]
    Completions(crate::commands::shell::CompletionsArgs),
    /// Print the man page (roff) of ipabs or of one subcommand.
    #[command(after_help = examples::MAN)]
    Man(crate::commands::shell::ManArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, value_parser = count_usize)]
    pub threads: Option<usize>,
    /// Output folder [default: output/<scenario file stem>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar and no terminal report.
    #[arg(long)]
    pub quiet: bool,
    /// Monte Carlo only: skip the break-even search, the implied rating and the sensitivity
    /// study. The base case, the Monte Carlo files, their charts and report.html are written;
    /// the report says which sections were not computed.
    #[arg(long)]
    pub mc_only: bool,
    /// Run only shard i of n of the paths (whole chunks of 4096, numbered from 1) and write
    /// its rows and exact totals; `ipabs merge` joins the shard folders into the run's output.
    /// `auto` reads the index and count of a Slurm array, a Kubernetes Indexed Job (with
    /// --shards) or an AWS Batch array job from the environment.
    #[arg(long, value_name = "i/n|auto")]
    pub shard: Option<String>,
    /// The shard count for `--shard auto` in a Kubernetes Indexed Job (its completions).
    #[arg(long, value_name = "N", value_parser = count)]
    pub shards: Option<u64>,
    #[command(flatten)]
    pub report: crate::commands::chart::RunReportFlags,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard folders of one run (`ipabs run --shard`), in any order.
    #[arg(required = true, num_args = 1..)]
    pub shards: Vec<PathBuf>,
    /// Output folder: the run's folder, as a single run writes it.
    #[arg(long)]
    pub out: PathBuf,
    /// Worker threads for the summaries [default: all cores]. Results do not depend on it.
    #[arg(long, value_parser = count_usize)]
    pub threads: Option<usize>,
    /// No terminal report.
    #[arg(long)]
    pub quiet: bool,
    /// Merge even when the estimated memory or disk exceeds what this machine has free.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub report: crate::commands::chart::RunReportFlags,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files (TOML); each is checked and reported, and the exit code is 2 if any is
    /// invalid.
    #[arg(required = true, num_args = 1..)]
    pub scenarios: Vec<PathBuf>,
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
    /// Recovery lag in months (0..=600), overriding `assumptions.recovery_lag_months`.
    #[arg(long)]
    pub lag: Option<u64>,
    /// Output folder [default: output/<scenario file stem>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// KEY=SPEC: a scenario value by dotted path (model.correlation.intra_sector,
    /// tranches.A1.balance, fees.manager.rate) and a list `0.1,0.2` or range `0.1:0.5:0.1`.
    #[arg(long = "vary", required = true)]
    pub vary: Vec<String>,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Run the deterministic waterfall (the `[assumptions]`) instead of the Monte Carlo.
    #[arg(long)]
    pub deterministic: bool,
    /// Output folder [default: output/<scenario file stem>-sweep].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar and no terminal report.
    #[arg(long)]
    pub quiet: bool,
    /// Run only shard i of n of the grid points (contiguous, numbered from 1); `ipabs merge`
    /// joins the shard folders into the sweep's output. `auto`: from the job-array variables,
    /// as `run --shard auto`.
    #[arg(long, value_name = "i/n|auto")]
    pub shard: Option<String>,
    /// The shard count for `--shard auto` in a Kubernetes Indexed Job.
    #[arg(long, value_name = "N", value_parser = count)]
    pub shards: Option<u64>,
}

#[derive(Debug, Args)]
pub struct BreakevenArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Only this tranche (repeatable) [default: every tranche].
    #[arg(long)]
    pub tranche: Vec<String>,
    /// Spread the defaults over the first N payment dates [default: `breakeven.periods`, or the
    /// dates on which the scheduled pool balance is above half the original].
    #[arg(long, value_parser = count_usize)]
    pub periods: Option<usize>,
    /// Output folder [default: output/<scenario file stem>-breakeven].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct RateArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Grade table CSV (grade,multiplier,large_obligors,1,2,...: target default probability in
    /// percent by horizon in years) [default: `rating.grades`, or the shipped table].
    #[arg(long)]
    pub grades: Option<PathBuf>,
    /// Idealized expected-loss table CSV (rating,1,...,10) [default: `rating.idealized_loss`,
    /// or the shipped table].
    #[arg(long)]
    pub loss_table: Option<PathBuf>,
    /// Simulate until no grade is borderline (its TDR interval reaching across the BDR), with
    /// the paths the borderline grades say would settle them, up to this many paths.
    #[arg(long, value_parser = count)]
    pub max_paths: Option<u64>,
    /// Output folder [default: output/<scenario file stem>-rating].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SizeArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// TRANCHE=GRADE: the tranche must get at least this implied grade (e.g. A1=AAA).
    #[arg(long, group = "goal")]
    pub target: Option<String>,
    /// TRANCHE=EL: the tranche's Monte Carlo expected loss must not exceed EL (e.g. A=0.0005).
    #[arg(long, group = "goal")]
    pub target_el: Option<String>,
    /// TRANCHE=BDR: the tranche's lowest break-even default rate must be at least BDR.
    #[arg(long, group = "goal")]
    pub target_bdr: Option<String>,
    /// TDR method for --target: empirical (the order statistic on the pool's own lattice, the
    /// one that fits a concentrated pool), lognormal or multiplier.
    #[arg(long, default_value = "empirical")]
    pub method: String,
    /// Sizes are multiples of this many yuan (the senior total moves in these steps).
    #[arg(long, default_value_t = 10_000, value_parser = count)]
    pub unit: u64,
    /// Size to the standalone grade: break-even rates and the large-obligor test with the
    /// shortfall support switched off, as `rate` computes the standalone grades.
    #[arg(long)]
    pub standalone: bool,
    /// Simulate until the target's 95 % interval is at most this wide either side (a
    /// default rate for --target: the TDR's order-statistic interval; an expected loss for
    /// --target-el: 1.96 standard errors at the scenario's sizes), doubling the paths (or
    /// more, as the interval shrinks as 1/√paths) up to --max-paths.
    #[arg(long)]
    pub precision: Option<f64>,
    /// The most paths --precision may raise the simulation to.
    #[arg(long, default_value_t = 1_000_000, value_parser = count)]
    pub max_paths: u64,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Grade table CSV for --target [default: `rating.grades`, or the shipped table].
    #[arg(long)]
    pub grades: Option<PathBuf>,
    /// Output folder [default: output/<scenario file stem>-size].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

/// `output/<scenario stem>-<suffix>` unless `--out` says otherwise.
pub fn default_out_suffixed(
    scenario: &std::path::Path,
    out: &Option<PathBuf>,
    suffix: &str,
) -> PathBuf {
    out.clone().unwrap_or_else(|| {
        let stem = scenario
            .file_stem()
            .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("output").join(format!("{stem}-{suffix}"))
    })
}

/// Monte Carlo size and seed, shared by every command that simulates.
#[derive(Debug, Args)]
pub struct SimulationArgs {
    /// Monte Carlo paths, e.g. 100000, 1_000_000 or 1e6 [default: `simulation.paths` of the
    /// scenario].
    #[arg(long, value_parser = count)]
    pub paths: Option<u64>,
    /// Random seed; the same seed gives the same paths [default: `simulation.seed` of the scenario].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Importance sampling for a senior tail: draw the systematic factors with their mean shifted
    /// toward the pool loss at which TRANCHE starts to lose, and weight every path by its
    /// likelihood ratio in every statistic (mc-summary.json reports the variance reduction).
    #[arg(long, value_name = "TRANCHE")]
    pub importance_sampling: Option<String>,
    /// Run even when the estimated memory or disk exceeds what this machine has free.
    #[arg(long)]
    pub force: bool,
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

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_in_the_forms_people_type() {
        for (text, n) in [
            ("1000000", 1_000_000),
            ("1_000_000", 1_000_000),
            ("1e6", 1_000_000),
            ("1E6", 1_000_000),
            ("1e+6", 1_000_000),
            ("2.5e5", 250_000),
            ("0.5e1", 5),
            ("1.50e2", 150),
            ("0", 0),
            ("0e3", 0),
            ("18446744073709551615", u64::MAX),
        ] {
            assert_eq!(count(text), Ok(n), "{text}");
        }
        for text in [
            "",
            "1.5",
            "1.5e0",
            "1e-3",
            "_1",
            "1_",
            "1__0",
            "1,000",
            "e6",
            "1e",
            "1e400",
            "18446744073709551616",
            "2e19",
            "-1",
            "0x10",
            "1e6.0",
            ".e2",
        ] {
            assert!(count(text).is_err(), "{text} accepted: {:?}", count(text));
        }
        assert!(count("1.5e0").unwrap_err().contains("not a whole number"));
        assert!(count("2e19").unwrap_err().contains("larger than"));
    }
}
