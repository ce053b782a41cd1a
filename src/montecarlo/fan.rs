//! Distributions of balances per payment date across paths, kept as fixed histograms so memory
//! does not grow with the number of paths. A chunk counts in `f64`; chunks and shards are
//! added exactly ([`ExactSum`]), so the totals do not depend on how the paths were grouped.
//!
//! Under importance sampling a path counts with its likelihood ratio instead of 1 and the
//! quantiles are those of the weighted (self-normalised) distribution.

use serde::{Deserialize, Serialize};

use crate::metrics::exact::{Accumulator, ExactSum, add_each, merge_each};

/// Bins per period; a bin is 0.1 % of the original balance.
pub const BINS: usize = 1000;

/// Counts of a balance (as a share of its original) per period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FanHistogram<S = f64> {
    periods: usize,
    /// The current path's weight (likelihood ratio; 1 for plain Monte Carlo).
    #[serde(skip, default = "one")]
    weight: f64,
    counts: Vec<S>,
    /// The default-free path's bin per period.
    reference_bin: Vec<usize>,
    /// `prefix[k]`: paths that took the reference bin in every period before `k` without
    /// adding it (they matched the default-free path up to period `k`).
    prefix: Vec<S>,
}

fn one() -> f64 {
    1.0
}

/// The bin of a share of the original (nearest; `+ 0.5` then truncation is `round` for
/// non-negative values, and cheaper).
#[inline]
fn bin_of(share: f64) -> usize {
    ((share.clamp(0.0, 1.0) * BINS as f64 + 0.5) as usize).min(BINS)
}

impl<S: Accumulator> FanHistogram<S> {
    /// `reference[t]` is the default-free path's share at period `t`.
    pub fn new(reference: &[f64]) -> Self {
        let periods = reference.len();
        FanHistogram {
            periods,
            weight: 1.0,
            counts: vec![S::default(); periods * (BINS + 1)],
            reference_bin: reference.iter().map(|s| bin_of(*s)).collect(),
            prefix: vec![S::default(); periods + 1],
        }
    }

    /// Whether `other` has the same periods and reference bins.
    pub fn same_bins(&self, other: &FanHistogram<impl Accumulator>) -> bool {
        self.periods == other.periods && self.reference_bin == other.reference_bin
    }

    /// Counts with the reference prefixes added into their bins.
    fn resolved(&self) -> Vec<f64> {
        let mut counts = self.counts.clone();
        // Period t takes the reference bin from every path whose prefix ends after t.
        let mut after = S::default();
        for t in (0..self.periods).rev() {
            after.merge(&self.prefix[t + 1]);
            counts[t * (BINS + 1) + self.reference_bin[t]].merge(&after);
        }
        counts.iter().map(S::value).collect()
    }

    /// The `q`-quantile (0..=1) of period `period`, as a share of the original balance.
    pub fn quantile(&self, period: usize, q: f64) -> f64 {
        quantile_of(&self.resolved(), period, q)
    }

    /// The fan: per period the 5, 25, 50, 75 and 95 % quantiles.
    pub fn bands(&self, original: f64) -> Vec<FanRow> {
        let counts = self.resolved();
        (0..self.periods)
            .map(|t| FanRow {
                period: t + 1,
                p5: quantile_of(&counts, t, 0.05) * original,
                p25: quantile_of(&counts, t, 0.25) * original,
                p50: quantile_of(&counts, t, 0.50) * original,
                p75: quantile_of(&counts, t, 0.75) * original,
                p95: quantile_of(&counts, t, 0.95) * original,
            })
            .collect()
    }
}

impl FanHistogram<f64> {
    /// The following values are a new path's, counted with `weight`.
    #[inline]
    pub fn start_path(&mut self, weight: f64) {
        self.weight = weight;
    }

    /// The current path had the reference value in every period before `k` (and adds the
    /// periods from `k` itself).
    #[inline]
    pub fn add_reference_prefix(&mut self, k: usize) {
        self.prefix[k.min(self.periods)] += self.weight;
    }

    /// Adds one path's value (share of original, 0..=1) at `period`.
    #[inline]
    pub fn add(&mut self, period: usize, share: f64) {
        self.counts[period * (BINS + 1) + bin_of(share)] += self.weight;
    }
}

impl FanHistogram<ExactSum> {
    /// Adds a chunk's counts (same bins) exactly.
    pub fn add_chunk(&mut self, chunk: &FanHistogram<f64>) {
        debug_assert!(self.same_bins(chunk));
        add_each(&mut self.counts, &chunk.counts);
        add_each(&mut self.prefix, &chunk.prefix);
    }

    /// Adds the totals of other paths (same bins) exactly.
    pub fn merge(&mut self, other: &FanHistogram<ExactSum>) {
        debug_assert!(self.same_bins(other));
        merge_each(&mut self.counts, &other.counts);
        merge_each(&mut self.prefix, &other.prefix);
    }
}

/// The `q`-quantile (0..=1) of period `period` of resolved counts, as a share.
/// The first bin whose cumulative count reaches `q` of the total (for whole counts, the
/// ⌈q·n⌉-th path's bin).
fn quantile_of(counts: &[f64], period: usize, q: f64) -> f64 {
    let row = &counts[period * (BINS + 1)..(period + 1) * (BINS + 1)];
    let total: f64 = row.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let target = q * total;
    let mut seen = 0.0;
    for (bin, c) in row.iter().enumerate() {
        seen += c;
        if seen > 0.0 && seen >= target {
            return bin as f64 / BINS as f64;
        }
    }
    1.0
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
        let mut h: FanHistogram = FanHistogram::new(&[0.3]);
        for k in 0..=100 {
            h.add(0, k as f64 / 100.0);
        }
        assert!((h.quantile(0, 0.5) - 0.5).abs() < 0.011);
        assert!((h.quantile(0, 0.05) - 0.05).abs() < 0.011);
    }

    #[test]
    fn reference_prefixes_count_as_the_reference_bin() {
        // Three periods, reference shares 1.0, 0.5, 0.0.
        let mut skipped: FanHistogram = FanHistogram::new(&[1.0, 0.5, 0.0]);
        let mut full: FanHistogram = FanHistogram::new(&[1.0, 0.5, 0.0]);
        // Path 1 matches the reference throughout; path 2 up to period 1, then 0.2 and 0.1.
        skipped.add_reference_prefix(3);
        for (t, s) in [1.0, 0.5, 0.0].iter().enumerate() {
            full.add(t, *s);
        }
        skipped.add_reference_prefix(1);
        for (t, s) in [(1, 0.2), (2, 0.1)] {
            skipped.add(t, s);
        }
        for (t, s) in [(0, 1.0), (1, 0.2), (2, 0.1)] {
            full.add(t, s);
        }
        assert_eq!(skipped.resolved(), full.resolved());
        let mut merged = FanHistogram::<ExactSum>::new(&[1.0, 0.5, 0.0]);
        merged.add_chunk(&skipped);
        assert_eq!(merged.resolved(), full.resolved());
    }
}
