//! Monte Carlo throughput, printed as a table (`cargo bench --bench mc_throughput`).
//!
//! Measures, with wall-clock time and no file output:
//! - the reference deal (`scenarios/ip-lease-733m.toml`): paths/s on 1 thread and on all cores,
//!   and the floor — only drawing the correlated default times, no waterfall;
//! - a synthetic pool of 1,000 monthly level-pay assets over 60 monthly periods at 100,000 paths.
//!
//! Set `IPABS_BENCH_PATHS` to change the reference deal's path count (default 1,000,000) and
//! `IPABS_BENCH_REPS` the repetitions (default 5; the synthetic pool runs at most 3).

use ipabs::credit::CreditSampler;
use ipabs::deal::Deal;
use ipabs::montecarlo::stream::path_rng;
use std::path::Path;
use std::time::Instant;

#[path = "support/synthetic.rs"]
mod synthetic;
#[path = "support/timing.rs"]
mod timing;

use timing::time_simulate;

fn time_draws_only(deal: &Deal, paths: u64) -> f64 {
    let sampler = CreditSampler::new(deal);
    let mut draws = sampler.new_draws();
    let start = Instant::now();
    let mut defaults = 0u64;
    for path in 0..paths {
        sampler.draw(&mut path_rng(1, path), &mut draws);
        defaults += draws
            .obligor_default
            .iter()
            .filter(|d| **d != ipabs::credit::NO_DEFAULT)
            .count() as u64;
    }
    std::hint::black_box(defaults);
    start.elapsed().as_secs_f64()
}

/// The synthetic pool of [`synthetic::synthetic_scenario`], loaded (its files removed again).
fn synthetic_deal(assets: usize) -> Deal {
    let dir = std::env::temp_dir().join(format!("ipabs-bench-{}", std::process::id()));
    let path = synthetic::synthetic_scenario(&dir, assets);
    let deal = ipabs::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    deal
}

/// min / median / max of `reps` timings of `f`, seconds.
fn spread(reps: usize, mut f: impl FnMut() -> f64) -> [f64; 3] {
    let mut t: Vec<f64> = (0..reps).map(|_| f()).collect();
    t.sort_by(f64::total_cmp);
    [t[0], t[t.len() / 2], t[t.len() - 1]]
}

/// Prints one line: paths/s at the fastest, median and slowest repetition.
fn line(label: &str, paths: u64, s: [f64; 3]) {
    let rate = |x: f64| paths as f64 / x;
    println!(
        "  {label:<34} {:>10.0} {:>10.0} {:>10.0}   median {:.3} s",
        rate(s[2]),
        rate(s[1]),
        rate(s[0]),
        s[1]
    );
}

fn main() {
    let paths: u64 = std::env::var("IPABS_BENCH_PATHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let reps: usize = std::env::var("IPABS_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let reference = ipabs::scenario::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/ip-lease-733m.toml"
    )))
    .unwrap_or_else(|e| panic!("{e}"));
    println!("{reps} repetitions; paths/s at the slowest, median and fastest repetition");
    println!("  {:<34} {:>10} {:>10} {:>10}", "", "min", "median", "max");
    println!("reference deal (ip-lease-733m), {paths} paths");
    line(
        "draws only (floor), 1 thread",
        paths,
        spread(reps, || time_draws_only(&reference, paths)),
    );
    line(
        "full paths, 1 thread",
        paths,
        spread(reps, || time_simulate(&reference, paths, 1, 1)),
    );
    line(
        &format!("full paths, {cores} threads"),
        paths,
        spread(reps, || time_simulate(&reference, paths, 1, cores)),
    );
    let synthetic = synthetic_deal(1000);
    let synthetic_paths = 100_000;
    println!("synthetic 1,000 assets × 60 monthly periods, {synthetic_paths} paths");
    line(
        &format!("full paths, {cores} threads"),
        synthetic_paths,
        spread(reps.min(3), || {
            time_simulate(&synthetic, synthetic_paths, 1, cores)
        }),
    );
}
