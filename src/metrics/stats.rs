//! Summary statistics over Monte Carlo paths.

use serde::{Deserialize, Serialize};

/// Percentiles every distribution reports.
pub const PERCENTILES: [f64; 5] = [5.0, 50.0, 95.0, 99.0, 99.9];

/// Online mean and variance (Welford), merged in path order for reproducible totals.
#[derive(Debug, Clone, Copy, Default)]
pub struct Welford {
    pub count: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }
    pub fn mean(&self) -> f64 {
        self.mean
    }
    /// Sample variance.
    pub fn variance(&self) -> f64 {
        if self.count > 1 {
            self.m2 / (self.count - 1) as f64
        } else {
            0.0
        }
    }
    pub fn std_dev(&self) -> f64 {
        self.variance().sqrt()
    }
    /// Standard error of the mean.
    pub fn std_error(&self) -> f64 {
        if self.count > 0 {
            (self.variance() / self.count as f64).sqrt()
        } else {
            0.0
        }
    }
}

/// The `p`-th percentile (0–100) of sorted values, by linear interpolation between order
/// statistics (the "R-7" / Excel PERCENTILE.INC rule).
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

/// The same percentile as [`percentile_sorted`] without sorting: selects the two order
/// statistics around the rank (reorders `values`).
pub fn percentile_select(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0).clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let (_, low, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let low = *low;
    let high = if rank > lo as f64 {
        above.iter().copied().fold(f64::INFINITY, f64::min)
    } else {
        low
    };
    low + (high - low) * (rank - lo as f64)
}

/// Mean, standard deviation and the standard percentiles of a sample.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Distribution {
    pub mean: f64,
    pub std: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub p99_9: f64,
}

impl Distribution {
    /// Summarises `values` (reordered in place). Mean and variance are accumulated in the
    /// given order; percentiles use selection (linear time), not a full sort, as a run keeps
    /// millions of values.
    pub fn of(values: &mut [f64]) -> Self {
        // Two passes in the given order (mean, then squared deviations): as exact as Welford
        // and without a division per value.
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n.max(1.0);
        let variance = if values.len() > 1 {
            values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        let mut p = |q| percentile_select(values, q);
        Distribution {
            p5: p(PERCENTILES[0]),
            p50: p(PERCENTILES[1]),
            p95: p(PERCENTILES[2]),
            p99: p(PERCENTILES[3]),
            p99_9: p(PERCENTILES[4]),
            mean,
            std: variance.sqrt(),
        }
    }
}

impl Distribution {
    /// The distribution of `values` under weights (likelihood ratios of importance sampling):
    /// the self-normalised weighted sample — mean Σwx/Σw, standard deviation
    /// √(Σw(x − mean)²/Σw) and the percentile `p` the smallest value whose cumulative weight
    /// reaches p % of Σw (no interpolation between paths). `values` and `weights` pair up;
    /// `values` are reordered.
    pub fn weighted(values: &mut [(f64, f64)]) -> Self {
        let total: f64 = values.iter().map(|(_, w)| w).sum();
        if values.is_empty() || total.is_nan() || total <= 0.0 {
            return Distribution {
                mean: f64::NAN,
                std: f64::NAN,
                p5: f64::NAN,
                p50: f64::NAN,
                p95: f64::NAN,
                p99: f64::NAN,
                p99_9: f64::NAN,
            };
        }
        let mean = values.iter().map(|(x, w)| w * x).sum::<f64>() / total;
        let variance = values
            .iter()
            .map(|(x, w)| w * (x - mean) * (x - mean))
            .sum::<f64>()
            / total;
        values.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut p = [0.0; PERCENTILES.len()];
        let mut k = 0;
        let mut seen = 0.0;
        for (x, w) in values.iter() {
            seen += w;
            // A relative slack of 1e-12 keeps a level that the cumulative weight reaches
            // exactly (equal weights) from being missed by rounding in the product.
            while k < p.len() && seen >= PERCENTILES[k] * total / 100.0 * (1.0 - 1e-12) {
                p[k] = *x;
                k += 1;
            }
        }
        for q in p.iter_mut().skip(k) {
            *q = values[values.len() - 1].0;
        }
        Distribution {
            mean,
            std: variance.max(0.0).sqrt(),
            p5: p[0],
            p50: p[1],
            p95: p[2],
            p99: p[3],
            p99_9: p[4],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_distribution_of_equal_weights_is_the_sample() {
        let mut v: Vec<(f64, f64)> = (1..=1000).map(|k| (f64::from(k), 2.0)).collect();
        let d = Distribution::weighted(&mut v);
        assert!((d.mean - 500.5).abs() < 1e-9);
        assert_eq!((d.p5, d.p50, d.p99, d.p99_9), (50.0, 500.0, 990.0, 999.0));
        // A weight moves mass: value 0 carrying 99.5 % of it is every percentile below 99.5.
        let mut w = vec![(0.0, 199.0), (1.0, 1.0)];
        let d = Distribution::weighted(&mut w);
        assert_eq!((d.p50, d.p99, d.p99_9), (0.0, 0.0, 1.0));
        assert!((d.mean - 0.005).abs() < 1e-15);
    }

    #[test]
    fn welford_matches_two_pass() {
        let xs = [1.0, 2.0, 4.0, 7.0];
        let mut w = Welford::default();
        xs.iter().for_each(|x| w.push(*x));
        // mean 3.5; squared deviations 6.25 + 2.25 + 0.25 + 12.25 = 21, /3 = 7.
        assert!((w.mean() - 3.5).abs() < 1e-12);
        assert!((w.variance() - 7.0).abs() < 1e-12);
    }

    #[test]
    fn selection_matches_sorting() {
        let mut xs: Vec<f64> = (0..1001)
            .map(|k| ((k * 7919) % 1001) as f64 / 3.0)
            .collect();
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        for p in [0.0, 5.0, 37.3, 50.0, 99.9, 100.0] {
            assert_eq!(percentile_select(&mut xs, p), percentile_sorted(&sorted, p));
        }
    }

    #[test]
    fn percentile_interpolates() {
        let xs = [0.0, 10.0, 20.0, 30.0, 40.0];
        assert_eq!(percentile_sorted(&xs, 50.0), 20.0);
        assert_eq!(percentile_sorted(&xs, 95.0), 38.0);
    }
}
