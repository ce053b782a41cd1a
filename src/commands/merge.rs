//! `ipabs merge SHARD_DIR... --out DIR`: joins the shard folders of one run (`ipabs run
//! --shard i/n`) into the folder a single run writes, byte for byte (`run-info.json` aside).
//!
//! Before it writes anything it checks that the shards are of one run — same program version,
//! scenario (SHA-256), seed, path count, shard count, sampling and columns — and that their path
//! ranges cover the run exactly once: a missing shard, or one given twice (a requeued task), is
//! an error naming it. The rows are concatenated in path order, the exact totals added, and the
//! results written by the same code as `ipabs run` ([`super::run::write_results`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::AppError;
use super::outcome::Outcome;
use super::run::{Results, base_case, rating_tables, write_results};
use crate::cli::MergeArgs;
use crate::montecarlo::{McOptions, PathRange};
use crate::report::ReportError;
use crate::report::montecarlo::{PATHS_FILE, PATHS_VALUE_BYTES, PathsWriter, read_rows};
use crate::report::run_info::RunInfo;
use crate::report::shard::{SHARD_FILE, SWEEP_SHARD_FILE, ShardFile, SweepShardFile};
use crate::structuring::rating::CdrRows;

pub fn run(args: &MergeArgs) -> Result<Outcome, AppError> {
    // Shards of a sweep carry sweep-shard.json; shards of a run, shard.json.
    if args.shards[0].join(SWEEP_SHARD_FILE).is_file() {
        return merge_sweep(args);
    }
    let started = Instant::now();
    let shards = read_shards(&args.shards)?;
    let first = &shards[0].1;
    let loaded = crate::structuring::load(&first.scenario_path)?;
    let deal = &loaded.deal;
    let meta = crate::report::RunMetadata::new(&first.scenario_path, &loaded.text);
    if meta.scenario_sha256 != first.metadata.scenario_sha256 {
        return Err(AppError::Usage(format!(
            "{} has changed since the shards ran (SHA-256 {}, the shards' {}): merge needs the scenario they ran",
            first.scenario_path.display(),
            meta.scenario_sha256,
            first.metadata.scenario_sha256
        )));
    }
    let importance = super::rate::importance_target(deal, first.importance_sampling.as_deref())?;
    let options = McOptions {
        threads: super::run::threads(args.threads)?,
        ..super::rate::mc_options(
            deal,
            Some(first.paths),
            Some(first.seed),
            importance,
            Some(&super::rate::Streamed {
                out: &args.out,
                shard: None,
                quiet: args.quiet,
            }),
            args.force,
        )?
    };
    let structuring = !first.mc_only;
    let tables = rating_tables(&loaded, structuring)?;
    // The shard folders are inputs: the output may not be one of them or hold one.
    let inputs: Vec<Option<PathBuf>> = shards.iter().map(|(d, _)| Some(d.clone())).collect();
    let inputs: Vec<&Option<PathBuf>> = inputs.iter().collect();
    let (out, _) = super::open_output("merge", &first.scenario_path, &loaded, &args.out, &inputs)?;
    // The run's identity is the shards' (the scenario as their command line named it).
    let meta = first.metadata.clone();
    let (_, prepared) = base_case(&out, &first.scenario_path, &loaded, &meta, structuring)?;

    crate::cancel::phase("merge")?;
    let width = first.columns.len();
    let mut writer = PathsWriter::create(&out, width)?;
    let mut write_error: Option<ReportError> = None;
    let mut pool_cdr = CdrRows::new(deal, if structuring { first.paths } else { 0 });
    let mut totals = first.totals.clone();
    for (k, (dir, shard)) in shards.iter().enumerate() {
        crate::cancel::check()?;
        if k > 0 {
            totals
                .merge(&shard.totals)
                .map_err(|e| AppError::Usage(format!("{}: {e}", dir.join(SHARD_FILE).display())))?;
        }
        read_rows(
            &dir.join(PATHS_FILE),
            width,
            shard.totals.range.len(),
            |batch| {
                if write_error.is_none() {
                    write_error = writer.write_rows(batch).err();
                }
                if structuring {
                    pool_cdr.extend(batch);
                }
            },
        )?;
    }
    if let Some(e) = write_error {
        return Err(e.into());
    }
    writer.finish(&out, &first.columns, first.seed)?;
    // The summaries stream the merged paths.bin, as a single run's do.
    let results = super::run::summarise_file(&out, deal, options, first.shift.clone(), &totals)?;
    let after = Results {
        scenario: &first.scenario_path,
        loaded: &loaded,
        meta: &meta,
        options,
        mc_only: first.mc_only,
        report: &args.report,
    };
    let summary = write_results(&after, &out, &results, pool_cdr, prepared, tables)?;
    let info = RunInfo::new("merge", options.threads_used(), started);
    let written = super::commit_with_info(out, &info)?;
    let text = format!(
        "{} — merged {} shards: {} paths, seed {}\n{summary}written to {}\n",
        deal.name,
        shards.len(),
        first.paths,
        first.seed,
        written.path.display()
    );
    Ok(Outcome::folder("merge", text, written))
}

