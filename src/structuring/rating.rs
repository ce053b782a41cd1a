//! Implied ratings by the TDR/BDR method: target default rates per grade from the Monte Carlo
//! pool cumulative default rate (CDR) distribution, against each tranche's lowest break-even
//! default rate; an expected-loss grade from an idealized loss table; a large-obligor check.

use crate::scenario::tape::shown;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::engine::Prepared;
use crate::metrics::stats::percentile_sorted;

/// The shipped grade table (`data/rating-grades.csv`).
pub const DEFAULT_GRADES: &str = include_str!("../../data/rating-grades.csv");
/// The shipped idealized loss table (`data/idealized-loss-table.csv`).
pub const DEFAULT_LOSS_TABLE: &str = include_str!("../../data/idealized-loss-table.csv");

/// One rating grade, highest first in a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub grade: String,
    /// Target default probability p_g(T) by horizon (None: judged by the multiplier method
    /// only).
    pub target_default: Option<Tenor>,
    pub multiplier: Option<f64>,
    /// Largest obligors whose default (zero recovery) the tranche must survive.
    pub large_obligors: usize,
}

impl Grade {
    /// p_g at a horizon of `wal` years (see [`Tenor::at`]).
    pub fn default_probability(&self, wal: f64) -> Option<f64> {
        self.target_default.as_ref().map(|t| t.at(wal))
    }
}

/// A cumulative rate by horizon in years: linear between the tabulated years, flat outside
/// them (a horizon under the first year uses the first year's figure). Both idealised tables
/// (target default probabilities and expected losses) are read this way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenor {
    pub years: Vec<f64>,
    /// Fractions (the files hold percent).
    pub values: Vec<f64>,
}

impl Tenor {
    pub fn at(&self, wal: f64) -> f64 {
        let (ys, row) = (&self.years, &self.values);
        if wal <= ys[0] {
            return row[0];
        }
        for k in 1..ys.len() {
            if wal <= ys[k] {
                let w = (wal - ys[k - 1]) / (ys[k] - ys[k - 1]);
                return row[k - 1] + w * (row[k] - row[k - 1]);
            }
        }
        row[row.len() - 1]
    }
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
}

/// The horizon columns of a table header (`1,2,...,10`): years, increasing.
fn header_years(headers: &[&str], origin: &str, layout: &str) -> Result<Vec<f64>, String> {
    let years: Vec<f64> = headers
        .iter()
        .map(|h| {
            h.parse::<f64>().ok().filter(|y| *y > 0.0).ok_or_else(|| {
                format!(
                    "{origin}: header column `{}` is not a number of years (expected {layout})",
                    shown(h)
                )
            })
        })
        .collect::<Result<_, _>>()?;
    if years.is_empty() || years.windows(2).any(|w| w[1] <= w[0]) {
        return Err(format!(
            "{origin}: expected the header {layout}, with increasing years"
        ));
    }
    Ok(years)
}

/// One row's percentages under the horizon columns, as fractions; `None` when every cell is
/// empty (only where `may_be_empty`).
fn percent_row(
    cells: &[&str],
    years: &[f64],
    origin: &str,
    row: usize,
    may_be_empty: bool,
) -> Result<Option<Tenor>, String> {
    if may_be_empty && cells.iter().all(|c| c.is_empty()) {
        return Ok(None);
    }
    if cells.len() != years.len() {
        return Err(format!(
            "{origin}: row {row}: expected {} horizon values, found {}",
            years.len(),
            cells.len()
        ));
    }
    let values = cells
        .iter()
        .zip(years)
        .map(|(v, y)| {
            v.parse::<f64>()
                .ok()
                .filter(|x| (0.0..=100.0).contains(x))
                .map(|x| x / 100.0)
                .ok_or_else(|| {
                    format!(
                        "{origin}: row {row}, year {y}: `{}` is not a percentage in [0, 100]",
                        shown(v)
                    )
                })
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(Tenor {
        years: years.to_vec(),
        values,
    }))
}

/// The grade table's layout, as its header must read.
pub const GRADE_LAYOUT: &str = "grade,multiplier,large_obligors,1,2,...";

/// Parses a grade table CSV (`grade,multiplier,large_obligors,1,2,...,10`: the target
/// default probability in percent by horizon in years).
pub fn parse_grades(text: &str, origin: &str) -> Result<Vec<Grade>, String> {
    let mut rdr = csv_reader(text);
    let headers = rdr.headers().map_err(|e| format!("{origin}: {e}"))?.clone();
    let headers: Vec<&str> = headers.iter().collect();
    let fixed = ["grade", "multiplier", "large_obligors"];
    if headers.get(1) == Some(&"default_probability") {
        return Err(format!(
            "{origin}: a single `default_probability` per grade is no longer read: target default probabilities depend on the tranche's tenor. Expected the header {GRADE_LAYOUT} (percent by horizon in years; see data/rating-grades.csv)"
        ));
    }
    if headers.len() < 4 || headers[..3] != fixed {
        return Err(format!(
            "{origin}: expected the header {GRADE_LAYOUT}, found {}",
            shown(&headers.join(","))
        ));
    }
    let years = header_years(&headers[3..], origin, GRADE_LAYOUT)?;
    let mut out = Vec::new();
    for (row, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("{origin}: {e}"))?;
        let row = row + 1;
        let at = |c: usize| rec.get(c).unwrap_or("");
        let grade = at(0).to_string();
        if grade.is_empty() {
            return Err(format!("{origin}: row {row}: empty grade"));
        }
        let multiplier = match at(1) {
            "" => None,
            s => Some(
                s.parse::<f64>()
                    .ok()
                    .filter(|v| (0.0..=1e6).contains(v))
                    .ok_or_else(|| {
                        format!(
                            "{origin}: row {row} column `multiplier`: expected a number in [0, 1000000], found `{}`",
                            shown(s)
                        )
                    })?,
            ),
        };
        let k = at(2);
        let large_obligors = if k.is_empty() {
            0
        } else {
            k.parse().map_err(|_| {
                format!(
                    "{origin}: row {row} column `large_obligors`: expected a whole number, found `{}`",
                    shown(k)
                )
            })?
        };
        let cells: Vec<&str> = rec.iter().skip(3).collect();
        let target_default = percent_row(&cells, &years, origin, row, true)?
            .filter(|t| t.values.iter().any(|v| *v > 0.0));
        out.push(Grade {
            grade,
            target_default,
            multiplier,
            large_obligors,
        });
    }
    if out.is_empty() {
        return Err(format!("{origin}: no grades"));
    }
    Ok(out)
}

/// Idealized cumulative expected loss by rating and horizon (fractions, highest rating first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossTable {
    pub ratings: Vec<String>,
    pub loss: Vec<Tenor>,
}

