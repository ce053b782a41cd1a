//! One module per chart kind; shared drawing helpers live here.

pub mod exceedance;
pub mod fan;
pub mod grouped_bars;
pub mod heatmap;
pub mod histogram;
pub mod line;
pub mod stacked_area;
pub mod stacked_bars;

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

/// Draws a dashed vertical or slanted segment from `a` to `b` (pixels).
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
