//! Heat map: a matrix of z values over x and y grids (e.g. senior loss by default rate and
//! recovery rate), with a colour bar and the value printed in each cell.
//!
//! The colour scale never stretches a flat or nearly flat metric over the whole range
//! ([`color_domain`]): a metric that is 0 everywhere is one colour, and a WAL between 0.797 and
//! 0.813 years is a few shades apart, not the two ends of the scale.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::Rectangle;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor};

use crate::chart::axis::{format_auto, format_list};
use crate::chart::font::{draw_text, measure, style};
use crate::chart::frame::{AxisSpec, Frame, FrameSpec, Legend, draw_frame};
use crate::chart::labels::BoxPx;
use crate::chart::palette::{MISSING, heat_color, text_on};
use crate::chart::{
    ChartError, ChartOptions, DrawResult, Render, Titles, ValueKind, draw, finite_range,
};

/// The colour scale spans at least this share of the metric's largest magnitude.
pub const MIN_RELATIVE_SPAN: f64 = 0.25;

/// Smallest colour-scale span by kind, for metrics at or near zero: 0.1 percentage point for
/// rates, one yuan for amounts, 0.01 for plain numbers.
fn min_span(kind: ValueKind) -> f64 {
    match kind {
        ValueKind::Percent => 0.001,
        ValueKind::Amount => 1.0,
        ValueKind::Number => 0.01,
    }
}

/// Cell text smaller than this is unreadable: denser grids are left to the colour scale.
const MIN_CELL_FONT_PX: f64 = 6.0;

/// The range the colour scale covers for values in `[lo, hi]`.
///
/// The rule: the data's range, unless it is narrower than [`MIN_RELATIVE_SPAN`] of the largest
/// magnitude (or than the kind's floor, for metrics near zero); then the scale is widened to that
/// span around the data's middle, and moved to start at zero rather than cross it for data that
/// are all non-negative (or to end at zero for non-positive data). So colour differences are never
/// larger than the differences in the data warrant: a flat metric is drawn flat.
pub fn color_domain(lo: f64, hi: f64, kind: ValueKind) -> (f64, f64) {
    let need = (MIN_RELATIVE_SPAN * lo.abs().max(hi.abs())).max(min_span(kind));
    if hi - lo >= need {
        return (lo, hi);
    }
    let mid = (lo + hi) / 2.0;
    let (mut a, mut b) = (mid - need / 2.0, mid + need / 2.0);
    if lo >= 0.0 && a < 0.0 {
        b -= a;
        a = 0.0;
    }
    // All-zero data count as non-negative (handled above), so this is for data below zero only.
    if hi <= 0.0 && lo < 0.0 && b > 0.0 {
        a -= b;
        b = 0.0;
    }
    (a, b)
}

/// A z value per (x, y) grid point.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Heatmap {
    /// Chart title.
    pub title: String,
    /// X axis title, without unit.
    pub x_title: String,
    /// Y axis title, without unit.
    pub y_title: String,
    /// Colour scale title, without unit.
    pub z_title: String,
    /// Column values, left to right.
    pub x_values: Vec<f64>,
    /// Row values, bottom to top.
    pub y_values: Vec<f64>,
    /// `z[row][column]`: one row per y value, one entry per x value; NaN cells are grey.
    pub z: Vec<Vec<f64>>,
    /// What the x values are.
    pub x_kind: ValueKind,
    /// What the y values are.
    pub y_kind: ValueKind,
    /// What the z values are.
    pub z_kind: ValueKind,
}

/// A cell's box, fill and printed value.
type Cell = (BoxPx, RGBColor, Option<String>);

impl Heatmap {
    fn titles(&self, opts: &ChartOptions) -> Titles {
        Titles::new(
            self.title.clone(),
            self.x_kind.axis_title(&self.x_title, opts.unit),
            self.y_kind.axis_title(&self.y_title, opts.unit),
        )
    }

    fn domain(&self) -> (f64, f64) {
        let (lo, hi) = finite_range(self.z.iter().flatten().copied()).unwrap_or((0.0, 0.0));
        color_domain(lo, hi, self.z_kind)
    }

