//! Peer benchmark (`cargo bench --bench peer`; GitHub issue 12, item 4): ipabs against a numpy
//! implementation of the same one-factor pool, side by side on one core.
//!
//! The pool (`benches/peer/pool.toml`, see `benches/peer/pool.rs`): 100 equal names, constant
//! hazard 1 %/yr (annual PD 1 − e^−0.01 in ipabs's convention P(τ ≤ t) = 1 − (1 − p)^t), five
//! years, one-factor Gaussian copula ρ = 0.3, recovery 40 %, tranches 0–3 / 3–7 / 7–10 / 10–15 /
//! 15–30 / 30–100 %.
//!
//! Each of `IPABS_PEER_REPS` repetitions (default 5) runs, one after the other so that machine
//! noise hits all three:
//! 1. ipabs: `montecarlo::simulate` of the whole deal (sampler, waterfall, path statistics) on
//!    one thread, `IPABS_PEER_PATHS` paths (default 200,000), seed = the scenario's + repetition;
//! 2. the ipabs draw floor: `CreditSampler::draw` alone for the same paths and seed;
//! 3. numpy (`benches/peer/numpy_pool.py` in the virtual environment `benches/peer/setup.sh`
//!    makes at target/peer-venv from PyPI), one repetition of the same paths, same seed number
//!    (its own generator), single-threaded; it times itself, excluding interpreter start-up.
//!
//! Prints paths/s min / median / max of each, the ratio of the medians, and each engine's
//! tranche expected losses (over all its repetitions' paths) ± standard error next to the exact
//! finite-pool value, with |MC − exact| / s.e.; then the reference deal's figure: seconds for
//! `IPABS_PEER_REFERENCE_PATHS` paths (default 10⁶) of `scenarios/ip-lease-733m.toml` on every
//! core, min / median / max of up to 3 runs. Exits 1 if numpy cannot be set up or run (after
//! printing ipabs's figures), or if an engine is more than 4 standard errors from an exact value.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "peer/pool.rs"]
mod pool;
#[path = "support/timing.rs"]
mod timing;

use timing::{time_simulate, timed_simulate};

use ipabs::credit::{CreditSampler, NO_DEFAULT};
use ipabs::deal::Deal;
use ipabs::montecarlo::stream::path_rng;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The numpy engine.
const NUMPY_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peer/numpy_pool.py");
/// Makes the numpy engine's virtual environment (target/peer-venv) and prints its python.
const SETUP_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peer/setup.sh");

/// An engine further than this many standard errors from an exact value fails the bench.
const SE_LIMIT: f64 = 4.0;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a whole number")),
        Err(_) => default,
    }
}

/// One repetition's tranche estimates, in the order of `pool::TRANCHES`: (EL, s.e.).
type Estimates = Vec<(f64, f64)>;

/// ipabs on one thread: (paths/s, tranche estimates).
fn run_ipabs(deal: &Deal, paths: u64, seed: u64) -> (f64, Estimates) {
    let (seconds, results) = timed_simulate(deal, paths, seed, 1);
    let names: Vec<&str> = results
        .tranches
        .iter()
        .map(|t| t.tranche.as_str())
        .collect();
    let order: Vec<&str> = deal
        .structure
        .tranches
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, order, "McResults tranches in the scenario's order");
    let estimates = results
        .tranches
        .iter()
        .map(|t| (t.expected_loss, t.expected_loss_std_error))
        .collect();
    (paths as f64 / seconds, estimates)
}

/// The draw floor: the sampler alone (correlated default periods, no waterfall), paths/s.
fn run_floor(deal: &Deal, paths: u64, seed: u64) -> f64 {
    let sampler = CreditSampler::new(deal);
    let mut draws = sampler.new_draws();
    let mut defaults = 0u64;
    let start = Instant::now();
    for path in 0..paths {
        sampler.draw(&mut path_rng(seed, path), &mut draws);
        defaults += draws
            .obligor_default
            .iter()
            .filter(|d| **d != NO_DEFAULT)
            .count() as u64;
    }
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(defaults);
    paths as f64 / seconds
}

