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
    /// Every figure NaN: the distribution of a sample without weight.
    pub fn undefined() -> Self {
        Distribution {
            mean: f64::NAN,
            std: f64::NAN,
            p5: f64::NAN,
            p50: f64::NAN,
            p95: f64::NAN,
            p99: f64::NAN,
            p99_9: f64::NAN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn percentile_interpolates() {
        let xs = [0.0, 10.0, 20.0, 30.0, 40.0];
        assert_eq!(percentile_sorted(&xs, 50.0), 20.0);
        assert_eq!(percentile_sorted(&xs, 95.0), 38.0);
    }
}
