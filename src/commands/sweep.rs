//! `ipabs sweep SCENARIO --vary KEY=SPEC [--vary ...] [--paths N] [--seed S] [--deterministic]`.

use crate::report::run_info::RunInfo;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

use super::outcome::Outcome;
use super::{AppError, open_output};
use crate::chart::{ChartOptions, Heatmap, ValueKind, heatmap};
use crate::cli::{SweepArgs, default_out_suffixed};
use crate::montecarlo::McOptions;
use crate::report::{OutputDir, ReportError, csv_safe};
use crate::structuring::overrides::parse_vary;
use crate::structuring::sweep::{Grid, METRICS, SweepRow, heatmap_matrix, run_point};
use crate::structuring::{self, pct};

/// A progress bar over `total` units, drawn only on a terminal and unless `quiet`.
pub fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    let target = if !quiet && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len}  {per_sec}  ETA {eta}")
            .expect("valid template"),
    );
    bar
}

pub fn run(args: &SweepArgs) -> Result<Outcome, AppError> {
    let grid = grid_of(&args.vary)?;
    let loaded = structuring::load(&args.scenario)?;
    super::print_warnings(&loaded.deal.warnings);
    let doc = loaded.document(&args.scenario)?;
    let deals = grid.deals(&doc, &loaded.attachments)?;
    let options = if args.deterministic {
        None
    } else {
        Some(super::rate::simulation_options(
            &loaded.deal,
            &args.simulation,
            None,
        )?)
    };
    let shard = super::shard::from_flags(&args.shard, args.shards)?;
    let total_points = deals.len() as u64;
    let (first_point, end_point) = shard.map_or((0, total_points), |s| {
        crate::report::shard::part(total_points, s.index, s.count)
    });
    let target = match shard {
        Some(s) if args.out.is_none() => default_out_suffixed(
            &args.scenario,
            &None,
            &format!("sweep-shard-{}-of-{}", s.index + 1, s.count),
        ),
        _ => default_out_suffixed(&args.scenario, &args.out, "sweep"),
    };
    let (out, meta) = open_output("sweep", &args.scenario, &loaded, &target, &[])?;
    let per_point = options.map_or(1, |o: McOptions| o.paths);
    let bar = progress_bar(per_point * (end_point - first_point), args.quiet);
    let started = Instant::now();
    let mut rows: Vec<SweepRow> = Vec::new();
    let range = first_point as usize..end_point as usize;
    for (n, (point, deal)) in deals.iter().enumerate().filter(|(n, _)| range.contains(n)) {
        crate::cancel::check()?;
        let vals: Vec<f64> = grid
            .values
            .iter()
            .zip(point)
            .map(|(v, &i)| v[i].try_into().unwrap_or(f64::NAN))
            .collect();
        let done_before = per_point * (n - range.start) as u64;
        rows.extend(run_point(deal, options, n, &vals, |d| {
            bar.set_position(done_before + d)
        })?);
        bar.set_position(done_before + per_point);
    }
    bar.finish_and_clear();
    crate::cancel::check()?;
    let elapsed = started.elapsed().as_secs_f64();
    let threads = options.map_or(0, |o| crate::montecarlo::worker_threads(o.threads));
    if let Some(s) = shard {
        let scenario_path = crate::report::outdir::resolve(&args.scenario)
            .map_err(|e| AppError::Usage(format!("{}: {e}", args.scenario.display())))?;
        crate::report::shard::SweepShardFile {
            format: crate::report::shard::SHARD_FORMAT,
            metadata: meta,
            deal: loaded.deal.name.clone(),
            scenario_path,
            vary: args.vary.clone(),
            deterministic: args.deterministic,
            paths: options.map(|o| o.paths),
            seed: options.map(|o| o.seed),
            importance_sampling: args.simulation.importance_sampling.clone(),
            shard: s.index + 1,
            shards: s.count,
            points: total_points,
            first_point,
            end_point,
            rows,
        }
        .write(&out)?;
        let mut info = RunInfo::new("sweep", threads, started);
        info.shard = Some(s.to_string());
        let written = super::commit_with_info(out, &info)?;
        let text = format!(
            "{} — sweep shard {s}: grid points {first_point}..{end_point} of {total_points} ({:.2} s)\nwritten to {}\njoin the shards with: ipabs merge <shard folders> --out DIR\n",
            loaded.deal.name,
            elapsed,
            written.path.display()
        );
        return Ok(Outcome::folder("sweep", text, written));
    }
    let charts = write_outputs(&out, &grid, &rows, &loaded.deal)?;
    let written = super::commit_with_info(out, &RunInfo::new("sweep", threads, started))?;
    let mut text = format!(
        "{} — sweep of {} points × {} tranches ({}; {:.2} s)\n",
        loaded.deal.name,
        deals.len(),
        loaded.deal.structure.tranches.len(),
        match options {
            Some(o) => format!("{} paths per point, seed {}", o.paths, o.seed),
            None => "deterministic".into(),
        },
        elapsed
    );
    let names: Vec<String> = grid.keys.iter().map(|k| k.text.clone()).collect();
    text += &format!(
        "{:<40} {:<8} {:>10} {:>8} {:>6} {:>8} {:>9} {:>9}\n",
        "point", "tranche", "EL", "P(loss)", "WAL", "yield", "CDR p95", "CDR p99"
    );
    for r in &rows {
        let point: Vec<String> = names
            .iter()
            .zip(&r.values)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        text += &format!(
            "{:<40} {:<8} {:>10} {:>8} {:>6.2} {:>8} {:>9} {:>9}\n",
            point.join(" "),
            r.tranche,
            pct(r.expected_loss, 4),
            pct(r.probability_of_loss, 2),
            r.wal_years,
            pct(r.yield_at_par, 3),
            pct(r.pool_cdr_p95, 2),
            pct(r.pool_cdr_p99, 2)
        );
    }
    if charts > 0 {
        text += &format!("{charts} heat maps\n");
    }
    text += &format!("written to {}\n", written.path.display());
    Ok(Outcome::folder("sweep", text, written).with_result(&rows))
}

