//! Stopping a run on Ctrl-C (SIGINT) or SIGTERM.
//!
//! The handler only records which signal arrived. Long loops (Monte Carlo chunks, break-even
//! bisections, rating, charts) poll [`requested`] and stop early; commands call [`check`] between
//! phases and before committing an output folder, so a stopped run returns an error, its
//! staging folder is removed and the previous output stays as it was. A second signal of the
//! same kind ends the process at once (the next run then removes what it left staged).

use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The signal that asked the run to stop (0 = none).
static SIGNAL: AtomicUsize = AtomicUsize::new(0);
static INSTALL: Once = Once::new();

/// Signal numbers (the same on every Unix ipabs runs on).
pub const SIGINT: i32 = 2;
pub const SIGTERM: i32 = 15;

/// A stop was asked for, by this signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "interrupted by {}: no output was written, the previous output (if any) is unchanged",
    self.name()
)]
pub struct Cancelled {
    pub signal: i32,
}

impl Cancelled {
    /// The shell convention: 128 + signal number (130 for Ctrl-C, 143 for SIGTERM).
    pub fn exit_code(self) -> i32 {
        128 + self.signal
    }

    pub fn name(self) -> &'static str {
        match self.signal {
            SIGINT => "Ctrl-C (SIGINT)",
            SIGTERM => "SIGTERM",
            _ => "a signal",
        }
    }
}

/// Installs the handlers once per process. Safe to call from every command.
pub fn install() {
    INSTALL.call_once(install_handlers);
}

#[cfg(unix)]
fn install_handlers() {
    static SEEN_INT: AtomicBool = AtomicBool::new(false);
    static SEEN_TERM: AtomicBool = AtomicBool::new(false);
    for (signal, seen) in [(SIGINT, &SEEN_INT), (SIGTERM, &SEEN_TERM)] {
        // Registered first, so it sees the flag as it was before this delivery: the second
        // signal of a kind takes the default action (ends the process).
        let _ = signal_hook::flag::register_conditional_default(signal, seen);
        let _ = signal_hook::flag::register(signal, seen);
        let _ = signal_hook::flag::register_usize(signal, &SIGNAL, signal as usize);
    }
}

#[cfg(not(unix))]
fn install_handlers() {
    let _ = ctrlc::set_handler(|| SIGNAL.store(SIGINT as usize, Ordering::SeqCst));
}

/// Whether a stop has been asked for (cheap: one atomic load).
pub fn requested() -> bool {
    SIGNAL.load(Ordering::Relaxed) != 0
}

/// `Err` once a stop has been asked for.
pub fn check() -> Result<(), Cancelled> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => Ok(()),
        s => Err(Cancelled { signal: s as i32 }),
    }
}

/// Environment variable naming a phase at which the process sends itself SIGTERM (or SIGINT,
/// as `PHASE:INT`): a fault-injection point so tests can stop a run at every phase, not just
/// where a timed signal happens to land.
pub const STOP_AT_ENV: &str = "IPABS_STOP_AT";

/// Marks the start of a phase of a command (`base_case`, `monte_carlo`, `breakeven`, `rating`,
/// `charts`, `report`, `xlsx`, `commit`), then reports whether a stop has been asked for.
pub fn phase(name: &str) -> Result<(), Cancelled> {
    if let Some(spec) = std::env::var_os(STOP_AT_ENV) {
        let spec = spec.to_string_lossy();
        let (at, signal) = match spec.split_once(':') {
            Some((at, "INT")) => (at, SIGINT),
            Some((at, _)) => (at, SIGTERM),
            None => (spec.as_ref(), SIGTERM),
        };
        if at == name {
            raise(signal);
        }
    }
    check()
}

#[cfg(unix)]
fn raise(signal: i32) {
    let _ = signal_hook::low_level::raise(signal);
}

#[cfg(not(unix))]
fn raise(signal: i32) {
    SIGNAL.store(signal as usize, Ordering::SeqCst);
}
