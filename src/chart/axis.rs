//! Axis scales, tick placement and number formatting.
//!
//! Ticks are computed here rather than by plotters' mesh so that every chart gets the same rules:
//! a bounded number of labels, "nice" steps (1, 2, 2.5, 5 × 10ᵏ) in the unit the reader sees,
//! thousands separators, and clean decades on log axes.

use chrono::{Datelike, NaiveDate};

use super::{AmountUnit, ValueKind};

/// Position of a date on a dated axis: days since 1 January of year 1, so distances are days.
pub(crate) fn day(d: NaiveDate) -> f64 {
    f64::from(d.num_days_from_ce())
}

/// Maps data values onto [0, 1] along an axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scale {
    pub min: f64,
    pub max: f64,
    pub log: bool,
}

impl Scale {
    /// Position of `v` as a fraction of the axis length, clamped to the axis so that values off
    /// the scale (zeros on a log axis, overshoot) stay inside the plot.
    pub fn frac(&self, v: f64) -> f64 {
        let f = if self.log {
            if v <= 0.0 || !v.is_finite() {
                return if v == f64::INFINITY { 1.0 } else { 0.0 };
            }
            (v.log10() - self.min.log10()) / (self.max.log10() - self.min.log10())
        } else {
            (v - self.min) / (self.max - self.min)
        };
        if f.is_nan() { 0.0 } else { f.clamp(0.0, 1.0) }
    }
}

/// A labelled position on an axis (data units).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tick {
    pub value: f64,
    pub label: String,
}

/// Multiplier from data units to the units printed on the axis.
pub(crate) fn display_factor(kind: ValueKind, unit: AmountUnit) -> f64 {
    match kind {
        ValueKind::Amount => 1.0 / unit.divisor(),
        ValueKind::Percent => 100.0,
        ValueKind::Number => 1.0,
    }
}

/// `v` with `decimals` decimals and a comma every three integer digits.
pub fn format_number(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "–".to_string()
        } else if v > 0.0 {
            "∞".to_string()
        } else {
            "−∞".to_string()
        };
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut out = String::with_capacity(s.len() + int.len() / 3 + 1);
    // "-0.00" reads as a sign error on an axis; only print the sign for values that show as non-zero.
    if v < 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    let digits = int.len();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Data value `v` formatted for display with `decimals` decimals in display units.
pub fn format_value(v: f64, kind: ValueKind, unit: AmountUnit, decimals: usize) -> String {
    let s = format_number(v * display_factor(kind, unit), decimals);
    match kind {
        ValueKind::Percent => format!("{s}%"),
        _ => s,
    }
}

/// A value formatted with as many decimals as its magnitude needs (for annotations, where there
/// is no tick step to go by).
pub fn format_auto(v: f64, kind: ValueKind, unit: AmountUnit) -> String {
    let d = v.abs() * display_factor(kind, unit);
    let decimals = if d == 0.0 || d >= 100.0 {
        0
    } else if d >= 10.0 {
        1
    } else if d >= 0.1 {
        2
    } else {
        // Three significant digits for small probabilities such as 0.0123%.
        ((-d.log10()).floor() as usize + 3).min(8)
    };
    let s = format_number(v * display_factor(kind, unit), decimals);
    // Annotations stand alone, so "5.00" says nothing "5" does not.
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    match kind {
        ValueKind::Percent => format!("{s}%"),
        _ => s,
    }
}

/// Labels for a list of values (heat map rows and columns) with one shared number of decimals,
/// the fewest that prints every value exactly (at most 4).
pub(crate) fn format_list(values: &[f64], kind: ValueKind, unit: AmountUnit) -> Vec<String> {
    let f = display_factor(kind, unit);
    let decimals = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| decimals_for_step(v * f))
        .max()
        .unwrap_or(0)
        .min(4);
    values
        .iter()
        .map(|&v| format_value(v, kind, unit, decimals))
        .collect()
}

/// Fewest decimals that print `step` (display units) exactly, up to 8.
pub(crate) fn decimals_for_step(step: f64) -> usize {
    for d in 0..=8 {
        let scaled = step * 10f64.powi(d as i32);
        if (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0) {
            return d;
        }
    }
    8
}