impl LossTable {
    /// Parses `rating,1,2,...` with values in percent.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let layout = "rating,1,2,...";
        let mut rdr = csv_reader(text);
        let headers = rdr.headers().map_err(|e| format!("{origin}: {e}"))?.clone();
        let headers: Vec<&str> = headers.iter().collect();
        let years = header_years(headers.get(1..).unwrap_or(&[]), origin, layout)?;
        let mut ratings = Vec::new();
        let mut loss = Vec::new();
        for (row, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| format!("{origin}: {e}"))?;
            ratings.push(rec.get(0).unwrap_or("").to_string());
            let cells: Vec<&str> = rec.iter().skip(1).collect();
            loss.extend(percent_row(&cells, &years, origin, row + 1, false)?);
        }
        if ratings.is_empty() {
            return Err(format!("{origin}: no ratings"));
        }
        Ok(LossTable { ratings, loss })
    }

    /// Idealized loss of rating `r` at `wal` years (see [`Tenor::at`]).
    pub fn at(&self, r: usize, wal: f64) -> f64 {
        self.loss[r].at(wal)
    }

    /// The highest rating whose idealized loss at `wal` is at least `el`.
    pub fn grade(&self, el: f64, wal: f64) -> Option<&str> {
        self.index(el, wal).map(|r| self.ratings[r].as_str())
    }

    fn index(&self, el: f64, wal: f64) -> Option<usize> {
        (0..self.ratings.len()).find(|&r| el <= self.at(r, wal))
    }

    /// Whether the 95 % interval of an expected loss `el` ± 1.96·`se` (from `paths` paths)
    /// reaches across a rating boundary at `wal`: the rating at stake (lost if the loss is
    /// higher, gained if lower; the loss first) and the paths that would settle it.
    pub fn borderline(&self, el: f64, se: f64, wal: f64, paths: u64) -> Option<Borderline> {
        let half = INTERVAL_Z * se;
        if half <= 0.0 {
            return None;
        }
        let r = self.index(el, wal);
        let needed = |margin: f64| paths_to_settle(paths as f64, half, margin);
        if let Some(r) = r
            && el + half > self.at(r, wal)
        {
            return Some(Borderline {
                grade: self.ratings[r].clone(),
                paths_needed: needed(self.at(r, wal) - el),
            });
        }
        let better = match r {
            Some(0) => return None,
            Some(r) => r - 1,
            None => self.ratings.len() - 1,
        };
        let bound = self.at(better, wal);
        (el - half <= bound).then(|| Borderline {
            grade: self.ratings[better].clone(),
            paths_needed: needed(el - bound),
        })
    }
}

/// How a grade's target default rate is derived from the pool CDR distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The (1 − p_g) quantile of the simulated pool CDR.
    Empirical,
    /// exp(μ + σ·Φ⁻¹(1 − p_g)) for a lognormal with the simulated mean and variance.
    Lognormal,
    /// multiplier_g × the expected pool CDR.
    Multiplier,
}

pub const METHODS: [Method; 3] = [Method::Empirical, Method::Lognormal, Method::Multiplier];

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Empirical => "empirical",
            Method::Lognormal => "lognormal",
            Method::Multiplier => "multiplier",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        METHODS.into_iter().find(|m| m.name() == s)
    }
}

/// The simulated pool cumulative default rates, summarised for the TDR methods.
///
/// Under importance sampling each path carries its likelihood ratio `w`: the distribution is
/// then the weighted (self-normalised) sample — quantiles the smallest rate whose cumulative
/// weight reaches the level, mean, variance, zero mass and the lognormal fit's KS distance of
/// the weighted CDF — and a failure probability is the unbiased Σ w·1{fail}/n with the standard
/// error of w·1{fail}. A quantile's interval comes from the standard error of the tail
/// probability at it, as the plain run's order-statistic interval does from the binomial one.
#[derive(Debug, Clone)]
pub struct CdrDistribution {
    sorted: Vec<f64>,
    /// The likelihood ratios in `sorted`'s order, as tail sums (`None`: plain Monte Carlo).
    weights: Option<TailWeights>,
    /// The moment-fitted lognormal and its diagnostics, computed once (the KS distance reads
    /// every path).
    fit: Option<LognormalFit>,
    /// Sorted CDRs of the paths on which a promisor defaulted (for the joint-default test).
    promisor_sorted: Vec<f64>,
    promisor_weights: Option<TailWeights>,
    pub mean: f64,
    pub variance: f64,
}

/// `from[k]` = Σ of the weights of sorted paths k.. (length n + 1, `from[n]` = 0), and the
/// same of their squares.
#[derive(Debug, Clone)]
struct TailWeights {
    from: Vec<f64>,
    squares_from: Vec<f64>,
}

impl TailWeights {
    fn new(weights: impl DoubleEndedIterator<Item = f64> + ExactSizeIterator) -> Self {
        let n = weights.len();
        let (mut from, mut squares_from) = (vec![0.0; n + 1], vec![0.0; n + 1]);
        for (k, w) in weights.enumerate().rev() {
            from[k] = from[k + 1] + w;
            squares_from[k] = squares_from[k + 1] + w * w;
        }
        TailWeights { from, squares_from }
    }
}

/// Sorts (value, weight) pairs by value.
fn sorted_pairs(values: &[f64], weights: &[f64]) -> (Vec<f64>, TailWeights) {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .copied()
        .zip(weights.iter().copied())
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let tail = TailWeights::new(pairs.iter().map(|p| p.1));
    (pairs.into_iter().map(|p| p.0).collect(), tail)
}

/// (Σ w, Σ w²) over the sorted values strictly above `x` (counts when unweighted).
fn weight_above(sorted: &[f64], weights: Option<&TailWeights>, x: f64) -> (f64, f64) {
    let k = sorted.partition_point(|c| *c <= x);
    match weights {
        None => {
            let c = (sorted.len() - k) as f64;
            (c, c)
        }
        Some(t) => (t.from[k], t.squares_from[k]),
    }
}

/// Two-sided confidence level of every TDR interval (normal approximation to the binomial
/// count of paths below a quantile).
pub const INTERVAL_Z: f64 = 1.959_963_984_540_054;

/// A lognormal fit refuses a pool where more than this share of paths has no default: the
/// lognormal has no mass at zero.
pub const MAX_ZERO_MASS: f64 = 0.05;

/// A lognormal fit refuses a pool whose simulated CDR is further than this from the fitted
/// distribution (Kolmogorov–Smirnov distance, sup |F_sim − F_fit|).
pub const MAX_KS_DISTANCE: f64 = 0.05;

/// How well the moment-fitted lognormal describes the simulated CDR, and whether it is used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LognormalFit {
    pub mu: f64,
    pub sigma: f64,
    /// Share of paths with no default at all.
    pub zero_mass: f64,
    /// Kolmogorov–Smirnov distance between the simulated CDR and the fit.
    pub ks_distance: f64,
    /// Why the fit is not used for TDRs (`None`: it is used).
    pub refused: Option<String>,
}

impl CdrDistribution {
    pub fn new(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let mut d = CdrDistribution {
            sorted: values,
            weights: None,
            fit: None,
            promisor_sorted: Vec::new(),
            promisor_weights: None,
            mean,
            variance,
        };
        d.fit = d.fit_lognormal();
        d
    }

    /// As [`CdrDistribution::new`], knowing on which paths a promisor defaulted.
    pub fn with_promisor(values: Vec<f64>, promisor_defaulted: &[bool]) -> Self {
        let mut promisor: Vec<f64> = values
            .iter()
            .zip(promisor_defaulted)
            .filter(|(_, d)| **d)
            .map(|(v, _)| *v)
            .collect();
        promisor.sort_by(f64::total_cmp);
        CdrDistribution {
            promisor_sorted: promisor,
            ..Self::new(values)
        }
    }

    /// The distribution of importance-sampled paths: `weights[i]` is path i's likelihood
    /// ratio.
    pub fn weighted(values: &[f64], promisor_defaulted: &[bool], weights: &[f64]) -> Self {
        let (sorted, tail) = sorted_pairs(values, weights);
        let total = tail.from[0];
        let mean = values.iter().zip(weights).map(|(x, w)| w * x).sum::<f64>() / total;
        let variance = values
            .iter()
            .zip(weights)
            .map(|(x, w)| w * (x - mean).powi(2))
            .sum::<f64>()
            / total;
        let (promisor, promisor_w): (Vec<f64>, Vec<f64>) = values
            .iter()
            .zip(weights)
            .zip(promisor_defaulted)
            .filter(|(_, d)| **d)
            .map(|((v, w), _)| (*v, *w))
            .unzip();
        let (promisor_sorted, promisor_tail) = sorted_pairs(&promisor, &promisor_w);
        let mut d = CdrDistribution {
            sorted,
            weights: Some(tail),
            fit: None,
            promisor_sorted,
            promisor_weights: Some(promisor_tail),
            mean,
            variance,
        };
        d.fit = d.fit_lognormal();
        d
    }

