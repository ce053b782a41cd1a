//! The one colour palette used by every chart.
//!
//! Series colours come from a fixed, ordered list so that the same index always gets the same
//! colour: a caller that plots tranche `i` with palette index `i` gets the same colour for that
//! tranche in every chart, even when a chart shows only some tranches.

use plotters::style::RGBColor;

/// Tableau 10: distinct, print-friendly, and readable on white.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
];

/// Colour of series `index` (wraps around after 10).
pub fn series_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Colour of tranche `index` in the deal's tranche order; the same as [`series_color`], named so
/// callers say what they mean.
pub fn tranche_color(index: usize) -> RGBColor {
    series_color(index)
}

/// Text and axis colour.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text (axis titles, tick labels).
pub const INK_SOFT: RGBColor = RGBColor(0x44, 0x44, 0x44);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xE0, 0xE0, 0xE0);
/// Marker lines in histograms.
pub const MARKER: RGBColor = RGBColor(0x33, 0x33, 0x33);
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

    #[test]
    fn colours_are_stable_and_wrap() {
        assert_eq!(series_color(0), PALETTE[0]);
        assert_eq!(series_color(12), PALETTE[2]);
        assert_eq!(tranche_color(3), series_color(3));
    }

    #[test]
    fn heat_scale_ends() {
        assert_eq!(heat_color(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(heat_color(1.0), RGBColor(0xFD, 0xE7, 0x25));
        assert_eq!(heat_color(f64::NAN), heat_color(0.0));
    }
}