/// Smallest step from {1, 2, 2.5, 5} × 10ᵏ that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= raw * (1.0 - 1e-9) {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Linear axis over at least `[lo, hi]`, widened to whole steps, with at most `max_ticks` ticks.
pub(crate) fn linear_ticks(
    lo: f64,
    hi: f64,
    max_ticks: usize,
    kind: ValueKind,
    unit: AmountUnit,
) -> (Scale, Vec<Tick>) {
    let f = display_factor(kind, unit);
    let (mut a, mut b) = (lo * f, hi * f);
    if !a.is_finite() || !b.is_finite() {
        (a, b) = (0.0, 1.0);
    }
    if a > b {
        std::mem::swap(&mut a, &mut b);
    }
    if b - a < 1e-12 * a.abs().max(1.0) {
        // A flat series still needs a visible range around it.
        let pad = if a == 0.0 { 1.0 } else { a.abs() * 0.1 };
        a -= pad;
        b += pad;
        if lo >= 0.0 && a < 0.0 {
            a = 0.0;
        }
    }
    let max_ticks = max_ticks.max(2);
    let mut step = nice_step((b - a) / (max_ticks - 1) as f64);
    let (mut s, mut e);
    loop {
        s = (a / step + 1e-9).floor() * step;
        e = (b / step - 1e-9).ceil() * step;
        if (((e - s) / step).round() as usize) < max_ticks {
            break;
        }
        step = nice_step(step * 1.01);
    }
    // A rate cannot pass 100 %: an axis of rates within [0, 100 %] stops at 100 % even when the
    // step grid (or head room asked for by a chart) would round it up to 110 %.
    if kind == ValueKind::Percent && b <= 100.0 + 1e-9 {
        e = e.min(100.0);
    }
    let decimals = decimals_for_step(step);
    let n = ((e - s) / step).round() as usize;
    let ticks = (0..=n)
        .map(|i| {
            let d = s + step * i as f64;
            // Snap to the step grid in display units so labels never show 0.30000000000000004.
            let d = (d / step).round() * step;
            let mut label = format_number(d, decimals);
            if kind == ValueKind::Percent {
                label.push('%');
            }
            Tick {
                value: d / f,
                label,
            }
        })
        .collect();
    (
        Scale {
            min: s / f,
            max: e / f,
            log: false,
        },
        ticks,
    )
}

/// Label for a log-axis tick at display value `d` (a power of ten times 1, 2 or 5); tiny values
/// switch to `1e-7` notation, which stays short where decimals would run to a dozen digits.
fn log_label(d: f64, kind: ValueKind) -> String {
    let mut label = if d >= 1.0 {
        format_number(d, 0)
    } else if d >= 1e-4 {
        format_number(d, ((-d.log10()) - 1e-9).ceil() as usize)
    } else {
        let exp = d.log10().floor();
        let mant = (d / 10f64.powf(exp)).round();
        format!("{mant}e{exp}")
    };
    if kind == ValueKind::Percent {
        label.push('%');
    }
    label
}