    /// Σ of the paths' weights (their number when unweighted).
    fn total_weight(&self) -> f64 {
        self.weights
            .as_ref()
            .map_or(self.sorted.len() as f64, |t| t.from[0])
    }

    /// Share of the weight at or below sorted path `k` (the empirical CDF just after it).
    fn share_through(&self, k: usize) -> f64 {
        match &self.weights {
            None => (k + 1) as f64 / self.sorted.len() as f64,
            Some(t) => 1.0 - t.from[k + 1] / t.from[0],
        }
    }

    /// Probability (and its standard error) that a supported tranche fails: the pool's CDR
    /// exceeds its BDR with support, or its promisor defaults and the CDR exceeds its
    /// standalone BDR.
    pub fn joint_failure(&self, bdr_supported: f64, bdr_standalone: f64) -> (f64, f64) {
        let n = self.sorted.len().max(1) as f64;
        let pool = weight_above(&self.sorted, self.weights.as_ref(), bdr_supported);
        let promisor =
            |x: f64| weight_above(&self.promisor_sorted, self.promisor_weights.as_ref(), x);
        let (low, high) = (
            promisor(bdr_standalone.min(bdr_supported)),
            promisor(bdr_supported),
        );
        let p = (pool.0 + low.0 - high.0) / n;
        if self.weights.is_none() {
            return (p, (p * (1.0 - p) / n).sqrt());
        }
        let second = (pool.1 + low.1 - high.1) / n;
        (p, ((second - p * p).max(0.0) / n).sqrt())
    }

    pub fn paths(&self) -> usize {
        self.sorted.len()
    }

    /// The `q` quantile (0..1) of the simulated CDR, interpolated (for summaries).
    /// Under importance sampling, the weighted order quantile.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.weights.is_some() {
            return self.order_quantile(q);
        }
        percentile_sorted(&self.sorted, q * 100.0)
    }

    /// The order statistic x₍⌈n·q⌉₎: the smallest simulated CDR with at least a share `q` of
    /// paths at or below it. It is one of the rates the pool can produce (sums of obligor
    /// balances over the pool), not an interpolation between two.
    ///
    /// Weighted: the smallest rate whose cumulative share of the weight reaches `q`.
    pub fn order_quantile(&self, q: f64) -> f64 {
        match &self.weights {
            None => self.at_rank((q * self.sorted.len() as f64).ceil() as i64),
            Some(t) => {
                let n = self.sorted.len();
                if n == 0 {
                    return 0.0;
                }
                // The weight through path k is total − from[k + 1]: the first k where it
                // reaches q·total.
                let (total, level) = (t.from[0], q.clamp(0.0, 1.0) * t.from[0]);
                let k = t.from[1..].partition_point(|f| total - f < level);
                self.sorted[k.min(n - 1)]
            }
        }
    }

    fn at_rank(&self, rank: i64) -> f64 {
        let n = self.sorted.len() as i64;
        if n == 0 {
            return 0.0;
        }
        self.sorted[(rank.clamp(1, n) - 1) as usize]
    }

    /// 95 % order-statistic interval of the `q` quantile: the ranks n·q ∓ z·√(n·q·(1 − q)).
    ///
    /// Weighted: the quantiles at q ∓ z·s, s the standard error of the tail probability
    /// above the q quantile (Σ w·1{X > x_q}/n), as a share of the total weight.
    pub fn quantile_interval(&self, q: f64) -> (f64, f64) {
        let n = self.sorted.len() as f64;
        if let Some(t) = &self.weights {
            let (w, w2) = weight_above(&self.sorted, Some(t), self.order_quantile(q));
            let p = w / n.max(1.0);
            let se = ((w2 / n.max(1.0) - p * p).max(0.0) / n.max(1.0)).sqrt();
            let half = INTERVAL_Z * se * n / t.from[0];
            return (
                self.order_quantile((q - half).max(0.0)),
                self.order_quantile((q + half).min(1.0)),
            );
        }
        let half = INTERVAL_Z * (n * q * (1.0 - q)).sqrt();
        (
            self.at_rank((n * q - half).floor() as i64),
            self.at_rank((n * q + half).ceil() as i64),
        )
    }

    /// Share of paths with no default.
    pub fn zero_mass(&self) -> f64 {
        if self.weights.is_some() {
            let (above, _) = weight_above(&self.sorted, self.weights.as_ref(), 0.0);
            let total = self.total_weight();
            return (total - above) / total;
        }
        let zeros = self.sorted.iter().take_while(|x| **x <= 0.0).count();
        zeros as f64 / self.sorted.len().max(1) as f64
    }

    /// Lognormal fitted by moments (μ, σ): the simulated CDR has mass at zero, where a fit of
    /// the logs is undefined, so the lognormal with the same mean and variance is used.
    pub fn lognormal(&self) -> Option<(f64, f64)> {
        if self.mean <= 0.0 {
            return None;
        }
        let s2 = (1.0 + self.variance / (self.mean * self.mean)).ln();
        Some((self.mean.ln() - 0.5 * s2, s2.sqrt()))
    }

    /// The fit with its diagnostics; refused where it does not describe the pool.
    pub fn lognormal_fit(&self) -> Option<LognormalFit> {
        self.fit.clone()
    }

    fn fit_lognormal(&self) -> Option<LognormalFit> {
        let (mu, sigma) = self.lognormal()?;
        let normal = Normal::standard();
        let fit_cdf = |x: f64| {
            if x <= 0.0 {
                0.0
            } else {
                normal.cdf((x.ln() - mu) / sigma)
            }
        };
        // sup |F_sim − F_fit| is reached at a jump of the empirical CDF: check both sides.
        let mut ks: f64 = 0.0;
        for (k, x) in self.sorted.iter().enumerate() {
            let f = fit_cdf(*x);
            let before = if k == 0 {
                0.0
            } else {
                self.share_through(k - 1)
            };
            ks = ks
                .max((f - before).abs())
                .max((self.share_through(k) - f).abs());
        }
        let zero_mass = self.zero_mass();
        let above_one = 1.0 - fit_cdf(1.0);
        let refused = if zero_mass > MAX_ZERO_MASS {
            Some(format!(
                "{:.1} % of paths have no default, and a lognormal has no mass at zero (at most {:.0} % accepted)",
                zero_mass * 100.0,
                MAX_ZERO_MASS * 100.0
            ))
        } else if ks > MAX_KS_DISTANCE {
            Some(format!(
                "Kolmogorov–Smirnov distance {ks:.3} to the simulated default rates (at most {MAX_KS_DISTANCE} accepted)"
            ))
        } else if above_one > 1e-4 {
            Some(format!(
                "the fit puts {:.3} % of its mass above a 100 % default rate",
                above_one * 100.0
            ))
        } else {
            None
        };
        Some(LognormalFit {
            mu,
            sigma,
            zero_mass,
            ks_distance: ks,
            refused,
        })
    }

    /// TDR of `grade` by `method` for a tranche of `wal` years, always in [0, 1]; `None` when
    /// the grade lacks the method's parameter or the method does not apply (a refused fit, a
    /// multiple above 100 %).
    pub fn tdr(&self, grade: &Grade, method: Method, wal: f64) -> Option<f64> {
        match method {
            Method::Empirical => grade
                .default_probability(wal)
                .map(|p| self.order_quantile(1.0 - p)),
            Method::Lognormal => {
                let p = grade.default_probability(wal)?;
                let fit = self.fit.as_ref()?;
                if fit.refused.is_some() {
                    return None;
                }
                let v = (fit.mu + fit.sigma * inverse_normal(1.0 - p)).exp();
                (v <= 1.0).then_some(v)
            }
            Method::Multiplier => grade
                .multiplier
                .map(|k| k * self.mean)
                .filter(|v| *v <= 1.0),
        }
    }
}

