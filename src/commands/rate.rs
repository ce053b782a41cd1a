//! `ipabs rate SCENARIO [--paths N] [--seed S] [--grades FILE] [--loss-table FILE] [--out DIR]`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::sweep::progress_bar;
use super::{AppError, open_output};
use crate::cli::{RateArgs, default_out_suffixed};
use crate::montecarlo::McOptions;
use crate::report::RunMetadata;
use crate::structuring::config::StructuringConfig;
use crate::structuring::rating::{
    DEFAULT_GRADES, DEFAULT_LOSS_TABLE, Grade, LossTable, METHODS, RatingResult, parse_grades, rate,
};
use crate::structuring::{self, pct};

/// Reads a table given on the command line.
fn flag_text(path: &Path, what: &str) -> Result<(String, String), AppError> {
    crate::input::read_text(path)
        .map(|t| (t, path.display().to_string()))
        .map_err(|e| AppError::Usage(format!("cannot read the {what} {}: {e}", path.display())))
}

/// The grade table: the `--grades` file, else the scenario's `[rating] grades` (read and
/// checked when the scenario was loaded), else the shipped table.
pub fn grades_for(
    flag: &Option<PathBuf>,
    config: &StructuringConfig,
) -> Result<Vec<Grade>, AppError> {
    if let Some(path) = flag {
        let (text, origin) = flag_text(path, "grade table")?;
        return parse_grades(&text, &origin).map_err(AppError::Usage);
    }
    match &config.grades {
        Some(grades) => Ok(grades.clone()),
        None => parse_grades(DEFAULT_GRADES, "shipped grade table").map_err(AppError::Usage),
    }
}

/// The idealized loss table, chosen as [`grades_for`] chooses the grade table.
pub fn loss_table_for(
    flag: &Option<PathBuf>,
    config: &StructuringConfig,
) -> Result<LossTable, AppError> {
    if let Some(path) = flag {
        let (text, origin) = flag_text(path, "idealized loss table")?;
        return LossTable::parse(&text, &origin).map_err(AppError::Usage);
    }
    match &config.loss_table {
        Some(table) => Ok(table.clone()),
        None => LossTable::parse(DEFAULT_LOSS_TABLE, "shipped idealized loss table")
            .map_err(AppError::Usage),
    }
}

/// Monte Carlo options from the flags and the scenario, refused when the paths cannot fit in
/// this machine's memory or, for a run that writes `paths.bin` into `paths_file_dir`, its disk.
pub fn mc_options(
    deal: &crate::deal::Deal,
    paths: Option<u64>,
    seed: Option<u64>,
    paths_file_dir: Option<&Path>,
) -> Result<McOptions, AppError> {
    let options = McOptions {
        paths: paths.unwrap_or(deal.simulation.paths),
        seed: seed.unwrap_or(deal.simulation.seed),
        threads: 0,
    };
    if options.paths == 0 {
        return Err(AppError::Usage("--paths expects at least 1 path".into()));
    }
    let need = super::budget::monte_carlo(deal, options.paths, paths_file_dir.is_some());
    super::budget::check(need, options.paths, paths_file_dir)?;
    Ok(options)
}

pub fn run(args: &RateArgs) -> Result<String, AppError> {
    let loaded = structuring::load(&args.scenario)?;
    super::print_warnings(&loaded.deal.warnings);
    let deal = &loaded.deal;
    let grades = grades_for(&args.grades, &loaded.config)?;
    let loss_table = loss_table_for(&args.loss_table, &loaded.config)?;
    let options = mc_options(deal, args.simulation.paths, args.simulation.seed, None)?;
    let target = default_out_suffixed(&args.scenario, &args.out, "rating");
    let (out, meta) = open_output(
        "rate",
        &args.scenario,
        &loaded,
        &target,
        &[&args.grades, &args.loss_table],
    )?;
    crate::cancel::phase("monte_carlo")?;
    let started = Instant::now();
    let bar = progress_bar(options.paths, args.quiet);
    let (dist, mc) =
        structuring::rating::simulate_cdr(deal, options, |done| bar.set_position(done))?;
    bar.finish_and_clear();
    let breakeven = structuring::breakeven::breakeven(deal, &loaded.config.breakeven, None);
    crate::cancel::check()?;
    let result = rate(deal, &breakeven, grades, loss_table, &dist, &mc);
    crate::cancel::check()?;
    let elapsed = started.elapsed().as_secs_f64();
    out.json("rating.json", &document(deal, &meta, elapsed, &result))?;
    let written = out.commit()?;
    let mut text = format!(
        "{} — implied ratings ({} paths, seed {}, {:.2} s)\n",
        deal.name, result.paths, result.seed, elapsed
    );
    text += &report(&result);
    text += &format!("written to {}\n", written.display());
    Ok(text)
}

