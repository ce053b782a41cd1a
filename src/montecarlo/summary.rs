//! Statistics over paths: per tranche and for the pool, as plain serde structs.

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::by_date::DateMoments;
use super::path::{LOSS_EPSILON, POOL_COLUMNS, TRANCHE_COLUMNS};
use crate::metrics::stats::{Distribution, Welford, percentile_select};

/// Monte Carlo measures of one tranche.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrancheStats {
    pub tranche: String,
    pub original_balance: f64,
    /// Mean principal loss / original balance.
    pub expected_loss: f64,
    /// Monte Carlo standard error of `expected_loss`.
    pub expected_loss_std_error: f64,
    /// Mean present-value loss (Moody's convention: lost promised payments discounted at the
    /// promised yield, over the original balance) and its standard error.
    pub expected_pv_loss: f64,
    pub expected_pv_loss_std_error: f64,
    /// Share of paths with any principal loss.
    pub probability_of_loss: f64,
    /// Share of paths where interest due on a payment date was not paid in full on that date
    /// (or was still unpaid after the last). `None` for a class without a coupon: it is owed no
    /// interest.
    pub probability_of_missed_interest: Option<f64>,
    /// Share of paths with a missed interest payment or a principal loss (either); for a class
    /// without a coupon it is `probability_of_loss`.
    pub probability_of_default: f64,
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolStats {
    pub cumulative_default_rate: Distribution,
    pub loss_rate: Distribution,
    /// `defaulted_obligors_histogram[k]` = share of paths with exactly k obligors in default
    /// by the path's last payment date.
    pub defaulted_obligors_histogram: Vec<f64>,
    pub support_drawn_probability: f64,
    pub support_drawn_mean: f64,
    pub support_drawn_p99: f64,
}

/// What the summaries need to know of a tranche.
#[derive(Debug, Clone)]
pub struct TrancheInfo {
    pub name: String,
    pub original_balance: f64,
    /// Coupon > 0 (only such a class can miss interest).
    pub has_coupon: bool,
}

/// One tranche on one payment date across paths: a row of `mc_tranche_by_date.csv` and an
/// element of `tranche_by_date` in `mc-summary.json` (the same type writes and reads both).
///
/// Means and standard errors (√(sample variance / paths)) over every path, yuan. A path whose
/// deal ended earlier counts with its state after its last date (balance 0, its final loss).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrancheDateStats {
    pub tranche: String,
    pub date: NaiveDate,
    /// Payment date number, from 1.
    pub period: usize,
    /// Cumulative loss after the date: write-downs so far + the principal deficiency still
    /// open against the class. At the last date, the class's principal loss.
    pub mean_cumulative_loss: f64,
    pub se_cumulative_loss: f64,
    /// Outstanding balance after the date's payments and write-downs.
    pub mean_balance: f64,
    pub se_balance: f64,
}

/// The per-date rows of every tranche (tranche-major, then date) from the merged accumulators
/// (cell `tranche × dates + period`).
pub fn tranche_by_date(
    tranches: &[TrancheInfo],
    dates: &[NaiveDate],
    loss: &DateMoments,
    balance: &DateMoments,
) -> Vec<TrancheDateStats> {
    let periods = dates.len();
    tranches
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            dates.iter().enumerate().map(move |(p, date)| {
                let cell = i * periods + p;
                TrancheDateStats {
                    tranche: t.name.clone(),
                    date: *date,
                    period: p + 1,
                    mean_cumulative_loss: loss.mean(cell),
                    se_cumulative_loss: loss.std_error(cell),
                    mean_balance: balance.mean(cell),
                    se_balance: balance.std_error(cell),
                }
            })
        })
        .collect()
}

/// Summaries of the path matrix (one row per path, columns as in `path::column_names`).
pub fn summarise(
    rows: &[f64],
    width: usize,
    tranches: &[TrancheInfo],
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
        .map(|(i, t)| {
            let original = t.original_balance;
            let base = POOL_COLUMNS.len() + TRANCHE_COLUMNS.len() * i;
            let mut losses = column(base);
            let mut el = Welford::default();
            losses.iter().for_each(|l| el.push(*l));
            let lost = |l: f64| l * original > LOSS_EPSILON;
            let with_loss: Vec<f64> = losses.iter().copied().filter(|l| lost(*l)).collect();
            let missed_column = column(base + 3);
            let mut pv_loss = Welford::default();
            column(base + 4).iter().for_each(|l| pv_loss.push(*l));
            let missed = |m: f64| t.has_coupon && m > 0.5;
            let missed_count = missed_column.iter().filter(|m| missed(**m)).count();
            let defaulted = losses
                .iter()
                .zip(&missed_column)
                .filter(|(l, m)| lost(**l) || missed(**m))
                .count();
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
                tranche: t.name.clone(),
                original_balance: original,
                expected_loss: el.mean(),
                expected_loss_std_error: el.std_error(),
                expected_pv_loss: pv_loss.mean(),
                expected_pv_loss_std_error: pv_loss.std_error(),
                probability_of_loss: share(with_loss.len()),
                probability_of_missed_interest: t.has_coupon.then(|| share(missed_count)),
                probability_of_default: share(defaulted),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tranche(name: &str, has_coupon: bool) -> TrancheInfo {
        TrancheInfo {
            name: name.into(),
            original_balance: 100.0,
            has_coupon,
        }
    }

    /// Rows for one tranche (five pool columns, then five per tranche): (loss rate, missed
    /// interest) per path.
    fn rows(paths: &[(f64, f64)]) -> Vec<f64> {
        paths
            .iter()
            .flat_map(|(loss, missed)| [0.0, 0.0, 0.0, 0.0, 0.0, *loss, 1.0, 0.04, *missed, *loss])
            .collect()
    }

    #[test]
    fn probability_of_default_is_loss_or_missed_interest() {
        // Paths: clean; missed interest only; loss only; both.
        let r = rows(&[(0.0, 0.0), (0.0, 1.0), (0.5, 0.0), (0.2, 1.0)]);
        let (_, stats) = summarise(&r, 10, &[tranche("A", true)], 1, 4);
        let a = &stats[0];
        assert_eq!(a.probability_of_loss, 0.5);
        assert_eq!(a.probability_of_missed_interest, Some(0.5));
        assert_eq!(a.probability_of_default, 0.75);
    }

    #[test]
    fn a_class_without_coupon_has_no_missed_interest() {
        let r = rows(&[
            (0.0, f64::NAN),
            (0.3, f64::NAN),
            (0.0, f64::NAN),
            (1.0, f64::NAN),
        ]);
        let (_, stats) = summarise(&r, 10, &[tranche("Sub", false)], 1, 4);
        let sub = &stats[0];
        assert_eq!(sub.probability_of_missed_interest, None);
        assert_eq!(sub.probability_of_default, sub.probability_of_loss);
        assert_eq!(sub.probability_of_default, 0.5);
        let json = serde_json::to_value(sub).unwrap();
        assert!(json["probability_of_missed_interest"].is_null());
    }
}
