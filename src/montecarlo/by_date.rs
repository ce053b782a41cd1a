//! Per-date moments over paths (mean and standard error of a quantity per tranche and payment
//! date), in memory that does not grow with the number of paths.
//!
//! Each cell keeps the sum and the sum of squares of its values' deviations from a reference
//! value fixed for the run: the default-free path's. A path without an event before some date
//! adds nothing to that date's cells (its deviation is 0), so the driver can skip it; the sums
//! of a chunk (a fixed range of path indices) are taken in path order, and chunks are added
//! exactly ([`ExactSum`]), so the result is the same bits for any thread count, batching or
//! sharding. Deviations from a typical path keep the sums small (no
//! cancellation of large totals), and when every path has the reference value the mean is that
//! value exactly and the variance exactly 0.
//!
//! Under importance sampling each path's deviation is multiplied by its likelihood ratio `w`
//! before it is summed: the mean `reference + Σ w·d / n` is unbiased for the model's mean (the
//! ratio has mean one), and its standard error is that of the weighted deviations. A plain
//! run has `w = 1` and the sums are the unweighted ones bit for bit.

use serde::{Deserialize, Serialize};

use crate::metrics::exact::{Accumulator, ExactSum, add_each, merge_each};

/// Sums of deviations and squared deviations of `cells` quantities over the same paths: `f64`
/// within a chunk (`S = f64`), exact across chunks and shards (`S = ExactSum`, see
/// [`DateMoments::add_chunk`]), so the totals do not depend on how the paths were grouped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DateMoments<S = f64> {
    count: u64,
    /// The current path's likelihood ratio.
    #[serde(skip, default = "one")]
    weight: f64,
    reference: Vec<f64>,
    sum: Vec<S>,
    sum_squares: Vec<S>,
}

fn one() -> f64 {
    1.0
}

