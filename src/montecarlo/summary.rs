//! Statistics over paths: per tranche and for the pool, as plain serde structs.

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::by_date::DateMoments;
use super::path::{LOSS_EPSILON, POOL_COLUMNS, TRANCHE_COLUMNS, WEIGHT_COLUMN};
use crate::metrics::exact::ExactSum;
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

impl ImportanceReport {
    /// From the rows of an importance-sampled run (weights in `likelihood_ratio`).
    pub fn new(
        rows: &[f64],
        width: usize,
        info: &TrancheInfo,
        index: usize,
        stats: &TrancheStats,
        shift: crate::credit::FactorShift,
    ) -> Self {
        let paths = rows.len() / width;
        let n = paths.max(1) as f64;
        let base = POOL_COLUMNS.len() + TRANCHE_COLUMNS.len() * index;
        // The weighted estimators' per-path variances are those behind the tranche's standard
        // errors (s.e.² · n); what is left to add up is the weights and E[w·L²].
        let mut weight = Welford::default();
        let (mut sum_w2, mut second_moment) = (0.0, 0.0);
        for r in rows.chunks_exact(width) {
            let (w, l) = (r[WEIGHT_COLUMN], r[base]);
            weight.push(w);
            sum_w2 += w * w;
            second_moment += w * l * l;
        }
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
        let sum_w = weight.mean() * n;
        ImportanceReport {
            tranche: info.name.clone(),
            method: METHOD.into(),
            estimators: ESTIMATORS.into(),
            shift,
            effective_sample_size: if sum_w2 > 0.0 {
                sum_w * sum_w / sum_w2
            } else {
                0.0
            },
            mean_likelihood_ratio: weight.mean(),
            mean_likelihood_ratio_std_error: weight.std_error(),
            probability_of_loss: p,
            probability_of_loss_std_error: stats.probability_of_loss_std_error,
            variance_reduction_probability_of_loss: vrf_p,
            variance_reduction_expected_loss: seen(
                second_moment / n - el * el,
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

/// How the summaries weight paths.
///
/// Plain Monte Carlo: every path counts once. Importance sampling: a path counts with its
/// likelihood ratio `w` (column `likelihood_ratio`). Means and probabilities — expected loss,
/// PV loss, P(loss), P(missed interest), P(default), the support's mean and P(drawn) — are the
/// unbiased estimators `Σ w·f / n` with the standard error of `w·f`; distributions (mean,
/// spread and percentiles of a column, the defaulted-obligors histogram, loss given loss)
/// are the self-normalised weighted sample (weights `w / Σ w`).
struct Weights<'a> {
    /// `None`: plain Monte Carlo.
    of_path: Option<&'a [f64]>,
    paths: usize,
}

impl Weights<'_> {
    fn weight(&self, path: usize) -> f64 {
        self.of_path.map_or(1.0, |w| w[path])
    }

    /// The unbiased estimate of the mean of `f` (in path order) and its standard error.
    fn mean(&self, values: &[f64]) -> Welford {
        let mut el = Welford::default();
        match self.of_path {
            None => values.iter().for_each(|x| el.push(*x)),
            Some(w) => values.iter().zip(w).for_each(|(x, w)| el.push(x * w)),
        }
        el
    }

    /// The estimate of the probability of the paths where `hit` is set.
    fn probability(&self, hit: impl Iterator<Item = bool>) -> f64 {
        let n = self.paths.max(1) as f64;
        match self.of_path {
            None => hit.filter(|h| *h).count() as f64 / n,
            Some(w) => hit.zip(w).filter(|(h, _)| *h).map(|(_, w)| w).sum::<f64>() / n,
        }
    }

    /// The distribution of the finite values of `values`, mapped by `f`.
    fn distribution(&self, values: &[f64], f: impl Fn(f64) -> f64) -> Option<Distribution> {
        match self.of_path {
            None => {
                let mut v: Vec<f64> = values
                    .iter()
                    .filter(|x| x.is_finite())
                    .map(|x| f(*x))
                    .collect();
                (!v.is_empty()).then(|| Distribution::of(&mut v))
            }
            Some(w) => {
                let mut v: Vec<(f64, f64)> = values
                    .iter()
                    .zip(w)
                    .filter(|(x, _)| x.is_finite())
                    .map(|(x, w)| (f(*x), *w))
                    .collect();
                (!v.is_empty()).then(|| Distribution::weighted(&mut v))
            }
        }
    }
}

/// Summaries of the path matrix (one row per path, columns as in `path::column_names`);
/// `weighted`: the rows come from importance sampling (see [`Weights`]).
pub fn summarise(
    rows: &[f64],
    width: usize,
    tranches: &[TrancheInfo],
    obligors: usize,
    periods_per_year: u32,
    weighted: bool,
) -> (PoolStats, Vec<TrancheStats>) {
    let m = f64::from(periods_per_year.max(1));
    let paths = rows.len() / width;
    let column = |c: usize| -> Vec<f64> { rows.chunks_exact(width).map(|r| r[c]).collect() };
    let weight_column = weighted.then(|| column(WEIGHT_COLUMN));
    let weights = Weights {
        of_path: weight_column.as_deref(),
        paths,
    };
    let mut histogram = vec![0.0; obligors + 1];
    for (k, r) in rows.chunks_exact(width).enumerate() {
        histogram[(r[2] as usize).min(obligors)] += weights.weight(k);
    }
    let histogram_total: f64 = histogram.iter().sum();
    let support = column(3);
    let support_drawn_probability = weights.probability(support.iter().map(|s| *s > 0.005));
    let all = |v: &[f64]| weights.distribution(v, |x| x).expect("one value per path");
    let support_distribution = all(&support);
    let pool = PoolStats {
        cumulative_default_rate: all(&column(0)),
        loss_rate: all(&column(1)),
        defaulted_obligors_histogram: histogram
            .into_iter()
            .map(|c| c / histogram_total.max(f64::MIN_POSITIVE))
            .collect(),
        support_drawn_probability,
        support_drawn_mean: weights.mean(&support).mean(),
        support_drawn_p99: match weights.of_path {
            None => percentile_select(&mut support.clone(), 99.0),
            Some(_) => support_distribution.p99,
        },
    };
    // Tranches are summarised in parallel; each summary reads its own columns in path order,
    // so the results do not depend on the thread count.
    let stats = tranches
        .par_iter()
        .enumerate()
        .map(|(i, t)| {
            let original = t.original_balance;
            let base = POOL_COLUMNS.len() + TRANCHE_COLUMNS.len() * i;
            let losses = column(base);
            let el = weights.mean(&losses);
            let lost = |l: f64| l * original > LOSS_EPSILON;
            let missed_column = column(base + 3);
            let pv_loss = weights.mean(&column(base + 4));
            let missed = |m: f64| t.has_coupon && m > 0.5;
            let hits: Vec<f64> = losses
                .iter()
                .map(|l| f64::from(u8::from(lost(*l))))
                .collect();
            let (mut lost_weight, mut lost_sum) = (0.0, 0.0);
            for (k, l) in losses.iter().enumerate().filter(|(_, l)| lost(**l)) {
                lost_weight += weights.weight(k);
                lost_sum += weights.weight(k) * l;
            }
            let same = |y: f64| y;
            let effective = |y: f64| (1.0 + y / m).max(0.0).powf(m) - 1.0;
            let yields = column(base + 2);
            TrancheStats {
                tranche: t.name.clone(),
                original_balance: original,
                expected_loss: el.mean(),
                expected_loss_std_error: el.std_error(),
                expected_pv_loss: pv_loss.mean(),
                expected_pv_loss_std_error: pv_loss.std_error(),
                probability_of_loss: weights.probability(losses.iter().map(|l| lost(*l))),
                probability_of_loss_std_error: weights.mean(&hits).std_error(),
                probability_of_missed_interest: t
                    .has_coupon
                    .then(|| weights.probability(missed_column.iter().map(|m| missed(*m)))),
                probability_of_default: weights.probability(
                    losses
                        .iter()
                        .zip(&missed_column)
                        .map(|(l, m)| lost(*l) || missed(*m)),
                ),
                loss_given_loss: (lost_weight > 0.0).then(|| lost_sum / lost_weight),
                loss_rate: all(&losses),
                wal_years: weights.distribution(&column(base + 1), same),
                // Finite on every path of a class with a balance (total losses at the floor).
                yield_at_par: weights.distribution(&yields, same),
                yield_annual_effective: weights.distribution(&yields, effective),
            }
        })
        .collect();
    (pool, stats)
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

    #[test]
    fn probability_of_default_is_loss_or_missed_interest() {
        // Paths: clean; missed interest only; loss only; both.
        let r = rows(&[(0.0, 0.0), (0.0, 1.0), (0.5, 0.0), (0.2, 1.0)]);
        let (_, stats) = summarise(&r, 11, &[tranche("A", true)], 1, 4, false);
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
        let (_, stats) = summarise(&r, 11, &[tranche("Sub", false)], 1, 4, false);
        let sub = &stats[0];
        assert_eq!(sub.probability_of_missed_interest, None);
        assert_eq!(sub.probability_of_default, sub.probability_of_loss);
        assert_eq!(sub.probability_of_default, 0.5);
        let json = serde_json::to_value(sub).unwrap();
        assert!(json["probability_of_missed_interest"].is_null());
    }
}
