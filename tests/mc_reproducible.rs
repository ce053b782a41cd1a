//! Reproducibility of the Monte Carlo: a run is a function of (scenario, seed, path count) only —
//! not of the thread count, nor of how the paths fall into chunks — and the seed matters.

mod common;

use common::*;
use ipabs::deal::Deal;
use ipabs::engine::{PoolPeriod, Recorder};
use ipabs::montecarlo::{CHUNK, McOptions, McResults, run_one_path, simulate};
use ipabs::waterfall::DealState;

/// Paths not a multiple of the chunk size: two full chunks and a partial one.
const PATHS: u64 = 2 * CHUNK as u64 + 1000;

fn reference() -> Deal {
    load(&shipped_text("ip-lease-733m.toml"))
}

/// The results as JSON (they hold nothing about how the run was made).
fn json(results: &McResults) -> serde_json::Value {
    serde_json::to_value(results).unwrap()
}

/// Rows as bit patterns (NaN-safe, exact).
fn bits(rows: &[f64]) -> Vec<u64> {
    rows.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn same_seed_is_bit_identical_for_any_thread_count() {
    let deal = reference();
    let seed = 20190308;
    let (one, one_rows) = simulate_rows(&deal, PATHS, seed, 1);
    assert_eq!(one_rows.len(), PATHS as usize * one.columns.len());
    let mut defaults_seen = false;
    for threads in [1, 2, 4] {
        let (r, rows) = simulate_rows(&deal, PATHS, seed, threads);
        assert_eq!(json(&r), json(&one), "results with {threads} threads");
        assert_eq!(bits(&rows), bits(&one_rows), "rows with {threads} threads");
        defaults_seen |= r.pool.cumulative_default_rate.mean > 0.0;
    }
    assert!(defaults_seen, "the reference run should have defaults");
}

#[test]
fn chunks_arrive_in_path_order() {
    let deal = reference();
    let mut starts = Vec::new();
    let mut widths = Vec::new();
    let results = simulate(
        &deal,
        McOptions {
            paths: PATHS,
            seed: 3,
            threads: 2,
            importance: None,
        },
        |first, rows| {
            starts.push(first);
            widths.push(rows.len());
        },
        |_| {},
    )
    .unwrap();
    let width = results.columns.len();
    assert_eq!(starts, vec![0, CHUNK as u64, 2 * CHUNK as u64]);
    assert_eq!(widths, vec![CHUNK * width, CHUNK * width, 1000 * width]);
}

/// A shorter run is a prefix of a longer one, however the paths split into chunks: 1 path,
/// a partial first chunk, exactly one chunk, one chunk and a bit, all against `PATHS`.
#[test]
fn shorter_runs_are_prefixes_of_longer_ones() {
    let deal = reference();
    let seed = 99;
    let (long, long_rows) = simulate_rows(&deal, PATHS, seed, 2);
    let width = long.columns.len();
    for paths in [1u64, 1000, CHUNK as u64, CHUNK as u64 + 904] {
        for threads in [1, 4] {
            let (r, rows) = simulate_rows(&deal, paths, seed, threads);
            assert_eq!(r.paths, paths);
            assert_eq!(
                bits(&rows),
                bits(&long_rows[..paths as usize * width]),
                "{paths} paths, {threads} threads"
            );
        }
    }
    // The same prefix gives the same statistics, whatever the run it came from.
    let (short, _) = simulate_rows(&deal, CHUNK as u64 + 904, seed, 1);
    let (again, _) = simulate_rows(&deal, CHUNK as u64 + 904, seed, 4);
    assert_eq!(json(&short), json(&again));
}

#[test]
fn different_seeds_differ() {
    let deal = reference();
    let (a, a_rows) = simulate_rows(&deal, 2000, 1, 2);
    let (b, b_rows) = simulate_rows(&deal, 2000, 2, 2);
    assert_ne!(json(&a), json(&b));
    assert_ne!(bits(&a_rows), bits(&b_rows));
    assert_ne!(
        a.pool.cumulative_default_rate.mean,
        b.pool.cumulative_default_rate.mean
    );
    // The seed is recorded.
    assert_eq!((a.seed, b.seed), (1, 2));
}

/// The pool's cumulative defaults and realised losses of one path.
#[derive(Default)]
struct PoolTotals {
    cumulative_defaulted: f64,
    realized_loss: f64,
    end_exposure: f64,
}

impl Recorder<f64> for PoolTotals {
    fn period_end(&mut self, pool: &PoolPeriod<f64>, _state: &DealState<f64>) {
        self.cumulative_defaulted = pool.cumulative_defaulted;
        self.realized_loss += pool.realized_loss;
        self.end_exposure = pool.closing_balance + pool.pending_exposure;
    }
}

/// `run_one_path(seed, i)` replays path i of a `simulate` run with that seed, in any chunk.
#[test]
fn run_one_path_replays_simulated_paths() {
    let deal = reference();
    let seed = 5;
    let (r, rows) = simulate_rows(&deal, PATHS, seed, 2);
    let original = ipabs::money::Amount::to_f64(deal.pool.balance());
    let cdr = column(&r, &rows, "pool_cdr");
    let loss = column(&r, &rows, "pool_loss_rate");
    for path in [0u64, 1, 4095, 4096, 8191, 8192, PATHS - 1] {
        let mut totals = PoolTotals::default();
        run_one_path::<f64, _>(&deal, seed, path, &mut totals);
        let i = path as usize;
        assert_eq!(
            (totals.cumulative_defaulted / original).to_bits(),
            cdr[i].to_bits(),
            "path {path}: cumulative default rate"
        );
        assert_eq!(
            ((totals.realized_loss + totals.end_exposure) / original).to_bits(),
            loss[i].to_bits(),
            "path {path}: loss rate"
        );
    }
}