/// Φ⁻¹(q).
pub fn inverse_normal(q: f64) -> f64 {
    Normal::standard().inverse_cdf(q)
}

/// Vasicek large-pool quantile of the default rate: Φ((Φ⁻¹(p) + √ρ·Φ⁻¹(q)) / √(1 − ρ)).
pub fn vasicek_quantile(pd: f64, rho: f64, q: f64) -> f64 {
    let n = Normal::standard();
    n.cdf((n.inverse_cdf(pd) + rho.sqrt() * n.inverse_cdf(q)) / (1.0 - rho).sqrt())
}

/// TDRs of one grade by every method, for one tranche.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TdrRow {
    pub grade: String,
    /// The target default probability p_g at the tranche's WAL.
    pub default_probability: Option<f64>,
    pub multiplier: Option<f64>,
    pub large_obligors: usize,
    /// The (1 − p_g) order statistic of the simulated CDR.
    pub empirical: Option<f64>,
    /// Its 95 % order-statistic interval.
    pub empirical_interval: Option<(f64, f64)>,
    /// From the fitted lognormal (`None` when the fit is refused or exceeds 100 %).
    pub lognormal: Option<f64>,
    /// multiplier × mean CDR (`None` above 100 %: the method does not apply).
    pub multiplier_tdr: Option<f64>,
    /// Why a method gives no TDR for this grade, per method name.
    pub not_applicable: Vec<(Method, String)>,
}

impl TdrRow {
    pub fn get(&self, method: Method) -> Option<f64> {
        match method {
            Method::Empirical => self.empirical,
            Method::Lognormal => self.lognormal,
            Method::Multiplier => self.multiplier_tdr,
        }
    }
}

/// TDRs of every grade for a tranche of `wal` years (the horizon of the target default
/// probabilities).
pub fn tdr_table(dist: &CdrDistribution, grades: &[Grade], wal: f64) -> Vec<TdrRow> {
    let fit = dist.lognormal_fit();
    grades
        .iter()
        .map(|g| {
            let mut not_applicable = Vec::new();
            let pg = g.default_probability(wal);
            if let Some(p) = pg {
                match &fit {
                    None => {
                        not_applicable.push((Method::Lognormal, "no default on any path".into()))
                    }
                    Some(f) => {
                        if let Some(reason) = &f.refused {
                            not_applicable
                                .push((Method::Lognormal, format!("fit refused: {reason}")));
                        } else if dist.tdr(g, Method::Lognormal, wal).is_none() {
                            not_applicable.push((
                                Method::Lognormal,
                                format!("the fit's {} quantile is above 100 %", 1.0 - p),
                            ));
                        }
                    }
                }
            }
            if let Some(k) = g.multiplier
                && k * dist.mean > 1.0
            {
                not_applicable.push((
                    Method::Multiplier,
                    format!("{k} × mean CDR {:.2} % is above 100 %", dist.mean * 100.0),
                ));
            }
            TdrRow {
                grade: g.grade.clone(),
                default_probability: pg,
                multiplier: g.multiplier,
                large_obligors: g.large_obligors,
                empirical: dist.tdr(g, Method::Empirical, wal),
                empirical_interval: pg.map(|p| dist.quantile_interval(1.0 - p)),
                lognormal: dist.tdr(g, Method::Lognormal, wal),
                multiplier_tdr: dist.tdr(g, Method::Multiplier, wal),
                not_applicable,
            }
        })
        .collect()
}

/// A grade awarded by one method: the highest grade with TDR ≤ BDR (and the large-obligor
/// check passed), with the margin BDR − TDR.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Awarded {
    pub method: Method,
    pub grade: Option<String>,
    pub tdr: Option<f64>,
    pub margin: Option<f64>,
    /// Whether the method gives a TDR for any grade of this pool (a refused lognormal fit
    /// does not: its grades are "n/a", not "below scale").
    pub applies: bool,
    /// The test that decided: the TDR of the next grade up, or its large-obligor test.
    pub binding: String,
    /// Monte Carlo noise could change the grade (empirical method only).
    pub borderline: Option<Borderline>,
    /// The grade the tests gave before the cap at the promisor's grade, if it was capped.
    pub capped_from: Option<String>,
}

impl Awarded {
    /// The grade as a table cell: `AAA`, `AA+ (capped from AAA)`, `AA (borderline AA+: 400000
    /// paths)`, `below scale`, or `n/a` when the method does not apply to the pool.
    pub fn cell(&self) -> String {
        if !self.applies {
            return "n/a".into();
        }
        grade_cell(&self.grade, &self.capped_from, &self.borderline)
    }
}

/// A grade whose TDR interval reaches across the BDR.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Borderline {
    /// The grade at stake (gained or lost with more paths).
    pub grade: String,
    /// Paths at which the interval would no longer reach the BDR (its half-width shrinks as
    /// 1/√paths), at least twice the paths run.
    pub paths_needed: u64,
}

/// The highest grade of `tdrs` (highest first) met by `bdr` under `method`; `survives(k)`
/// says whether the tranche survives the default of the k largest obligors. `paths` is the
/// Monte Carlo sample size behind the empirical TDRs (for the borderline test).
pub fn implied_grade(
    tdrs: &[TdrRow],
    method: Method,
    bdr: f64,
    survives: impl Fn(usize) -> bool,
    paths: usize,
) -> Awarded {
    let mut binding = String::from("the top grade of the scale");
    let mut above: Option<&TdrRow> = None;
    let applies = tdrs.iter().any(|row| row.get(method).is_some());
    if !applies {
        binding = "the method does not apply to this pool (see n/a)".into();
    }
    for row in tdrs {
        let Some(tdr) = row.get(method) else {
            continue;
        };
        if tdr > bdr {
            binding = format!(
                "{} TDR {:.2} % > BDR {:.2} %",
                row.grade,
                tdr * 100.0,
                bdr * 100.0
            );
            above = Some(row);
            continue;
        }
        if !survives(row.large_obligors) {
            binding = format!(
                "{}: the default of the {} largest obligors",
                row.grade, row.large_obligors
            );
            above = Some(row);
            continue;
        }
        let borderline = (method == Method::Empirical)
            .then(|| borderline(row, above, bdr, paths))
            .flatten();
        return Awarded {
            method,
            grade: Some(row.grade.clone()),
            tdr: Some(tdr),
            margin: Some(bdr - tdr),
            applies,
            binding,
            borderline,
            capped_from: None,
        };
    }
    Awarded {
        method,
        grade: None,
        tdr: None,
        margin: None,
        applies,
        binding,
        borderline: None,
        capped_from: None,
    }
}

/// Paths at which an interval of half-width `half_width` at `paths` paths (shrinking as
/// 1/√paths) no longer reaches across `margin`: at least twice the paths run, at most 10¹².
fn paths_to_settle(paths: f64, half_width: f64, margin: f64) -> u64 {
    let factor = (half_width / margin.abs().max(1e-12)).powi(2).max(2.0);
    (paths * factor).min(1e12).ceil() as u64
}