/// Log axis over at least `[lo, hi]` (both > 0), widened to whole decades; at most `max_ticks`
/// decade labels, with 2× and 5× labels added when there are only a few decades.
pub(crate) fn log_ticks(
    lo: f64,
    hi: f64,
    max_ticks: usize,
    kind: ValueKind,
    unit: AmountUnit,
) -> (Scale, Vec<Tick>) {
    let (mut lo, mut hi) = (lo, hi);
    if lo.is_nan() || lo <= 0.0 || !lo.is_finite() {
        lo = if hi > 0.0 && hi.is_finite() {
            hi / 1000.0
        } else {
            1e-3
        };
    }
    if hi.is_nan() || hi <= lo || !hi.is_finite() {
        hi = lo * 10.0;
    }
    let e0 = (lo.log10() + 1e-9).floor() as i32;
    let mut e1 = (hi.log10() - 1e-9).ceil() as i32;
    if e1 <= e0 {
        e1 = e0 + 1;
    }
    let decades = (e1 - e0) as usize;
    let max_ticks = max_ticks.max(2);
    let every = decades.div_ceil(max_ticks - 1).max(1);
    let mults: &[f64] = if decades * 3 < max_ticks {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let f = display_factor(kind, unit);
    let mut ticks = Vec::new();
    // Count down from the top decade so the largest value (often 100%) is always labelled.
    let mut e = e1;
    while e >= e0 {
        for &m in mults.iter().rev() {
            if e == e1 && m > 1.0 {
                continue;
            }
            let v = m * 10f64.powi(e);
            ticks.push(Tick {
                value: v,
                label: log_label(v * f, kind),
            });
        }
        e -= every as i32;
    }
    ticks.reverse();
    (
        Scale {
            min: 10f64.powi(e0),
            max: 10f64.powi(e1),
            log: true,
        },
        ticks,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(format_number(0.0, 0), "0");
        assert_eq!(format_number(999.0, 0), "999");
        assert_eq!(format_number(1000.0, 0), "1,000");
        assert_eq!(format_number(-1234567.891, 2), "-1,234,567.89");
        assert_eq!(format_number(-0.001, 2), "0.00");
        assert_eq!(format_number(f64::NAN, 2), "–");
    }

    #[test]
    fn values_in_units() {
        let w = AmountUnit::Wan;
        assert_eq!(
            format_value(123_456_789.0, ValueKind::Amount, w, 0),
            "12,346"
        );
        assert_eq!(format_value(0.125, ValueKind::Percent, w, 1), "12.5%");
        assert_eq!(format_auto(0.000123, ValueKind::Percent, w), "0.0123%");
        assert_eq!(format_auto(5e8, ValueKind::Amount, AmountUnit::Yi), "5");
        assert_eq!(format_auto(0.0004, ValueKind::Percent, w), "0.04%");
    }

    #[test]
    fn linear_ticks_are_nice_and_bounded() {
        let (s, t) = linear_ticks(0.0, 487_000_000.0, 8, ValueKind::Amount, AmountUnit::Wan);
        assert!(t.len() <= 8, "{t:?}");
        assert_eq!(s.min, 0.0);
        assert!(s.max >= 487_000_000.0);
        assert_eq!(t[0].label, "0");
        assert!(t.iter().any(|t| t.label.contains(',')), "{t:?}");
        let (_, t) = linear_ticks(0.0, 0.3, 7, ValueKind::Percent, AmountUnit::Wan);
        assert_eq!(t.last().unwrap().label, "30%");
        let (_, t) = linear_ticks(0.1, 0.7, 20, ValueKind::Number, AmountUnit::Yuan);
        assert!(t.iter().all(|t| t.label.len() <= 4), "{t:?}");
    }

    #[test]
    fn rate_axes_end_at_100_percent_at_most() {
        // 0–100 % with 8 ticks would step by 20 % to 120 %; 0–104 % by 25 % to 125 %.
        for (hi, ticks) in [(1.0, 8), (0.97, 7), (1.0, 12), (0.999, 5)] {
            let (s, t) = linear_ticks(0.0, hi, ticks, ValueKind::Percent, AmountUnit::Wan);
            assert!(s.max <= 1.0 + 1e-12, "{hi}: axis to {}", s.max);
            assert_eq!(t.last().unwrap().label, "100%", "{t:?}");
        }
        let (s, _) = log_ticks(1e-5, 1.0, 8, ValueKind::Percent, AmountUnit::Wan);
        assert_eq!(s.max, 1.0);
        // Rates beyond 100 % (a loss multiple, say) keep their range.
        let (s, _) = linear_ticks(0.0, 1.3, 8, ValueKind::Percent, AmountUnit::Wan);
        assert!(s.max >= 1.3);
    }

    #[test]
    fn log_ticks_are_decades() {
        let (s, t) = log_ticks(0.0003, 0.9, 8, ValueKind::Percent, AmountUnit::Wan);
        assert_eq!(s.min, 1e-4);
        assert_eq!(s.max, 1.0);
        let labels: Vec<_> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0.01%", "0.1%", "1%", "10%", "100%"]);
        assert!((s.frac(0.01) - 0.5).abs() < 1e-12);
        let (_, t) = log_ticks(1e-11, 1.0, 6, ValueKind::Percent, AmountUnit::Wan);
        assert!(t.len() <= 6, "{t:?}");
        assert_eq!(t.last().unwrap().label, "100%");
        assert!(t.iter().all(|t| t.label.len() <= 8), "{t:?}");
        assert_eq!(s.frac(0.0), 0.0);
    }

    #[test]
    fn lists_share_decimals() {
        let l = format_list(&[0.05, 0.1, 0.125], ValueKind::Percent, AmountUnit::Wan);
        assert_eq!(l, ["5.0%", "10.0%", "12.5%"]);
    }

    #[test]
    fn decimals() {
        assert_eq!(decimals_for_step(2.5), 1);
        assert_eq!(decimals_for_step(0.025), 3);
        assert_eq!(decimals_for_step(5000.0), 0);
    }
}
