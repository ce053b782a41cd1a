//! The documented bounds on scenario values (`docs/scenario-format.md`, "Bounds"), chosen so
//! that every computation of a valid scenario fits the exact decimal money type (96-bit
//! mantissa, about 7.9 × 10²⁸) and the `f64` of Monte Carlo paths stays exact to the fen.
//!
//! * Every amount (asset balance and appraised value, schedule row, tranche balance and target,
//!   fee amount and cap, account balance and target, support cap) and the pool and tranche
//!   totals are at most [`MAX_AMOUNT`] = 10¹² yuan: 10¹⁴ fen, below 2⁵³ (the largest integer an
//!   `f64` holds exactly), and far below the decimal range even when multiplied by the
//!   largest accumulation factors below.
//! * Every date of the deal (asset maturities, schedule rows, the legal final date) is at most
//!   [`MAX_TERM_MONTHS`] = 600 months (50 years) after closing, and rates are below 1. A level
//!   annuity's growth factor `(1 + r)ⁿ` is then at most `(13/12)⁶⁰⁰ ≈ 7.2 × 10²⁰` (monthly),
//!   `1.25²⁰⁰ ≈ 2.4 × 10¹⁹` (quarterly), `1.5¹⁰⁰ ≈ 4.1 × 10¹⁷` (semiannual) or
//!   `2⁵⁰ ≈ 1.1 × 10¹⁵` (annual); the payment is computed as `B × (r·g / (g − 1))`, so no
//!   intermediate exceeds `r·g < 10²¹`.
//! * Recovery lags are at most [`MAX_RECOVERY_LAG_MONTHS`] months everywhere they can be given.

use rust_decimal::Decimal;
use std::str::FromStr;

/// Largest amount in yuan (one trillion, 1 000 000 000 000.00).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

/// Every date of a deal lies within this many months of closing (50 years).
pub const MAX_TERM_MONTHS: u32 = 600;

/// Longest recovery lag in months (loan tape, `[assumptions]`, `[model.recovery]`,
/// `cashflow --lag`).
pub const MAX_RECOVERY_LAG_MONTHS: u32 = 600;

/// Digits of [`MAX_AMOUNT`]'s whole part.
const MAX_WHOLE_DIGITS: usize = 13;

/// Reads an amount in yuan exactly: at most 2 decimals (fen), `≥ 0` (or `> 0`), at most
/// [`MAX_AMOUNT`]. The text is checked before conversion, so no digit is lost to rounding.
/// The error is what was expected (the caller adds where and what was found).
pub fn parse_amount(text: &str, strictly_positive: bool) -> Result<Decimal, String> {
    let sign = if strictly_positive {
        "a positive"
    } else {
        "an"
    };
    let expected = || format!("expected {sign} amount in yuan with at most 2 decimals");
    let t = text.trim();
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    let value = if unsigned.contains(['e', 'E']) {
        Decimal::from_scientific(t).map_err(|_| expected())?
    } else {
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        if whole.is_empty() && fraction.is_empty()
            || !whole
                .chars()
                .chain(fraction.chars())
                .all(|c| c.is_ascii_digit())
        {
            return Err(expected());
        }
        if fraction.trim_end_matches('0').len() > 2 {
            return Err(expected());
        }
        if whole.trim_start_matches('0').len() > MAX_WHOLE_DIGITS {
            return Err(too_large());
        }
        // Only zeros are dropped from the fraction; the sign is kept.
        let fraction = &fraction[..fraction.len().min(2)];
        let sign = &t[..t.len() - unsigned.len()];
        let whole = if whole.is_empty() { "0" } else { whole };
        let exact = if fraction.is_empty() {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{fraction}")
        };
        Decimal::from_str(&exact).map_err(|_| expected())?
    };
    if value.normalize().scale() > 2 {
        return Err(expected());
    }
    if value > MAX_AMOUNT {
        return Err(too_large());
    }
    if strictly_positive && value <= Decimal::ZERO {
        return Err("expected a positive amount".into());
    }
    if value < Decimal::ZERO {
        return Err("expected an amount of zero or more".into());
    }
    Ok(value)
}

fn too_large() -> String {
    format!(
        "expected an amount of at most {MAX_AMOUNT} yuan (the largest amount computed exactly to the fen)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn max_amount_is_one_trillion() {
        assert_eq!(MAX_AMOUNT, dec!(1_000_000_000_000));
    }

    #[test]
    fn amounts_are_exact_and_bounded() {
        assert_eq!(parse_amount("250000000.10", true), Ok(dec!(250000000.10)));
        assert_eq!(parse_amount("1000000000000.00", true), Ok(MAX_AMOUNT));
        assert_eq!(parse_amount("1.500", false), Ok(dec!(1.5)));
        assert_eq!(parse_amount("7.10", false).unwrap().to_string(), "7.10");
        assert_eq!(
            parse_amount("732000000", false).unwrap().to_string(),
            "732000000"
        );
        assert_eq!(parse_amount("0", false), Ok(Decimal::ZERO));
        assert_eq!(parse_amount("2e3", true), Ok(dec!(2000)));
        // Beyond the bound, or with fen that would be lost to rounding.
        for text in [
            "1000000000000.01",
            "100000000000000000000000000000.01",
            "99999999999999999999999999999999",
        ] {
            let err = parse_amount(text, true).unwrap_err();
            assert!(err.contains("at most 1000000000000"), "{text}: {err}");
        }
        assert!(
            parse_amount("1.005", true)
                .unwrap_err()
                .contains("2 decimals")
        );
        assert!(
            parse_amount("0.0000000000000000000000000000001", false)
                .unwrap_err()
                .contains("2 decimals")
        );
        assert!(parse_amount("0", true).unwrap_err().contains("positive"));
        assert!(
            parse_amount("-1", false)
                .unwrap_err()
                .contains("zero or more")
        );
        assert!(parse_amount("1x", false).is_err());
        assert!(parse_amount(".", false).is_err());
    }
}