/// The shards' files, in shard order, after checking that they are one run and cover it
/// exactly once.
fn read_shards(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, ShardFile)>, AppError> {
    let shards = read_all(dirs, "run", ShardFile::read)?;
    let (first_dir, first) = &shards[0];
    for (dir, s) in &shards[1..] {
        same_run(
            first_dir,
            dir,
            (&first.metadata, &s.metadata),
            &[
                ("seed", first.seed.to_string(), s.seed.to_string()),
                ("paths", first.paths.to_string(), s.paths.to_string()),
                (
                    "shard count",
                    first.shards.to_string(),
                    s.shards.to_string(),
                ),
                (
                    "importance sampling",
                    format!("{:?}", first.importance_sampling),
                    format!("{:?}", s.importance_sampling),
                ),
                (
                    "--mc-only",
                    first.mc_only.to_string(),
                    s.mc_only.to_string(),
                ),
                ("columns", first.columns.join(","), s.columns.join(",")),
                (
                    "importance-sampling shift",
                    format!("{:?}", first.shift),
                    format!("{:?}", s.shift),
                ),
            ],
        )?;
    }
    let count = first.shards;
    for (dir, s) in &shards {
        let expected = PathRange::shard(s.paths, s.shard.saturating_sub(1), count);
        if (1..=count).contains(&s.shard) && s.totals.range != expected {
            return Err(AppError::Usage(format!(
                "{}: shard {}/{count} covers paths {}..{}, but shard {}/{count} of {} paths is {}..{}",
                dir.join(SHARD_FILE).display(),
                s.shard,
                s.totals.range.start,
                s.totals.range.end,
                s.shard,
                s.paths,
                expected.start,
                expected.end
            )));
        }
        // The rows must all be there before anything is written.
        let bin = dir.join(PATHS_FILE);
        let want = s.totals.range.len() * (s.columns.len() * PATHS_VALUE_BYTES) as u64;
        let found = std::fs::metadata(&bin).map(|m| m.len());
        if found.as_ref().ok() != Some(&want) {
            return Err(AppError::Usage(format!(
                "{}: shard {}/{count} needs {} rows of {} f64 ({want} bytes), found {}",
                bin.display(),
                s.shard,
                s.totals.range.len(),
                s.columns.len(),
                match found {
                    Ok(n) => format!("{n} bytes (an interrupted or damaged shard: run it again)"),
                    Err(e) => e.to_string(),
                }
            )));
        }
    }
    in_shard_order(count, shards, |s| s.shard)
}

/// The shard files of `dirs`, each named when it is not a shard of `command`.
fn read_all<T>(
    dirs: &[PathBuf],
    command: &str,
    read: impl Fn(&Path) -> Result<T, ReportError>,
) -> Result<Vec<(PathBuf, T)>, AppError> {
    dirs.iter()
        .map(|dir| {
            read(dir).map(|f| (dir.clone(), f)).map_err(|e| {
                AppError::Usage(format!(
                    "{}: not a shard folder of `ipabs {command} --shard` ({e})",
                    dir.display()
                ))
            })
        })
        .collect()
}

/// Refuses `dir` as a shard of `first_dir`'s run when the program version or the scenario
/// differ (`metadata`: the first shard's and this one's), or any of `checks` — (what, the first
/// shard's value, this one's).
fn same_run(
    first_dir: &Path,
    dir: &Path,
    metadata: (&crate::report::RunMetadata, &crate::report::RunMetadata),
    checks: &[(&str, String, String)],
) -> Result<(), AppError> {
    let (a, b) = metadata;
    let identity = [
        (
            "ipabs version",
            a.version.to_string(),
            b.version.to_string(),
        ),
        (
            "scenario SHA-256",
            a.scenario_sha256.clone(),
            b.scenario_sha256.clone(),
        ),
    ];
    match identity.iter().chain(checks).find(|(_, a, b)| a != b) {
        None => Ok(()),
        Some((what, a, b)) => Err(AppError::Usage(format!(
            "{} and {} are not shards of one run: {what} {a} vs {b}",
            first_dir.display(),
            dir.display()
        ))),
    }
}