/// Runs `setup.sh`; the python of the virtual environment it made.
fn setup_numpy() -> Result<PathBuf, String> {
    let out = Command::new("bash")
        .arg(SETUP_SCRIPT)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run bash {}: {e}", SETUP_SCRIPT))?;
    if !out.status.success() {
        return Err(format!("{} failed ({})", SETUP_SCRIPT, out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let python = stdout.lines().last().unwrap_or("").trim();
    if python.is_empty() {
        return Err(format!("{} printed no python", SETUP_SCRIPT));
    }
    Ok(PathBuf::from(python))
}

/// What one run of the numpy script reported.
struct NumpyRun {
    version: String,
    paths_per_s: f64,
    estimates: Estimates,
}

fn run_numpy(python: &Path, paths: u64, seed: u64) -> Result<NumpyRun, String> {
    let tranches: Vec<String> = pool::TRANCHES
        .iter()
        .map(|(a, d)| format!("{a}-{d}"))
        .collect();
    let out = Command::new(python)
        .arg(NUMPY_SCRIPT)
        .args(["--paths", &paths.to_string()])
        .args(["--reps", "1"])
        .args(["--seed", &seed.to_string()])
        .args(["--names", &pool::NAMES.to_string()])
        .args(["--annual-pd", &format!("{:e}", pool::annual_pd())])
        .args(["--years", &pool::YEARS.to_string()])
        .args(["--rho", &pool::RHO.to_string()])
        .args(["--recovery", &pool::RECOVERY.to_string()])
        .args(["--tranches", &tranches.join(",")])
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("MKL_NUM_THREADS", "1")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!("{} failed ({})", NUMPY_SCRIPT, out.status));
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{}: output is not JSON: {e}", NUMPY_SCRIPT))?;
    let bad = || format!("{}: unexpected output {json}", NUMPY_SCRIPT);
    let paths_per_s = json["reps"][0]["paths_per_s"].as_f64().ok_or_else(bad)?;
    // The same PD convention: 1 − (1 − p)^T from the same annual PD.
    let horizon_pd = json["horizon_pd"].as_f64().ok_or_else(bad)?;
    if (horizon_pd - pool::horizon_pd()).abs() > 1e-15 {
        return Err(format!(
            "{}: horizon PD {horizon_pd}, ipabs's {}",
            NUMPY_SCRIPT,
            pool::horizon_pd()
        ));
    }
    let estimates = json["tranches"]
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|t| Some((t["expected_loss"].as_f64()?, t["std_error"].as_f64()?)))
        .collect::<Option<Estimates>>()
        .ok_or_else(bad)?;
    if estimates.len() != pool::TRANCHES.len() {
        return Err(bad());
    }
    Ok(NumpyRun {
        version: json["numpy"].as_str().unwrap_or("?").to_string(),
        paths_per_s,
        estimates,
    })
}

/// (min, median, max).
fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    };
    (v[0], median, v[n - 1])
}

/// Pools equal-sized repetitions: mean of the means, s.e. √(Σ s.e.²)/reps.
fn pooled(reps: &[Estimates]) -> Estimates {
    let n = reps.len() as f64;
    (0..reps[0].len())
        .map(|t| {
            let mean = reps.iter().map(|r| r[t].0).sum::<f64>() / n;
            let var = reps.iter().map(|r| r[t].1 * r[t].1).sum::<f64>();
            (mean, var.sqrt() / n)
        })
        .collect()
}

fn rate_row(name: &str, values: &[f64]) {
    if values.is_empty() {
        println!("{name:<34} {:>12} {:>12} {:>12}", "–", "–", "–");
        return;
    }
    let (lo, mid, hi) = spread(values);
    println!("{name:<34} {lo:>12.0} {mid:>12.0} {hi:>12.0}");
}

/// `EL ± s.e.` and `|Δ|/s.e.` against `exact`; whether it is within [`SE_LIMIT`].
fn estimate_cells(estimate: Option<(f64, f64)>, exact: f64) -> (String, String, bool) {
    match estimate {
        None => ("–".into(), "–".into(), true),
        Some((el, se)) => {
            let cell = format!("{:.5} ± {:.5}", el * 100.0, se * 100.0);
            let diff = (el - exact).abs();
            if se > 0.0 {
                let z = diff / se;
                (cell, format!("{z:.2}"), z <= SE_LIMIT)
            } else {
                (cell, "(s.e. 0)".into(), diff == 0.0)
            }
        }
    }
}

