//! Exact sums of `f64` values: the same bits whatever the order of the additions and however
//! they are grouped, so partial sums from chunks, threads or shards on other machines merge to
//! exactly the sum a single pass would give.
//!
//! The accumulator is a fixed-point integer wide enough for every finite `f64` (from the
//! smallest subnormal, 2⁻¹⁰⁷⁴, to beyond the largest), held in 32-bit digits inside `i64`
//! limbs so that additions need no carry until 2³⁰ of them have been made. Every addition is
//! exact; [`ExactSum::value`] rounds the exact total once, to nearest (ties to even) for a
//! normal result. Infinities and NaN are kept apart, summed as `f64` (their sum is the same in
//! any order) and win over the finite part.

use serde::{Deserialize, Serialize};

/// Bits per digit of the accumulator.
const DIGIT: u32 = 32;
/// Digits: an `f64` mantissa (53 bits) shifted by up to 2045 bits lands in digits 0..=65; one
/// more holds the carries of a sum of up to 2⁶³ maximal values.
const LIMBS: usize = 67;
/// Additions allowed between carry propagations (each adds < 2³² to a limb).
const ADDS_BEFORE_CARRY: u32 = 1 << 30;

/// An exact sum of `f64` values.
#[derive(Debug, Clone, Default)]
pub struct ExactSum {
    /// Empty until the first non-zero finite value (most cells of a histogram stay empty).
    limbs: Vec<i64>,
    /// Additions since the last carry propagation.
    pending: u32,
    /// Sum of the non-finite values added (0 when there were none).
    special: f64,
}

impl ExactSum {
    /// Adds `x` exactly.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as u32;
        let fraction = bits & ((1u64 << 52) - 1);
        if exponent == 0x7ff {
            self.special += x;
            return;
        }
        if x == 0.0 {
            return;
        }
        // x = mantissa · 2^(shift − 1074), shift in 0..=2045.
        let (mantissa, shift) = if exponent == 0 {
            (fraction, 0)
        } else {
            (fraction | (1u64 << 52), exponent - 1)
        };
        if self.limbs.is_empty() {
            self.limbs = vec![0; LIMBS];
        }
        let index = (shift / DIGIT) as usize;
        let wide = u128::from(mantissa) << (shift % DIGIT);
        let mask = (1u128 << DIGIT) - 1;
        let digits = [
            (wide & mask) as i64,
            ((wide >> DIGIT) & mask) as i64,
            (wide >> (2 * DIGIT)) as i64,
        ];
        let negative = bits >> 63 == 1;
        for (limb, d) in self.limbs[index..index + 3].iter_mut().zip(digits) {
            if negative {
                *limb -= d;
            } else {
                *limb += d;
            }
        }
        self.pending += 1;
        if self.pending >= ADDS_BEFORE_CARRY {
            self.carry();
        }
    }

    /// Adds another exact sum (its additions, exactly).
    pub fn merge(&mut self, other: &ExactSum) {
        self.special += other.special;
        if other.limbs.is_empty() {
            return;
        }
        let mut other = other.clone();
        other.carry();
        self.carry();
        if self.limbs.is_empty() {
            self.limbs = vec![0; LIMBS];
        }
        for (a, b) in self.limbs.iter_mut().zip(&other.limbs) {
            *a += b;
        }
        self.carry();
    }

    /// Propagates carries: every digit but the top one in 0..2³², the top one signed — a form
    /// that is unique for each value.
    fn carry(&mut self) {
        for i in 0..self.limbs.len().saturating_sub(1) {
            let c = self.limbs[i] >> DIGIT;
            self.limbs[i] -= c << DIGIT;
            self.limbs[i + 1] += c;
        }
        self.pending = 0;
    }

    /// The sum, rounded once.
    pub fn value(&self) -> f64 {
        if self.special != 0.0 || self.special.is_nan() {
            return self.special;
        }
        if self.limbs.is_empty() {
            return 0.0;
        }
        let mut limbs = self.clone();
        limbs.carry();
        let mut digits = limbs.limbs;
        let negative = digits[LIMBS - 1] < 0;
        if negative {
            digits.iter_mut().for_each(|d| *d = -*d);
            let mut positive = ExactSum {
                limbs: digits,
                pending: 0,
                special: 0.0,
            };
            positive.carry();
            digits = positive.limbs;
        }
        let Some(top) = digits.iter().rposition(|d| *d != 0) else {
            return 0.0;
        };
        // The top three digits (≥ 65 significant bits when top ≥ 2), with a sticky bit for
        // anything below them so that rounding to 53 bits sees it.
        let low = top.saturating_sub(2);
        let mut magnitude: u128 = 0;
        for d in digits[low..=top].iter().rev() {
            magnitude = (magnitude << DIGIT) | *d as u128;
        }
        if digits[..low].iter().any(|d| *d != 0) {
            magnitude |= 1;
        }
        let value = scale(magnitude as f64, DIGIT as i32 * low as i32 - 1074);
        if negative { -value } else { value }
    }

    /// The state as written to a file: the digits from the lowest non-zero one.
    pub fn to_state(&self) -> ExactSumState {
        let mut normal = self.clone();
        normal.carry();
        let first = normal.limbs.iter().position(|d| *d != 0);
        let last = normal.limbs.iter().rposition(|d| *d != 0);
        let (offset, digits) = match (first, last) {
            (Some(a), Some(b)) => (a, normal.limbs[a..=b].to_vec()),
            _ => (0, Vec::new()),
        };
        ExactSumState {
            offset,
            digits,
            special: (self.special != 0.0 || self.special.is_nan())
                .then(|| self.special.to_string()),
        }
    }

    /// The sum a state describes, or why it is not one this program wrote.
    pub fn from_state(state: &ExactSumState) -> Result<Self, String> {
        let special = match &state.special {
            None => 0.0,
            Some(s) => s
                .parse::<f64>()
                .ok()
                .filter(|v| !v.is_finite())
                .ok_or_else(|| format!("`special` must be inf, -inf or NaN, found `{s}`"))?,
        };
        if state.offset + state.digits.len() > LIMBS {
            return Err(format!(
                "{} digits from offset {} exceed the {LIMBS} of an exact sum",
                state.digits.len(),
                state.offset
            ));
        }
        let last = state.offset + state.digits.len();
        // Below the top limb every digit is in 0..2³² (the form `carry` leaves).
        for (i, d) in state.digits.iter().enumerate() {
            let index = state.offset + i;
            if index + 1 < LIMBS && !(0..1i64 << DIGIT).contains(d) {
                return Err(format!("digit {index} out of range: {d}"));
            }
        }
        let mut limbs = Vec::new();
        if !state.digits.is_empty() {
            limbs = vec![0; LIMBS];
            limbs[state.offset..last].copy_from_slice(&state.digits);
        }
        Ok(ExactSum {
            limbs,
            pending: 0,
            special,
        })
    }
}

