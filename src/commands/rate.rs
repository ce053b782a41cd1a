//! `ipabs rate SCENARIO [--paths N] [--seed S] [--grades FILE] [--loss-table FILE] [--out DIR]`.

use crate::report::run_info::RunInfo;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::outcome::Outcome;
use super::sweep::progress_bar;
use super::{AppError, open_output};
use crate::cli::{RateArgs, default_out_suffixed};
use crate::montecarlo::McOptions;
use crate::report::structuring::{RatingDocument, sorted_json};
use crate::report::{ReportError, RunMetadata};
use crate::structuring::config::StructuringConfig;
use crate::structuring::rating::{
    DEFAULT_GRADES, DEFAULT_LOSS_TABLE, Grade, INTERVAL_Z, LossTable, Method, RatingResult,
    parse_grades,
};
use crate::structuring::{self, pct};
use std::borrow::Cow;

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

/// A run that streams its rows to `paths.bin` (`run`, a shard, `merge`): the output folder,
/// the shard this process runs, and whether to keep quiet about the estimate.
pub struct Streamed<'a> {
    pub out: &'a Path,
    pub shard: Option<super::shard::Shard>,
    pub quiet: bool,
}

/// Monte Carlo options from the flags and the scenario, refused (unless `force`) when the
/// paths this process runs cannot fit in this machine's memory or, for a `streamed` run, the
/// disk beside its output folder (whose estimate it prints first unless quiet).
pub fn mc_options(
    deal: &crate::deal::Deal,
    paths: Option<u64>,
    seed: Option<u64>,
    importance: Option<usize>,
    streamed: Option<&Streamed<'_>>,
    force: bool,
) -> Result<McOptions, AppError> {
    let options = McOptions {
        paths: paths.unwrap_or(deal.simulation.paths),
        seed: seed.unwrap_or(deal.simulation.seed),
        threads: 0,
        importance,
    };
    if options.paths == 0 {
        return Err(AppError::Usage("--paths expects at least 1 path".into()));
    }
    let ran = streamed.and_then(|s| s.shard).map_or(options.paths, |s| {
        crate::montecarlo::PathRange::shard(options.paths, s.index, s.count).len()
    });
    let need = super::budget::monte_carlo(deal, ran, streamed.is_some(), importance.is_some());
    let dir = streamed.map(|s| super::budget::out_parent(s.out));
    if let (Some(s), Some(dir)) = (streamed, dir)
        && !s.quiet
    {
        eprintln!("{}", super::budget::describe(need, ran, dir));
    }
    super::budget::check(need, ran, dir, force)?;
    Ok(options)
}

/// `options` raised to `paths` paths (the same seed and sampling), checked against memory as
/// [`mc_options`] checks.
pub fn with_paths(
    deal: &crate::deal::Deal,
    options: McOptions,
    paths: u64,
    force: bool,
) -> Result<McOptions, AppError> {
    mc_options(
        deal,
        Some(paths),
        Some(options.seed),
        options.importance,
        None,
        force,
    )
}

/// The tranche of `--importance-sampling TRANCHE`, by name.
pub fn importance_target(
    deal: &crate::deal::Deal,
    name: Option<&str>,
) -> Result<Option<usize>, AppError> {
    name.map(|name| {
        crate::structuring::tranche_index(deal, name)
            .map_err(|e| AppError::Usage(format!("--importance-sampling: {e}")))
    })
    .transpose()
}

/// Monte Carlo options from `--paths`, `--seed` and `--importance-sampling` (see [`mc_options`]).
pub fn simulation_options(
    deal: &crate::deal::Deal,
    args: &crate::cli::SimulationArgs,
    streamed: Option<&Streamed<'_>>,
) -> Result<McOptions, AppError> {
    let importance = importance_target(deal, args.importance_sampling.as_deref())?;
    mc_options(
        deal, args.paths, args.seed, importance, streamed, args.force,
    )
}

