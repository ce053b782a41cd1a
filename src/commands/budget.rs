//! What a Monte Carlo run will need in memory and disk, checked before it starts: a run that
//! cannot fit is refused with the figures (unless `--force`), instead of growing until the
//! machine runs out.
//!
//! `ipabs run` (and a shard, and `ipabs merge`) streams one `f64` row per path to `paths.bin`
//! and reads it back for the summaries and charts in passes of bounded memory; what it keeps
//! per path is the rating's pool CDR (and promisor flag, and under importance sampling the
//! weight and its tail sums). `rate`, `sweep` and `size` keep the rows of their paths in
//! memory.

use std::path::Path;

use super::AppError;
use crate::deal::Deal;
use crate::montecarlo::path::row_width;

/// Memory besides what grows with the paths: the deal, schedules, chunk buffers, the
/// summaries' histograms, charts.
const FIXED_MEMORY: u64 = 256 << 20;
/// Disk besides `paths.bin`: CSVs, JSON, charts, report.
const FIXED_DISK: u64 = 64 << 20;

/// Bytes a run of `paths` paths needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub memory: u64,
    pub disk: u64,
}

/// The need of `paths` paths of `deal`: `streamed` for a run that writes `paths.bin` (and
/// needs the disk for it), `importance` for an importance-sampled one.
pub fn monte_carlo(deal: &Deal, paths: u64, streamed: bool, importance: bool) -> Need {
    let width = row_width(deal.structure.tranches.len()) as u64;
    // The rating's pool CDR (sorted in place) and promisor flag; under importance sampling
    // the weights and their tail sums as well.
    let rating = 9 + if importance { 24 } else { 0 };
    // Rows in memory: f64, up to twice their size while the vector grows.
    let per_path = if streamed {
        rating
    } else {
        width * 8 * 2 + rating
    };
    let disk_per_path = if streamed { width * 8 } else { 0 };
    Need {
        memory: paths.saturating_mul(per_path).saturating_add(FIXED_MEMORY),
        disk: paths
            .saturating_mul(disk_per_path)
            .saturating_add(FIXED_DISK),
    }
}

/// Refuses a run whose need exceeds what this machine has (memory available to this process,
/// free disk under `out_parent`), unless `force`; where a figure cannot be read, that check is
/// skipped.
pub fn check(
    need: Need,
    paths: u64,
    out_parent: Option<&Path>,
    force: bool,
) -> Result<(), AppError> {
    let refuse = |m: String| {
        if force {
            eprintln!("warning: {m} (going ahead: --force)");
            Ok(())
        } else {
            Err(AppError::Usage(format!("{m}; --force runs it anyway")))
        }
    };
    if let Some(available) = available_memory()
        && need.memory > available
    {
        refuse(format!(
            "--paths {paths} needs about {} of memory; {} is available. Use fewer paths",
            human(need.memory),
            human(available)
        ))?;
    }
    if let Some(dir) = out_parent
        && let Some(free) = free_disk(dir)
        && need.disk > free
    {
        refuse(format!(
            "--paths {paths} needs about {} of disk under {} (paths.bin holds one row per path); {} is free. Use fewer paths or another --out",
            human(need.disk),
            dir.display(),
            human(free)
        ))?;
    }
    Ok(())
}

/// The folder an output folder `out` is staged in (`.` for a bare name): its disk is what a
/// run that writes there needs.
pub fn out_parent(out: &Path) -> &Path {
    out.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The line `ipabs run` prints before it starts.
pub fn describe(need: Need, paths: u64, out_parent: &Path) -> String {
    let free = free_disk(out_parent).map_or("unknown".into(), human);
    let available = available_memory().map_or("unknown".into(), human);
    format!(
        "{paths} paths: about {} of memory ({available} available) and {} of disk under {} ({free} free)",
        human(need.memory),
        human(need.disk),
        out_parent.display()
    )
}

/// `1.5 GB` style (decimal units, as `df -H` prints).
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1_000_000 => format!("{:.0} kB", b / 1e3),
        1_000_000..1_000_000_000 => format!("{:.0} MB", b / 1e6),
        1_000_000_000..1_000_000_000_000 => format!("{:.1} GB", b / 1e9),
        _ => format!("{:.1} TB", b / 1e12),
    }
}

/// Memory this process may still use: the kernel's MemAvailable, capped by a cgroup limit.
fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let available = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())?
        * 1024;
    let read = |p: &str| -> Option<u64> { std::fs::read_to_string(p).ok()?.trim().parse().ok() };
    let cgroup = match (
        read("/sys/fs/cgroup/memory.max"),
        read("/sys/fs/cgroup/memory.current"),
    ) {
        (Some(max), Some(current)) => Some(max.saturating_sub(current)),
        _ => None,
    };
    Some(cgroup.map_or(available, |c| c.min(available)))
}

#[cfg(unix)]
fn free_disk(dir: &Path) -> Option<u64> {
    // The nearest existing ancestor (the output folder's parent may not exist yet).
    let dir = crate::report::outdir::resolve(dir).ok()?;
    let existing = dir.ancestors().find(|a| a.exists())?;
    let s = rustix::fs::statvfs(existing).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(not(unix))]
fn free_disk(_dir: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_path_counts_are_refused_with_the_figures() {
        let need = Need {
            memory: u64::MAX,
            disk: 0,
        };
        match check(need, 10_000_000_000_000, None, false) {
            Err(AppError::Usage(m)) => {
                assert!(m.contains("needs about") && m.contains("available"), "{m}")
            }
            other => {
                // Only where /proc/meminfo cannot be read is there nothing to check.
                assert!(available_memory().is_none(), "{other:?}");
            }
        }
    }

    #[test]
    fn small_runs_fit() {
        let need = Need {
            memory: 1 << 20,
            disk: 1 << 20,
        };
        assert!(check(need, 1000, Some(Path::new(".")), false).is_ok());
    }

    #[test]
    fn human_units() {
        assert_eq!(human(1_500_000_000), "1.5 GB");
        assert_eq!(human(2_300_000_000_000), "2.3 TB");
        assert_eq!(human(12_000_000), "12 MB");
    }
}
