//! Grouped bar chart: categories (e.g. tranches) × series (e.g. expected loss, probability of
//! loss), optionally on a log scale.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::Rectangle;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::axis::format_auto;
use crate::chart::font::{draw_text, measure, style};
use crate::chart::frame::{AxisSpec, FrameSpec, Legend, Swatch, draw_frame};
use crate::chart::palette::INK_SOFT;
use crate::chart::{
    ChartError, ChartOptions, DrawResult, Render, Series, ValueKind, check_series, finite_range,
    write_chart,
};

/// Side-by-side bars: one group per category, one bar per series.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupedBars {
    /// Chart title.
    pub title: String,
    /// X axis title.
    pub x_title: String,
    /// Y axis title, without unit.
    pub y_title: String,
    /// One label per group.
    pub categories: Vec<String>,
    /// Series, one value per category; NaN leaves the bar out.
    pub series: Vec<Series>,
    /// What the y values are.
    pub y_kind: ValueKind,
    /// Log-scale y axis; values ≤ 0 are left out.
    pub log_y: bool,
    /// Print each bar's value above it where there is room.
    pub value_labels: bool,
}

impl Render for GroupedBars {
    fn validate(&self) -> Result<(), ChartError> {
        check_series(self.categories.len(), &self.series, "grouped bars")
    }

    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &ChartOptions,
    ) -> Result<(), ChartError> {
        let values = self.series.iter().flat_map(|s| s.values.iter().copied());
        let (lo, hi) = if self.log_y {
            // Start a bit below the smallest bar so it still shows as a bar, not a line.
            finite_range(values.filter(|v| *v > 0.0)).map_or((0.01, 1.0), |(lo, hi)| (lo / 3.0, hi))
        } else {
            let (lo, hi) = finite_range(values).unwrap_or((0.0, 1.0));
            (lo.min(0.0), hi.max(0.0))
        };
        // Room above the tallest bar for its value label.
        let hi = if self.value_labels && !self.log_y {
            hi * 1.08
        } else {
            hi
        };
        let spec = FrameSpec {
            title: &self.title,
            x_title: self.x_title.clone(),
            y_title: self.y_kind.axis_title(&self.y_title, opts.unit),
            x: AxisSpec::Categories {
                labels: self.categories.clone(),
                pad: 0.5,
            },
            y: AxisSpec::Value {
                lo,
                hi,
                kind: self.y_kind,
                log: self.log_y,
            },
            legend: Legend::from_entries(
                self.series
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.name.clone(), Swatch::Fill(s.color_at(i))))
                    .collect(),
            ),
        };
        let frame = draw_frame(root, &spec, opts)?;
        let k = self.series.len() as f64;
        let group = frame.x_unit_px() * 0.8;
        let bar = group / k;
        let base = if self.log_y { frame.y.min } else { 0.0 };
        let fpx = (frame.font_px * 0.8).max(8.0);
        for c in 0..self.categories.len() {
            let gx = frame.px(c as f64) as f64 - group / 2.0;
            for (i, s) in self.series.iter().enumerate() {
                let v = s.values[c];
                if !v.is_finite() || (self.log_y && v <= 0.0) {
                    continue;
                }
                let x0 = (gx + bar * i as f64).round() as i32;
                let x1 = ((gx + bar * (i as f64 + 1.0)).round() as i32 - 1).max(x0 + 1);
                root.draw(&Rectangle::new(
                    [(x0, frame.py(v)), (x1, frame.py(base))],
                    s.color_at(i).filled(),
                ))
                .chart()?;
                if self.value_labels {
                    let text = format_auto(v, self.y_kind, opts.unit);
                    if measure(&text, fpx).0 <= x1 - x0 + 2 {
                        let (anchor, y) = if v >= 0.0 {
                            (VPos::Bottom, frame.py(v) - 3)
                        } else {
                            (VPos::Top, frame.py(v) + 3)
                        };
                        let st = style(fpx, INK_SOFT, HPos::Center, anchor);
                        draw_text(root, &text, &st, ((x0 + x1) / 2, y))?;
                    }
                }
            }
        }
        frame.finish(root)
    }
}

/// Writes a grouped bar chart to `out_stem.png` / `out_stem.svg`; returns the files written.
pub fn grouped_bars(
    spec: &GroupedBars,
    out_stem: &Path,
    opts: &ChartOptions,
) -> Result<Vec<PathBuf>, ChartError> {
    write_chart(spec, out_stem, opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{assert_svg_deterministic, check_outputs, opts};

    fn sample(log_y: bool) -> GroupedBars {
        GroupedBars {
            title: "各档损失 Tranche loss".into(),
            x_title: "分档 Tranche".into(),
            y_title: "概率 Probability".into(),
            categories: vec![
                "优先A1".into(),
                "优先A2".into(),
                "优先B".into(),
                "次级".into(),
            ],
            series: vec![
                Series::new("预期损失率 EL", vec![0.0, 0.0004, 0.012, 0.31]),
                Series::new("损失概率 P(loss)", vec![0.0001, 0.003, 0.05, 0.92]),
            ],
            y_kind: ValueKind::Percent,
            log_y,
            value_labels: true,
        }
    }

    #[test]
    fn writes_png_and_svg_linear_and_log() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(800, 500);
        for log in [false, true] {
            let spec = sample(log);
            let stem = dir.path().join(format!("grouped-{log}"));
            let paths = grouped_bars(&spec, &stem, &o).unwrap();
            check_outputs(&paths, &o, &spec.title);
        }
    }

    #[test]
    fn svg_is_deterministic() {
        assert_svg_deterministic(|p, o| grouped_bars(&sample(true), p, o).unwrap());
    }
}