/// Whether the awarded row's TDR interval, or the next grade up's, reaches across the BDR.
fn borderline(
    awarded: &TdrRow,
    above: Option<&TdrRow>,
    bdr: f64,
    paths: usize,
) -> Option<Borderline> {
    let needed =
        |tdr: f64, (lo, hi): (f64, f64)| paths_to_settle(paths as f64, (hi - lo) / 2.0, bdr - tdr);
    let (tdr, iv) = (awarded.empirical?, awarded.empirical_interval?);
    if iv.1 > bdr {
        return Some(Borderline {
            grade: awarded.grade.clone(),
            paths_needed: needed(tdr, iv),
        });
    }
    let up = above?;
    // A grade lost to its large-obligor test is not a matter of noise.
    let (t, i) = (up.empirical?, up.empirical_interval?);
    (t > bdr && i.0 <= bdr).then(|| Borderline {
        grade: up.grade.clone(),
        paths_needed: needed(t, i),
    })
}

/// Everything `ipabs rate` reports for one tranche.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrancheRating {
    pub tranche: String,
    /// The horizon of the target default probabilities: the tranche's Monte Carlo mean WAL,
    /// years (0 when it repays nothing on any path: the tables' first year then applies).
    pub target_horizon_years: f64,
    /// TDRs of every grade at that horizon, by every method.
    pub tdr: Vec<TdrRow>,
    pub min_bdr: f64,
    pub min_bdr_without_support: f64,
    /// With the shortfall support, one per method.
    pub implied: Vec<Awarded>,
    /// Without the support (standalone: BDRs and large-obligor test with it off), one per
    /// method.
    pub standalone: Vec<Awarded>,
    /// The promisor's grade the supported grades are capped at, if a support covers the class.
    pub promisor_cap: Option<PromisorCap>,
    /// The supported grade with the promisor priced as an obligor (joint default).
    pub supported_joint: JointGrade,
    pub expected_loss: f64,
    pub expected_loss_std_error: f64,
    /// Present-value loss at the promised yield (what the idealized loss table is read with).
    pub expected_pv_loss: f64,
    pub wal_years: Option<f64>,
    pub expected_loss_grade: Option<String>,
    pub expected_pv_loss_std_error: f64,
    /// The present-value loss's 95 % interval reaches across a rating of the loss table.
    pub expected_loss_grade_borderline: Option<Borderline>,
    /// (k, survives the default of the k largest obligors with zero recovery), with support.
    pub large_obligor_check: Vec<(usize, bool)>,
    /// The same with the support off.
    pub large_obligor_check_standalone: Vec<(usize, bool)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_tables_parse() {
        let g = parse_grades(DEFAULT_GRADES, "grades").unwrap();
        assert_eq!(g[0].grade, "AAA");
        // By tenor: the one-year figure, flat below a year, compounded over longer horizons,
        // linear between the tabulated years.
        let p = |k: usize, wal: f64| g[k].default_probability(wal).unwrap();
        assert!((p(0, 1.0) - 0.0002).abs() < 1e-12);
        assert_eq!(p(0, 0.25), p(0, 1.0));
        assert!(
            (p(0, 3.0) - (1.0 - 0.9998_f64.powi(3))).abs() < 1e-6,
            "to the table's 4 decimals of a percent"
        );
        assert!((p(3, 2.5) - (p(3, 2.0) + p(3, 3.0)) / 2.0).abs() < 1e-12);
        assert_eq!(p(0, 12.0), p(0, 10.0));
        assert!(p(0, 4.0) < p(1, 4.0) && p(1, 4.0) < p(2, 4.0) && p(2, 4.0) < p(3, 4.0));
        assert_eq!(g[4].default_probability(2.0), None);
        assert_eq!(g[0].large_obligors, 3);
        let t = LossTable::parse(DEFAULT_LOSS_TABLE, "loss").unwrap();
        assert_eq!(t.loss[0].years.len(), 10);
        assert!((t.at(0, 1.0) - 0.00000028).abs() < 1e-15);
        assert_eq!(t.grade(0.0, 3.0), Some("Aaa"));
        assert_eq!(t.grade(0.001, 2.0), Some("Baa1"));
        assert_eq!(t.grade(0.5, 2.0), None);
    }

    /// A grade whose target default probability is `p` at every horizon.
    fn flat(p: f64) -> Option<Tenor> {
        Some(Tenor {
            years: vec![1.0],
            values: vec![p],
        })
    }

    #[test]
    fn an_expected_loss_near_a_rating_boundary_is_borderline() {
        let t = LossTable::parse(DEFAULT_LOSS_TABLE, "loss").unwrap();
        // At 2 years Aa1's idealized loss is 0.00165 %, Aa2's 0.0044 %.
        let (aa1, aa2) = (t.at(1, 2.0), t.at(2, 2.0));
        // Inside Aa2, near Aa1's boundary: Aa1 is at stake, to be gained.
        let el = aa1 * 1.05;
        assert_eq!(t.grade(el, 2.0), Some("Aa2"));
        let b = t.borderline(el, aa1 * 0.05, 2.0, 10_000).unwrap();
        assert_eq!(b.grade, "Aa1");
        // Half-width 1.96 × 0.05·L against a margin of 0.05·L: 3.84 × the paths.
        assert!(
            (38_000..=39_000).contains(&b.paths_needed),
            "{}",
            b.paths_needed
        );
        // Just inside Aa2's own boundary: Aa2 may be lost.
        let b = t.borderline(aa2 * 0.99, aa2 * 0.01, 2.0, 10_000).unwrap();
        assert_eq!(b.grade, "Aa2");
        // Mid-band with a tight interval, or no noise at all: settled.
        assert!(
            t.borderline((aa1 + aa2) / 2.0, aa1 * 0.01, 2.0, 10_000)
                .is_none()
        );
        assert!(t.borderline(0.0, 0.0, 2.0, 10_000).is_none());
    }

    fn grade(p: f64) -> Grade {
        Grade {
            grade: "X".into(),
            target_default: flat(p),
            multiplier: Some(2.0),
            large_obligors: 0,
        }
    }

    #[test]
    fn lognormal_fit_is_refused_where_the_pool_has_mass_at_zero() {
        // A concentrated pool: 43 % of paths without a default, the rest on a coarse lattice
        // of obligor shares.
        let mut values = vec![0.0; 430];
        values.extend((0..570).map(|k| 0.05 * (1 + k % 8) as f64));
        let d = CdrDistribution::new(values);
        let fit = d.lognormal_fit().unwrap();
        assert!((fit.zero_mass - 0.43).abs() < 1e-12);
        assert!(fit.refused.as_deref().unwrap().contains("no mass at zero"));
        assert_eq!(d.tdr(&grade(0.0002), Method::Lognormal, 1.0), None);
        let row = &tdr_table(&d, &[grade(0.0002)], 1.0)[0];
        assert!(row.not_applicable[0].1.starts_with("fit refused"));
        // A sample that is lognormal (exact quantiles of μ = −3, σ = 0.5) is accepted.
        let n = 4000;
        let lognormal = (0..n)
            .map(|k| (-3.0 + 0.5 * inverse_normal((k as f64 + 0.5) / n as f64)).exp())
            .collect();
        let fit = CdrDistribution::new(lognormal).lognormal_fit().unwrap();
        assert!(fit.refused.is_none(), "{:?}", fit.refused);
        assert!(fit.ks_distance < 0.01, "{}", fit.ks_distance);
        assert!((fit.mu + 3.0).abs() < 0.01 && (fit.sigma - 0.5).abs() < 0.01);
    }

    #[test]
    fn every_tdr_is_a_default_rate() {
        // Mean 0.6: the multiplier (2×) would say 120 %; the lognormal's far tail is above 1.
        let d = CdrDistribution::new((0..1000).map(|k| 0.2 + 0.8 * k as f64 / 1000.0).collect());
        for p in [0.0002, 0.01, 0.2] {
            for m in METHODS {
                if let Some(t) = d.tdr(&grade(p), m, 1.0) {
                    assert!((0.0..=1.0).contains(&t), "{m:?} {p}: {t}");
                }
            }
        }
        assert_eq!(d.tdr(&grade(0.01), Method::Multiplier, 1.0), None);
        let row = &tdr_table(&d, &[grade(0.01)], 1.0)[0];
        assert!(
            row.not_applicable
                .iter()
                .any(|(m, _)| *m == Method::Multiplier)
        );
    }

    #[test]
    fn order_statistic_and_its_interval() {
        // 10,000 equally spaced rates k/10,000: the 0.99 quantile is the 9,900th value, 0.9899,
        // on the lattice; the 95 % interval spans ranks 9,900 ∓ 1.96·√(10,000·0.99·0.01) ≈ ∓ 19.5.
        let d = CdrDistribution::new((0..10_000).map(|k| k as f64 / 10_000.0).collect());
        assert_eq!(d.order_quantile(0.99), 0.9899);
        let (lo, hi) = d.quantile_interval(0.99);
        assert_eq!((lo, hi), (0.9879, 0.9919));
    }

    #[test]
    fn weighted_distribution_of_equal_weights_is_the_plain_one() {
        let values: Vec<f64> = (0..10_000)
            .map(|k| ((k * 7919) % 10_000) as f64 / 10_000.0)
            .collect();
        let flags: Vec<bool> = (0..10_000).map(|k| k % 3 == 0).collect();
        let plain = CdrDistribution::with_promisor(values.clone(), &flags);
        let weighted = CdrDistribution::weighted(&values, &flags, &vec![1.0; 10_000]);
        for q in [0.5, 0.9, 0.99, 0.999] {
            assert_eq!(weighted.order_quantile(q), plain.order_quantile(q), "{q}");
        }
        let (a, b) = (
            plain.quantile_interval(0.99),
            weighted.quantile_interval(0.99),
        );
        assert!(
            (a.0 - b.0).abs() <= 2e-4 && (a.1 - b.1).abs() <= 2e-4,
            "{a:?} {b:?}"
        );
        let (p, se) = plain.joint_failure(0.9, 0.5);
        let (pw, sew) = weighted.joint_failure(0.9, 0.5);
        assert!((p - pw).abs() < 1e-12 && (se - sew).abs() < 1e-12);
        assert!((plain.mean - weighted.mean).abs() < 1e-12);
        assert_eq!(plain.zero_mass(), weighted.zero_mass());
        // A weight moves the quantile: the top 1 % of rates carrying half the weight, the
        // weight through the rest reaches exactly 50 %, and any level above it is among them.
        let w: Vec<f64> = values
            .iter()
            .map(|v| if *v >= 0.99 { 99.0 } else { 1.0 })
            .collect();
        let tilted = CdrDistribution::weighted(&values, &flags, &w);
        assert_eq!(tilted.order_quantile(0.5), 0.9899);
        assert!(tilted.order_quantile(0.51) >= 0.99);
    }

    #[test]
    fn a_grade_whose_interval_reaches_the_bdr_is_borderline() {
        let d = CdrDistribution::new((0..10_000).map(|k| k as f64 / 10_000.0).collect());
        let tdrs = tdr_table(&d, &[grade(0.01), grade(0.1)], 1.0);
        // BDR 0.9905: meets the top grade (TDR 0.9899) but its interval reaches 0.9919.
        let a = implied_grade(&tdrs, Method::Empirical, 0.9905, |_| true, 10_000);
        assert_eq!(a.grade.as_deref(), Some("X"));
        let b = a.borderline.expect("borderline");
        // Half-width 0.0020 against a margin of 0.0006: (0.002 / 0.0006)² ≈ 11 × the paths.
        assert!(
            (100_000..=120_000).contains(&b.paths_needed),
            "{}",
            b.paths_needed
        );
        // Far above the interval: settled.
        let a = implied_grade(&tdrs, Method::Empirical, 0.999, |_| true, 10_000);
        assert!(a.borderline.is_none());
        assert_eq!(a.binding, "the top grade of the scale");
    }

    #[test]
    fn joint_failure_counts_the_pool_alone_and_the_promisor_with_the_pool() {
        // CDRs 0.00, 0.01, …, 0.99; the promisor defaults on every third path.
        let values: Vec<f64> = (0..100).map(|k| k as f64 / 100.0).collect();
        let flags: Vec<bool> = (0..100).map(|k| k % 3 == 0).collect();
        let d = CdrDistribution::with_promisor(values, &flags);
        // Supported BDR 0.9: 9 paths above it. Standalone BDR 0.5: promisor paths in (0.5, 0.9]
        // are 51, 54, …, 90 → 14. P(fail) = 23 / 100.
        let (p, se) = d.joint_failure(0.9, 0.5);
        assert!((p - 0.23).abs() < 1e-12, "{p}");
        assert!((se - (0.23_f64 * 0.77 / 100.0).sqrt()).abs() < 1e-12);
        // Without a promisor default the test is the pool's alone.
        let alone = CdrDistribution::new((0..100).map(|k| k as f64 / 100.0).collect());
        assert!((alone.joint_failure(0.9, 0.5).0 - 0.09).abs() < 1e-12);
    }

    #[test]
    fn tdr_methods() {
        let d = CdrDistribution::new((0..10_000).map(|i| i as f64 / 10_000.0).collect());
        let g = Grade {
            grade: "X".into(),
            target_default: flat(0.01),
            multiplier: Some(2.0),
            large_obligors: 0,
        };
        assert!((d.tdr(&g, Method::Empirical, 1.0).unwrap() - 0.99).abs() < 1e-3);
        assert!((d.tdr(&g, Method::Multiplier, 1.0).unwrap() - 2.0 * d.mean).abs() < 1e-12);
        let tdrs = tdr_table(&d, &[g], 1.0);
        let a = implied_grade(&tdrs, Method::Multiplier, 1.5, |_| true, 10_000);
        assert_eq!(a.grade.as_deref(), Some("X"));
        assert!(
            implied_grade(&tdrs, Method::Multiplier, 0.5, |_| true, 10_000)
                .grade
                .is_none()
        );
        assert!(
            implied_grade(&tdrs, Method::Multiplier, 1.5, |_| false, 10_000)
                .grade
                .is_none()
        );
    }
}

