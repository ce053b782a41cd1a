//! The one colour map used by every chart: a colour means one thing in every chart.
//!
//! Colours are assigned by what a series *is*, never by where it sits in a chart:
//! - tranche `i` (deal order) is one hue in every chart: its principal and balance in the dark
//!   shade, its interest in the light shade, its subordinate return and residual in a deeper shade,
//!   its break-even marker in the dark shade ([`tranche_color`], [`tranche_interest_color`],
//!   [`tranche_return_color`]);
//! - the pool and its cash sources are greens and olives, support is gold, fees a warm grey
//!   ([`Role`]): hues no tranche uses;
//! - statistics (mean, percentiles) are neutral greys with distinct dash patterns
//!   ([`statistic_color`]), so a reader never takes a percentile line for a tranche.

use plotters::style::RGBColor;

/// Tranche hues as (dark, light) pairs from Tableau 20, chosen to avoid the greens, olives and
/// golds kept for the pool side. Deals with more than six tranches wrap around.
const TRANCHE: [(RGBColor, RGBColor); 6] = [
    (RGBColor(0x4E, 0x79, 0xA7), RGBColor(0xA0, 0xCB, 0xE8)),
    (RGBColor(0xF2, 0x8E, 0x2B), RGBColor(0xFF, 0xBE, 0x7D)),
    (RGBColor(0xE1, 0x57, 0x59), RGBColor(0xFF, 0x9D, 0x9A)),
    (RGBColor(0xB0, 0x7A, 0xA1), RGBColor(0xD4, 0xA6, 0xC8)),
    (RGBColor(0xD3, 0x72, 0x95), RGBColor(0xFA, 0xBF, 0xD2)),
    (RGBColor(0x9D, 0x76, 0x60), RGBColor(0xD7, 0xB5, 0xA6)),
];

/// Number of tranches with a colour of their own.
pub const TRANCHE_COLOURS: usize = TRANCHE.len();

/// Colour of tranche `index` in the deal's tranche order: its balance, principal and markers.
pub fn tranche_color(index: usize) -> RGBColor {
    TRANCHE[index % TRANCHE.len()].0
}

/// Light shade of the tranche's hue: its interest.
pub fn tranche_interest_color(index: usize) -> RGBColor {
    TRANCHE[index % TRANCHE.len()].1
}

/// Deep shade of the tranche's hue: subordinate return and residual paid to its holder.
pub fn tranche_return_color(index: usize) -> RGBColor {
    let RGBColor(r, g, b) = tranche_color(index);
    // Two thirds of the dark shade: the same hue, clearly darker than principal.
    let deep = |c: u8| (c as u16 * 2 / 3) as u8;
    RGBColor(deep(r), deep(g), deep(b))
}

/// Series that are not tranches, each with a colour no tranche and no other role uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Performing pool balance.
    PoolBalance,
    /// Balance of all senior tranches together (not any one tranche, so not a tranche hue).
    SeniorBalance,
    /// Interest collected from the pool.
    PoolInterest,
    /// Scheduled principal collected from the pool.
    PoolScheduledPrincipal,
    /// Prepayments.
    PoolPrepayment,
    /// Recoveries on defaulted assets.
    PoolRecovery,
    /// Price of the assets sold at a clean-up call.
    PoolCleanUpCall,
    /// Support drawn (差额支付 shortfall support and similar).
    SupportDrawn,
    /// Fees and taxes.
    Fees,
    /// Bars of a distribution over simulated paths.
    PathShare,
}

impl Role {
    /// Every role, for tests and legends.
    pub const ALL: [Role; 10] = [
        Role::PoolBalance,
        Role::SeniorBalance,
        Role::PoolInterest,
        Role::PoolScheduledPrincipal,
        Role::PoolPrepayment,
        Role::PoolRecovery,
        Role::PoolCleanUpCall,
        Role::SupportDrawn,
        Role::Fees,
        Role::PathShare,
    ];

    /// The role's colour.
    pub fn color(self) -> RGBColor {
        match self {
            Role::PoolBalance => RGBColor(0x59, 0xA1, 0x4F),
            Role::SeniorBalance => RGBColor(0x2B, 0x5C, 0x8A),
            Role::PoolInterest => RGBColor(0x8C, 0xD1, 0x7D),
            Role::PoolScheduledPrincipal => RGBColor(0x3F, 0x7F, 0x3A),
            Role::PoolPrepayment => RGBColor(0x49, 0x98, 0x94),
            Role::PoolRecovery => RGBColor(0xB6, 0x99, 0x2D),
            Role::PoolCleanUpCall => RGBColor(0x86, 0xBC, 0xB6),
            Role::SupportDrawn => RGBColor(0xF1, 0xCE, 0x63),
            Role::Fees => RGBColor(0x79, 0x70, 0x6E),
            Role::PathShare => RGBColor(0xB8, 0xD8, 0xB0),
        }
    }
}