    fn frame_spec<'a>(&self, titles: &'a Titles, opts: &ChartOptions) -> FrameSpec<'a> {
        let (min, max) = self.domain();
        FrameSpec::new(
            titles,
            AxisSpec::Categories {
                labels: format_list(&self.x_values, self.x_kind, opts.unit),
                pad: 0.5,
            },
            AxisSpec::Categories {
                labels: format_list(&self.y_values, self.y_kind, opts.unit),
                pad: 0.5,
            },
            Legend::ColorBar {
                title: self.z_kind.axis_title(&self.z_title, opts.unit),
                min,
                max,
                kind: self.z_kind,
            },
            opts,
        )
    }

    /// The font size of the cell values (`None`: too dense to print them), and each cell's box,
    /// colour and value text.
    fn cells(&self, frame: &Frame, opts: &ChartOptions) -> (Option<f64>, Vec<Cell>) {
        let (lo, hi) = self.domain();
        let texts: Vec<Vec<String>> = self
            .z
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&z| format_auto(z, self.z_kind, opts.unit))
                    .collect()
            })
            .collect();
        let fpx = self.cell_font_px(frame, &texts);
        let mut out = Vec::new();
        for (r, row) in self.z.iter().enumerate() {
            for (c, &z) in row.iter().enumerate() {
                let (x0, x1) = (frame.px(c as f64 - 0.5), frame.px(c as f64 + 0.5));
                let (y0, y1) = (frame.py(r as f64 + 0.5), frame.py(r as f64 - 0.5));
                let color = if z.is_finite() {
                    heat_color((z - lo) / (hi - lo))
                } else {
                    MISSING
                };
                let text = (z.is_finite() && fpx.is_some()).then(|| texts[r][c].clone());
                let b = BoxPx {
                    left: x0,
                    top: y0,
                    right: x1,
                    bottom: y1,
                };
                out.push((b, color, text));
            }
        }
        (fpx, out)
    }

    /// One font size for every cell's text: the base size, shrunk until the widest value fits
    /// its cell; `None` when that would be below [`MIN_CELL_FONT_PX`].
    fn cell_font_px(&self, frame: &Frame, texts: &[Vec<String>]) -> Option<f64> {
        let (cw, ch) = (frame.x_unit_px(), frame.y_unit_px());
        let base = (frame.font_px * 0.9).min(ch * 0.6);
        let widest = texts
            .iter()
            .flatten()
            .map(|t| measure(t, base).0)
            .max()
            .unwrap_or(0) as f64;
        let fit = if widest > cw * 0.9 {
            base * cw * 0.9 / widest
        } else {
            base
        };
        (fit >= MIN_CELL_FONT_PX).then_some(fit)
    }
}

impl Render for Heatmap {
    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self) -> Result<(), ChartError> {
        let (nx, ny) = (self.x_values.len(), self.y_values.len());
        if nx == 0 || ny == 0 {
            return Err(ChartError::InvalidData("heat map: empty grid".into()));
        }
        if self.z.len() != ny || self.z.iter().any(|r| r.len() != nx) {
            return Err(ChartError::InvalidData(format!(
                "heat map: z must be {ny} rows of {nx} values"
            )));
        }
        Ok(())
    }

    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &ChartOptions,
    ) -> Result<(), ChartError> {
        let titles = self.titles(opts);
        let frame = draw_frame(root, &self.frame_spec(&titles, opts), opts)?;
        let (fpx, cells) = self.cells(&frame, opts);
        let fpx = fpx.unwrap_or(frame.font_px);
        for (b, color, text) in cells {
            root.draw(&Rectangle::new(
                [(b.left, b.top), (b.right, b.bottom)],
                color.filled(),
            ))
            .chart()?;
            if let Some(text) = text {
                let st = style(fpx, text_on(color), HPos::Center, VPos::Center);
                let centre = ((b.left + b.right) / 2, (b.top + b.bottom) / 2);
                draw_text(root, &text, &st, centre)?;
            }
        }
        frame.finish(root)
    }
}