pub fn run(args: &RateArgs) -> Result<Outcome, AppError> {
    let loaded = structuring::load(&args.scenario)?;
    super::print_warnings(&loaded.deal.warnings);
    let deal = &loaded.deal;
    let grades = grades_for(&args.grades, &loaded.config)?;
    let loss_table = loss_table_for(&args.loss_table, &loaded.config)?;
    let options = simulation_options(deal, &args.simulation, None)?;
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
    // The pool prepared once for the break-even runs and every rating pass.
    let prep: crate::engine::Prepared<f64> = crate::engine::Prepared::for_deal(deal);
    let breakeven =
        structuring::breakeven::breakeven_prepared(deal, &prep, &loaded.config.breakeven, None);
    crate::cancel::check()?;
    // With --max-paths: rerun at the paths the borderline grades ask for, until none is left
    // or the cap is reached (the same seed: the first paths are the same paths).
    let mut options = options;
    let mut runs: Vec<u64> = Vec::new();
    let result = loop {
        let bar = progress_bar(options.paths, args.quiet);
        let (dist, mc) =
            structuring::rating::simulate_cdr(deal, options, |done| bar.set_position(done))?;
        bar.finish_and_clear();
        crate::cancel::check()?;
        let result = structuring::rating::rate_prepared(
            deal,
            &prep,
            &breakeven,
            grades.clone(),
            loss_table.clone(),
            &dist,
            &mc,
        );
        runs.push(options.paths);
        let needed = borderline_paths(&result);
        match (args.max_paths, needed) {
            (Some(cap), Some(n)) if options.paths < cap && runs.len() < 4 => {
                let paths = n.min(cap).max(options.paths * 2).min(cap);
                options = with_paths(deal, options, paths, args.simulation.force)?;
            }
            _ => break result,
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    out.json("rating.json", &document(deal, &meta, &result)?)?;
    let threads = crate::montecarlo::worker_threads(options.threads);
    let written = super::commit_with_info(out, &RunInfo::new("rate", threads, started))?;
    let mut text = format!(
        "{} — implied ratings ({} paths, seed {}, {:.2} s)\n",
        deal.name, result.paths, result.seed, elapsed
    );
    if runs.len() > 1 {
        let list: Vec<String> = runs.iter().map(u64::to_string).collect();
        text += &format!(
            "paths raised to settle borderline grades: {}{}\n",
            list.join(" → "),
            match borderline_paths(&result) {
                Some(n) => format!(" (still borderline: would need {n}; --max-paths reached)"),
                None => " (settled)".into(),
            }
        );
    }
    text += &report(&result);
    text += &format!("written to {}\n", written.path.display());
    Ok(Outcome::folder("rate", text, written))
}

/// The most paths any borderline grade asks for, if one is borderline.
pub fn borderline_paths(r: &RatingResult) -> Option<u64> {
    r.tranches
        .iter()
        .flat_map(|t| {
            t.implied
                .iter()
                .chain(&t.standalone)
                .filter_map(|a| a.borderline.as_ref())
                .chain(t.supported_joint.borderline.as_ref())
                .chain(t.expected_loss_grade_borderline.as_ref())
        })
        .map(|b| b.paths_needed)
        .max()
}

/// The content of `rating.json` (also written by `ipabs run`), keys sorted as always.
pub fn document(
    deal: &crate::deal::Deal,
    meta: &RunMetadata,
    result: &RatingResult,
) -> Result<serde_json::Value, ReportError> {
    sorted_json(&RatingDocument {
        deal: Cow::Borrowed(&deal.name),
        metadata: Cow::Borrowed(meta),
        result: Cow::Borrowed(result),
    })
}

/// The joint-default grade as a cell: `A (P(fail) 0.21 % ± 0.03 %)`.
fn joint_cell(j: &crate::structuring::rating::JointGrade) -> String {
    j.cell()
        + &format!(
            " (P(fail) {} ± {})",
            pct(j.failure_probability, 3),
            pct(j.std_error, 3)
        )
}

/// One line per tranche: the implied grade by each TDR method, with and without support.
pub fn grade_lines(r: &RatingResult) -> String {
    let mut text = String::new();
    for t in &r.tranches {
        let grades = |list: &[crate::structuring::rating::Awarded]| {
            list.iter()
                .map(|g| format!("{} {}", g.method.name(), g.cell()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        text += &format!(
            "  {:<6} {}; promisor priced {}  (standalone: {})\n",
            t.tranche,
            grades(&t.implied),
            joint_cell(&t.supported_joint),
            grades(&t.standalone)
        );
    }
    text += &format!(
        "  (target default probabilities p_g(WAL) at each tranche's WAL, years: {}; promisor priced = empirical, the promisor an obligor: fails when the pool beats the supported BDR, or the promisor defaults and the pool beats the standalone BDR; {})\n",
        r.tranches
            .iter()
            .map(|t| format!("{} {:.2}", t.tranche, t.target_horizon_years))
            .collect::<Vec<_>>()
            .join(", "),
        r.weak_link_rule
    );
    text
}

fn opt_pct(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| pct(v, 3))
}

/// The terminal tables: the fit, the TDR per grade and method (with the empirical interval),
/// then per tranche the BDR reached, the grade by each method, the test that binds, and the
/// standalone grades.
pub fn report(r: &RatingResult) -> String {
    let mut text = format!(
        "pool cumulative default rate (CDR): mean {}, std {}\n",
        pct(r.pool_cdr_mean, 3),
        pct(r.pool_cdr_std, 3)
    );
    if let Some(is) = &r.importance_sampling {
        text += &format!(
            "sampling: {}\n",
            crate::report::table::sampling_note(Some(is), r.paths)
        );
    }
    match &r.lognormal_fit {
        Some(f) => {
            text += &format!(
                "lognormal fit (moments): mu {:.3}, sigma {:.3}; paths without default {:.1} %; Kolmogorov–Smirnov distance {:.3}; {}\n",
                f.mu,
                f.sigma,
                f.zero_mass * 100.0,
                f.ks_distance,
                f.refused
                    .as_ref()
                    .map_or("used".to_string(), |why| format!("REFUSED: {why}"))
            );
        }
        None => text += "lognormal fit: none (no default on any path)\n",
    }
    for t in &r.tranches {
        text += &format!(
            "\nTDRs for {} (horizon: WAL {:.2} years)\n{:<6} {:>9} {:>5} {:>3} {:>10} {:>23} {:>11} {:>11}\n",
            t.tranche,
            t.target_horizon_years,
            "grade",
            "p_g(WAL)",
            "mult",
            "k",
            "TDR empir.",
            format!("{:.0} % interval", r.interval_level * 100.0),
            "TDR lognorm",
            "TDR mult."
        );
        for row in &t.tdr {
            text += &format!(
                "{:<6} {:>9} {:>5} {:>3} {:>10} {:>23} {:>11} {:>11}\n",
                row.grade,
                row.default_probability.map_or("-".into(), |p| pct(p, 4)),
                row.multiplier.map_or("-".into(), |m| format!("{m}")),
                row.large_obligors,
                opt_pct(row.empirical),
                row.empirical_interval
                    .map_or("-".into(), |(lo, hi)| format!(
                        "[{}, {}]",
                        pct(lo, 2),
                        pct(hi, 2)
                    )),
                opt_pct(row.lognormal),
                opt_pct(row.multiplier_tdr)
            );
        }
    }
    // One line per method and reason, naming the grades it applies to.
    let mut reasons: Vec<(Method, String, Vec<String>)> = Vec::new();
    for row in r.tranches.iter().flat_map(|t| &t.tdr) {
        for (m, why) in &row.not_applicable {
            match reasons.iter_mut().find(|(rm, rw, _)| rm == m && rw == why) {
                Some((_, _, grades)) if !grades.contains(&row.grade) => {
                    grades.push(row.grade.clone())
                }
                Some(_) => {}
                None => reasons.push((*m, why.clone(), vec![row.grade.clone()])),
            }
        }
    }
    if !reasons.is_empty() {
        text += "n/a = the method does not apply:\n";
        for (m, why, grades) in reasons {
            text += &format!("  {} for {}: {why}\n", m.name(), grades.join(", "));
        }
    }
    text += &format!("({})\n", r.tenor_rule);
    text += "(TDR empirical = the (1 − p_g) order statistic of the simulated CDR; lognormal = quantile of the moment fit; multiplier = mult × mean CDR; k = largest obligors whose default the grade must survive)\n";
    text += &format!(
        "\n{:<8} {:>9} {:>9} {:>10} {:>6} {:>8}  {}\n",
        "tranche", "BDR", "no supp.", "EL ± s.e.", "WAL", "Moody's", "large obligors"
    );
    for t in &r.tranches {
        let checks = |list: &[(usize, bool)]| {
            list.iter()
                .filter(|(k, _)| *k > 0)
                .map(|(k, ok)| format!("top{k}:{}", if *ok { "ok" } else { "FAIL" }))
                .collect::<Vec<_>>()
                .join(" ")
        };
        text += &format!(
            "{:<8} {:>9} {:>9} {:>10} {:>6} {:>8}  {} (standalone: {})\n",
            t.tranche,
            pct(t.min_bdr, 2),
            pct(t.min_bdr_without_support, 2),
            format!(
                "{}±{}",
                pct(t.expected_loss, 3),
                pct(t.expected_loss_std_error, 3)
            ),
            t.wal_years.map_or("-".into(), |w| format!("{w:.2}")),
            t.expected_loss_grade
                .as_deref()
                .unwrap_or("below")
                .to_string()
                + if t.expected_loss_grade_borderline.is_some() {
                    "?"
                } else {
                    ""
                },
            checks(&t.large_obligor_check),
            checks(&t.large_obligor_check_standalone)
        );
    }
    for t in &r.tranches {
        if let Some(b) = &t.expected_loss_grade_borderline {
            text += &format!(
                "{}: Moody's grade borderline (PV loss {} ± {}): {} at stake, {} paths would settle it\n",
                t.tranche,
                pct(t.expected_pv_loss, 4),
                pct(INTERVAL_Z * t.expected_pv_loss_std_error, 4),
                b.grade,
                b.paths_needed
            );
        }
    }
    text += "(BDR = the lowest, over the stress set, pool cumulative default rate reached in a run the tranche survives whole; EL = mean principal loss / original balance; Moody's = the grade on Moody's scale of the idealized loss table read at the WAL with the present-value loss: lost promised payments discounted at the coupon; the other grades are on the domestic scale of the grade table)\n";
    for (label, with_support) in [("with support", true), ("standalone (support off)", false)] {
        text += &format!("\ngrades {label}:\n");
        for t in &r.tranches {
            let list = if with_support {
                &t.implied
            } else {
                &t.standalone
            };
            for a in list {
                text += &format!(
                    "  {:<8} {:<10} {:<40} binding: {}\n",
                    t.tranche,
                    a.method.name(),
                    a.cell(),
                    a.binding
                );
            }
            if with_support {
                text += &format!(
                    "  {:<8} {:<10} {:<40} binding: {}\n",
                    t.tranche,
                    "priced",
                    joint_cell(&t.supported_joint),
                    t.supported_joint.binding
                );
            }
        }
    }
    text += "\npromisor caps (weak link):\n";
    for t in &r.tranches {
        match &t.promisor_cap {
            Some(c) => {
                text += &format!(
                    "  {:<8} {}: annual PD {}, over WAL {:.2} y {} → {}\n",
                    t.tranche,
                    c.support,
                    pct(c.annual_pd, 3),
                    c.horizon_years,
                    pct(c.cumulative_pd, 3),
                    c.grade
                )
            }
            None => text += &format!("  {:<8} no support covers it\n", t.tranche),
        }
    }
    text += &format!("({})\n", r.weak_link_rule);
    text
}
