//! `ipabs run SCENARIO [--paths N] [--seed S] [--threads T] [--out DIR] [--quiet] [--mc-only]
//! [--shard i/n|auto [--shards N]]`.
//!
//! A whole run writes the base case, the Monte Carlo files and everything computed from them
//! ([`write_results`]). A shard (`--shard`) runs only its part of the paths and writes its rows
//! and exact totals; `ipabs merge` joins the shards and calls the same [`write_results`], so
//! the merged folder is the whole run's, byte for byte.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use super::outcome::Outcome;
use super::{AppError, open_output};
use crate::cli::{RunArgs, default_out};
use crate::commands::chart::RunReportFlags;
use crate::engine::Prepared;
use crate::engine::deterministic::AssumptionEvents;
use crate::montecarlo::{MAX_THREADS, McOptions, McResults, PathRange, simulate_range};
use crate::report::montecarlo::{MC_ONLY_SKIPS, PathsWriter};
use crate::report::run_info::RunInfo;
use crate::report::shard::{SHARD_FORMAT, ShardFile};
use crate::report::{OutputDir, ReportError, RunMetadata, cashflow, montecarlo, table};
use crate::results::CashflowRun;
use crate::results::cashflow::run_cashflow_prepared;
use crate::structuring::Loaded;
use crate::structuring::rating::CdrRows;

/// `--threads`: omitted = `SLURM_CPUS_PER_TASK` inside a Slurm task, else every core;
/// otherwise 1..=[`MAX_THREADS`].
pub fn threads(flag: Option<usize>) -> Result<usize, AppError> {
    match flag {
        None => Ok(super::shard::default_threads(|k| std::env::var(k).ok())),
        Some(0) => Err(AppError::Usage(
            "--threads expects at least 1 (omit it to use every core)".into(),
        )),
        Some(n) if n > MAX_THREADS => Err(AppError::Usage(format!(
            "--threads expects at most {MAX_THREADS}, found {n}"
        ))),
        Some(n) => Ok(n),
    }
}

/// A progress bar that appears only on a terminal and only for runs longer than a second.
pub fn progress(paths: u64, quiet: bool) -> impl FnMut(u64) + use<> {
    let bar = ProgressBar::with_draw_target(Some(paths), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} paths  {per_sec}  ETA {eta}")
            .expect("valid template"),
    );
    let show = !quiet && std::io::stderr().is_terminal();
    let started = Instant::now();
    move |done| {
        if show && bar.is_hidden() && started.elapsed() > Duration::from_secs(1) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        bar.set_position(done);
        if done >= paths {
            bar.finish_and_clear();
        }
    }
}

pub fn run(args: &RunArgs) -> Result<Outcome, AppError> {
    let command_started = Instant::now();
    let loaded = crate::structuring::load(&args.scenario)?;
    let deal = &loaded.deal;
    super::print_warnings(&deal.warnings);
    let shard = super::shard::from_flags(&args.shard, args.shards)?;
    let target = match shard {
        Some(s) if args.out.is_none() => super::super::cli::default_out_suffixed(
            &args.scenario,
            &None,
            &format!("shard-{}-of-{}", s.index + 1, s.count),
        ),
        _ => default_out(&args.scenario, &args.out),
    };
    let threads = threads(args.threads)?;
    // paths.bin is staged beside the target: the disk there is what it needs.
    let streamed = super::rate::Streamed {
        out: &target,
        shard,
        quiet: args.quiet,
    };
    let mut options = super::rate::simulation_options(deal, &args.simulation, Some(&streamed))?;
    options.threads = threads;
    if let Some(shard) = shard {
        return run_shard(args, &loaded, shard, options, &target, command_started);
    }
    let structuring = !args.mc_only;
    // The rating tables are checked before any work (`--mc-only` reads none).
    let tables = rating_tables(&loaded, structuring)?;
    let (out, meta) = open_output("run", &args.scenario, &loaded, &target, &[])?;
    let (base, prepared) = base_case(&out, &args.scenario, &loaded, &meta, structuring)?;

    crate::cancel::phase("monte_carlo")?;
    let started = Instant::now();
    let width = crate::montecarlo::path::row_width(deal.structure.tranches.len());
    let mut writer = PathsWriter::create(&out, width)?;
    let mut write_error: Option<ReportError> = None;
    // The pool CDR of every path, for the target default rates of the implied rating.
    let mut pool_cdr = CdrRows::new(deal, if structuring { options.paths } else { 0 });
    // The rows go to paths.bin only; the summaries stream it back (memory does not grow with
    // the paths), exactly as `ipabs merge` does with the shards' rows.
    let run = simulate_range(
        deal,
        options,
        PathRange::all(options.paths),
        |_, rows| {
            if write_error.is_none() {
                write_error = writer.write_rows(rows).err();
            }
            if structuring {
                pool_cdr.extend(rows);
            }
        },
        progress(options.paths, args.quiet),
    )?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    writer.finish(&out, &run.columns, options.seed)?;
    let results = summarise_file(&out, deal, options, run.shift, &run.totals)?;
    let elapsed = started.elapsed().as_secs_f64();
    let after = Results {
        scenario: &args.scenario,
        loaded: &loaded,
        meta: &meta,
        options,
        mc_only: args.mc_only,
        report: &args.report,
    };
    let summary = write_results(&after, &out, &results, pool_cdr, prepared, tables)?;
    let info =
        RunInfo::new("run", options.threads_used(), command_started).phase("monte_carlo", elapsed);
    let written = super::commit_with_info(out, &info)?;

    let mut text = format!(
        "{} — base case ({} payment dates)\n",
        deal.name, base.periods_run
    );
    text += &table::cashflow_report(&base);
    text += &format!(
        "\nMonte Carlo: {} paths, seed {}, {} threads, {:.2} s ({:.0} paths/s)\n",
        results.paths,
        results.seed,
        options.threads_used(),
        elapsed,
        results.paths as f64 / elapsed.max(1e-9)
    );
    text += &summary;
    text += &format!("written to {}\n", written.path.display());
    Ok(Outcome::folder("run", text, written))
}

