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
        let path = dir.join(SHARD_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ReportError::Io {
            path: path.clone(),
            source,
        })?;
        let file: ShardFile = serde_json::from_str(&text).map_err(|source| ReportError::Json {
            path: path.clone(),
            source,
        })?;
        if file.format != SHARD_FORMAT {
            return Err(ReportError::Other(format!(
                "{}: shard format {} (this ipabs reads format {SHARD_FORMAT})",
                path.display(),
                file.format
            )));
        }
        Ok(file)
    }
}
