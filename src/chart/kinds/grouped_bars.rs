//! Grouped bar chart: categories (e.g. tranches) × series (e.g. expected loss, probability of
//! loss), optionally on a log scale.

use plotters::coord::Shift;
use plotters::element::Rectangle;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::axis::format_auto;
use crate::chart::font::{draw_text, measure, style};
use crate::chart::frame::{AxisSpec, FrameSpec, Legend, Swatch, draw_frame};
use crate::chart::palette::{INK_SOFT, text_on};
use crate::chart::{
    ChartError, ChartOptions, DrawResult, Render, Series, Titles, ValueKind, check_series,
    finite_range,
};

/// Side-by-side bars: one group per category, one bar per series.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupedBars {
    /// Chart and axis titles.
    pub titles: Titles,
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
    fn title(&self) -> &str {
        &self.titles.title
    }

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
        // Room above the tallest bar for its value label, but a rate axis stops at 100 %: a
        // label that finds no room above its bar goes inside it.
        let hi = if self.value_labels && !self.log_y {
            let room = hi * 1.08;
            if self.y_kind == ValueKind::Percent && hi <= 1.0 {
                room.min(1.0)
            } else {
                room
            }
        } else {
            hi
        };
        let spec = FrameSpec::new(
            &self.titles,
            AxisSpec::Categories {
                labels: self.categories.clone(),
                pad: 0.5,
            },
            AxisSpec::Value {
                lo,
                hi,
                kind: self.y_kind,
                log: self.log_y,
            },
            Legend::from_entries(
                self.series
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.name.clone(), Swatch::Fill(s.color_at(i))))
                    .collect(),
            ),
            opts,
        );
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
                    let (tw, th) = measure(&text, fpx);
                    if tw <= x1 - x0 + 2 {
                        let y_end = frame.py(v);
                        let bar_h = (frame.py(base) - y_end).abs();
                        let (anchor, y, ink) = if v < 0.0 {
                            (VPos::Top, y_end + 3, INK_SOFT)
                        } else if y_end - 3 - th >= frame.top {
                            (VPos::Bottom, y_end - 3, INK_SOFT)
                        } else if bar_h > th + 6 {
                            (VPos::Top, y_end + 3, text_on(s.color_at(i)))
                        } else {
                            continue;
                        };
                        let st = style(fpx, ink, HPos::Center, anchor);
                        draw_text(root, &text, &st, ((x0 + x1) / 2, y))?;
                    }
                }
            }
        }
        frame.finish(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{check_chart, opts};

    fn sample(log_y: bool) -> GroupedBars {
        GroupedBars {
            titles: Titles::new("各档损失 Tranche loss", "", "概率 Probability"),
            categories: vec!["预期损失 EL".into(), "损失概率 P(loss)".into()],
            series: vec![
                Series::new("优先A1", vec![0.0, 0.0001]),
                Series::new("优先A2", vec![0.0004, 0.003]),
                Series::new("优先B", vec![0.012, 0.05]),
                Series::new("次级", vec![0.31, 1.0]),
            ],
            y_kind: ValueKind::Percent,
            log_y,
            value_labels: true,
        }
    }

    #[test]
    fn writes_png_and_svg_linear_and_log() {
        for log in [false, true] {
            check_chart(&sample(log), opts(800, 500));
        }
    }
}