/// Neutral greys for statistics lines, darkest first (mean, P50, P95, P99, …).
const STATISTIC: [RGBColor; 4] = [
    RGBColor(0x11, 0x11, 0x11),
    RGBColor(0x55, 0x55, 0x55),
    RGBColor(0x77, 0x77, 0x77),
    RGBColor(0x99, 0x99, 0x99),
];

/// Colour of the `k`-th statistic of a chart (a grey; wraps after four).
pub fn statistic_color(k: usize) -> RGBColor {
    STATISTIC[k % STATISTIC.len()]
}

/// Colour of series `index` when a caller gives none: the tranche hues in order.
pub fn series_color(index: usize) -> RGBColor {
    tranche_color(index)
}

/// Text and axis colour.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text (axis titles, tick labels).
pub const INK_SOFT: RGBColor = RGBColor(0x44, 0x44, 0x44);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xE0, 0xE0, 0xE0);
/// Heat map cells without a value.
pub const MISSING: RGBColor = RGBColor(0xCC, 0xCC, 0xCC);

/// Viridis anchor points: perceptually uniform and still ordered when printed in grey.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (0x44, 0x01, 0x54),
    (0x47, 0x2C, 0x7A),
    (0x3B, 0x51, 0x8B),
    (0x2C, 0x71, 0x8E),
    (0x21, 0x90, 0x8C),
    (0x27, 0xAD, 0x81),
    (0x5C, 0xC8, 0x63),
    (0xAA, 0xDC, 0x32),
    (0xFD, 0xE7, 0x25),
];

/// Sequential colour for `t` in [0, 1] (clamped); used by heat maps.
pub fn heat_color(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - i as f64;
    let lerp = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// Black or white, whichever reads better on `bg`.
pub fn text_on(bg: RGBColor) -> RGBColor {
    let luma = 0.299 * bg.0 as f64 + 0.587 * bg.1 as f64 + 0.114 * bg.2 as f64;
    if luma > 140.0 {
        RGBColor(0, 0, 0)
    } else {
        RGBColor(0xFF, 0xFF, 0xFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_grey(c: RGBColor) -> bool {
        c.0 == c.1 && c.1 == c.2
    }

    #[test]
    fn every_meaning_has_its_own_colour() {
        let mut all: Vec<(String, RGBColor)> = Vec::new();
        for i in 0..TRANCHE_COLOURS {
            all.push((format!("tranche {i}"), tranche_color(i)));
            all.push((format!("tranche {i} interest"), tranche_interest_color(i)));
            all.push((format!("tranche {i} return"), tranche_return_color(i)));
        }
        for r in Role::ALL {
            all.push((format!("{r:?}"), r.color()));
        }
        for k in 0..STATISTIC.len() {
            all.push((format!("statistic {k}"), statistic_color(k)));
        }
        for (i, (a, ca)) in all.iter().enumerate() {
            for (b, cb) in &all[i + 1..] {
                assert_ne!(ca, cb, "{a} and {b} share a colour");
            }
        }
    }

    #[test]
    fn statistics_are_neutral_and_tranches_are_not() {
        for k in 0..8 {
            assert!(is_grey(statistic_color(k)));
        }
        for i in 0..TRANCHE_COLOURS {
            for c in [
                tranche_color(i),
                tranche_interest_color(i),
                tranche_return_color(i),
            ] {
                assert!(!is_grey(c), "tranche {i} has a grey shade");
            }
        }
        for r in Role::ALL {
            assert!(!is_grey(r.color()), "{r:?} is grey like a statistic");
        }
    }

    #[test]
    fn a_tranche_keeps_its_colour_and_default_series_follow_tranches() {
        assert_eq!(tranche_color(2), tranche_color(2 + TRANCHE_COLOURS));
        assert_eq!(series_color(3), tranche_color(3));
    }

    #[test]
    fn heat_scale_ends() {
        assert_eq!(heat_color(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(heat_color(1.0), RGBColor(0xFD, 0xE7, 0x25));
        assert_eq!(heat_color(f64::NAN), heat_color(0.0));
    }
}
