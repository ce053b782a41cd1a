//! `ipabs size SCENARIO --target A1=AAA | --target-el A=0.0005 | --target-bdr A=0.25`.

use crate::report::run_info::RunInfo;
use rust_decimal::Decimal;
use std::time::Instant;

use super::rate::{grades_for, with_paths};
use super::{AppError, open_output};
use crate::cli::{SizeArgs, default_out_suffixed};
use crate::engine::Prepared;
use crate::money::Amount;
use crate::montecarlo::simulate;
use crate::report::table::thousands;
use crate::structuring::breakeven::{
    BreakevenPool, largest_obligors, min_bdr_with, survives_obligor_defaults_prepared,
};
use crate::structuring::overrides::parse_number;
use crate::structuring::rating::{Method, TdrRow, promisor_cap, simulate_cdr, tdr_table};
use crate::structuring::sizing::{Outcome, Resizer, bisect_fen};
use crate::structuring::{self, pct, tranche_index};

enum Goal {
    /// `tdr` is what the BDR must reach: for the empirical method the upper end of the TDR's
    /// 95 % interval (`point` is the estimate), so the sized structure still meets the grade
    /// when it is re-rated on another seed. The TDR is read at `horizon`, the tranche's WAL.
    Grade {
        grade: String,
        tdr: f64,
        point: f64,
        k: usize,
        horizon: f64,
        default_probability: f64,
    },
    El(f64),
    Bdr(f64),
}

impl Goal {
    /// Whether two grade goals ask the same of the structure (same BDR, same obligor test).
    fn same_test(&self, other: &Goal) -> bool {
        match (self, other) {
            (Goal::Grade { tdr: a, k: j, .. }, Goal::Grade { tdr: b, k, .. }) => a == b && j == k,
            _ => false,
        }
    }
}

/// The goal of reaching `row`'s grade by `method` for a tranche of `wal` years.
fn grade_goal(row: &TdrRow, method: Method, wal: f64) -> Result<Goal, AppError> {
    let point = row.get(method).ok_or_else(|| {
        let why = row
            .not_applicable
            .iter()
            .find(|(m, _)| *m == method)
            .map_or("the grade has no parameter for it".to_string(), |(_, w)| {
                w.clone()
            });
        AppError::Usage(format!(
            "--target: grade {} has no TDR by the {} method: {why}",
            row.grade,
            method.name()
        ))
    })?;
    let tdr = match (method, row.empirical_interval) {
        (Method::Empirical, Some((_, hi))) => hi,
        _ => point,
    };
    Ok(Goal::Grade {
        grade: row.grade.clone(),
        tdr,
        point,
        k: row.large_obligors,
        horizon: wal,
        default_probability: row.default_probability.unwrap_or(0.0),
    })
}

/// A pool CDR distribution and the Monte Carlo it came from.
type CdrRun = (
    crate::structuring::rating::CdrDistribution,
    crate::montecarlo::McResults,
);