/// The shards in shard order, refusing a shard number out of 1..=count, one given twice (a
/// requeued task that wrote a second folder) and a missing one, naming them.
fn in_shard_order<T>(
    count: u64,
    shards: Vec<(PathBuf, T)>,
    number: impl Fn(&T) -> u64,
) -> Result<Vec<(PathBuf, T)>, AppError> {
    let mut by_number: BTreeMap<u64, (PathBuf, T)> = BTreeMap::new();
    for (dir, s) in shards {
        let k = number(&s);
        if k == 0 || k > count {
            return Err(AppError::Usage(format!(
                "{}: shard {k} of a run of {count} shards",
                dir.display()
            )));
        }
        if let Some((other, _)) = by_number.get(&k) {
            return Err(AppError::Usage(format!(
                "shard {k}/{count} is given twice: {} and {} (a requeued task? keep one of them)",
                other.display(),
                dir.display()
            )));
        }
        by_number.insert(k, (dir, s));
    }
    let missing: Vec<String> = (1..=count)
        .filter(|k| !by_number.contains_key(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        let listed = missing
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let (noun, verb) = if missing.len() == 1 {
            ("shard", "is")
        } else {
            ("shards", "are")
        };
        let more = if missing.len() > 20 { ", ..." } else { "" };
        return Err(AppError::Usage(format!(
            "{noun} {listed}{more} {verb} missing: a merge needs every shard of the run ({} of {count} given)",
            by_number.len()
        )));
    }
    Ok(by_number.into_values().collect())
}

/// `ipabs merge` of `ipabs sweep --shard` folders: the rows of every shard's grid points, in
/// point order, written as a single sweep writes them.
fn merge_sweep(args: &MergeArgs) -> Result<Outcome, AppError> {
    let started = Instant::now();
    let shards = read_all(&args.shards, "sweep", SweepShardFile::read)?;
    let (first_dir, first) = &shards[0];
    for (dir, s) in &shards[1..] {
        same_run(
            first_dir,
            dir,
            (&first.metadata, &s.metadata),
            &[
                ("--vary", first.vary.join(" "), s.vary.join(" ")),
                (
                    "--deterministic",
                    first.deterministic.to_string(),
                    s.deterministic.to_string(),
                ),
                (
                    "paths",
                    format!("{:?}", first.paths),
                    format!("{:?}", s.paths),
                ),
                ("seed", format!("{:?}", first.seed), format!("{:?}", s.seed)),
                (
                    "importance sampling",
                    format!("{:?}", first.importance_sampling),
                    format!("{:?}", s.importance_sampling),
                ),
                (
                    "shard count",
                    first.shards.to_string(),
                    s.shards.to_string(),
                ),
            ],
        )?;
    }
    for (dir, s) in &shards {
        let (a, b) = crate::report::shard::part(s.points, s.shard.saturating_sub(1), s.shards);
        if (s.first_point, s.end_point) != (a, b) {
            return Err(AppError::Usage(format!(
                "{}: shard {}/{} ran grid points {}..{}, but that shard is points {a}..{b}",
                dir.join(SWEEP_SHARD_FILE).display(),
                s.shard,
                s.shards,
                s.first_point,
                s.end_point
            )));
        }
    }
    let count = first.shards;
    let shards = in_shard_order(count, shards, |s| s.shard)?;
    let first = &shards[0].1;
    let loaded = crate::structuring::load(&first.scenario_path)?;
    let grid = super::sweep::grid_of(&first.vary)?;
    let inputs: Vec<Option<PathBuf>> = shards.iter().map(|(d, _)| Some(d.clone())).collect();
    let inputs: Vec<&Option<PathBuf>> = inputs.iter().collect();
    let (out, _) = super::open_output("merge", &first.scenario_path, &loaded, &args.out, &inputs)?;
    let rows: Vec<_> = shards.iter().flat_map(|(_, s)| s.rows.clone()).collect();
    let charts = super::sweep::write_outputs(&out, &grid, &rows, &loaded.deal)?;
    let written = super::commit_with_info(out, &RunInfo::new("merge", 0, started))?;
    let text = format!(
        "{} — merged {count} sweep shards: {} grid points, {} rows{}\nwritten to {}\n",
        loaded.deal.name,
        first.points,
        rows.len(),
        if charts > 0 {
            format!(", {charts} heat maps")
        } else {
            String::new()
        },
        written.path.display()
    );
    Ok(Outcome::folder("merge", text, written).with_result(&rows))
}