impl PartialEq for ExactSum {
    /// Equal sums (the same exact value), however they were accumulated.
    fn eq(&self, other: &Self) -> bool {
        self.to_state() == other.to_state()
    }
}

/// An [`ExactSum`] as it is written to a file: `digits[k]` is the 32-bit digit of weight
/// 2^(32·(offset + k) − 1074) (the last one signed), `special` the sum of the non-finite
/// values as text (`inf`, `-inf`, `NaN`), absent when there were none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactSumState {
    pub offset: usize,
    pub digits: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special: Option<String>,
}

impl Serialize for ExactSum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_state().serialize(s)
    }
}

impl<'de> Deserialize<'de> for ExactSum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let state = ExactSumState::deserialize(d)?;
        ExactSum::from_state(&state).map_err(serde::de::Error::custom)
    }
}

/// Adds each of `parts` to the exact sum of its cell.
pub fn add_each(totals: &mut [ExactSum], parts: &[f64]) {
    debug_assert_eq!(totals.len(), parts.len());
    totals.iter_mut().zip(parts).for_each(|(t, p)| t.add(*p));
}

/// Adds each of `others` to the exact sum of its cell.
pub fn merge_each(totals: &mut [ExactSum], others: &[ExactSum]) {
    debug_assert_eq!(totals.len(), others.len());
    totals.iter_mut().zip(others).for_each(|(t, o)| t.merge(o));
}

/// A running sum of a statistic's cell: plain `f64` inside a chunk of paths (added in path
/// order, so the same bits for any thread count), [`ExactSum`] across chunks and shards (so the
/// grouping does not matter).
pub trait Accumulator: Clone + Default + std::fmt::Debug {
    fn add(&mut self, x: f64);
    fn merge(&mut self, other: &Self);
    fn value(&self) -> f64;
}

impl Accumulator for f64 {
    #[inline]
    fn add(&mut self, x: f64) {
        *self += x;
    }
    fn merge(&mut self, other: &Self) {
        *self += other;
    }
    fn value(&self) -> f64 {
        *self
    }
}

impl Accumulator for ExactSum {
    #[inline]
    fn add(&mut self, x: f64) {
        ExactSum::add(self, x);
    }
    fn merge(&mut self, other: &Self) {
        ExactSum::merge(self, other);
    }
    fn value(&self) -> f64 {
        ExactSum::value(self)
    }
}

