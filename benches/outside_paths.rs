//! Time `ipabs run` spends outside the Monte Carlo paths, phase by phase, on synthetic pools
//! (`cargo bench --bench outside_paths`).
//!
//! Each pool is `IPABS_BENCH_LOANS` (default `1000,10000`) monthly level-pay loans over 60
//! monthly periods (the generator of `mc_throughput`), one obligor each, 20 sectors, a senior
//! class and a subordinate, with the default `[breakeven]` stress set (81 stresses) and the
//! shipped rating tables. Every phase of `ipabs run --paths N` (default N = 1000,
//! `IPABS_BENCH_PATHS`) is run through the library as `commands::run` runs it, into a real
//! output folder under the temp dir, `IPABS_BENCH_REPS` times (default 3); the table gives each
//! phase's min / median / max seconds. "outside paths" sums every phase but the Monte Carlo and
//! the sensitivity study (whose 8 points are Monte Carlo runs of up to 20,000 paths). Then the
//! same for `ipabs run --mc-only` (no break-even, rating or sensitivity), unless
//! `IPABS_BENCH_MC_ONLY=0`.

use ipabs::cli::default_out;
use ipabs::commands::chart::{ChartFlags, RunReportFlags};
use ipabs::engine::Prepared;
use ipabs::engine::deterministic::AssumptionEvents;
use ipabs::report::montecarlo::{MC_ONLY_SKIPS, PathsWriter};
use ipabs::report::{OutputDir, Request, RunMetadata};
use ipabs::structuring::rating::CdrRows;
use std::path::Path;
use std::time::Instant;

#[path = "support/synthetic.rs"]
mod synthetic;
use synthetic::synthetic_scenario;

const PHASES: [&str; 10] = [
    "load",
    "base case",
    "write cash flows",
    "monte carlo (paths)",
    "write monte carlo",
    "breakeven",
    "rating",
    "write breakeven, rating",
    "sensitivity (paths)",
    "charts, report, commit",
];

/// Phases that are Monte Carlo paths, not counted outside them.
fn is_paths(phase: &str) -> bool {
    phase.ends_with("(paths)")
}

