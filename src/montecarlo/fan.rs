//! Distributions of balances per payment date across paths, kept as fixed histograms so memory
//! does not grow with the number of paths and merging chunks is exact (integer counts).

use serde::{Deserialize, Serialize};

/// Bins per period; a bin is 0.1 % of the original balance.
pub const BINS: usize = 1000;

/// Counts of a balance (as a share of its original) per period.
#[derive(Debug, Clone)]
pub struct FanHistogram {
    periods: usize,
    counts: Vec<u32>,
}

impl FanHistogram {
    pub fn new(periods: usize) -> Self {
        FanHistogram {
            periods,
            counts: vec![0; periods * (BINS + 1)],
        }
    }

    /// Adds one path's value (share of original, 0..=1) at `period`.
    #[inline]
    pub fn add(&mut self, period: usize, share: f64) {
        // Nearest bin; `+ 0.5` then truncation is `round` for non-negative values, and cheaper.
        let bin = ((share.clamp(0.0, 1.0) * BINS as f64 + 0.5) as usize).min(BINS);
        self.counts[period * (BINS + 1) + bin] += 1;
    }

    pub fn merge(&mut self, other: &FanHistogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// The `q`-quantile (0..=1) of period `period`, as a share of the original balance.
    pub fn quantile(&self, period: usize, q: f64) -> f64 {
        let row = &self.counts[period * (BINS + 1)..(period + 1) * (BINS + 1)];
        let total: u64 = row.iter().map(|c| u64::from(*c)).sum();
        if total == 0 {
            return 0.0;
        }
        let target = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (bin, c) in row.iter().enumerate() {
            seen += u64::from(*c);
            if seen >= target {
                return bin as f64 / BINS as f64;
            }
        }
        1.0
    }

    /// The fan: per period the 5, 25, 50, 75 and 95 % quantiles.
    pub fn bands(&self, original: f64) -> Vec<FanRow> {
        (0..self.periods)
            .map(|t| FanRow {
                period: t + 1,
                p5: self.quantile(t, 0.05) * original,
                p25: self.quantile(t, 0.25) * original,
                p50: self.quantile(t, 0.50) * original,
                p75: self.quantile(t, 0.75) * original,
                p95: self.quantile(t, 0.95) * original,
            })
            .collect()
    }
}

/// One period of a fan chart, yuan (accurate to 0.1 % of the original balance); a row of
/// `mc_*_fan.csv`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FanRow {
    pub period: usize,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_a_uniform_spread() {
        let mut h = FanHistogram::new(1);
        for k in 0..=100 {
            h.add(0, k as f64 / 100.0);
        }
        assert!((h.quantile(0, 0.5) - 0.5).abs() < 0.011);
        assert!((h.quantile(0, 0.05) - 0.05).abs() < 0.011);
    }
}
