//! The columns of a run's path rows as the summaries read them: a source of rows that can be
//! read more than once (in memory, or `paths.bin` streamed in batches), and the mean, spread and
//! exact percentiles of one column over as many passes as its order statistics need.

use super::path::WEIGHT_COLUMN;
use crate::metrics::select::Selector;
use crate::metrics::stats::{Distribution, PERCENTILES};

/// The rows of a run in path order (columns as in `path::column_names`), readable as often
/// as the summaries need: in memory, or streamed from `paths.bin` so that memory does not grow
/// with the number of paths.
pub trait RowSource: Sync {
    fn width(&self) -> usize;
    /// Calls `each` with consecutive batches of whole rows, in path order, from the first.
    fn read(&self, each: &mut dyn FnMut(&[f64])) -> std::io::Result<()>;
}

/// Rows held in memory.
pub struct InMemory<'a> {
    pub rows: &'a [f64],
    pub width: usize,
}

impl RowSource for InMemory<'_> {
    fn width(&self) -> usize {
        self.width
    }
    fn read(&self, each: &mut dyn FnMut(&[f64])) -> std::io::Result<()> {
        self.rows
            .chunks(super::CHUNK * self.width.max(1))
            .for_each(each);
        Ok(())
    }
}

/// The mean, spread and percentiles of one column's finite values (mapped by `map`), over
/// as many passes as its percentiles need.
///
/// Plain Monte Carlo: mean Σx/n, sample standard deviation √(Σ(x − mean)²/(n − 1)) (the
/// deviations summed in a second pass), percentiles by linear interpolation between order
/// statistics, the order statistics exact ([`Selector`]). Importance sampling: the
/// self-normalised weighted sample — mean Σwx/Σw, √(Σw(x − mean)²/Σw) and each percentile the
/// smallest value whose cumulative weight reaches its share of Σw.
pub(super) struct Column {
    source: usize,
    map: fn(f64, f64) -> f64,
    /// `map` is non-decreasing and this column's order statistics are `map` of column
    /// `order_of`'s (its selector does the work once).
    pub(super) order_of: Option<usize>,
    sum: f64,
    squares: f64,
    pub(super) selector: Selector,
    /// `(rank, fraction)` per percentile (plain), set after the first pass.
    interpolate: Vec<(usize, f64)>,
    /// The mean, once the first pass has found it.
    pub(super) mean: Option<f64>,
}

impl Column {
    pub(super) fn new(source: usize, map: fn(f64, f64) -> f64) -> Self {
        Column {
            source,
            map,
            order_of: None,
            sum: 0.0,
            squares: 0.0,
            selector: Selector::default(),
            interpolate: Vec::new(),
            mean: None,
        }
    }

    /// Adds a batch of rows: in the first pass (`squares` None) to the sum and the selector;
    /// later to the squared deviations (`squares` Some(true), the second pass) and to the
    /// selector while it wants passes.
    pub(super) fn add(
        &mut self,
        rows: &[f64],
        width: usize,
        weighted: bool,
        m: f64,
        squares: Option<bool>,
    ) {
        if squares == Some(false) && !self.selector.wants_pass() {
            return;
        }
        // The first pass counts every column's values; later passes refine the order
        // statistics of the columns that have their own.
        let select = squares.is_none() || (self.order_of.is_none() && self.selector.wants_pass());
        let mean = self.mean.unwrap_or(0.0);
        // Paths often repeat a value (every default-free path has the same yield): the map of
        // the last value read is reused (a restated yield costs a `powf`).
        let mut last: Option<(u64, f64)> = None;
        for r in rows.chunks_exact(width) {
            let raw = r[self.source];
            let x = match last {
                Some((bits, mapped)) if bits == raw.to_bits() => mapped,
                _ => {
                    let mapped = (self.map)(m, raw);
                    last = Some((raw.to_bits(), mapped));
                    mapped
                }
            };
            if !x.is_finite() {
                continue;
            }
            let w = if weighted { r[WEIGHT_COLUMN] } else { 1.0 };
            match squares {
                None => self.sum += w * x,
                Some(true) => self.squares += w * (x - mean) * (x - mean),
                Some(false) => {}
            }
            if select {
                self.selector.push(x, w);
            }
        }
    }

    pub(super) fn mean(&self, weighted: bool) -> f64 {
        let n = if weighted {
            self.selector.total_weight()
        } else {
            self.selector.count() as f64
        };
        self.sum / n.max(if weighted { f64::MIN_POSITIVE } else { 1.0 })
    }

    /// The first pass is over: ask for the percentiles' order statistics.
    pub(super) fn want_percentiles(&mut self, weighted: bool) {
        if self.order_of.is_some() {
            return;
        }
        if weighted {
            let levels: Vec<f64> = PERCENTILES.iter().map(|p| p / 100.0).collect();
            self.selector.want_weight_shares(&levels);
            return;
        }
        let n = self.selector.count();
        let mut ranks = Vec::new();
        for p in PERCENTILES {
            let rank = (p / 100.0).clamp(0.0, 1.0) * n.saturating_sub(1) as f64;
            let lo = rank.floor() as u64;
            let frac = rank - lo as f64;
            self.interpolate.push((ranks.len(), frac));
            ranks.push(lo);
            ranks.push(if frac > 0.0 { lo + 1 } else { lo });
        }
        self.selector.want_ranks(&ranks);
    }

    /// The distribution, once every pass is done (`columns`: all of them, for a column whose
    /// order statistics are another's).
    pub(super) fn distribution(
        &self,
        weighted: bool,
        m: f64,
        columns: &[Column],
    ) -> Option<Distribution> {
        let n = self.selector.count();
        if n == 0 {
            return None;
        }
        let (found, interpolate) = match self.order_of {
            None => (self.selector.results(), &self.interpolate),
            Some(k) => (
                columns[k]
                    .selector
                    .results()
                    .iter()
                    .map(|v| (self.map)(m, *v))
                    .collect(),
                &columns[k].interpolate,
            ),
        };
        let percentiles: Vec<f64> = if weighted {
            found
        } else {
            interpolate
                .iter()
                .map(|&(k, frac)| found[k] + (found[k + 1] - found[k]) * frac)
                .collect()
        };
        let (mean, variance) = if weighted {
            let total = self.selector.total_weight();
            if total.is_nan() || total <= 0.0 {
                return Some(Distribution::undefined());
            }
            (self.sum / total, self.squares / total)
        } else {
            let mean = self.sum / n as f64;
            let variance = if n > 1 {
                self.squares / (n - 1) as f64
            } else {
                0.0
            };
            (mean, variance)
        };
        Some(Distribution {
            mean,
            std: variance.max(0.0).sqrt(),
            p5: percentiles[0],
            p50: percentiles[1],
            p95: percentiles[2],
            p99: percentiles[3],
            p99_9: percentiles[4],
        })
    }
}