/// The run's results from its `paths.bin` in `out` (streamed) and its merged totals.
pub(super) fn summarise_file(
    out: &OutputDir,
    deal: &crate::deal::Deal,
    options: McOptions,
    shift: Option<crate::credit::FactorShift>,
    totals: &crate::montecarlo::RangeTotals,
) -> Result<McResults, AppError> {
    let path = out.path(crate::report::montecarlo::PATHS_FILE)?;
    let file = crate::report::montecarlo::PathsFile {
        path: path.clone(),
        width: crate::montecarlo::path::row_width(deal.structure.tranches.len()),
        rows: options.paths,
    };
    crate::montecarlo::summarise_paths(deal, options, shift, totals, &file)
        .map_err(|source| ReportError::Io { path, source }.into())
}

/// The grade and loss tables of the rating (`None` when the run does not rate).
pub(super) type Tables = Option<(
    Vec<crate::structuring::rating::Grade>,
    crate::structuring::rating::LossTable,
)>;

pub(super) fn rating_tables(loaded: &Loaded, structuring: bool) -> Result<Tables, AppError> {
    Ok(if structuring {
        Some((
            super::rate::grades_for(&None, &loaded.config)?,
            super::rate::loss_table_for(&None, &loaded.config)?,
        ))
    } else {
        None
    })
}

/// The base case in exact decimal, written to `out`; and, for a run that structures, the pool
/// projected once in f64 for the break-even search and the rating.
pub(super) fn base_case(
    out: &OutputDir,
    scenario: &Path,
    loaded: &Loaded,
    meta: &RunMetadata,
    structuring: bool,
) -> Result<(CashflowRun, Option<Prepared<f64>>), AppError> {
    let deal = &loaded.deal;
    crate::cancel::phase("base_case")?;
    let projection = Prepared::<Decimal>::projection_of(deal);
    let base = run_cashflow_prepared(
        deal,
        &Prepared::<Decimal>::new(deal, &projection),
        &AssumptionEvents::new(deal),
    );
    let prepared: Option<Prepared<f64>> = structuring.then(|| Prepared::new(deal, &projection));
    drop(projection);
    super::print_warnings(&super::run_warnings(scenario, &base));
    crate::cancel::check()?;
    cashflow::write(out, deal, &base, meta)?;
    Ok((base, prepared))
}

/// What a run (or a merge of its shards) writes after the Monte Carlo depends on.
pub(super) struct Results<'a> {
    pub scenario: &'a Path,
    pub loaded: &'a Loaded,
    pub meta: &'a RunMetadata,
    pub options: McOptions,
    pub mc_only: bool,
    pub report: &'a RunReportFlags,
}