/// The sweep's files from its rows: `sweep.csv` and, for two keys, the heat maps (how many).
/// `ipabs merge` of sweep shards writes them with the same call.
pub(super) fn write_outputs(
    out: &OutputDir,
    grid: &Grid,
    rows: &[SweepRow],
    deal: &crate::deal::Deal,
) -> Result<usize, ReportError> {
    write_csv(out, grid, rows)?;
    if grid.keys.len() == 2 {
        write_heatmaps(out, grid, rows, deal)
    } else {
        Ok(0)
    }
}

/// The grid of `--vary` arguments.
pub(super) fn grid_of(vary: &[String]) -> Result<Grid, AppError> {
    let mut keys = Vec::new();
    let mut values = Vec::new();
    for v in vary {
        let (k, vals) = parse_vary(v)?;
        keys.push(k);
        values.push(vals);
    }
    Ok(Grid { keys, values })
}

/// `sweep.csv`: one row per grid point per tranche, the keys' values first (cells that would
/// start a spreadsheet formula neutralised).
fn write_csv(out: &OutputDir, grid: &Grid, rows: &[SweepRow]) -> Result<(), ReportError> {
    let path = out.path("sweep.csv")?;
    let err = |source| ReportError::Csv {
        path: path.clone(),
        source,
    };
    let mut w = csv_safe::Writer::from_path(&path).map_err(err)?;
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(grid.keys.iter().map(|k| k.text.clone()));
    header.extend(
        [
            "tranche",
            "expected_loss",
            "expected_loss_std_error",
            "probability_of_loss",
            "probability_of_loss_std_error",
            "variance_reduction",
            "wal_years",
            "yield_at_par",
            "pool_cdr_p50",
            "pool_cdr_p95",
            "pool_cdr_p99",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    w.write_record(&header).map_err(err)?;
    for r in rows {
        let mut rec: Vec<String> = vec![r.point.to_string()];
        rec.extend(r.values.iter().map(|v| v.to_string()));
        rec.push(r.tranche.clone());
        for x in [
            r.expected_loss,
            r.expected_loss_std_error,
            r.probability_of_loss,
            r.probability_of_loss_std_error,
            r.variance_reduction,
            r.wal_years,
            r.yield_at_par,
            r.pool_cdr_p50,
            r.pool_cdr_p95,
            r.pool_cdr_p99,
        ] {
            rec.push(if x.is_finite() {
                x.to_string()
            } else {
                String::new()
            });
        }
        w.write_record(&rec).map_err(err)?;
    }
    w.flush().map_err(|source| ReportError::Io {
        path: path.clone(),
        source,
    })
}

/// Heat maps of every tranche metric over a two-key grid; returns how many were drawn.
fn write_heatmaps(
    out: &OutputDir,
    grid: &Grid,
    rows: &[SweepRow],
    deal: &crate::deal::Deal,
) -> Result<usize, ReportError> {
    let opts = ChartOptions::default();
    let to_f64 = |v: &Vec<rust_decimal::Decimal>| -> Vec<f64> {
        v.iter()
            .map(|d| (*d).try_into().unwrap_or(f64::NAN))
            .collect()
    };
    let mut count = 0;
    for t in &deal.structure.tranches {
        for (metric, title) in METRICS {
            let spec = Heatmap {
                title: format!("{} — {title}", t.name),
                x_title: grid.keys[0].text.clone(),
                y_title: grid.keys[1].text.clone(),
                z_title: title.to_string(),
                x_values: to_f64(&grid.values[0]),
                y_values: to_f64(&grid.values[1]),
                z: heatmap_matrix(grid, rows, &t.name, metric),
                x_kind: ValueKind::Number,
                y_kind: ValueKind::Number,
                z_kind: if metric == "wal_years" {
                    ValueKind::Number
                } else {
                    ValueKind::Percent
                },
            };
            let stem = out.path(&format!("heatmaps/{}_{metric}", sanitize(&t.name)))?;
            heatmap(&spec, &stem, &opts).map_err(|e| ReportError::Other(e.to_string()))?;
            count += 1;
        }
    }
    Ok(count)
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