/// One `ipabs run --paths N` (with `--mc-only` when `mc_only`) of `scenario` into `out`: seconds
/// per phase, in [`PHASES`] order (zero for a phase skipped).
fn run_once(scenario: &Path, out_dir: &Path, paths: u64, mc_only: bool) -> Vec<f64> {
    let mut times = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |times: &mut Vec<f64>| {
        times.push(clock.elapsed().as_secs_f64());
        clock = Instant::now();
    };
    let loaded = ipabs::structuring::load(scenario).unwrap_or_else(|e| panic!("{e}"));
    let deal = &loaded.deal;
    let grades = ipabs::structuring::rating::parse_grades(
        ipabs::structuring::rating::DEFAULT_GRADES,
        "shipped",
    )
    .unwrap();
    let loss_table = ipabs::structuring::rating::LossTable::parse(
        ipabs::structuring::rating::DEFAULT_LOSS_TABLE,
        "shipped",
    )
    .unwrap();
    let options = ipabs::montecarlo::McOptions {
        paths,
        seed: deal.simulation.seed,
        threads: 0,
        importance: None,
    };
    let meta = RunMetadata::new(scenario, &loaded.text);
    let target = default_out(scenario, &Some(out_dir.to_path_buf()));
    let inputs = [scenario.to_path_buf(), scenario.with_file_name("tape.csv")];
    let out = OutputDir::create(
        &target,
        &Request {
            command: "run",
            scenario_sha256: &meta.scenario_sha256,
            inputs: &inputs,
        },
    )
    .unwrap();
    lap(&mut times);

    // As `ipabs run`: the pool projected once, for the base case and (unless --mc-only) the
    // break-even runs and the rating.
    let projection = Prepared::<rust_decimal::Decimal>::projection_of(deal);
    let base = ipabs::results::cashflow::run_cashflow_prepared(
        deal,
        &Prepared::new(deal, &projection),
        &AssumptionEvents::new(deal),
    );
    let prep: Option<Prepared<f64>> = (!mc_only).then(|| Prepared::new(deal, &projection));
    drop(projection);
    lap(&mut times);
    ipabs::report::cashflow::write(&out, deal, &base, &meta).unwrap();
    lap(&mut times);

    let width = ipabs::montecarlo::path::row_width(deal.structure.tranches.len());
    let mut writer = PathsWriter::create(&out, width).unwrap();
    let mut pool_cdr = CdrRows::new(deal, options.paths);
    let results = ipabs::montecarlo::simulate(
        deal,
        options,
        |_, rows| {
            writer.write_rows(rows).unwrap();
            if !mc_only {
                pool_cdr.extend(rows);
            }
        },
        |_| {},
    )
    .unwrap();
    lap(&mut times);
    writer.finish(&out, &results.columns, results.seed).unwrap();
    let skipped: &[&'static str] = if mc_only { &MC_ONLY_SKIPS } else { &[] };
    ipabs::report::montecarlo::write_noting(&out, &deal.name, &results, &meta, skipped).unwrap();
    let dist = pool_cdr.finish();
    lap(&mut times);

    let Some(prep) = prep else {
        times.extend([0.0; 4]);
        ipabs::commands::chart::run_reports(out.staging(), &report_flags()).unwrap();
        out.commit().unwrap();
        lap(&mut times);
        return times;
    };
    let breakeven = ipabs::structuring::breakeven::breakeven_prepared(
        deal,
        &prep,
        &loaded.config.breakeven,
        None,
    );
    lap(&mut times);
    let rating = ipabs::structuring::rating::rate_prepared(
        deal, &prep, &breakeven, grades, loss_table, &dist, &results,
    );
    lap(&mut times);
    out.csv("breakeven.csv", &breakeven.rows).unwrap();
    out.json(
        "breakeven.json",
        &ipabs::commands::breakeven::document(deal, &meta, &breakeven).unwrap(),
    )
    .unwrap();
    out.json(
        "rating.json",
        &ipabs::commands::rate::document(deal, &meta, &rating).unwrap(),
    )
    .unwrap();
    lap(&mut times);

    let doc = loaded.document(scenario).unwrap();
    let sensitivity =
        ipabs::structuring::sensitivity::run(deal, &doc, &loaded.attachments, options).unwrap();
    out.json("sensitivity.json", &sensitivity).unwrap();
    lap(&mut times);

    ipabs::commands::chart::run_reports(out.staging(), &report_flags()).unwrap();
    out.commit().unwrap();
    lap(&mut times);
    times
}

/// `ipabs run`'s default report flags: PNG and SVG charts and report.html.
fn report_flags() -> RunReportFlags {
    RunReportFlags {
        no_charts: false,
        flags: ChartFlags {
            format: vec![
                ipabs::chart::ChartFormat::Png,
                ipabs::chart::ChartFormat::Svg,
            ],
            unit: ipabs::chart::AmountUnit::Wan,
            xlsx: false,
        },
    }
}

fn main() {
    let loans: Vec<usize> = std::env::var("IPABS_BENCH_LOANS")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("IPABS_BENCH_LOANS: numbers"))
        .collect();
    let reps: usize = std::env::var("IPABS_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let paths: u64 = std::env::var("IPABS_BENCH_PATHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let modes: &[bool] = if std::env::var("IPABS_BENCH_MC_ONLY").is_ok_and(|v| v == "0") {
        &[false]
    } else {
        &[false, true]
    };
    let root = std::env::temp_dir().join(format!("ipabs-outside-paths-{}", std::process::id()));
    for (&n, &mc_only) in loans.iter().flat_map(|n| modes.iter().map(move |m| (n, m))) {
        let scenario = synthetic_scenario(&root.join(format!("pool-{n}")), n);
        let out = root.join(format!("out-{n}"));
        let mut runs: Vec<Vec<f64>> = Vec::new();
        for _ in 0..reps {
            runs.push(run_once(&scenario, &out, paths, mc_only));
        }
        let flag = if mc_only { " --mc-only" } else { "" };
        println!(
            "{n} loans, --paths {paths}{flag}, {cores} threads, {reps} runs: seconds min / median / max"
        );
        let mut rows: Vec<(String, Vec<f64>)> = PHASES
            .iter()
            .enumerate()
            .map(|(k, p)| (p.to_string(), runs.iter().map(|r| r[k]).collect()))
            .collect();
        rows.push((
            "OUTSIDE PATHS (total)".into(),
            runs.iter()
                .map(|r| {
                    PHASES
                        .iter()
                        .zip(r)
                        .filter(|(p, _)| !is_paths(p))
                        .map(|(_, t)| t)
                        .sum()
                })
                .collect(),
        ));
        for (name, mut v) in rows {
            v.sort_by(f64::total_cmp);
            println!(
                "  {name:<26} {:>8.3} {:>8.3} {:>8.3}",
                v[0],
                v[v.len() / 2],
                v[v.len() - 1]
            );
        }
    }
    let _ = std::fs::remove_dir_all(&root);
}
