//! Wall-clock time of a whole Monte Carlo (`simulate`: paths, path statistics and summaries,
//! no files), shared by the benches that time one.

use ipabs::deal::Deal;
use ipabs::montecarlo::{McOptions, McResults, simulate};
use std::time::Instant;

/// Seconds for `paths` paths of `deal` from `seed` on `threads` threads.
pub fn time_simulate(deal: &Deal, paths: u64, seed: u64, threads: usize) -> f64 {
    let (seconds, results) = timed_simulate(deal, paths, seed, threads);
    std::hint::black_box(results);
    seconds
}

/// [`time_simulate`] with the run's results.
pub fn timed_simulate(deal: &Deal, paths: u64, seed: u64, threads: usize) -> (f64, McResults) {
    let start = Instant::now();
    let results = simulate(
        deal,
        McOptions {
            paths,
            seed,
            threads,
            importance: None,
        },
        |_, _| {},
        |_| {},
    )
    .expect("not interrupted");
    (start.elapsed().as_secs_f64(), results)
}