/// Everything `ipabs rate` reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RatingResult {
    pub paths: u64,
    pub seed: u64,
    pub pool_cdr_mean: f64,
    pub pool_cdr_std: f64,
    /// The moment-fitted lognormal, its diagnostics and whether it was used.
    pub lognormal_fit: Option<LognormalFit>,
    /// Confidence level of the TDR intervals.
    pub interval_level: f64,
    pub weak_link_rule: std::borrow::Cow<'static, str>,
    pub tenor_rule: std::borrow::Cow<'static, str>,
    pub tranches: Vec<TrancheRating>,
    pub grades: Vec<Grade>,
    pub loss_table: LossTable,
    /// The importance sampling behind the distributions, when the run used it (every TDR,
    /// interval and probability is then weighted by the paths' likelihood ratios).
    #[serde(default)]
    pub importance_sampling: Option<crate::montecarlo::ImportanceReport>,
}

/// Collects, from Monte Carlo path rows, what the rating needs of each path: the pool CDR and
/// whether a promisor defaulted. `ipabs rate` and `ipabs run` both fill one.
#[derive(Debug, Clone)]
pub struct CdrRows {
    width: usize,
    cdr: Vec<f64>,
    promisor: Vec<bool>,
    /// Each path's likelihood ratio; `None` while every one has been 1 (plain Monte Carlo
    /// keeps no copy of them).
    weight: Option<Vec<f64>>,
}