/// The Monte Carlo options with `--precision`: the paths doubled (or raised by the factor the
/// interval's 1/√paths shrinkage asks for) until the target's 95 % half-width is at most the
/// precision, or `--max-paths`. The half-width is that of the empirical TDR of the grade for
/// `--target` (read at the tranche's WAL), of the tranche's expected loss for `--target-el`.
/// For `--target` it also returns the pool CDR run at the final options, so sizing does not
/// simulate it again.
fn precise_options(
    deal: &crate::deal::Deal,
    mut options: crate::montecarlo::McOptions,
    args: &SizeArgs,
    flag: &str,
    i: usize,
    grades: &[crate::structuring::rating::Grade],
) -> Result<(crate::montecarlo::McOptions, Option<CdrRun>), AppError> {
    let Some(precision) = args.precision else {
        return Ok((options, None));
    };
    if !(precision > 0.0 && precision < 1.0) {
        return Err(AppError::Usage(format!(
            "--precision: expected a half-width in (0, 1), found {precision}"
        )));
    }
    if flag == "target-bdr" {
        return Err(AppError::Usage(
            "--precision: --target-bdr has no Monte Carlo noise (the BDR is a deterministic search)".into(),
        ));
    }
    let value = args
        .target
        .as_deref()
        .and_then(|t| t.split_once('='))
        .map(|(_, v)| v.trim());
    loop {
        let (half, cdr) = if flag == "target" {
            let (d, mc) = simulate_cdr(deal, options, |_| {})?;
            let wal = mc.tranches[i].wal_years.as_ref().map_or(0.0, |d| d.mean);
            let row = tdr_table(&d, grades, wal)
                .into_iter()
                .find(|r| Some(r.grade.as_str()) == value);
            match row.and_then(|r| r.empirical_interval.zip(r.empirical)) {
                Some(((lo, hi), _)) => ((hi - lo) / 2.0, Some((d, mc))),
                None => return Ok((options, Some((d, mc)))),
            }
        } else {
            let r = simulate(deal, options, |_, _| {}, |_| {})?;
            (
                crate::structuring::rating::INTERVAL_Z * r.tranches[i].expected_loss_std_error,
                None,
            )
        };
        if half <= precision || options.paths >= args.max_paths {
            return Ok((options, cdr));
        }
        let factor = (half / precision).powi(2).max(2.0);
        let paths = ((options.paths as f64 * factor).ceil() as u64).min(args.max_paths);
        options = with_paths(deal, options, paths, false)?;
    }
}

fn split<'a>(flag: &str, arg: &'a str) -> Result<(&'a str, &'a str), AppError> {
    arg.split_once('=')
        .map(|(a, b)| (a.trim(), b.trim()))
        .ok_or_else(|| AppError::Usage(format!("--{flag} `{arg}`: expected TRANCHE=VALUE")))
}

fn rate_value(flag: &str, text: &str) -> Result<f64, AppError> {
    parse_number(text)
        .and_then(|d| f64::try_from(d).ok())
        .filter(|v| (0.0..=1.0).contains(v))
        .ok_or_else(|| {
            AppError::Usage(format!(
                "--{flag}: expected a rate in [0, 1], found `{text}`"
            ))
        })
}