impl<S: Accumulator> DateMoments<S> {
    /// Cells measured as deviations from `reference` (one value per cell).
    pub fn new(reference: Vec<f64>) -> Self {
        let cells = reference.len();
        DateMoments {
            count: 0,
            weight: 1.0,
            reference,
            sum: vec![S::default(); cells],
            sum_squares: vec![S::default(); cells],
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether `other` measures the same cells around the same references.
    pub fn same_cells(&self, other: &DateMoments<impl Accumulator>) -> bool {
        self.reference.len() == other.reference.len()
            && self
                .reference
                .iter()
                .zip(&other.reference)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }

    pub fn mean(&self, cell: usize) -> f64 {
        if self.count == 0 {
            return self.reference[cell];
        }
        self.reference[cell] + self.sum[cell].value() / self.count as f64
    }

    /// Standard error of the mean: √(sample variance / n); 0 for fewer than two paths.
    pub fn std_error(&self, cell: usize) -> f64 {
        if self.count > 1 {
            let n = self.count as f64;
            let sum = self.sum[cell].value();
            let m2 = self.sum_squares[cell].value() - sum * sum / n;
            (m2.max(0.0) / (n - 1.0) / n).sqrt()
        } else {
            0.0
        }
    }
}

impl DateMoments<f64> {
    /// A new path with likelihood ratio `weight` (1 for plain Monte Carlo) starts: a cell
    /// the path does not add to counts as the reference value.
    #[inline]
    pub fn start_path(&mut self, weight: f64) {
        self.count += 1;
        self.weight = weight;
    }

    /// The current path's value of `cell`.
    #[inline]
    pub fn add(&mut self, cell: usize, x: f64) {
        let d = (x - self.reference[cell]) * self.weight;
        if d != 0.0 {
            self.sum[cell] += d;
            self.sum_squares[cell] += d * d;
        }
    }
}

impl DateMoments<ExactSum> {
    /// Adds a chunk's sums (same references) exactly.
    pub fn add_chunk(&mut self, chunk: &DateMoments<f64>) {
        debug_assert!(self.same_cells(chunk));
        add_each(&mut self.sum, &chunk.sum);
        add_each(&mut self.sum_squares, &chunk.sum_squares);
        self.count += chunk.count;
    }

    /// Adds the totals of other paths (same references) exactly.
    pub fn merge(&mut self, other: &DateMoments<ExactSum>) {
        debug_assert!(self.same_cells(other));
        merge_each(&mut self.sum, &other.sum);
        merge_each(&mut self.sum_squares, &other.sum_squares);
        self.count += other.count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[f64]) -> DateMoments {
        of_around(values, 0.0)
    }

    fn of_around(values: &[f64], reference: f64) -> DateMoments {
        let mut m: DateMoments = DateMoments::new(vec![reference]);
        for v in values {
            m.start_path(1.0);
            m.add(0, *v);
        }
        m
    }

    #[test]
    fn mean_and_standard_error() {
        // mean 3.5, sample variance 7 (see stats::Welford), s.e. √(7/4).
        let m = of(&[1.0, 2.0, 4.0, 7.0]);
        assert!((m.mean(0) - 3.5).abs() < 1e-15);
        assert!((m.std_error(0) - (7.0f64 / 4.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn merging_chunks_equals_one_pass_and_constants_are_exact() {
        let xs: Vec<f64> = (0..1000)
            .map(|k| 2.5e8 + ((k * 7919) % 1001) as f64)
            .collect();
        let whole = of_around(&xs, 2.5e8);
        let mut merged = DateMoments::<ExactSum>::new(vec![2.5e8]);
        for chunk in xs.chunks(97) {
            merged.add_chunk(&of_around(chunk, 2.5e8));
        }
        // Grouped differently (chunks into two shards merged), the same bits.
        let (mut first, mut second) = (
            DateMoments::<ExactSum>::new(vec![2.5e8]),
            DateMoments::<ExactSum>::new(vec![2.5e8]),
        );
        for (k, chunk) in xs.chunks(97).enumerate() {
            if k < 4 { &mut first } else { &mut second }.add_chunk(&of_around(chunk, 2.5e8));
        }
        second.merge(&first);
        assert_eq!(second.mean(0).to_bits(), merged.mean(0).to_bits());
        assert_eq!(second.std_error(0).to_bits(), merged.std_error(0).to_bits());
        assert_eq!(merged.count(), 1000);
        assert!((merged.mean(0) - whole.mean(0)).abs() < 1e-6);
        assert!((merged.std_error(0) / whole.std_error(0) - 1.0).abs() < 1e-10);
        // The same value on every path: the mean is it, bit for bit, and the error 0.
        let x = 123_456_789.123;
        let mut constant = DateMoments::<ExactSum>::new(vec![x]);
        for chunk in [3, 4096, 1] {
            constant.add_chunk(&of_around(&vec![x; chunk], x));
        }
        assert_eq!(constant.mean(0), x);
        assert_eq!(constant.std_error(0), 0.0);
        // A path that adds nothing counts as the reference value.
        let mut skipped: DateMoments = DateMoments::new(vec![10.0]);
        for v in [10.0, 14.0, 10.0, 10.0] {
            skipped.start_path(1.0);
            if v != 10.0 {
                skipped.add(0, v);
            }
        }
        let full = of(&[10.0, 14.0, 10.0, 10.0]);
        assert!((skipped.mean(0) - full.mean(0)).abs() < 1e-12);
        assert!((skipped.std_error(0) - full.std_error(0)).abs() < 1e-12);
    }

    #[test]
    fn weighted_paths_give_the_likelihood_ratio_estimator() {
        // Values 1, 3 with weights 0.5, 1.5 around reference 1: mean 1 + (0 + 3)/2 = 2.5.
        let mut m: DateMoments = DateMoments::new(vec![1.0]);
        for (v, w) in [(1.0, 0.5), (3.0, 1.5)] {
            m.start_path(w);
            m.add(0, v);
        }
        assert!((m.mean(0) - 2.5).abs() < 1e-15);
        // Weighted deviations 0 and 3: sample variance 4.5, s.e. √(4.5/2) = 1.5.
        assert!((m.std_error(0) - 1.5).abs() < 1e-15);
    }
}