/// Writes a heat map to `out_stem.png` / `out_stem.svg`; returns the files written. The same as
/// [`draw`], under the name `ipabs sweep` uses.
pub fn heatmap(
    spec: &Heatmap,
    out_stem: &Path,
    opts: &ChartOptions,
) -> Result<Vec<PathBuf>, ChartError> {
    draw(spec, out_stem, opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::AmountUnit;
    use crate::chart::frame::layout;
    use crate::chart::test_support::{check_chart, opts};

    fn sample(nx: usize, ny: usize) -> Heatmap {
        let xs: Vec<f64> = (0..nx).map(|i| 0.02 * i as f64).collect();
        let ys: Vec<f64> = (0..ny).map(|j| 0.1 * j as f64).collect();
        let z = ys
            .iter()
            .map(|&rec| {
                xs.iter()
                    .map(|&cdr| (cdr * 8.0 * (1.0 - rec) - 0.1).max(0.0) * 2.0e8)
                    .collect()
            })
            .collect();
        Heatmap {
            title: "优先档损失 Senior loss".into(),
            x_title: "违约率 CDR".into(),
            y_title: "回收率 Recovery".into(),
            z_title: "损失 Loss".into(),
            x_values: xs,
            y_values: ys,
            z,
            x_kind: ValueKind::Percent,
            y_kind: ValueKind::Percent,
            z_kind: ValueKind::Amount,
        }
    }

    fn cells_of(h: &Heatmap) -> Vec<Cell> {
        let o = opts(1600, 1000);
        let titles = h.titles(&o);
        let frame = layout(&h.frame_spec(&titles, &o), &o).unwrap().frame;
        h.cells(&frame, &o).1
    }

    #[test]
    fn writes_png_and_svg_small_and_large() {
        check_chart(&sample(8, 6), opts(800, 500));
        check_chart(&sample(40, 30), opts(800, 500));
    }

    #[test]
    fn every_cell_prints_its_value() {
        let h = sample(9, 7);
        let cells = cells_of(&h);
        assert_eq!(cells.len(), 63);
        for (i, (b, _, text)) in cells.iter().enumerate() {
            let text = text.as_ref().expect("cell without its value");
            let z = h.z[i / 9][i % 9];
            assert_eq!(*text, format_auto(z, ValueKind::Amount, AmountUnit::Wan));
            assert!(b.right > b.left && b.bottom > b.top);
        }
    }

    #[test]
    fn a_flat_metric_is_one_colour() {
        // A1's expected loss is 0 on every grid point: every cell has the scale's zero colour.
        let mut h = sample(5, 4);
        h.z_kind = ValueKind::Percent;
        h.z = vec![vec![0.0; 5]; 4];
        assert_eq!(h.domain(), (0.0, 0.001));
        let colours: Vec<RGBColor> = cells_of(&h).iter().map(|c| c.1).collect();
        assert!(colours.iter().all(|c| *c == heat_color(0.0)), "{colours:?}");
    }

    #[test]
    fn a_tiny_range_is_not_stretched() {
        // WAL 0.797 to 0.813 years: a 2 % range of its level spans about 8 % of the scale.
        let (lo, hi) = color_domain(0.797, 0.813, ValueKind::Number);
        assert!((hi - lo - 0.25 * 0.813).abs() < 1e-12, "{lo}..{hi}");
        let shade = |z: f64| (z - lo) / (hi - lo);
        assert!(shade(0.813) - shade(0.797) < 0.1);
        // A real spread keeps the data's own range.
        assert_eq!(color_domain(0.0, 0.02, ValueKind::Percent), (0.0, 0.02));
        assert_eq!(color_domain(1.5, 3.2, ValueKind::Number), (1.5, 3.2));
        // Never below zero for non-negative data, never above for non-positive data.
        assert_eq!(
            color_domain(0.0001, 0.0002, ValueKind::Percent),
            (0.0, 0.001)
        );
        let (_, b) = color_domain(-0.0002, -0.0001, ValueKind::Percent);
        assert_eq!(b, 0.0);
    }

    #[test]
    fn ragged_matrix_is_rejected() {
        let mut spec = sample(4, 4);
        spec.z[2].pop();
        assert!(spec.validate().is_err());
    }
}
