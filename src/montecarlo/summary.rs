//! Statistics over paths: per tranche and for the pool, as plain serde structs.

use rayon::prelude::*;
use serde::Serialize;

use super::path::{LOSS_EPSILON, POOL_COLUMNS, TRANCHE_COLUMNS};
use crate::metrics::stats::{Distribution, Welford, percentile_select};

/// Monte Carlo measures of one tranche.
#[derive(Debug, Clone, Serialize)]
pub struct TrancheStats {
    pub tranche: String,
    pub original_balance: f64,
    /// Mean principal loss / original balance.
    pub expected_loss: f64,
    /// Monte Carlo standard error of `expected_loss`.
    pub expected_loss_std_error: f64,
    /// Share of paths with any principal loss.
    pub probability_of_loss: f64,
    /// Share of paths where interest due was not paid in full on some payment date.
    pub probability_of_missed_interest: f64,
    /// Mean loss rate over the paths with a loss (loss given loss); `None` without any loss.
    pub loss_given_loss: Option<f64>,
    pub loss_rate: Distribution,
    /// Over paths that repaid any principal.
    pub wal_years: Option<Distribution>,
    /// IRR at par over every path, quoted as [`super::McResults::yield_convention`] says
    /// (nominal, compounded at the deal's frequency); a path that received nothing is at the
    /// floor −m. `None` only for a class without a balance.
    pub yield_at_par: Option<Distribution>,
    /// The same yields restated annual effective, `(1 + y/m)^m − 1`, per path: a total loss is
    /// −100 %. Percentiles are (up to interpolation between paths) those of `yield_at_par`
    /// restated; mean and spread differ.
    pub yield_annual_effective: Option<Distribution>,
}

/// Pool measures over paths.
#[derive(Debug, Clone, Serialize)]
pub struct PoolStats {
    pub cumulative_default_rate: Distribution,
    pub loss_rate: Distribution,
    /// `defaulted_obligors_histogram[k]` = share of paths with exactly k obligors in default.
    pub defaulted_obligors_histogram: Vec<f64>,
    pub support_drawn_probability: f64,
    pub support_drawn_mean: f64,
    pub support_drawn_p99: f64,
}

/// Summaries of the path matrix (one row per path, columns as in `path::column_names`).
pub fn summarise(
    rows: &[f64],
    width: usize,
    tranches: &[(String, f64)],
    obligors: usize,
    periods_per_year: u32,
) -> (PoolStats, Vec<TrancheStats>) {
    let m = f64::from(periods_per_year.max(1));
    let paths = rows.len() / width;
    let column = |c: usize| -> Vec<f64> { rows.chunks_exact(width).map(|r| r[c]).collect() };
    let share = |count: usize| count as f64 / paths.max(1) as f64;
    let mut histogram = vec![0usize; obligors + 1];
    for r in rows.chunks_exact(width) {
        histogram[(r[2] as usize).min(obligors)] += 1;
    }
    let mut support = column(3);
    let support_drawn_probability = share(support.iter().filter(|s| **s > 0.005).count());
    let support_mean = mean(&support);
    let pool = PoolStats {
        cumulative_default_rate: Distribution::of(&mut column(0)),
        loss_rate: Distribution::of(&mut column(1)),
        defaulted_obligors_histogram: histogram.into_iter().map(share).collect(),
        support_drawn_probability,
        support_drawn_mean: support_mean,
        support_drawn_p99: percentile_select(&mut support, 99.0),
    };
    // Tranches are summarised in parallel; each summary reads its own columns in path order,
    // so the results do not depend on the thread count.
    let stats = tranches
        .par_iter()
        .enumerate()
        .map(|(i, (name, original))| {
            let original = *original;
            let base = POOL_COLUMNS.len() + TRANCHE_COLUMNS.len() * i;
            let mut losses = column(base);
            let mut el = Welford::default();
            losses.iter().for_each(|l| el.push(*l));
            let with_loss: Vec<f64> = losses
                .iter()
                .copied()
                .filter(|l| *l * original > LOSS_EPSILON)
                .collect();
            let missed = column(base + 3).iter().filter(|m| **m > 0.5).count();
            let finite = |c: usize, f: &dyn Fn(f64) -> f64| -> Option<Distribution> {
                let mut v: Vec<f64> = column(c)
                    .into_iter()
                    .filter(|x| x.is_finite())
                    .map(f)
                    .collect();
                (!v.is_empty()).then(|| Distribution::of(&mut v))
            };
            let same = |y: f64| y;
            let effective = |y: f64| (1.0 + y / m).max(0.0).powf(m) - 1.0;
            TrancheStats {
                tranche: name.clone(),
                original_balance: original,
                expected_loss: el.mean(),
                expected_loss_std_error: el.std_error(),
                probability_of_loss: share(with_loss.len()),
                probability_of_missed_interest: share(missed),
                loss_given_loss: (!with_loss.is_empty()).then(|| mean(&with_loss)),
                loss_rate: Distribution::of(&mut losses),
                wal_years: finite(base + 1, &same),
                // Finite on every path of a class with a balance (total losses at the floor).
                yield_at_par: finite(base + 2, &same),
                yield_annual_effective: finite(base + 2, &effective),
            }
        })
        .collect();
    (pool, stats)
}

/// Mean summed in path order (reproducible for any thread count).
fn mean(values: &[f64]) -> f64 {
    let mut w = Welford::default();
    values.iter().for_each(|v| w.push(*v));
    w.mean()
}
