//! `shard.json`: what one shard of a run (`ipabs run --shard i/n`) computed besides its rows
//! in `paths.bin`, and everything `ipabs merge` checks before it joins the shards. Written and
//! read by the one type [`ShardFile`].

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::{OutputDir, ReportError, RunMetadata};
use crate::credit::FactorShift;
use crate::montecarlo::RangeTotals;

/// Name of the file in a shard folder.
pub const SHARD_FILE: &str = "shard.json";

/// The layout version of [`ShardFile`]; a merge refuses any other.
pub const SHARD_FORMAT: u32 = 1;

/// The contents of `shard.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: u32,
    /// The run's identity: program version, scenario file as given and its SHA-256.
    pub metadata: RunMetadata,
    pub deal: String,
    /// The scenario as an absolute path, for the merge to load it from anywhere.
    pub scenario_path: PathBuf,
    /// Shard number (from 1) and count.
    pub shard: u64,
    pub shards: u64,
    /// The whole run's path count and seed (this shard ran `totals.range`).
    pub paths: u64,
    pub seed: u64,
    /// The tranche of `--importance-sampling`, if any, and the shift the pilot found.
    pub importance_sampling: Option<String>,
    pub shift: Option<FactorShift>,
    /// `--mc-only`: the merge skips break-even, rating and sensitivity too.
    pub mc_only: bool,
    /// Columns of the rows in this shard's `paths.bin`.
    pub columns: Vec<String>,
    pub totals: RangeTotals,
}

impl ShardFile {
    pub fn write(&self, out: &OutputDir) -> Result<(), ReportError> {
        out.json(SHARD_FILE, self)
    }

    /// Reads the `shard.json` of the folder `dir`.
    pub fn read(dir: &Path) -> Result<Self, ReportError> {
        read_shard(dir, SHARD_FILE, |f: &Self| f.format)
    }
}

/// Reads the shard file `name` of the folder `dir`, refusing a format other than
/// [`SHARD_FORMAT`].
fn read_shard<T: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &str,
    format: impl Fn(&T) -> u32,
) -> Result<T, ReportError> {
    let path = dir.join(name);
    let unreadable = |e: String| ReportError::Other(format!("cannot read {}: {e}", path.display()));
    let text = std::fs::read_to_string(&path).map_err(|e| unreadable(e.to_string()))?;
    let file: T = serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
    if format(&file) != SHARD_FORMAT {
        return Err(ReportError::Other(format!(
            "{}: shard format {} (this ipabs reads format {SHARD_FORMAT})",
            path.display(),
            format(&file)
        )));
    }
    Ok(file)
}

/// Name of the file in a sweep shard folder (`ipabs sweep --shard i/n`).
pub const SWEEP_SHARD_FILE: &str = "sweep-shard.json";

/// The contents of `sweep-shard.json`: the rows of the grid points one shard ran.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepShardFile {
    pub format: u32,
    pub metadata: RunMetadata,
    pub deal: String,
    pub scenario_path: PathBuf,
    /// The `--vary` arguments as given (the grid, in key order).
    pub vary: Vec<String>,
    pub deterministic: bool,
    /// Paths and seed per point (absent for a deterministic sweep), and the tranche of
    /// `--importance-sampling`.
    pub paths: Option<u64>,
    pub seed: Option<u64>,
    pub importance_sampling: Option<String>,
    pub shard: u64,
    pub shards: u64,
    /// Grid points in the whole sweep, and the range `first_point..end_point` this shard ran.
    pub points: u64,
    pub first_point: u64,
    pub end_point: u64,
    pub rows: Vec<crate::structuring::sweep::SweepRow>,
}

impl SweepShardFile {
    pub fn write(&self, out: &OutputDir) -> Result<(), ReportError> {
        out.json(SWEEP_SHARD_FILE, self)
    }

    /// Reads the `sweep-shard.json` of the folder `dir`.
    pub fn read(dir: &Path) -> Result<Self, ReportError> {
        read_shard(dir, SWEEP_SHARD_FILE, |f: &Self| f.format)
    }
}

/// Items `0..count` split into `shards` contiguous parts as evenly as they go: part `index`
/// (0-based). Grid points of a sweep are split this way.
pub fn part(count: u64, index: u64, shards: u64) -> (u64, u64) {
    let at = |k: u64| (u128::from(count) * u128::from(k) / u128::from(shards.max(1))) as u64;
    (at(index), at(index + 1))
}