fn main() {
    let reps = env_u64("IPABS_PEER_REPS", 5).max(1);
    let paths = env_u64("IPABS_PEER_PATHS", 200_000).max(2);
    let deal = pool::load();
    let seed = deal.simulation.seed;
    let exact = pool::exact();

    let numpy = setup_numpy();
    let mut numpy_error = numpy.as_ref().err().cloned();

    // Warm-up, untimed (the numpy script warms itself up).
    let warm = paths.min(10_000);
    std::hint::black_box(run_ipabs(&deal, warm, seed ^ 0x5EED));
    std::hint::black_box(run_floor(&deal, warm, seed ^ 0x5EED));

    let mut ipabs_rates = Vec::new();
    let mut ipabs_estimates = Vec::new();
    let mut floor_rates = Vec::new();
    let mut numpy_rates = Vec::new();
    let mut numpy_estimates = Vec::new();
    let mut numpy_version = String::new();
    for r in 0..reps {
        let seed_r = seed + r;
        let (rate, estimates) = run_ipabs(&deal, paths, seed_r);
        ipabs_rates.push(rate);
        ipabs_estimates.push(estimates);
        floor_rates.push(run_floor(&deal, paths, seed_r));
        if let (Ok(python), None) = (&numpy, &numpy_error) {
            match run_numpy(python, paths, seed_r) {
                Ok(run) => {
                    numpy_rates.push(run.paths_per_s);
                    numpy_estimates.push(run.estimates);
                    numpy_version = run.version;
                }
                Err(e) => numpy_error = Some(e),
            }
        }
        eprintln!("peer bench: repetition {} of {reps} done", r + 1);
    }
    if numpy_error.is_some() {
        numpy_rates.clear();
        numpy_estimates.clear();
    }

    println!(
        "peer benchmark: {} names, hazard {} %/yr (annual PD 1 − e^−{} = {:.6} %, {}-year PD {:.4} %), \
         one-factor Gaussian ρ = {}, recovery {} %",
        pool::NAMES,
        pool::HAZARD * 100.0,
        pool::HAZARD,
        pool::annual_pd() * 100.0,
        pool::YEARS,
        pool::horizon_pd() * 100.0,
        pool::RHO,
        pool::RECOVERY * 100.0
    );
    println!(
        "{paths} paths × {reps} repetitions, interleaved (ipabs, draw floor, numpy), one thread each; \
         numpy {}",
        if numpy_version.is_empty() {
            "not run"
        } else {
            &numpy_version
        }
    );
    println!();
    println!(
        "{:<34} {:>12} {:>12} {:>12}",
        "paths/s", "min", "median", "max"
    );
    rate_row("ipabs (whole deal, simulate)", &ipabs_rates);
    rate_row("ipabs draw floor (sampler only)", &floor_rates);
    rate_row("numpy (one-factor pool)", &numpy_rates);
    let median = |v: &[f64]| spread(v).1;
    if numpy_rates.is_empty() {
        println!("ratio of medians ipabs / numpy: –");
    } else {
        println!(
            "ratio of medians ipabs / numpy: {:.2}   (draw floor / numpy: {:.2})",
            median(&ipabs_rates) / median(&numpy_rates),
            median(&floor_rates) / median(&numpy_rates)
        );
    }

    println!();
    println!(
        "{:<10} {:>11} {:>11}  {:>21} {:>8}  {:>21} {:>8}",
        "tranche",
        "exact EL %",
        "exact s.e.",
        "ipabs EL ± s.e. %",
        "|Δ|/s.e.",
        "numpy EL ± s.e. %",
        "|Δ|/s.e."
    );
    let total_paths = (reps * paths) as f64;
    let ipabs_pooled = pooled(&ipabs_estimates);
    let numpy_pooled = (!numpy_estimates.is_empty()).then(|| pooled(&numpy_estimates));
    let mut all_within = true;
    for (t, x) in exact.iter().enumerate() {
        let (ip, ip_z, ip_ok) = estimate_cells(Some(ipabs_pooled[t]), x.expected_loss);
        let (np, np_z, np_ok) =
            estimate_cells(numpy_pooled.as_ref().map(|p| p[t]), x.expected_loss);
        all_within &= ip_ok && np_ok;
        println!(
            "{:<10} {:>11.5} {:>11.5}  {ip:>21} {ip_z:>8}  {np:>21} {np_z:>8}",
            pool::label(x.attach, x.detach),
            x.expected_loss * 100.0,
            x.sd / total_paths.sqrt() * 100.0
        );
    }
    println!(
        "(EL over each engine's {reps} × {paths} paths; exact = finite-pool one-factor quadrature, \
         exact s.e. = its sd / √{}; limit {SE_LIMIT} s.e.)",
        reps * paths
    );

    // The reference deal's figure of the issue (10⁶ paths on every core, charts off: the
    // whole waterfall, path statistics and summaries of `simulate`), beside the peer figures.
    let reference_paths = env_u64("IPABS_PEER_REFERENCE_PATHS", 1_000_000).max(1);
    let reference = ipabs::scenario::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/ip-lease-733m.toml"
    )))
    .unwrap_or_else(|e| panic!("{e}"));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let reference_seconds: Vec<f64> = (0..reps.min(3))
        .map(|r| {
            time_simulate(
                &reference,
                reference_paths,
                reference.simulation.seed + r,
                cores,
            )
        })
        .collect();
    let (lo, mid, hi) = spread(&reference_seconds);
    println!();
    println!(
        "reference deal (ip-lease-733m), {reference_paths} paths on {cores} threads, {} runs: \
         {lo:.3} / {mid:.3} / {hi:.3} s (min / median / max)",
        reference_seconds.len()
    );

    let mut failed = false;
    if let Some(e) = numpy_error {
        eprintln!("peer bench: numpy not run: {e}");
        failed = true;
    }
    if !all_within {
        eprintln!(
            "peer bench: an engine is more than {SE_LIMIT} standard errors from the exact EL"
        );
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
}
