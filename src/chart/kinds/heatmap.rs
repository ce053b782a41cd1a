//! Heat map: a matrix of z values over x and y grids (e.g. senior loss by default rate and
//! recovery rate), with a colour scale and, on small grids, the value printed in each cell.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::Rectangle;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::axis::{format_auto, format_list};
use crate::chart::font::{draw_text, measure, style};
use crate::chart::frame::{AxisSpec, FrameSpec, Legend, draw_frame};
use crate::chart::palette::{MISSING, heat_color, text_on};
use crate::chart::{
    ChartError, ChartOptions, DrawResult, Render, ValueKind, finite_range, write_chart,
};

/// Grids up to this size (both ways) get a value printed in each cell.
pub const ANNOTATE_MAX: usize = 12;

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

impl Render for Heatmap {
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
        let (nx, ny) = (self.x_values.len(), self.y_values.len());
        let (zmin, zmax) = finite_range(self.z.iter().flatten().copied()).unwrap_or((0.0, 1.0));
        let spec = FrameSpec {
            title: &self.title,
            x_title: self.x_kind.axis_title(&self.x_title, opts.unit),
            y_title: self.y_kind.axis_title(&self.y_title, opts.unit),
            x: AxisSpec::Categories {
                labels: format_list(&self.x_values, self.x_kind, opts.unit),
                pad: 0.5,
            },
            y: AxisSpec::Categories {
                labels: format_list(&self.y_values, self.y_kind, opts.unit),
                pad: 0.5,
            },
            legend: Legend::ColorBar {
                title: self.z_kind.axis_title(&self.z_title, opts.unit),
                min: zmin,
                max: zmax,
                kind: self.z_kind,
            },
        };
        let frame = draw_frame(root, &spec, opts)?;
        let span = zmax - zmin;
        let annotate = nx <= ANNOTATE_MAX && ny <= ANNOTATE_MAX;
        let (cw, ch) = (frame.x_unit_px(), frame.y_unit_px());
        let fpx = (frame.font_px * 0.9).min(ch * 0.45);
        for (r, row) in self.z.iter().enumerate() {
            for (c, &z) in row.iter().enumerate() {
                let (x0, x1) = (frame.px(c as f64 - 0.5), frame.px(c as f64 + 0.5));
                let (y0, y1) = (frame.py(r as f64 + 0.5), frame.py(r as f64 - 0.5));
                let color = if z.is_finite() {
                    heat_color(if span > 0.0 { (z - zmin) / span } else { 0.5 })
                } else {
                    MISSING
                };
                root.draw(&Rectangle::new([(x0, y0), (x1, y1)], color.filled()))
                    .chart()?;
                if annotate && z.is_finite() && fpx >= 7.0 {
                    let text = format_auto(z, self.z_kind, opts.unit);
                    // Values that do not fit their cell are left to the colour scale.
                    if (measure(&text, fpx).0 as f64) < cw * 0.92 {
                        let st = style(fpx, text_on(color), HPos::Center, VPos::Center);
                        draw_text(root, &text, &st, ((x0 + x1) / 2, (y0 + y1) / 2))?;
                    }
                }
            }
        }
        frame.finish(root)
    }
}

/// Writes a heat map to `out_stem.png` / `out_stem.svg`; returns the files written.
pub fn heatmap(
    spec: &Heatmap,
    out_stem: &Path,
    opts: &ChartOptions,
) -> Result<Vec<PathBuf>, ChartError> {
    write_chart(spec, out_stem, opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{assert_svg_deterministic, check_outputs, opts};

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

    #[test]
    fn writes_png_and_svg_small_and_large() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(800, 500);
        let small = sample(8, 6);
        let paths = heatmap(&small, &dir.path().join("heat"), &o).unwrap();
        check_outputs(&paths, &o, &small.title);
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains(">\n") || svg.contains("</text>"));
        let large = sample(40, 30);
        let paths = heatmap(&large, &dir.path().join("heat-large"), &o).unwrap();
        check_outputs(&paths, &o, &large.title);
    }

    #[test]
    fn svg_is_deterministic() {
        assert_svg_deterministic(|p, o| heatmap(&sample(6, 5), p, o).unwrap());
    }

    #[test]
    fn ragged_matrix_is_rejected() {
        let mut spec = sample(4, 4);
        spec.z[2].pop();
        let dir = tempfile::tempdir().unwrap();
        assert!(heatmap(&spec, &dir.path().join("x"), &opts(400, 300)).is_err());
    }
}
