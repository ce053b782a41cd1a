//! `run-info.json`: how a command ran — wall time, worker threads, host, shard — kept apart
//! from the results, so two runs of the same scenario and seed write the same result files
//! byte for byte whatever machine, thread count or sharding ran them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{OutputDir, ReportError};

/// Name of the file in every output folder.
pub const RUN_INFO_FILE: &str = "run-info.json";

/// The contents of `run-info.json` (written here, read back by nothing that compares
/// results).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunInfo {
    pub program: String,
    pub version: String,
    /// The subcommand (`run`, `rate`, `merge`, …).
    pub command: String,
    /// The host name, as the kernel reports it.
    pub host: String,
    /// Worker threads of the Monte Carlo (0 when the command ran none).
    pub threads: usize,
    /// Wall-clock seconds of the whole command, and of its phases (e.g. `monte_carlo`).
    pub elapsed_seconds: f64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub phase_seconds: BTreeMap<String, f64>,
    /// `i/n` when the folder is one shard of a run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

impl RunInfo {
    /// The record of `command` that started `started` and used `threads` workers.
    pub fn new(command: &str, threads: usize, started: std::time::Instant) -> Self {
        RunInfo {
            program: "ipabs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: command.into(),
            host: host_name(),
            threads,
            elapsed_seconds: started.elapsed().as_secs_f64(),
            phase_seconds: BTreeMap::new(),
            shard: None,
        }
    }

    /// Adds a phase's wall time.
    pub fn phase(mut self, name: &str, seconds: f64) -> Self {
        self.phase_seconds.insert(name.into(), seconds);
        self
    }

    pub fn write(&self, out: &OutputDir) -> Result<(), ReportError> {
        out.json(RUN_INFO_FILE, self)
    }
}

/// The kernel's host name (`/proc/sys/kernel/hostname`, else `$HOSTNAME`, else "unknown").
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}
