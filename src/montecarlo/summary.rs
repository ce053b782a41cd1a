//! Statistics over paths: per tranche and for the pool, as plain serde structs.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::by_date::DateMoments;
use super::path::{LOSS_EPSILON, POOL_COLUMNS, TRANCHE_COLUMNS, WEIGHT_COLUMN};
use crate::metrics::exact::ExactSum;
use rayon::prelude::*;

use super::columns::Column;
pub use super::columns::{InMemory, RowSource};
use crate::metrics::stats::{Distribution, Welford};

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
    /// Share of paths with any principal loss (under importance sampling, the weighted
    /// estimate) and its standard error.
    pub probability_of_loss: f64,
    #[serde(default)]
    pub probability_of_loss_std_error: f64,
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

/// How an importance-sampled run was sampled and what it gained (`importance_sampling` in
/// `mc-summary.json`).
///
/// The variance-reduction factors compare the per-path variance plain Monte Carlo would have
/// (estimated from this run: p(1 − p) for a probability p, E[L²] − E[L]² for a loss L) with the
/// per-path variance of the weighted estimator `w·f` this run had: plain Monte Carlo needs that
/// many times more paths for the same standard error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportanceReport {
    /// The tranche whose loss region the factors were shifted toward.
    pub tranche: String,
    pub method: String,
    /// How the statistics use the weights ([`ESTIMATORS`]).
    #[serde(default)]
    pub estimators: String,
    pub shift: crate::credit::FactorShift,
    /// (Σw)² / Σw²: the number of equally weighted paths the weighted sample is worth for a
    /// distribution's shape.
    pub effective_sample_size: f64,
    /// Mean likelihood ratio (1 in expectation: a check of the weights) and its standard error.
    pub mean_likelihood_ratio: f64,
    pub mean_likelihood_ratio_std_error: f64,
    /// The target tranche's P(loss) and its standard error under importance sampling.
    pub probability_of_loss: f64,
    pub probability_of_loss_std_error: f64,
    /// Variance-reduction factor of P(loss) and of the expected loss of the target tranche;
    /// `None` where the run saw no loss.
    pub variance_reduction_probability_of_loss: Option<f64>,
    pub variance_reduction_expected_loss: Option<f64>,
    /// Plain paths needed for the same standard error of P(loss): paths × the factor.
    pub equivalent_plain_paths: Option<f64>,
}

/// How the shift is chosen, as `mc-summary.json` states it.
pub const METHOD: &str = "mean shift of the systematic normals (global, sector and support promisors' factors) and, under the Student-t copula, a rescaled mixing variable: Glasserman & Li (2005) tail-bound start, refined by cross-entropy on pilot paths through the deal's waterfall";

/// How the statistics use the likelihood ratios, as `mc-summary.json` states it.
pub const ESTIMATORS: &str = "means and probabilities: unbiased sum(w*f)/n with the standard error of w*f; distributions, percentiles, histograms and fans: self-normalised weights w/sum(w)";

/// What the importance-sampling report adds up over the paths besides the tranche's own
/// statistics: the weights, and the target's E[w·L²].
#[derive(Debug, Clone, Default)]
pub struct WeightSums {
    weight: Welford,
    sum_w2: f64,
    second_moment: f64,
}

impl ImportanceReport {
    /// From the weight sums of an importance-sampled run and its target tranche's statistics.
    pub fn new(
        sums: &WeightSums,
        paths: u64,
        info: &TrancheInfo,
        stats: &TrancheStats,
        shift: crate::credit::FactorShift,
    ) -> Self {
        let n = paths.max(1) as f64;
        // The weighted estimators' per-path variances are those behind the tranche's standard
        // errors (s.e.² · n); what is left to add up is the weights and E[w·L²].
        let sampled = |se: f64| se * se * n;
        let (p, el) = (stats.probability_of_loss, stats.expected_loss);
        let seen = |plain: f64, se: f64| {
            if p > 0.0 {
                variance_reduction(plain, sampled(se))
            } else {
                None
            }
        };
        let vrf_p = seen(p * (1.0 - p), stats.probability_of_loss_std_error);
        let sum_w = sums.weight.mean() * n;
        ImportanceReport {
            tranche: info.name.clone(),
            method: METHOD.into(),
            estimators: ESTIMATORS.into(),
            shift,
            effective_sample_size: if sums.sum_w2 > 0.0 {
                sum_w * sum_w / sums.sum_w2
            } else {
                0.0
            },
            mean_likelihood_ratio: sums.weight.mean(),
            mean_likelihood_ratio_std_error: sums.weight.std_error(),
            probability_of_loss: p,
            probability_of_loss_std_error: stats.probability_of_loss_std_error,
            variance_reduction_probability_of_loss: vrf_p,
            variance_reduction_expected_loss: seen(
                sums.second_moment / n - el * el,
                stats.expected_loss_std_error,
            ),
            equivalent_plain_paths: vrf_p.map(|f| f * paths as f64),
        }
    }
}

