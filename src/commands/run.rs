//! `ipabs run SCENARIO [--paths N] [--seed S] [--threads T] [--out DIR] [--quiet] [--mc-only]`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use super::{AppError, open_output};
use crate::cli::{RunArgs, default_out};
use crate::engine::Prepared;
use crate::engine::deterministic::AssumptionEvents;
use crate::montecarlo::{MAX_THREADS, simulate};
use crate::report::montecarlo::{MC_ONLY_SKIPS, PathsWriter};
use crate::report::run_info::RunInfo;
use crate::report::{ReportError, cashflow, montecarlo, table};
use crate::results::cashflow::run_cashflow_prepared;

/// `--threads`: omitted = every core; otherwise 1..=[`MAX_THREADS`].
fn threads(flag: Option<usize>) -> Result<usize, AppError> {
    match flag {
        None => Ok(0),
        Some(0) => Err(AppError::Usage(
            "--threads expects at least 1 (omit it to use every core)".into(),
        )),
        Some(n) if n > MAX_THREADS => Err(AppError::Usage(format!(
            "--threads expects at most {MAX_THREADS}, found {n}"
        ))),
        Some(n) => Ok(n),
    }
}

pub fn run(args: &RunArgs) -> Result<String, AppError> {
    let command_started = Instant::now();
    let loaded = crate::structuring::load(&args.scenario)?;
    let deal = &loaded.deal;
    super::print_warnings(&deal.warnings);
    let structuring = !args.mc_only;
    // The rating tables are checked before any work (`--mc-only` reads none).
    let tables = if structuring {
        Some((
            super::rate::grades_for(&None, &loaded.config)?,
            super::rate::loss_table_for(&None, &loaded.config)?,
        ))
    } else {
        None
    };
    let target = default_out(&args.scenario, &args.out);
    // paths.bin is staged beside the target: the disk there is what it needs.
    let mut options = super::rate::simulation_options(
        deal,
        &args.simulation,
        Some(target.parent().unwrap_or(std::path::Path::new("."))),
    )?;
    options.threads = threads(args.threads)?;
    let (out, meta) = open_output("run", &args.scenario, &loaded, &target, &[])?;
    crate::cancel::phase("base_case")?;
    // The pool is projected once: the base case runs it in exact decimal, the break-even
    // search and the rating in f64.
    let projection = Prepared::<Decimal>::projection_of(deal);
    let base = run_cashflow_prepared(
        deal,
        &Prepared::<Decimal>::new(deal, &projection),
        &AssumptionEvents::new(deal),
    );
    let prepared: Option<Prepared<f64>> = structuring.then(|| Prepared::new(deal, &projection));
    drop(projection);
    super::print_warnings(&super::run_warnings(&args.scenario, &base));
    crate::cancel::check()?;
    cashflow::write(&out, deal, &base, &meta)?;

    let bar = ProgressBar::with_draw_target(Some(options.paths), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} paths  {per_sec}  ETA {eta}")
            .expect("valid template"),
    );
    let show_bar = !args.quiet && std::io::stderr().is_terminal();
    crate::cancel::phase("monte_carlo")?;
    let started = Instant::now();
    let width = crate::montecarlo::path::row_width(deal.structure.tranches.len());
    let mut writer = PathsWriter::create(&out, width)?;
    let mut write_error: Option<ReportError> = None;
    // The pool CDR of every path, for the target default rates of the implied rating.
    let mut pool_cdr = crate::structuring::rating::CdrRows::new(deal, options.paths);
    let results = simulate(
        deal,
        options,
        |_, rows| {
            if write_error.is_none() {
                write_error = writer.write_rows(rows).err();
            }
            if structuring {
                pool_cdr.extend(rows);
            }
        },
        |done| {
            // Only runs longer than a second get a bar.
            if show_bar && bar.is_hidden() && started.elapsed() > Duration::from_secs(1) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.set_position(done);
        },
    )?;
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e.into());
    }
    let elapsed = started.elapsed().as_secs_f64();
    writer.finish(&out, &results.columns, results.seed)?;
    let skipped: &[&'static str] = if structuring { &[] } else { &MC_ONLY_SKIPS };
    montecarlo::write_noting(&out, &deal.name, &results, &meta, skipped)?;
    let mut grade_lines = None;
    if let (Some(prep), Some((grades, loss_table))) = (&prepared, tables) {
        // Break-even default rates (deterministic) and the implied rating from this run's pool
        // CDR distribution, so charts and report.html can show them.
        let dist = pool_cdr.finish();
        crate::cancel::phase("breakeven")?;
        let breakeven = crate::structuring::breakeven::breakeven_prepared(
            deal,
            prep,
            &loaded.config.breakeven,
            None,
        );
        crate::cancel::phase("rating")?;
        let rating = crate::structuring::rating::rate_prepared(
            deal, prep, &breakeven, grades, loss_table, &dist, &results,
        );
        crate::cancel::check()?;
        out.csv("breakeven.csv", &breakeven.rows)?;
        out.json(
            "breakeven.json",
            &super::breakeven::document(deal, &meta, &breakeven)?,
        )?;
        out.json("rating.json", &super::rate::document(deal, &meta, &rating)?)?;
        // The report's sensitivity table: EL and P(default) against the default multiplier
        // and the correlation, on this run's seed.
        crate::cancel::phase("sensitivity")?;
        let doc = loaded.document(&args.scenario)?;
        let sensitivity =
            crate::structuring::sensitivity::run(deal, &doc, &loaded.attachments, options)?;
        out.json("sensitivity.json", &sensitivity)?;
        grade_lines = Some(super::rate::grade_lines(&rating));
    }
    // Charts, report.html and results.xlsx from the files just written, before the commit.
    let reports = super::chart::run_reports(out.staging(), &args.report)?;
    // A stop asked for at any point up to here leaves the previous output (commit checks).
    let threads = crate::montecarlo::worker_threads(options.threads);
    let info = RunInfo::new("run", threads, command_started).phase("monte_carlo", elapsed);
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
        threads,
        elapsed,
        results.paths as f64 / elapsed.max(1e-9)
    );
    text += &table::monte_carlo_report(&results);
    match grade_lines {
        Some(lines) => {
            text += "\nImplied grades (highest grade whose target default rate ≤ the tranche's lowest break-even rate):\n";
            text += &lines;
        }
        None => {
            text += "\nBreak-even rates, implied grades and sensitivity: not computed (--mc-only)\n"
        }
    }
    text += &reports;
    text += &format!("written to {}\n", written.display());
    Ok(text)
}
