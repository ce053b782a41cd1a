//! Inputs mean what they say (issue 10, item 5): `pd_multiplier` moves a term-structure
//! Monte Carlo.

use std::path::{Path, PathBuf};

use ipabs::deal::Deal;
use ipabs::montecarlo::{McOptions, path::column_names, simulate};
use ipabs::structuring::overrides::KeyPath;
use ipabs::structuring::sweep::Grid;

const POOL_CDR: usize = 0;

fn shipped(file: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

/// `text` with `from` replaced by `to` (which must be there).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` not in the scenario");
    text.replacen(from, to, 1)
}

/// The deals of a one-key sweep, loaded as `ipabs sweep --vary KEY=v1,v2,...` loads them.
fn sweep(path: &Path, text: &str, key: &str, values: &[&str]) -> Vec<Deal> {
    let grid = Grid {
        keys: vec![KeyPath::parse(key).unwrap()],
        values: vec![values.iter().map(|v| v.parse().unwrap()).collect()],
    };
    match grid.deals(path, text) {
        Ok(deals) => deals.into_iter().map(|(_, d)| d).collect(),
        Err(_) => panic!("sweep over {key} did not load"),
    }
}

/// One column of the per-path rows of a Monte Carlo run.
fn per_path(deal: &Deal, paths: u64, column: usize) -> Vec<f64> {
    let names: Vec<String> = deal
        .structure
        .tranches
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let width = column_names(&names).len();
    let mut out = Vec::with_capacity(paths as usize);
    let options = McOptions {
        paths,
        seed: 20240601,
        threads: 2,
    };
    simulate(
        deal,
        options,
        |_, rows| out.extend(rows.chunks_exact(width).map(|r| r[column])),
        |_| {},
    )
    .unwrap();
    out
}

/// Mean and its standard error.
fn mean_se(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

// ---- 1. pd_multiplier with a cumulative_pd term structure ----------------------------------

/// The royalty deal with a term structure (cumulative PD 2 % after one year ... 11 % after five)
/// swept over `pool.pd_multiplier` = 1, 2. The multiplier scales the cumulative curve, and a
/// pool's expected CDR is linear in its obligors' period default probabilities (loan-level,
/// no clean-up call in this deal), so E[CDR(2)] = 2 E[CDR(1)] exactly while the curve stays
/// below 1. With common random numbers the per-path difference CDR(2) − 2 CDR(1) has mean 0;
/// its standard error from the paths sets the tolerance (4 SE).
#[test]
fn pd_multiplier_moves_a_term_structure_monte_carlo() {
    let (path, text) = shipped("patent-royalty-300m.toml");
    let text = edit(
        &text,
        "[model]\n",
        "[model]\ncumulative_pd = [0.02, 0.045, 0.07, 0.09, 0.11]\n",
    );
    let deals = sweep(&path, &text, "pool.pd_multiplier", &["1", "2"]);
    assert_eq!(deals[1].credit.pd_multiplier, 2.0);
    let paths = 40_000;
    let one = per_path(&deals[0], paths, POOL_CDR);
    let two = per_path(&deals[1], paths, POOL_CDR);
    let (m1, se1) = mean_se(&one);
    let (m2, se2) = mean_se(&two);
    let diff: Vec<f64> = one.iter().zip(&two).map(|(a, b)| b - 2.0 * a).collect();
    let (md, sed) = mean_se(&diff);
    eprintln!(
        "term structure: mean CDR {m1:.5} ± {se1:.5} at pd_multiplier 1, {m2:.5} ± {se2:.5} at 2 \
         (ratio {:.3}); CDR(2) − 2 CDR(1) = {md:.6} ± {sed:.6}",
        m2 / m1
    );
    // The defect: both points were the same.
    assert!(m2 - m1 > 10.0 * se1.max(se2), "{m1} vs {m2}");
    assert!(md.abs() <= 4.0 * sed, "CDR(2) − 2·CDR(1) = {md} ± {sed}");
    // Each path defaults at least as much under the doubled curve.
    assert!(one.iter().zip(&two).all(|(a, b)| b >= a));
}

/// pd_multiplier = 1 leaves a term-structure model as it was, and 0 removes every default.
#[test]
fn pd_multiplier_one_and_zero_on_a_term_structure() {
    let (path, text) = shipped("patent-royalty-300m.toml");
    let text = edit(
        &text,
        "[model]\n",
        "[model]\ncumulative_pd = [0.02, 0.045, 0.07, 0.09, 0.11]\n",
    );
    let plain = ipabs::scenario::load_text(&path, &text).unwrap();
    let deals = sweep(&path, &text, "pool.pd_multiplier", &["1", "0"]);
    assert_eq!(
        per_path(&plain, 4_000, POOL_CDR),
        per_path(&deals[0], 4_000, POOL_CDR)
    );
    assert!(
        per_path(&deals[1], 4_000, POOL_CDR)
            .iter()
            .all(|c| *c == 0.0)
    );
}