/// Everything a run writes from its Monte Carlo results: the Monte Carlo files, break-even
/// rates, the implied rating and the sensitivity study (unless `--mc-only`), charts and the
/// report. Returns the terminal summary.
pub(super) fn write_results(
    r: &Results<'_>,
    out: &OutputDir,
    results: &McResults,
    pool_cdr: CdrRows,
    prepared: Option<Prepared<f64>>,
    tables: Tables,
) -> Result<String, AppError> {
    let deal = &r.loaded.deal;
    let skipped: &[&'static str] = if r.mc_only { &MC_ONLY_SKIPS } else { &[] };
    montecarlo::write_noting(out, &deal.name, results, r.meta, skipped)?;
    let mut text = table::monte_carlo_report(results);
    if let (Some(prep), Some((grades, loss_table))) = (&prepared, tables) {
        // Break-even default rates (deterministic) and the implied rating from this run's pool
        // CDR distribution, so charts and report.html can show them.
        let dist = pool_cdr.finish();
        crate::cancel::phase("breakeven")?;
        let breakeven = crate::structuring::breakeven::breakeven_prepared(
            deal,
            prep,
            &r.loaded.config.breakeven,
            None,
        );
        crate::cancel::phase("rating")?;
        let rating = crate::structuring::rating::rate_prepared(
            deal, prep, &breakeven, grades, loss_table, &dist, results,
        );
        crate::cancel::check()?;
        out.csv("breakeven.csv", &breakeven.rows)?;
        out.json(
            "breakeven.json",
            &super::breakeven::document(deal, r.meta, &breakeven)?,
        )?;
        out.json(
            "rating.json",
            &super::rate::document(deal, r.meta, &rating)?,
        )?;
        // The report's sensitivity table: EL and P(default) against the default multiplier
        // and the correlation, on this run's seed.
        crate::cancel::phase("sensitivity")?;
        let doc = r.loaded.document(r.scenario)?;
        let sensitivity =
            crate::structuring::sensitivity::run(deal, &doc, &r.loaded.attachments, r.options)?;
        out.json("sensitivity.json", &sensitivity)?;
        text += "\nImplied grades (highest grade whose target default rate ≤ the tranche's lowest break-even rate):\n";
        text += &super::rate::grade_lines(&rating);
    } else {
        text += "\nBreak-even rates, implied grades and sensitivity: not computed (--mc-only)\n";
    }
    // Charts, report.html and results.xlsx from the files just written, before the commit.
    text += &super::chart::run_reports(out.staging(), r.report)?;
    Ok(text)
}

/// `--shard`: runs this shard's paths and writes its rows (`paths.bin`) and `shard.json`.
fn run_shard(
    args: &RunArgs,
    loaded: &Loaded,
    shard: super::shard::Shard,
    options: McOptions,
    target: &Path,
    command_started: Instant,
) -> Result<Outcome, AppError> {
    let deal = &loaded.deal;
    let range = PathRange::shard(options.paths, shard.index, shard.count);
    let scenario_path = crate::report::outdir::resolve(&args.scenario)
        .map_err(|e| AppError::Usage(format!("{}: {e}", args.scenario.display())))?;
    let (out, meta) = open_output("run", &args.scenario, loaded, target, &[])?;
    crate::cancel::phase("monte_carlo")?;
    let started = Instant::now();
    let width = crate::montecarlo::path::row_width(deal.structure.tranches.len());
    let mut writer = PathsWriter::create(&out, width)?;
    let mut write_error: Option<ReportError> = None;
    let run = simulate_range(
        deal,
        options,
        range,
        |_, rows| {
            if write_error.is_none() {
                write_error = writer.write_rows(rows).err();
            }
        },
        progress(range.len(), args.quiet),
    )?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    writer.flush()?;
    let elapsed = started.elapsed().as_secs_f64();
    ShardFile {
        format: SHARD_FORMAT,
        metadata: meta,
        deal: deal.name.clone(),
        scenario_path,
        shard: shard.index + 1,
        shards: shard.count,
        paths: options.paths,
        seed: options.seed,
        importance_sampling: args.simulation.importance_sampling.clone(),
        shift: run.shift,
        mc_only: args.mc_only,
        columns: run.columns,
        totals: run.totals,
    }
    .write(&out)?;
    let mut info =
        RunInfo::new("run", options.threads_used(), command_started).phase("monte_carlo", elapsed);
    info.shard = Some(shard.to_string());
    let written = super::commit_with_info(out, &info)?;
    let text = format!(
        "{} — shard {shard} of the Monte Carlo: paths {}..{} of {}, seed {}, {} threads, {:.2} s\nwritten to {}\njoin the shards with: ipabs merge <shard folders> --out DIR\n",
        deal.name,
        range.start,
        range.end,
        options.paths,
        options.seed,
        options.threads_used(),
        elapsed,
        written.path.display()
    );
    Ok(Outcome::folder("run", text, written))
}
