//! Money arithmetic shared by reporting (exact `Decimal`) and simulation (`f64`).
//!
//! The waterfall, the pool projection and the period loop are written once, generic over
//! [`Amount`]. Deterministic runs instantiate them with [`Decimal`], where every amount is rounded
//! half-up (away from zero at the midpoint) to the fen, 0.01 yuan, in [`Amount::round_money`] and
//! nowhere else. Monte Carlo paths instantiate them with `f64`, where rounding is the identity; a
//! test (`engine::tests`) shows both give the same tranche cash flows on the same path.

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub, SubAssign};

/// Decimal places kept for rates converted from `f64` (default, prepayment, recovery rates).
pub const RATE_DP: u32 = 12;

/// A number type the cash-flow engine can run on.
pub trait Amount:
    Copy
    + Debug
    + PartialOrd
    + Send
    + Sync
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + 'static
{
    const ZERO: Self;
    const ONE: Self;
    /// The smallest unit a payment can be split into (one fen for `Decimal`, 0 for `f64`).
    const QUANTUM: Self;
    /// The deal's one rounding rule for amounts: half-up to the fen (identity for `f64`).
    fn round_money(self) -> Self;
    /// Rounds down to the fen; used only when splitting an amount pro rata.
    fn floor_money(self) -> Self;
    /// Converts an exact input figure.
    fn from_decimal(value: Decimal) -> Self;
    /// Converts a modelled rate (a probability or a fraction) kept to [`RATE_DP`] places.
    fn from_rate(rate: f64) -> Self;
    fn from_u32(value: u32) -> Self;
    fn to_f64(self) -> f64;

    fn max(self, other: Self) -> Self {
        if self >= other { self } else { other }
    }
    fn min(self, other: Self) -> Self {
        if self <= other { self } else { other }
    }
    /// `max(self, 0)`.
    fn positive_part(self) -> Self {
        self.max(Self::ZERO)
    }
    fn gt_zero(self) -> bool {
        self > Self::ZERO
    }
}

impl Amount for Decimal {
    const ZERO: Self = Decimal::ZERO;
    const ONE: Self = Decimal::ONE;
    const QUANTUM: Self = Decimal::from_parts(1, 0, 0, false, 2);

    fn round_money(self) -> Self {
        self.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    }
    fn floor_money(self) -> Self {
        self.round_dp_with_strategy(2, RoundingStrategy::ToZero)
    }
    fn from_decimal(value: Decimal) -> Self {
        value
    }
    fn from_rate(rate: f64) -> Self {
        Decimal::from_f64(rate)
            .unwrap_or(Decimal::ZERO)
            .round_dp_with_strategy(RATE_DP, RoundingStrategy::MidpointAwayFromZero)
    }
    fn from_u32(value: u32) -> Self {
        Decimal::from(value)
    }
    fn to_f64(self) -> f64 {
        ToPrimitive::to_f64(&self).unwrap_or(f64::NAN)
    }
}

impl Amount for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const QUANTUM: Self = 0.0;

    fn round_money(self) -> Self {
        self
    }
    fn floor_money(self) -> Self {
        self
    }
    fn from_decimal(value: Decimal) -> Self {
        ToPrimitive::to_f64(&value).unwrap_or(f64::NAN)
    }
    fn from_rate(rate: f64) -> Self {
        rate
    }
    fn from_u32(value: u32) -> Self {
        f64::from(value)
    }
    fn to_f64(self) -> f64 {
        self
    }
    // Branch-free minsd/maxsd: the waterfall compares amounts at every step, and which side
    // wins varies from path to path, so branches mispredict.
    #[inline]
    fn max(self, other: Self) -> Self {
        f64::max(self, other)
    }
    #[inline]
    fn min(self, other: Self) -> Self {
        f64::min(self, other)
    }
}

/// Rounds a reported `Decimal` amount to the fen with the deal's rule (half-up).
pub fn fen(value: Decimal) -> Decimal {
    value.round_money()
}

