//! Per-date moments over paths (mean and standard error of a quantity per tranche and payment
//! date), in memory that does not grow with the number of paths.
//!
//! Each cell is a Welford accumulator. Every path adds exactly one value to every cell (after
//! the deal ends on a path, its last values stand), so all cells of a chunk share the path
//! count and one reciprocal per path. Chunks accumulate their paths in path order and are merged
//! in chunk order (Chan et al.'s pairwise update); chunks are a fixed [`super::CHUNK`] paths, so
//! the result is the same bits for any thread count. When every path has the same value the
//! mean is that value exactly and the variance exactly 0.

/// Mean and sum of squared deviations of `cells` quantities over the same paths.
#[derive(Debug, Clone)]
pub struct DateMoments {
    count: u64,
    /// 1 / count, set once per path.
    inverse: f64,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl DateMoments {
    pub fn new(cells: usize) -> Self {
        DateMoments {
            count: 0,
            inverse: 0.0,
            mean: vec![0.0; cells],
            m2: vec![0.0; cells],
        }
    }

    /// A new path starts: every cell receives one value before the next call.
    pub fn start_path(&mut self) {
        self.count += 1;
        self.inverse = 1.0 / self.count as f64;
    }

    /// The current path's value of `cell`.
    #[inline]
    pub fn add(&mut self, cell: usize, x: f64) {
        let delta = x - self.mean[cell];
        self.mean[cell] += delta * self.inverse;
        self.m2[cell] += delta * (x - self.mean[cell]);
    }

    /// Appends `other`'s paths after this one's.
    pub fn merge(&mut self, other: &DateMoments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            self.clone_from(other);
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        for ((mean, m2), (mean_b, m2_b)) in self
            .mean
            .iter_mut()
            .zip(self.m2.iter_mut())
            .zip(other.mean.iter().zip(&other.m2))
        {
            let delta = mean_b - *mean;
            *mean += delta * (nb / n);
            *m2 += m2_b + delta * delta * (na * nb / n);
        }
        self.count += other.count;
        self.inverse = 1.0 / self.count as f64;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn mean(&self, cell: usize) -> f64 {
        self.mean[cell]
    }

    /// Standard error of the mean: √(sample variance / n); 0 for fewer than two paths.
    pub fn std_error(&self, cell: usize) -> f64 {
        if self.count > 1 {
            let n = self.count as f64;
            (self.m2[cell].max(0.0) / (n - 1.0) / n).sqrt()
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[f64]) -> DateMoments {
        let mut m = DateMoments::new(1);
        for v in values {
            m.start_path();
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
        let whole = of(&xs);
        let mut merged = DateMoments::new(1);
        for chunk in xs.chunks(97) {
            merged.merge(&of(chunk));
        }
        assert_eq!(merged.count(), 1000);
        assert!((merged.mean(0) - whole.mean(0)).abs() < 1e-6);
        assert!((merged.std_error(0) / whole.std_error(0) - 1.0).abs() < 1e-10);
        // The same value on every path: the mean is it, bit for bit, and the error 0.
        let x = 123_456_789.123;
        let mut constant = DateMoments::new(1);
        for chunk in [3, 4096, 1] {
            constant.merge(&of(&vec![x; chunk]));
        }
        assert_eq!(constant.mean(0), x);
        assert_eq!(constant.std_error(0), 0.0);
    }
}
