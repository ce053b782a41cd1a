//! One module per chart kind; shared drawing helpers live here.

pub mod exceedance;
pub mod fan;
pub mod grouped_bars;
pub mod heatmap;
pub mod histogram;
pub mod stacked_bars;
pub mod step;

use plotters::coord::Shift;
use plotters::element::{Circle, PathElement};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::{Color, RGBColor};

use super::frame::Frame;
use super::{ChartError, DrawResult};

/// Draws `points` as a line, broken at non-finite coordinates; isolated points become dots so a
/// one-period series is still visible.
pub(crate) fn polyline<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    frame: &Frame,
    points: impl IntoIterator<Item = (f64, f64)>,
    color: RGBColor,
    width: u32,
) -> Result<(), ChartError> {
    let mut run: Vec<(i32, i32)> = Vec::new();
    let flush = |run: &mut Vec<(i32, i32)>| -> Result<(), ChartError> {
        match run.len() {
            0 => {}
            1 => root
                .draw(&Circle::new(run[0], width + 1, color.filled()))
                .chart()?,
            _ => root
                .draw(&PathElement::new(
                    std::mem::take(run),
                    color.stroke_width(width),
                ))
                .chart()?,
        }
        run.clear();
        Ok(())
    };
    for (x, y) in points {
        if x.is_finite() && y.is_finite() {
            run.push((frame.px(x), frame.py(y)));
        } else {
            flush(&mut run)?;
        }
    }
    flush(&mut run)
}

/// The corners of a step line through `(x[i], y[i])`: each value holds from its x until the next
/// x, where the line goes straight up or down to the next value. Never a slanted segment, so a
/// value that belongs to a date is not spread over the time before or after it.
pub(crate) fn steps(x: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(2 * x.len());
    for i in 0..x.len().min(y.len()) {
        if i > 0 {
            out.push((x[i], y[i - 1]));
        }
        out.push((x[i], y[i]));
    }
    out
}

/// Draws a step line (see [`steps`]), broken where a value is not finite.
pub(crate) fn step_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    frame: &Frame,
    x: &[f64],
    y: &[f64],
    color: RGBColor,
    width: u32,
) -> Result<(), ChartError> {
    // A corner next to a NaN value is not finite either, so the line breaks there.
    polyline(root, frame, steps(x, y), color, width)
}

/// Draws a dashed segment from `a` to `b` (pixels), `dash` pixels on and `dash` off.
pub(crate) fn dashed<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    a: (i32, i32),
    b: (i32, i32),
    color: RGBColor,
    width: u32,
    dash: i32,
) -> Result<(), ChartError> {
    let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1.0 {
        return Ok(());
    }
    let n = (len / dash.max(1) as f64).ceil() as i32;
    let at = |k: i32| {
        let t = (k as f64 / n as f64).min(1.0);
        (a.0 + (dx * t).round() as i32, a.1 + (dy * t).round() as i32)
    };
    for k in (0..n).step_by(2) {
        root.draw(&PathElement::new(
            vec![at(k), at(k + 1)],
            color.stroke_width(width),
        ))
        .chart()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::steps;

    #[test]
    fn steps_hold_each_value_until_the_next_date() {
        let x = [0.0, 31.0, 59.0, 90.0];
        let y = [100.0, 100.0, 40.0, 0.0];
        let s = steps(&x, &y);
        assert_eq!(
            s,
            [
                (0.0, 100.0),
                (31.0, 100.0),
                (31.0, 100.0),
                (59.0, 100.0),
                (59.0, 40.0),
                (90.0, 40.0),
                (90.0, 0.0)
            ]
        );
        // No slanted segment: every segment is horizontal or vertical.
        assert!(s.windows(2).all(|w| w[0].0 == w[1].0 || w[0].1 == w[1].1));
    }
}