/// Plain Monte Carlo's per-path variance over the weighted estimator's: how many times the
/// paths plain sampling needs for the same standard error (`None` unless both are positive).
pub fn variance_reduction(plain: f64, sampled: f64) -> Option<f64> {
    (plain > 0.0 && sampled > 0.0).then(|| plain / sampled)
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
    loss: &DateMoments<ExactSum>,
    balance: &DateMoments<ExactSum>,
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

/// One tranche's one-pass sums.
#[derive(Default)]
struct TrancheSums {
    el: Welford,
    pv: Welford,
    hits: Welford,
    lost: f64,
    missed: f64,
    defaulted: f64,
    lost_weight: f64,
    lost_sum: f64,
}

/// The one-pass sums over every path (in path order).
struct PathSums {
    paths: u64,
    histogram: Vec<f64>,
    support_mean: Welford,
    support_drawn: f64,
    tranches: Vec<TrancheSums>,
    weights: WeightSums,
}

impl PathSums {
    fn add(
        &mut self,
        rows: &[f64],
        width: usize,
        tranches: &[TrancheInfo],
        weighted: bool,
        target: Option<usize>,
    ) {
        let obligors = self.histogram.len() - 1;
        for r in rows.chunks_exact(width) {
            self.paths += 1;
            let w = if weighted { r[WEIGHT_COLUMN] } else { 1.0 };
            self.histogram[(r[2] as usize).min(obligors)] += w;
            self.support_mean.push(w * r[3]);
            if r[3] > 0.005 {
                self.support_drawn += w;
            }
            for (i, (t, s)) in tranches.iter().zip(&mut self.tranches).enumerate() {
                let base = POOL_COLUMNS.len() + TRANCHE_COLUMNS.len() * i;
                let l = r[base];
                let lost = l * t.original_balance > LOSS_EPSILON;
                let missed = t.has_coupon && r[base + 3] > 0.5;
                s.el.push(w * l);
                s.pv.push(w * r[base + 4]);
                s.hits.push(w * f64::from(u8::from(lost)));
                if lost {
                    s.lost += w;
                    s.lost_weight += w;
                    s.lost_sum += w * l;
                }
                if missed {
                    s.missed += w;
                }
                if lost || missed {
                    s.defaulted += w;
                }
                if target == Some(i) {
                    self.weights.second_moment += w * l * l;
                }
            }
            if weighted {
                self.weights.weight.push(w);
                self.weights.sum_w2 += w * w;
            }
        }
    }
}

/// What [`summarise`] finds.
pub struct Summary {
    pub pool: PoolStats,
    pub tranches: Vec<TrancheStats>,
    /// The weights and the importance target's E[w·L²] (see [`ImportanceReport::new`]).
    pub weights: WeightSums,
}

/// Summaries of a run's rows (see [`RowSource`]); `weighted`: the rows come from importance
/// sampling; `target`: the tranche whose E[w·L²] the importance report needs.
///
/// Plain Monte Carlo: every path counts once. Importance sampling: a path counts with its
/// likelihood ratio `w` (column `likelihood_ratio`). Means and probabilities — expected loss,
/// PV loss, P(loss), P(missed interest), P(default), the support's mean and P(drawn) — are the
/// unbiased estimators `Σ w·f / n` with the standard error of `w·f`; distributions (mean,
/// spread and percentiles of a column, the defaulted-obligors histogram, loss given loss)
/// are the self-normalised weighted sample (weights `w / Σ w`). Every sum runs over the paths
/// in path order, so the results are a function of the rows alone: the same bits however the
/// run was threaded or sharded.
pub fn summarise(
    source: &dyn RowSource,
    tranches: &[TrancheInfo],
    obligors: usize,
    periods_per_year: u32,
    weighted: bool,
    target: Option<usize>,
) -> std::io::Result<Summary> {
    let m = f64::from(periods_per_year.max(1));
    let width = source.width();
    let same = |_: f64, y: f64| y;
    let effective = |m: f64, y: f64| (1.0 + y / m).max(0.0).powf(m) - 1.0;
    // Distributions: pool CDR, pool loss, support drawn; per tranche loss, WAL, yield and the
    // yield restated annual effective.
    let mut columns = vec![
        Column::new(0, same),
        Column::new(1, same),
        Column::new(3, same),
    ];
    for i in 0..tranches.len() {
        let base = POOL_COLUMNS.len() + TRANCHE_COLUMNS.len() * i;
        columns.push(Column::new(base, same));
        columns.push(Column::new(base + 1, same));
        columns.push(Column::new(base + 2, same));
        // (1 + y/m)^m − 1 is non-decreasing in y: its order statistics are the yields'.
        let mut restated = Column::new(base + 2, effective);
        restated.order_of = Some(columns.len() - 1);
        columns.push(restated);
    }
    let mut sums = PathSums {
        paths: 0,
        histogram: vec![0.0; obligors + 1],
        support_mean: Welford::default(),
        support_drawn: 0.0,
        tranches: tranches.iter().map(|_| TrancheSums::default()).collect(),
        weights: WeightSums::default(),
    };
    // Pass 1: every one-pass sum, and each column's sum and first histogram. Columns are
    // independent and each reads its values in path order: they run in parallel with the
    // same results on any number of threads.
    source.read(&mut |rows| {
        rayon::join(
            || sums.add(rows, width, tranches, weighted, target),
            || {
                columns
                    .par_iter_mut()
                    .for_each(|c| c.add(rows, width, weighted, m, None))
            },
        );
    })?;
    for c in &mut columns {
        c.want_percentiles(weighted);
    }
    // Pass 2: squared deviations from the means; then as many passes as the percentiles need.
    for c in &mut columns {
        c.mean = Some(c.mean(weighted));
    }
    let mut first = true;
    while first || columns.iter().any(|c| c.selector.wants_pass()) {
        source.read(&mut |rows| {
            columns
                .par_iter_mut()
                .filter(|c| first || c.selector.wants_pass())
                .for_each(|c| c.add(rows, width, weighted, m, Some(first)));
        })?;
        for c in &mut columns {
            if c.selector.wants_pass() {
                c.selector.end_pass();
            }
        }
        first = false;
    }
    let PathSums {
        paths,
        histogram,
        support_mean,
        support_drawn,
        tranches: sums,
        weights,
    } = sums;
    let n = paths.max(1) as f64;
    let distribution = |k: usize| columns[k].distribution(weighted, m, &columns);
    let all = |k: usize| distribution(k).expect("one value per path");
    let histogram_total: f64 = histogram.iter().sum();
    let support = all(2);
    let pool = PoolStats {
        cumulative_default_rate: all(0),
        loss_rate: all(1),
        defaulted_obligors_histogram: histogram
            .into_iter()
            .map(|c| c / histogram_total.max(f64::MIN_POSITIVE))
            .collect(),
        support_drawn_probability: support_drawn / n,
        support_drawn_mean: support_mean.mean(),
        support_drawn_p99: support.p99,
    };
    let stats = tranches
        .iter()
        .zip(&sums)
        .enumerate()
        .map(|(i, (t, s))| {
            let k = 3 + 4 * i;
            TrancheStats {
                tranche: t.name.clone(),
                original_balance: t.original_balance,
                expected_loss: s.el.mean(),
                expected_loss_std_error: s.el.std_error(),
                expected_pv_loss: s.pv.mean(),
                expected_pv_loss_std_error: s.pv.std_error(),
                probability_of_loss: s.lost / n,
                probability_of_loss_std_error: s.hits.std_error(),
                probability_of_missed_interest: t.has_coupon.then(|| s.missed / n),
                probability_of_default: s.defaulted / n,
                loss_given_loss: (s.lost_weight > 0.0).then(|| s.lost_sum / s.lost_weight),
                loss_rate: all(k),
                wal_years: distribution(k + 1),
                // Finite on every path of a class with a balance (total losses at the floor).
                yield_at_par: distribution(k + 2),
                yield_annual_effective: distribution(k + 3),
            }
        })
        .collect();
    Ok(Summary {
        pool,
        tranches: stats,
        weights,
    })
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

    /// Rows for one tranche (six pool columns, then five per tranche): (loss rate, missed
    /// interest) per path.
    fn rows(paths: &[(f64, f64)]) -> Vec<f64> {
        paths
            .iter()
            .flat_map(|(loss, missed)| {
                [
                    0.0, 0.0, 0.0, 0.0, 0.0, 1.0, *loss, 1.0, 0.04, *missed, *loss,
                ]
            })
            .collect()
    }

    fn rows_of(rows: &[f64]) -> InMemory<'_> {
        InMemory { rows, width: 11 }
    }

    /// Rows of one tranche whose loss column is `losses`, weighted by `weights`.
    fn loss_rows(losses: &[f64], weights: &[f64]) -> Vec<f64> {
        losses
            .iter()
            .zip(weights)
            .flat_map(|(l, w)| [0.0, 0.0, 0.0, 0.0, 0.0, *w, *l, 1.0, 0.04, 0.0, *l])
            .collect()
    }

    #[test]
    fn percentiles_are_the_interpolated_order_statistics_and_the_spread_two_pass() {
        let losses: Vec<f64> = (0..1001)
            .map(|k| ((k * 7919) % 1001) as f64 / 3000.0)
            .collect();
        let r = loss_rows(&losses, &vec![1.0; losses.len()]);
        let s = summarise(&rows_of(&r), &[tranche("A", true)], 1, 4, false, None).unwrap();
        let d = &s.tranches[0].loss_rate;
        let mut sorted = losses.clone();
        sorted.sort_by(f64::total_cmp);
        let p = |q| crate::metrics::stats::percentile_sorted(&sorted, q);
        assert_eq!(
            (d.p5, d.p50, d.p95, d.p99, d.p99_9),
            (p(5.0), p(50.0), p(95.0), p(99.0), p(99.9))
        );
        let mean = losses.iter().sum::<f64>() / 1001.0;
        let var = losses.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 1000.0;
        assert_eq!(d.mean, mean);
        assert_eq!(d.std, var.sqrt());
    }

    #[test]
    fn weighted_distributions_are_the_self_normalised_sample() {
        // Equal weights: the sample's own percentiles (no interpolation).
        let losses: Vec<f64> = (1..=1000).map(|k| f64::from(k) / 1000.0).collect();
        let r = loss_rows(&losses, &vec![2.0; 1000]);
        let s = summarise(&rows_of(&r), &[tranche("A", true)], 1, 4, true, None).unwrap();
        let d = &s.tranches[0].loss_rate;
        assert!((d.mean - 0.5005).abs() < 1e-12);
        assert_eq!((d.p5, d.p50, d.p99, d.p99_9), (0.05, 0.5, 0.99, 0.999));
        // A weight moves mass: a zero loss carrying 99.5 % of it is every percentile below.
        let r = loss_rows(&[0.0, 1.0], &[199.0, 1.0]);
        let s = summarise(&rows_of(&r), &[tranche("A", true)], 1, 4, true, None).unwrap();
        let d = &s.tranches[0].loss_rate;
        assert_eq!((d.p50, d.p99, d.p99_9), (0.0, 0.0, 1.0));
        assert!((d.mean - 0.005).abs() < 1e-15);
        // Means and probabilities are the unbiased Σ w·f / n: P(loss) = 1 · 1 / 2.
        assert_eq!(s.tranches[0].probability_of_loss, 0.5);
    }

    #[test]
    fn probability_of_default_is_loss_or_missed_interest() {
        // Paths: clean; missed interest only; loss only; both.
        let r = rows(&[(0.0, 0.0), (0.0, 1.0), (0.5, 0.0), (0.2, 1.0)]);
        let stats = summarise(&rows_of(&r), &[tranche("A", true)], 1, 4, false, None)
            .unwrap()
            .tranches;
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
        let stats = summarise(&rows_of(&r), &[tranche("Sub", false)], 1, 4, false, None)
            .unwrap()
            .tranches;
        let sub = &stats[0];
        assert_eq!(sub.probability_of_missed_interest, None);
        assert_eq!(sub.probability_of_default, sub.probability_of_loss);
        assert_eq!(sub.probability_of_default, 0.5);
        let json = serde_json::to_value(sub).unwrap();
        assert!(json["probability_of_missed_interest"].is_null());
    }
}