pub fn run(args: &SizeArgs) -> Result<super::outcome::Outcome, AppError> {
    let loaded = structuring::load(&args.scenario)?;
    super::print_warnings(&loaded.deal.warnings);
    let deal = &loaded.deal;
    let started = Instant::now();
    let (flag, arg) = match (&args.target, &args.target_el, &args.target_bdr) {
        (Some(t), None, None) => ("target", t),
        (None, Some(t), None) => ("target-el", t),
        (None, None, Some(t)) => ("target-bdr", t),
        _ => {
            return Err(AppError::Usage(
                "give exactly one of --target TRANCHE=GRADE, --target-el TRANCHE=EL, --target-bdr TRANCHE=BDR".into(),
            ));
        }
    };
    let (name, value) = split(flag, arg)?;
    let i = tranche_index(deal, name).map_err(|e| AppError::Usage(format!("--{flag}: {e}")))?;
    let options = super::rate::simulation_options(deal, &args.simulation, None)?;
    let target = default_out_suffixed(&args.scenario, &args.out, "size");
    let (out, meta) = open_output("size", &args.scenario, &loaded, &target, &[&args.grades])?;
    let method = Method::parse(&args.method).ok_or_else(|| {
        AppError::Usage(format!(
            "--method: expected empirical, lognormal or multiplier, found `{}`",
            args.method
        ))
    })?;
    // The pool's default distribution does not depend on the tranche sizes: one run (more
    // with --precision).
    let grades = grades_for(&args.grades, &loaded.config)?;
    let (options, cdr_run) = precise_options(deal, options, args, flag, i, &grades)?;
    let mut grade_target: Option<(Vec<crate::structuring::rating::Grade>, usize)> = None;
    let mut dist = None;
    let goal = match flag {
        "target" => {
            let g = grades
                .iter()
                .position(|g| g.grade == value)
                .ok_or_else(|| {
                    let known: Vec<&str> = grades.iter().map(|g| g.grade.as_str()).collect();
                    AppError::Usage(format!(
                        "--target: no grade `{value}` (expected one of: {})",
                        known.join(", ")
                    ))
                })?;
            let (d, mc) = match cdr_run {
                Some(run) => run,
                None => simulate_cdr(deal, options, |_| {})?,
            };
            let wal = mc.tranches[i].wal_years.as_ref().map_or(0.0, |d| d.mean);
            let tdrs = tdr_table(&d, &grades, wal);
            // As `rate` does: a supported grade is never above the promisor's.
            if let Some((cap, c)) = promisor_cap(deal, &tdrs, i, wal)
                && cap > g
                && !args.standalone
            {
                let reason = format!(
                    "{name} is covered by `{}`, whose default probability over {name}'s WAL ({:.2} years) is {} (annual {}), which grades it {}; {}",
                    c.support,
                    c.horizon_years,
                    pct(c.cumulative_pd, 3),
                    pct(c.annual_pd, 3),
                    c.grade,
                    crate::structuring::rating::WEAK_LINK_RULE
                );
                out.json(
                    "size.json",
                    &serde_json::json!({
                        "deal": deal.name,
                        "metadata": meta,
                        "goal": format!("{name} rated {value} or better, with support"),
                        "outcome": "unreachable",
                        "reason": reason,
                        "standalone": false,
                        "unit": args.unit,
                    }),
                )?;
                let written = super::commit_with_info(
                    out,
                    &RunInfo::new("size", crate::montecarlo::worker_threads(0), started),
                )?;
                let text = format!(
                    "{} — sizing: {name} rated {value} or better, with support\nUNREACHABLE at any size: {reason}.\nTry --standalone to size to the pool alone, or a grade at or below {}.\nwritten to {}\n",
                    deal.name,
                    c.grade,
                    written.path.display()
                );
                return Ok(super::outcome::Outcome::folder("size", text, written));
            }
            let goal = grade_goal(&tdrs[g], method, wal)?;
            grade_target = Some((grades, g));
            dist = Some(d);
            goal
        }
        "target-el" => Goal::El(rate_value(flag, value)?),
        _ => Goal::Bdr(rate_value(flag, value)?),
    };
    let resizer = Resizer::new(deal)?;
    let doc = loaded.document(&args.scenario)?;
    let cfg = &loaded.config.breakeven;
    let order = largest_obligors(deal);
    let support = !args.standalone;
    // Sizing moves only the tranches: every step reuses the scenario's projected pool.
    let prep: Prepared<f64> = Prepared::for_deal(deal);
    let be_pool = BreakevenPool::new(deal, &prep, cfg);
    let lowest_bdr = |d: &crate::deal::Deal| min_bdr_with(&be_pool, d, cfg, i, support);
    // The measure at size s, and whether it meets the goal.
    let measure = |goal: &Goal, s: i64| -> Result<(f64, bool), AppError> {
        crate::cancel::check()?;
        let d = resizer.deal(&doc, &loaded.attachments, s)?;
        Ok(match goal {
            Goal::Grade { tdr, k, .. } => {
                let bdr = lowest_bdr(&d);
                let k = (*k).min(order.len());
                let survives = k == 0
                    || survives_obligor_defaults_prepared(
                        &d,
                        &prep.with_structure_of(&d),
                        &order[..k],
                        support,
                    )[i];
                (bdr, bdr >= *tdr && survives)
            }
            Goal::Bdr(x) => {
                let bdr = lowest_bdr(&d);
                (bdr, bdr >= *x)
            }
            Goal::El(x) => {
                let r = simulate(&d, options, |_, _| {}, |_| {})?;
                let el = r.tranches[i].expected_loss;
                (el, el <= *x)
            }
        })
    };
    // Search whole units: the senior total is k × unit.
    if args.unit == 0 || args.unit > 1_000_000_000 {
        return Err(AppError::Usage(format!(
            "--unit: expected 1..=1000000000 yuan, found {}",
            args.unit
        )));
    }
    let unit_fen = args.unit as i64 * 100;
    let (lo, hi) = resizer.range_fen();
    let (lo_k, hi_k) = ((lo + unit_fen - 1) / unit_fen, hi / unit_fen);
    if lo_k > hi_k {
        return Err(AppError::Usage(format!(
            "--unit {}: no multiple of it lies in the sizes searched",
            args.unit
        )));
    }
    // A grade's target default probability depends on the tranche's WAL, and the WAL on the
    // sizes: size at the scenario's WAL, re-measure the WAL of the sized structure, and size
    // again at it until the TDR no longer moves (the WALs are recorded in `horizons`).
    let mut goal = goal;
    let mut horizons: Vec<f64> = Vec::new();
    let outcome = loop {
        let outcome = bisect_fen(lo_k, hi_k, |k| measure(&goal, k * unit_fen).map(|m| m.1));
        crate::cancel::check()?;
        let outcome = outcome?.scaled(unit_fen);
        let (Some((grades, g)), Some(d), Goal::Grade { horizon, .. }) =
            (&grade_target, &dist, &goal)
        else {
            break outcome;
        };
        horizons.push(*horizon);
        let sized = resizer.deal(&doc, &loaded.attachments, outcome.s_fen())?;
        let wal = simulate(&sized, options, |_, _| {}, |_| {})?.tranches[i]
            .wal_years
            .as_ref()
            .map_or(0.0, |w| w.mean);
        let next = grade_goal(&tdr_table(d, grades, wal)[*g], method, wal)?;
        if next.same_test(&goal) {
            // The same test at the sized structure's own WAL: report that horizon.
            goal = next;
            break outcome;
        }
        if horizons.len() >= 4 {
            break outcome;
        }
        goal = next;
    };
    let s_fen = outcome.s_fen();
    let (value_at, _) = measure(&goal, s_fen)?;
    crate::cancel::check()?;
    let measure_name = match &goal {
        Goal::Grade { .. } | Goal::Bdr(_) => "lowest BDR",
        Goal::El(_) => "expected loss",
    };
    let goal_text = match &goal {
        Goal::Grade {
            grade,
            tdr,
            point,
            k,
            horizon,
            default_probability,
        } => format!(
            "{name} rated {grade} or better (p_g {} over the sized {name}'s WAL of {horizon:.2} years{}; {} TDR {}; the BDR must reach {}{}; survives the {k} largest obligors; sizes in units of {} yuan)",
            pct(*default_probability, 4),
            if horizons.len() > 1 {
                let list: Vec<String> = horizons.iter().map(|h| format!("{h:.2}")).collect();
                format!(", sized in turn at WALs {}", list.join(" → "))
            } else {
                String::new()
            },
            method.name(),
            pct(*point, 3),
            pct(*tdr, 3),
            if tdr > point {
                ", the upper end of its 95 % interval, so another seed still meets it"
            } else {
                ""
            },
            args.unit
        ),
        Goal::El(x) => format!(
            "{name} expected loss ≤ {} ({} paths, seed {})",
            pct(*x, 4),
            options.paths,
            options.seed
        ),
        Goal::Bdr(x) => format!("{name} lowest BDR ≥ {}", pct(*x, 3)),
    };
    let elapsed = started.elapsed().as_secs_f64();

    let balances = resizer.balances(s_fen);
    let mut sized: Vec<(String, Decimal)> = deal
        .structure
        .tranches
        .iter()
        .map(|t| (t.name.clone(), t.balance))
        .collect();
    for (k, b) in &balances {
        sized[*k].1 = *b;
    }
    let total: Decimal = sized.iter().map(|(_, b)| *b).sum();
    let mut text = format!(
        "{} — sizing{}: {goal_text}\n",
        deal.name,
        if args.standalone {
            " (standalone: support off)"
        } else {
            " (with support, capped at the promisor's grade)"
        }
    );
    text += &match outcome {
        Outcome::Found { .. } => format!(
            "largest senior size meeting the target: {} ({measure_name} {}); one unit ({} yuan) more does not meet it\n",
            thousands(Decimal::new(s_fen, 2)),
            fmt_measure(&goal, value_at),
            args.unit
        ),
        Outcome::AllMeet { .. } => format!(
            "the target is met even with the subordinate at its smallest (one unit): senior size {} ({measure_name} {})\n",
            thousands(Decimal::new(s_fen, 2)),
            fmt_measure(&goal, value_at)
        ),
        Outcome::Infeasible { .. } => format!(
            "INFEASIBLE: the target is not met even at the smallest senior size searched ({}); best achievable {measure_name}: {}\n",
            thousands(Decimal::new(s_fen, 2)),
            fmt_measure(&goal, value_at)
        ),
    };
    text += &format!(
        "{:<8} {:>18} {:>18} {:>9} {:>14}\n",
        "tranche", "scenario", "sized", "share", "subordination"
    );
    let mut below = total;
    for (k, t) in deal.structure.tranches.iter().enumerate() {
        below -= sized[k].1;
        text += &format!(
            "{:<8} {:>18} {:>18} {:>9} {:>14}\n",
            t.name,
            thousands(t.balance),
            thousands(sized[k].1),
            pct((sized[k].1 / total).to_f64(), 2),
            pct((below / total).to_f64(), 2)
        );
    }
    if !matches!(outcome, Outcome::Infeasible { .. }) {
        let src = resizer.sized_text(&loaded.text, &args.scenario, s_fen)?;
        let header = format!(
            "# Sized by `ipabs size` from {}: {goal_text}.\n",
            args.scenario.display()
        );
        let src = header + &src;
        // The copy must load as it will be found.
        crate::scenario::load_text(&target.join("sized.toml"), &src)?;
        out.text("sized.toml", &src)?;
    }
    out.json(
        "size.json",
        &serde_json::json!({
            "deal": deal.name,
            "metadata": meta,
            "goal": goal_text,
            "outcome": match outcome { Outcome::Found{..} => "found", Outcome::AllMeet{..} => "met_at_largest_size", Outcome::Infeasible{..} => "infeasible" },
            "senior_size": Decimal::new(s_fen, 2).to_string(),
            "measure": measure_name,
            "measure_value": value_at,
            "required": match &goal { Goal::Grade { tdr, .. } => Some(*tdr), Goal::Bdr(x) | Goal::El(x) => Some(*x) },
            "paths": options.paths,
            "seed": options.seed,
            "wal_horizons": horizons,
            "target_default_probability": match &goal { Goal::Grade { default_probability, .. } => Some(*default_probability), _ => None },
            "standalone": args.standalone,
            "unit": args.unit,
            "tranches": sized.iter().map(|(n, b)| serde_json::json!({"tranche": n, "balance": b.to_string()})).collect::<Vec<_>>(),
        }),
    )?;
    let written = super::commit_with_info(
        out,
        &RunInfo::new("size", crate::montecarlo::worker_threads(0), started),
    )?;
    text += &format!("({:.2} s) written to {}\n", elapsed, written.path.display());
    Ok(super::outcome::Outcome::folder("size", text, written))
}

fn fmt_measure(goal: &Goal, v: f64) -> String {
    match goal {
        Goal::El(_) => pct(v, 4),
        _ => pct(v, 3),
    }
}
