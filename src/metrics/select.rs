//! Exact order statistics of a stream of values that can be read again, in memory that does
//! not grow with its length: a few passes, each narrowing every wanted statistic to the values
//! sharing more leading bits of an order-preserving key (a histogram per open statistic),
//! until a bucket holds one repeated value or few enough (2¹⁸) to be kept and sorted. The
//! first pass splits by sign, exponent and the leading 4 mantissa bits (65,536 buckets), each
//! later one by 12 more bits (4,096): two passes for a million values, three for a hundred
//! million. A bucket's smallest and largest values bound it, so every value in it shares
//! their keys' common leading bits: the next pass splits after those, not after the bucket's
//! own prefix (values packed close together — the yields of a senior class that is always
//! paid, within 1e-12 of its coupon — resolve in a pass or two rather than one per 12 bits).

/// Bits the first pass resolves, and each later one (16 + 4 × 12 = all 64).
const FIRST_STEP: u32 = 16;
const STEP: u32 = 12;

/// Bits the pass after `bits` resolved bits resolves (`bits` < 64).
fn step(bits: u32) -> u32 {
    if bits == 0 {
        FIRST_STEP
    } else {
        STEP.min(64 - bits)
    }
}
/// A bucket with at most this many values is kept and sorted instead of refined.
const KEEP: u64 = 1 << 18;

/// Key whose unsigned order is `f64::total_cmp`'s order.
#[inline]
fn key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// What a statistic is looking for.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// The value of 0-based rank `rank` among the unweighted values.
    Rank(u64),
    /// The smallest value whose cumulative weight reaches `level` (a total weight).
    Weight(f64),
}

/// One wanted statistic, narrowed to the values whose key starts with `prefix` (`bits` long);
/// `before` = what lies below that prefix (values or weight).
#[derive(Debug, Clone)]
struct Target {
    want: Want,
    prefix: u64,
    bits: u32,
    before_count: u64,
    before_weight: f64,
    /// Values in the bucket the last pass narrowed the target to.
    bucket_count: u64,
    found: Option<f64>,
}

/// A group of targets sharing a prefix, and what the current pass gathers for it.
#[derive(Debug, Clone)]
struct Group {
    prefix: u64,
    bits: u32,
    gather: Gather,
}

#[derive(Debug, Clone)]
enum Gather {
    /// One bucket per value of the next bits: a push touches one bucket, one or two cache
    /// lines (many columns' histograms are filled at once, and together they outgrow L2).
    Histogram(Vec<Bucket>),
    Keep(Vec<(f64, f64)>),
}

/// What a pass counts in one bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    count: u64,
    weight: f64,
    /// Smallest and largest value: a bucket of one repeated value (a point mass, such as the
    /// zero loss of most paths) resolves at once.
    low: f64,
    high: f64,
    /// How many of the values equal the smallest and the largest: a rank among them resolves
    /// at once too (a bucket of two neighbouring values, as the WALs of a class paid on fixed
    /// dates are, needs no pass to tell them apart).
    low_count: u64,
    high_count: u64,
}

impl Bucket {
    const EMPTY: Bucket = Bucket {
        count: 0,
        weight: 0.0,
        low: f64::INFINITY,
        high: f64::NEG_INFINITY,
        low_count: 0,
        high_count: 0,
    };
}

/// Order statistics of the finite values of one stream (each with a weight, 1 for plain
/// Monte Carlo), found exactly over as many passes as [`Selector::wants_pass`] asks for.
#[derive(Debug, Clone)]
pub struct Selector {
    targets: Vec<Target>,
    groups: Vec<Group>,
    /// Finite values and their total weight seen in the first pass.
    count: u64,
    total_weight: f64,
    first_pass: bool,
    /// Buckets of at most this many values are kept ([`KEEP`]; smaller in tests).
    keep: u64,
}

impl Default for Selector {
    fn default() -> Self {
        Selector {
            targets: Vec::new(),
            groups: vec![Group {
                prefix: 0,
                bits: 0,
                gather: Gather::histogram(0),
            }],
            count: 0,
            total_weight: 0.0,
            first_pass: true,
            keep: KEEP,
        }
    }
}