/// `x · 2^k` by exact powers of two (one rounding, in the subnormal range only).
fn scale(mut x: f64, mut k: i32) -> f64 {
    let pow = |e: i32| f64::from_bits(((e + 1023) as u64) << 52);
    while k > 1000 {
        x *= pow(1000);
        k -= 1000;
    }
    while k < -1000 {
        x *= pow(-1000);
        k += 1000;
    }
    x * pow(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;
    use rand::seq::SliceRandom;

    fn sum(values: &[f64]) -> ExactSum {
        let mut s = ExactSum::default();
        values.iter().for_each(|x| s.add(*x));
        s
    }

    #[test]
    fn sums_exactly_where_floating_point_loses_digits() {
        assert_eq!(sum(&[1e16, 1.0, -1e16]).value(), 1.0);
        // The three doubles sum to 2⁻⁵⁵ exactly; (0.1 + 0.2) − 0.3 in f64 gives twice that.
        assert_eq!(sum(&[0.1, 0.2, -0.3]).value(), 2.7755575615628914e-17);
        assert_eq!(sum(&[]).value(), 0.0);
        assert_eq!(sum(&[-2.5]).value(), -2.5);
        assert_eq!(sum(&[f64::MAX, f64::MAX, -f64::MAX]).value(), f64::MAX);
        let tiny = f64::from_bits(1);
        assert_eq!(sum(&[tiny, tiny, tiny]).value(), f64::from_bits(3));
        assert_eq!(sum(&[1.0, f64::INFINITY]).value(), f64::INFINITY);
        assert!(sum(&[f64::INFINITY, f64::NEG_INFINITY]).value().is_nan());
    }

    #[test]
    fn rounds_once_to_nearest_even() {
        // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: to even (2^53); anything above the
        // tie, however small, rounds up.
        let big = 9_007_199_254_740_992.0;
        assert_eq!(sum(&[big, 1.0]).value(), big);
        assert_eq!(sum(&[big, 1.0, 1e-300]).value(), big + 2.0);
        assert_eq!(sum(&[big, 3.0]).value(), big + 4.0);
    }

    #[test]
    fn integers_sum_as_integers_in_any_order_and_grouping() {
        let mut rng = crate::montecarlo::stream::path_rng(3, 0);
        let values: Vec<i64> = (0..5000)
            .map(|_| rng.random_range(-1i64 << 40..1 << 40))
            .collect();
        let exact: i64 = values.iter().sum();
        let floats: Vec<f64> = values.iter().map(|v| *v as f64).collect();
        assert_eq!(sum(&floats).value(), exact as f64);
    }

    #[test]
    fn order_and_grouping_do_not_change_a_bit() {
        let mut rng = crate::montecarlo::stream::path_rng(11, 0);
        let mut values: Vec<f64> = (0..20_000)
            .map(|_| {
                let m: f64 = rng.random_range(-1.0..1.0);
                m * 10f64.powi(rng.random_range(-30..30))
            })
            .collect();
        let one = sum(&values).value();
        for _ in 0..3 {
            values.shuffle(&mut rng);
            assert_eq!(sum(&values).value().to_bits(), one.to_bits());
            let mut merged = ExactSum::default();
            for part in values.chunks(rng.random_range(1..3000)) {
                merged.merge(&sum(part));
            }
            assert_eq!(merged.value().to_bits(), one.to_bits());
            assert_eq!(merged, sum(&values));
        }
    }

    #[test]
    fn state_round_trips_and_bad_states_are_refused() {
        let s = sum(&[1.5e10, -3.25, 7e-20, -1e300]);
        let state = s.to_state();
        let back = ExactSum::from_state(&state).unwrap();
        assert_eq!(back.value().to_bits(), s.value().to_bits());
        let json = serde_json::to_string(&s).unwrap();
        let read: ExactSum = serde_json::from_str(&json).unwrap();
        assert_eq!(read, s);
        assert_eq!(
            ExactSum::from_state(&sum(&[]).to_state()).unwrap().value(),
            0.0
        );
        let bad = ExactSumState {
            offset: 66,
            digits: vec![1, 2],
            special: None,
        };
        assert!(ExactSum::from_state(&bad).is_err());
        let bad = ExactSumState {
            offset: 0,
            digits: vec![-1, 2],
            special: None,
        };
        assert!(ExactSum::from_state(&bad).is_err());
        let bad = ExactSumState {
            offset: 0,
            digits: vec![],
            special: Some("2.5".into()),
        };
        assert!(ExactSum::from_state(&bad).is_err());
    }
}