impl CdrRows {
    pub fn new(deal: &crate::deal::Deal, paths: u64) -> Self {
        let capacity = usize::try_from(paths).unwrap_or(0);
        CdrRows {
            width: crate::montecarlo::path::row_width(deal.structure.tranches.len()),
            cdr: Vec::with_capacity(capacity),
            promisor: Vec::with_capacity(capacity),
            weight: None,
        }
    }

    /// Adds a chunk of rows (columns as [`crate::montecarlo::path::column_names`]).
    pub fn extend(&mut self, rows: &[f64]) {
        for r in rows.chunks_exact(self.width) {
            self.cdr.push(r[0]);
            self.promisor.push(r[4] > 0.5);
            let w = r[crate::montecarlo::path::WEIGHT_COLUMN];
            match &mut self.weight {
                Some(weights) => weights.push(w),
                None if w != 1.0 => {
                    let mut weights = vec![1.0; self.cdr.len() - 1];
                    weights.push(w);
                    self.weight = Some(weights);
                }
                None => {}
            }
        }
    }

    /// The distribution; weighted when any path weighs other than 1 (importance sampling).
    pub fn finish(self) -> CdrDistribution {
        match &self.weight {
            None => CdrDistribution::with_promisor(self.cdr, &self.promisor),
            Some(weights) => CdrDistribution::weighted(&self.cdr, &self.promisor, weights),
        }
    }
}

/// Simulates the pool CDR distribution (column `pool_cdr`, with each path's promisor default)
/// and the tranche statistics.
pub fn simulate_cdr(
    deal: &crate::deal::Deal,
    options: crate::montecarlo::McOptions,
    progress: impl FnMut(u64),
) -> Result<(CdrDistribution, crate::montecarlo::McResults), crate::montecarlo::McError> {
    let mut rows = CdrRows::new(deal, options.paths);
    let results =
        crate::montecarlo::simulate(deal, options, |_, chunk| rows.extend(chunk), progress)?;
    Ok((rows.finish(), results))
}

/// Large-obligor survival per tranche for every k in the grade table: `[k] -> per tranche`,
/// with the support as in the scenario or switched off (`support = false`).
pub fn large_obligor_checks(
    deal: &crate::deal::Deal,
    grades: &[Grade],
    support: bool,
) -> std::collections::BTreeMap<usize, Vec<bool>> {
    large_obligor_checks_prepared(deal, &Prepared::for_deal(deal), grades, support)
}

/// [`large_obligor_checks`] on `Prepared::for_deal(deal)` already computed (every check reads
/// the same projected pool).
pub fn large_obligor_checks_prepared(
    deal: &crate::deal::Deal,
    prep: &Prepared<f64>,
    grades: &[Grade],
    support: bool,
) -> std::collections::BTreeMap<usize, Vec<bool>> {
    let order = super::breakeven::largest_obligors(deal);
    let mut out = std::collections::BTreeMap::new();
    for g in grades {
        let k = g.large_obligors.min(order.len());
        out.entry(g.large_obligors).or_insert_with(|| {
            if k == 0 {
                vec![true; deal.structure.tranches.len()]
            } else {
                super::breakeven::survives_obligor_defaults_prepared(
                    deal,
                    prep,
                    &order[..k],
                    support,
                )
            }
        });
    }
    out
}

/// The grade of the weakest promisor supporting a tranche, as agencies credit a guarantee
/// ("weak link"): the supported grade is never above it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PromisorCap {
    pub support: String,
    pub annual_pd: f64,
    /// Horizon of the comparison: the tranche's mean weighted average life, years.
    pub horizon_years: f64,
    /// 1 − (1 − annual PD)^horizon.
    pub cumulative_pd: f64,
    /// The highest grade whose target default probability p_g is at least `cumulative_pd`
    /// (the first grade without p_g if none is).
    pub grade: String,
}

/// The supported grade with the promisor priced as an obligor (joint default), from the
/// simulated paths: the tranche fails when the pool's CDR exceeds its BDR with support, or
/// when its promisor defaults (with its PD and factor loading) and the CDR exceeds its
/// standalone BDR. The grade is the highest whose p_g is at least that probability (and whose
/// large-obligor test passes), capped at the promisor's grade.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JointGrade {
    pub failure_probability: f64,
    pub std_error: f64,
    pub grade: Option<String>,
    pub capped_from: Option<String>,
    pub binding: String,
    /// P(fail) is within 1.96 standard errors of a grade's p_g: the grade gained or lost with
    /// more paths.
    pub borderline: Option<Borderline>,
}

/// A grade as a report cell: `AA (capped from AAA) (borderline AAA: 41000 paths)`, or
/// `below scale`.
fn grade_cell(
    grade: &Option<String>,
    capped_from: &Option<String>,
    borderline: &Option<Borderline>,
) -> String {
    let mut cell = grade.clone().unwrap_or_else(|| "below scale".into());
    if let Some(from) = capped_from {
        cell += &format!(" (capped from {from})");
    }
    if let Some(b) = borderline {
        cell += &format!(" (borderline {}: {} paths)", b.grade, b.paths_needed);
    }
    cell
}

impl JointGrade {
    /// The grade as a report cell: `AA (capped from AAA) (borderline AAA: 41000 paths)`.
    pub fn cell(&self) -> String {
        grade_cell(&self.grade, &self.capped_from, &self.borderline)
    }
}

fn joint_grade(
    grades: &[TdrRow],
    dist: &CdrDistribution,
    bdr_supported: f64,
    bdr_standalone: f64,
    survives: impl Fn(usize) -> bool,
    cap: Option<usize>,
) -> JointGrade {
    let (p, se) = dist.joint_failure(bdr_supported, bdr_standalone);
    let paths = dist.paths() as f64;
    let mut binding = String::from("the top grade of the scale");
    let mut found = None;
    let mut borderline = None;
    for (k, g) in grades.iter().enumerate() {
        let Some(pg) = g.default_probability else {
            continue;
        };
        // Within the interval of the boundary: name the grade at stake and the paths needed.
        if (p - pg).abs() <= INTERVAL_Z * se && borderline.is_none() && survives(g.large_obligors) {
            borderline = Some(Borderline {
                grade: g.grade.clone(),
                paths_needed: paths_to_settle(paths, INTERVAL_Z * se, p - pg),
            });
        }
        if p > pg {
            binding = format!(
                "{}: P(fail) {:.4} % > p_g {:.4} %",
                g.grade,
                p * 100.0,
                pg * 100.0
            );
            continue;
        }
        if !survives(g.large_obligors) {
            binding = format!(
                "{}: the default of the {} largest obligors",
                g.grade, g.large_obligors
            );
            continue;
        }
        found = Some(k);
        break;
    }
    let mut out = JointGrade {
        failure_probability: p,
        std_error: se,
        grade: found.map(|k| grades[k].grade.clone()),
        capped_from: None,
        binding,
        borderline,
    };
    if let (Some(k), Some(c)) = (found, cap)
        && k < c
    {
        out.capped_from = out.grade.take();
        out.grade = Some(grades[c].grade.clone());
        out.binding = format!("capped at the promisor's grade {}", grades[c].grade);
        out.borderline = None;
    }
    out
}