/// Converts an `f64` statistic (a mean over paths, say) to a `Decimal` rounded to the fen.
pub fn fen_from_f64(value: f64) -> Decimal {
    Decimal::from_f64(value)
        .unwrap_or(Decimal::ZERO)
        .round_money()
}

/// Serializes a reported amount as a string with exactly two decimals (`"0.00"`, `"1234.50"`),
/// so CSV columns and JSON values keep the fen and read the same whatever the value's scale.
pub fn serialize_fen<S: serde::Serializer>(
    value: &Decimal,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&format_args!("{:.2}", value.round_money()))
}

/// Reads back what [`serialize_fen`] wrote: a string holding an amount in yuan with at most two
/// decimals (`"1234.50"`, `"-0.01"`). A number, or more decimals than the fen, is refused: the
/// file was not written by ipabs.
pub fn deserialize_fen<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Decimal, D::Error> {
    let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
    parse_fen(&text).map_err(serde::de::Error::custom)
}

/// Parses an amount written to the fen (see [`deserialize_fen`]).
pub fn parse_fen(text: &str) -> Result<Decimal, String> {
    let value: Decimal = text
        .trim()
        .parse()
        .map_err(|_| format!("expected an amount in yuan such as \"1234.50\", found {text:?}"))?;
    if value.scale() > 2 {
        return Err(format!(
            "expected an amount to the fen (two decimals), found {text:?}"
        ));
    }
    Ok(value)
}

/// `#[serde(with = "crate::money::fen")]`: an amount written by [`serialize_fen`] and read back
/// by [`deserialize_fen`], so one field declaration serves the writer and the reader.
pub mod fen {
    pub use super::deserialize_fen as deserialize;
    pub use super::serialize_fen as serialize;
}

/// Splits `amount` over `dues` pro rata without paying any share more than its due and without
/// creating or losing a fen: shares are rounded down, then left-over fen go one at a time to the
/// earliest shares still below their due.
pub fn allocate_pro_rata<N: Amount>(amount: N, dues: &[N], shares: &mut [N]) {
    let total_due = dues.iter().fold(N::ZERO, |sum, due| sum + *due);
    if !total_due.gt_zero() {
        shares.iter_mut().for_each(|share| *share = N::ZERO);
        return;
    }
    if amount >= total_due {
        shares.copy_from_slice(dues);
        return;
    }
    let mut paid = N::ZERO;
    for (share, due) in shares.iter_mut().zip(dues) {
        *share = (amount * *due / total_due).floor_money().min(*due);
        paid += *share;
    }
    let mut left = amount - paid;
    if N::QUANTUM.gt_zero() {
        for (share, due) in shares.iter_mut().zip(dues) {
            while left >= N::QUANTUM && *share + N::QUANTUM <= *due {
                *share += N::QUANTUM;
                left -= N::QUANTUM;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn rounding_is_half_up_to_the_fen() {
        assert_eq!(dec!(0.125).round_money(), dec!(0.13));
        assert_eq!(dec!(0.135).round_money(), dec!(0.14));
        assert_eq!(dec!(-0.125).round_money(), dec!(-0.13));
        assert_eq!(dec!(0.124999).round_money(), dec!(0.12));
    }

    #[test]
    fn pro_rata_split_conserves_every_fen() {
        // 100.00 over dues 1/3 each of 90.00: exact thirds are 33.333.., floors 33.33 x 3 = 99.99,
        // the left-over fen goes to the first share.
        let dues = [dec!(90.00), dec!(90.00), dec!(90.00)];
        let mut shares = [Decimal::ZERO; 3];
        allocate_pro_rata(dec!(100.00), &dues, &mut shares);
        assert_eq!(shares, [dec!(33.34), dec!(33.33), dec!(33.33)]);
    }

    #[test]
    fn pro_rata_pays_dues_in_full_when_cash_suffices() {
        let dues = [dec!(10.00), dec!(5.55)];
        let mut shares = [Decimal::ZERO; 2];
        allocate_pro_rata(dec!(100.00), &dues, &mut shares);
        assert_eq!(shares, dues);
    }
}