impl Selector {
    /// Adds a value of the current pass (the same values, in the same order, every pass).
    #[inline]
    pub fn push(&mut self, x: f64, weight: f64) {
        if !x.is_finite() {
            return;
        }
        if self.first_pass {
            self.count += 1;
            self.total_weight += weight;
        }
        let k = key(x);
        for g in &mut self.groups {
            if g.bits > 0 && k >> (64 - g.bits) != g.prefix {
                continue;
            }
            match &mut g.gather {
                Gather::Histogram(buckets) => {
                    let b = &mut buckets[((k << g.bits) >> (64 - step(g.bits))) as usize];
                    b.count += 1;
                    b.weight += weight;
                    // One sign per bucket (the first pass splits on it), so `<` and `==` are
                    // the key's order and identity.
                    if x < b.low {
                        b.low = x;
                        b.low_count = 1;
                    } else if x == b.low {
                        b.low_count += 1;
                    }
                    if x > b.high {
                        b.high = x;
                        b.high_count = 1;
                    } else if x == b.high {
                        b.high_count += 1;
                    }
                }
                Gather::Keep(values) => values.push((x, weight)),
            }
        }
    }

    /// Finite values seen, and their total weight.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn total_weight(&self) -> f64 {
        self.total_weight
    }

    /// Ends the first pass by naming the statistics wanted: 0-based ranks among the values, or
    /// cumulative weights to reach (see [`Selector::weighted_levels`]).
    pub fn want_ranks(&mut self, ranks: &[u64]) {
        self.want(ranks.iter().map(|r| Want::Rank(*r)).collect());
    }

    /// Ends the first pass wanting the smallest values whose cumulative weight reaches each of
    /// `levels` (shares of the total weight, 0..=1).
    pub fn want_weight_shares(&mut self, levels: &[f64]) {
        let total = self.total_weight;
        self.want(
            levels
                // A relative slack of 1e-12 keeps a level that the cumulative weight reaches
                // exactly (equal weights) from being missed by rounding in the product.
                .iter()
                .map(|q| Want::Weight(q * total * (1.0 - 1e-12)))
                .collect(),
        );
    }

    fn want(&mut self, wants: Vec<Want>) {
        debug_assert!(self.first_pass);
        self.first_pass = false;
        self.targets = wants
            .into_iter()
            .map(|want| Target {
                want,
                prefix: 0,
                bits: 0,
                before_count: 0,
                before_weight: 0.0,
                bucket_count: u64::MAX,
                found: None,
            })
            .collect();
        if self.count == 0 {
            self.targets
                .iter_mut()
                .for_each(|t| t.found = Some(f64::NAN));
        }
        self.end_pass();
    }

    /// Whether another pass over the same values is needed.
    pub fn wants_pass(&self) -> bool {
        self.targets.iter().any(|t| t.found.is_none())
    }

    /// Resolves what this pass gathered and sets up the next one.
    pub fn end_pass(&mut self) {
        let mut groups = std::mem::take(&mut self.groups);
        for g in &mut groups {
            // Kept values are sorted once for every target of the group (stable: the same
            // order, by value then path, on every run).
            if let Gather::Keep(values) = &mut g.gather {
                values.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
        for g in &groups {
            for t in self
                .targets
                .iter_mut()
                .filter(|t| t.found.is_none() && t.prefix == g.prefix && t.bits == g.bits)
            {
                match &g.gather {
                    Gather::Keep(values) => t.found = Some(pick(values, t)),
                    Gather::Histogram(buckets) => {
                        if let Some(b) = narrow(t, buckets) {
                            let Bucket {
                                count,
                                low,
                                high,
                                low_count,
                                high_count,
                                ..
                            } = buckets[b];
                            let rank_in_bucket = match t.want {
                                Want::Rank(r) => Some(r - t.before_count),
                                Want::Weight(_) => None,
                            };
                            // A point mass, or a rank among the copies of the smallest.
                            if low.to_bits() == high.to_bits()
                                || rank_in_bucket.is_some_and(|r| r < low_count)
                            {
                                t.found = Some(low);
                            } else if rank_in_bucket.is_some_and(|r| r >= count - high_count) {
                                t.found = Some(high);
                            } else {
                                skip_common_bits(t, low, high);
                            }
                        }
                    }
                }
            }
        }
        // The next pass: one group per distinct open prefix.
        for t in self.targets.iter().filter(|t| t.found.is_none()) {
            if self
                .groups
                .iter()
                .any(|g| g.prefix == t.prefix && g.bits == t.bits)
            {
                continue;
            }
            let keep = t.bits >= 64 || t.bucket_count <= self.keep;
            self.groups.push(Group {
                prefix: t.prefix,
                bits: t.bits,
                gather: if keep {
                    Gather::Keep(Vec::new())
                } else {
                    Gather::histogram(t.bits)
                },
            });
        }
    }

    /// The statistics, in the order they were wanted (NaN without finite values).
    pub fn results(&self) -> Vec<f64> {
        self.targets
            .iter()
            .map(|t| t.found.unwrap_or(f64::NAN))
            .collect()
    }
}

/// Every value of a bucket lies in `[low, high]`, so its key starts with the bits the keys of
/// `low` and `high` share: the target's prefix becomes those (never shorter than it is).
fn skip_common_bits(t: &mut Target, low: f64, high: f64) {
    let (lo, hi) = (key(low), key(high));
    let common = (lo ^ hi).leading_zeros();
    if common > t.bits && common < 64 {
        t.prefix = lo >> (64 - common);
        t.bits = common;
    }
}

impl Gather {
    /// The histogram of a group with `bits` resolved bits.
    fn histogram(bits: u32) -> Self {
        let buckets = 1usize << step(bits);
        Gather::Histogram(vec![Bucket::EMPTY; buckets])
    }
}

/// Narrows `t` to the bucket its statistic falls in (returned).
fn narrow(t: &mut Target, buckets: &[Bucket]) -> Option<usize> {
    let mut count = t.before_count;
    let mut weight = t.before_weight;
    let last = buckets.iter().rposition(|b| b.count > 0).unwrap_or(0);
    for (
        b,
        Bucket {
            count: c,
            weight: w,
            ..
        },
    ) in buckets.iter().enumerate()
    {
        let inside = match t.want {
            Want::Rank(r) => r < count + c,
            // The last non-empty bucket takes a level the total weight misses by rounding.
            Want::Weight(level) => *c > 0 && (weight + w >= level || b == last),
        };
        if inside {
            let s = step(t.bits);
            t.prefix = (t.prefix << s) | b as u64;
            t.bits += s;
            t.before_count = count;
            t.before_weight = weight;
            t.bucket_count = *c;
            return Some(b);
        }
        count += c;
        weight += w;
    }
    // Beyond every value (a rank past the count is not asked for).
    t.found = Some(f64::NAN);
    None
}

/// The statistic among the kept values of its bucket (sorted by value).
fn pick(sorted: &[(f64, f64)], t: &Target) -> f64 {
    match t.want {
        Want::Rank(r) => sorted
            .get((r - t.before_count) as usize)
            .map_or(f64::NAN, |v| v.0),
        Want::Weight(level) => {
            let mut seen = t.before_weight;
            for (x, w) in sorted {
                seen += w;
                if seen >= level {
                    return *x;
                }
            }
            sorted.last().map_or(f64::NAN, |v| v.0)
        }
    }
}

/// Runs a selector over `values` (read again for every pass): for tests and small samples.
pub fn select_ranks(values: &[f64], ranks: impl Fn(u64) -> Vec<u64>) -> Vec<f64> {
    select_ranks_keeping(values, ranks, KEEP)
}

fn select_ranks_keeping(values: &[f64], ranks: impl Fn(u64) -> Vec<u64>, keep: u64) -> Vec<f64> {
    select_ranks_passes(values, ranks, keep).0
}

/// [`select_ranks_keeping`] and the passes it took over `values`.
fn select_ranks_passes(
    values: &[f64],
    ranks: impl Fn(u64) -> Vec<u64>,
    keep: u64,
) -> (Vec<f64>, usize) {
    let mut s = Selector {
        keep,
        ..Selector::default()
    };
    values.iter().for_each(|x| s.push(*x, 1.0));
    let wanted = ranks(s.count());
    s.want_ranks(&wanted);
    let mut passes = 1;
    while s.wants_pass() {
        values.iter().for_each(|x| s.push(*x, 1.0));
        s.end_pass();
        passes += 1;
    }
    (s.results(), passes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn keys_order_as_total_cmp() {
        let xs = [
            -f64::MAX,
            -1.0,
            -1e-300,
            -0.0,
            0.0,
            1e-300,
            0.5,
            1.0,
            f64::MAX,
        ];
        for w in xs.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} {}", w[0], w[1]);
        }
    }

    #[test]
    fn ranks_match_sorting_with_ties_point_masses_and_negatives() {
        let mut rng = crate::montecarlo::stream::path_rng(5, 0);
        // 70 % zeros (a point mass), a floor of −4, and a continuous body that shares its
        // leading bits (so the selector must refine past two passes before it keeps values).
        let values: Vec<f64> = (0..300_000)
            .map(|_| {
                let u: f64 = rng.random();
                if u < 0.7 {
                    0.0
                } else if u < 0.72 {
                    -4.0
                } else {
                    0.046 + rng.random::<f64>() * 1e-9
                }
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let n = values.len() as u64;
        let ranks = vec![0, 1, n / 2, n * 95 / 100, n * 999 / 1000, n - 1];
        let want: Vec<f64> = ranks.iter().map(|r| sorted[*r as usize]).collect();
        assert_eq!(select_ranks(&values, |_| ranks.clone()), want);
        // Keeping at most 1,000 values: the body is refined bucket by bucket, same answers.
        assert_eq!(select_ranks_keeping(&values, |_| ranks.clone(), 1000), want);
    }

    /// Values packed into a few neighbouring doubles (the WALs and yields of a class paid on
    /// fixed dates differ only by rounding) and a tight cluster: every rank as sorting gives
    /// it, in fewer passes than one per 12 bits. Passes counted: the first, then two.
    #[test]
    fn packed_values_resolve_in_few_passes() {
        let mut rng = crate::montecarlo::stream::path_rng(9, 0);
        let base = 1.732_050_807_f64;
        let next = f64::from_bits(base.to_bits() + 1);
        let values: Vec<f64> = (0..400_000)
            .map(|_| {
                let u: f64 = rng.random();
                if u < 0.45 {
                    base
                } else if u < 0.9 {
                    next
                } else {
                    f64::from_bits(base.to_bits() + 2 + (rng.random::<u64>() % 5000))
                }
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let n = values.len() as u64;
        let ranks: Vec<u64> = vec![0, n / 4, n / 2, n * 89 / 100, n * 95 / 100, n - 1];
        let want: Vec<f64> = ranks.iter().map(|r| sorted[*r as usize]).collect();
        for keep in [KEEP, 100] {
            let (found, passes) = select_ranks_passes(&values, |_| ranks.clone(), keep);
            assert_eq!(found, want, "keeping {keep}");
            assert!(passes <= 3, "keeping {keep}: {passes} passes");
        }
    }

    #[test]
    fn weighted_levels_are_the_smallest_value_reaching_them() {
        // Value k with weight k: cumulative weight k(k+1)/2.
        let values: Vec<(f64, f64)> = (1..=1000).map(|k| (k as f64, k as f64)).collect();
        let mut s = Selector::default();
        let feed = |s: &mut Selector| values.iter().for_each(|(x, w)| s.push(*x, *w));
        feed(&mut s);
        s.want_weight_shares(&[0.5, 0.99]);
        while s.wants_pass() {
            feed(&mut s);
            s.end_pass();
        }
        let total = 500_500.0;
        let expect = |q: f64| {
            (1..=1000)
                .find(|k| (k * (k + 1) / 2) as f64 >= q * total * (1.0 - 1e-12))
                .unwrap() as f64
        };
        assert_eq!(s.results(), vec![expect(0.5), expect(0.99)]);
    }

    #[test]
    fn no_finite_values_give_nan() {
        let got = select_ranks(&[f64::NAN, f64::NAN], |_| vec![0]);
        assert!(got[0].is_nan());
    }
}