/// Half a unit of the last digit the shipped tables print (0.0001 % = 1e-6): a promisor whose
/// default probability is a grade's own target, compounded as the table compounds it, meets
/// the grade even where the table's rounding puts it a hair above.
const TABLE_ROUNDING: f64 = 5e-7;

/// The rule behind [`PromisorCap`], as printed with the grades.
pub const WEAK_LINK_RULE: &str = "supported grades are capped at the promisor's grade: the highest grade whose target default probability p_g(WAL) is at least the promisor's default probability over the tranche's WAL, 1 − (1 − annual PD)^WAL";

/// How the target default probabilities are read, as printed with the TDRs.
pub const TENOR_RULE: &str = "p_g(WAL) = the grade's target default probability over the tranche's Monte Carlo mean WAL (the grade table by year: linear between years, flat outside them, so a WAL under a year uses the one-year figure); TDR = the pool CDR exceeded with probability p_g(WAL)";

/// The weakest promisor covering `tranche` and the grade index it caps the tranche at, for a
/// tranche of `wal` years; `None` when no support step covers it.
pub fn promisor_cap(
    deal: &crate::deal::Deal,
    grades: &[TdrRow],
    tranche: usize,
    wal: f64,
) -> Option<(usize, PromisorCap)> {
    use crate::waterfall::spec::Step;
    let s = &deal.structure;
    let covering = s.supports.iter().enumerate().filter(|(k, _)| {
        s.waterfalls.iter().flat_map(|w| &w.steps).any(|step| {
            matches!(step, Step::Support { support, covers } if support == k && covers.contains(&tranche))
        })
    });
    let (_, weakest) = covering.max_by(|a, b| a.1.annual_pd.total_cmp(&b.1.annual_pd))?;
    let horizon = wal.max(0.0);
    let cumulative = 1.0 - (1.0 - weakest.annual_pd).powf(horizon);
    let index = grades
        .iter()
        .position(|g| {
            g.default_probability
                .is_none_or(|p| p + TABLE_ROUNDING >= cumulative)
        })
        .unwrap_or(grades.len() - 1);
    Some((
        index,
        PromisorCap {
            support: weakest.name.clone(),
            annual_pd: weakest.annual_pd,
            horizon_years: horizon,
            cumulative_pd: cumulative,
            grade: grades[index].grade.clone(),
        },
    ))
}

/// Caps an awarded grade at grade index `cap` of `tdrs`.
fn cap_grade(mut a: Awarded, tdrs: &[TdrRow], cap: usize, bdr: f64) -> Awarded {
    let Some(awarded) = a.grade.clone() else {
        return a;
    };
    let index = tdrs.iter().position(|r| r.grade == awarded).unwrap_or(cap);
    if index >= cap {
        return a;
    }
    a.capped_from = Some(awarded);
    a.grade = Some(tdrs[cap].grade.clone());
    a.tdr = tdrs[cap].get(a.method);
    a.margin = a.tdr.map(|t| bdr - t);
    a.borderline = None;
    a.binding = format!("capped at the promisor's grade {}", tdrs[cap].grade);
    a
}

/// Rates every tranche: TDRs from the simulated CDR against the BDRs `be` of the stress set
/// (from [`super::breakeven::breakeven`] over all tranches). Standalone grades run every test
/// with the support off (BDRs and the large-obligor test); supported grades are capped at the
/// promisor's grade ([`WEAK_LINK_RULE`]).
pub fn rate(
    deal: &crate::deal::Deal,
    be: &super::breakeven::BreakevenResult,
    grades: Vec<Grade>,
    loss_table: LossTable,
    dist: &CdrDistribution,
    mc: &crate::montecarlo::McResults,
) -> RatingResult {
    rate_prepared(
        deal,
        &Prepared::for_deal(deal),
        be,
        grades,
        loss_table,
        dist,
        mc,
    )
}

/// [`rate`] on `Prepared::for_deal(deal)` already computed (`ipabs run` prepares the pool once
/// for the base case, the break-even runs and the rating).
pub fn rate_prepared(
    deal: &crate::deal::Deal,
    prep: &Prepared<f64>,
    be: &super::breakeven::BreakevenResult,
    grades: Vec<Grade>,
    loss_table: LossTable,
    dist: &CdrDistribution,
    mc: &crate::montecarlo::McResults,
) -> RatingResult {
    let checks = large_obligor_checks_prepared(deal, prep, &grades, true);
    let standalone_checks = large_obligor_checks_prepared(deal, prep, &grades, false);
    let paths = dist.paths();
    let tranches = be
        .minimum
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let survives = |k: usize| checks.get(&k).is_none_or(|v| v[i]);
            let survives_alone = |k: usize| standalone_checks.get(&k).is_none_or(|v| v[i]);
            let stats = &mc.tranches[i];
            let wal = stats.wal_years.as_ref().map(|d| d.mean);
            let horizon = wal.unwrap_or(0.0);
            let tdr = tdr_table(dist, &grades, horizon);
            let cap = promisor_cap(deal, &tdr, i, horizon);
            TrancheRating {
                tranche: m.tranche.clone(),
                target_horizon_years: horizon,
                min_bdr: m.min_with_support,
                min_bdr_without_support: m.min_without_support,
                implied: METHODS
                    .iter()
                    .map(|&me| {
                        let a = implied_grade(&tdr, me, m.min_with_support, survives, paths);
                        match &cap {
                            Some((index, _)) => cap_grade(a, &tdr, *index, m.min_with_support),
                            None => a,
                        }
                    })
                    .collect(),
                standalone: METHODS
                    .iter()
                    .map(|&me| {
                        implied_grade(&tdr, me, m.min_without_support, survives_alone, paths)
                    })
                    .collect(),
                supported_joint: joint_grade(
                    &tdr,
                    dist,
                    m.min_with_support,
                    m.min_without_support,
                    survives,
                    cap.as_ref().map(|(k, _)| *k),
                ),
                promisor_cap: cap.map(|(_, c)| c),
                expected_loss: stats.expected_loss,
                expected_loss_std_error: stats.expected_loss_std_error,
                wal_years: wal,
                expected_pv_loss: stats.expected_pv_loss,
                expected_loss_grade: loss_table
                    .grade(stats.expected_pv_loss, horizon)
                    .map(str::to_string),
                expected_pv_loss_std_error: stats.expected_pv_loss_std_error,
                expected_loss_grade_borderline: loss_table.borderline(
                    stats.expected_pv_loss,
                    stats.expected_pv_loss_std_error,
                    horizon,
                    mc.paths,
                ),
                large_obligor_check: checks.iter().map(|(k, v)| (*k, v[i])).collect(),
                large_obligor_check_standalone: standalone_checks
                    .iter()
                    .map(|(k, v)| (*k, v[i]))
                    .collect(),
                tdr,
            }
        })
        .collect();
    RatingResult {
        paths: mc.paths,
        seed: mc.seed,
        pool_cdr_mean: dist.mean,
        pool_cdr_std: dist.variance.sqrt(),
        lognormal_fit: dist.lognormal_fit(),
        interval_level: 0.95,
        weak_link_rule: WEAK_LINK_RULE.into(),
        tenor_rule: TENOR_RULE.into(),
        tranches,
        grades,
        loss_table,
        importance_sampling: mc.importance_sampling.clone(),
    }
}