/// The content of `rating.json` (also written by `ipabs run`).
pub fn document(
    deal: &crate::deal::Deal,
    meta: &RunMetadata,
    elapsed: f64,
    result: &RatingResult,
) -> serde_json::Value {
    serde_json::json!({
        "deal": deal.name,
        "metadata": meta,
        "elapsed_seconds": elapsed,
        "result": result,
    })
}

/// One line per tranche: the implied grade by each TDR method, with and without support.
pub fn grade_lines(r: &RatingResult) -> String {
    let mut text = String::new();
    for t in &r.tranches {
        let grades = |list: &[crate::structuring::rating::Awarded]| {
            list.iter()
                .map(|g| {
                    format!(
                        "{} {}",
                        g.method.name(),
                        g.grade.as_deref().unwrap_or("below scale")
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        text += &format!(
            "  {:<6} {}  (standalone: {})\n",
            t.tranche,
            grades(&t.implied),
            grades(&t.standalone)
        );
    }
    text
}

fn opt_pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| pct(v, 3))
}

/// The terminal tables: TDR per grade, then the grades per tranche.
pub fn report(r: &RatingResult) -> String {
    let mut text = format!(
        "pool cumulative default rate: mean {}, std {}\n\n{:<6} {:>10} {:>6} {:>3} {:>11} {:>11} {:>11}\n",
        pct(r.pool_cdr_mean, 3),
        pct(r.pool_cdr_std, 3),
        "grade",
        "p_g",
        "mult",
        "k",
        "TDR empir.",
        "TDR lognorm",
        "TDR mult."
    );
    for t in &r.tdr {
        text += &format!(
            "{:<6} {:>10} {:>6} {:>3} {:>11} {:>11} {:>11}\n",
            t.grade,
            t.default_probability.map_or("-".into(), |p| pct(p, 3)),
            t.multiplier.map_or("-".into(), |m| format!("{m}")),
            t.large_obligors,
            opt_pct(t.empirical),
            opt_pct(t.lognormal),
            opt_pct(t.multiplier_tdr)
        );
    }
    text += &format!("\n{:<8} {:>9} {:>9}", "tranche", "min BDR", "no supp.");
    for m in METHODS {
        text += &format!(" {:>20}", format!("{} (margin)", m.name()));
    }
    text += &format!(
        " {:>10} {:>6} {:>8}  {}\n",
        "EL", "WAL", "EL grade", "large obligors"
    );
    for t in &r.tranches {
        text += &format!(
            "{:<8} {:>9} {:>9}",
            t.tranche,
            pct(t.min_bdr, 2),
            pct(t.min_bdr_without_support, 2)
        );
        for a in &t.implied {
            let cell = match (&a.grade, a.margin) {
                (Some(g), Some(m)) => format!("{g} ({:+.2}pp)", m * 100.0),
                _ => "below scale".into(),
            };
            text += &format!(" {cell:>20}");
        }
        let checks: Vec<String> = t
            .large_obligor_check
            .iter()
            .filter(|(k, _)| *k > 0)
            .map(|(k, ok)| format!("top{k}:{}", if *ok { "ok" } else { "FAIL" }))
            .collect();
        text += &format!(
            " {:>10} {:>6} {:>8}  {}\n",
            pct(t.expected_loss, 4),
            t.wal_years.map_or("-".into(), |w| format!("{w:.2}")),
            t.expected_loss_grade.as_deref().unwrap_or("below"),
            checks.join(" ")
        );
    }
    text += "standalone grades (without the shortfall support):\n";
    for t in &r.tranches {
        let g: Vec<String> = t
            .standalone
            .iter()
            .map(|a| {
                format!(
                    "{} {}",
                    a.method.name(),
                    a.grade.as_deref().unwrap_or("below scale")
                )
            })
            .collect();
        text += &format!("  {:<8} {}\n", t.tranche, g.join(", "));
    }
    text
}
