//! Stacked bar chart: categories on x, named series stacked in each bar (e.g. cash paid per
//! period by recipient). Negative values stack downward from zero.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::Rectangle;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::Color;

use crate::chart::frame::{AxisSpec, FrameSpec, Legend, Swatch, draw_frame};
use crate::chart::{
    ChartError, ChartOptions, DrawResult, Render, Series, ValueKind, check_series, write_chart,
};

/// One stacked bar per category, first series at the bottom.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StackedBars {
    /// Chart title.
    pub title: String,
    /// X axis title.
    pub x_title: String,
    /// Y axis title, without unit.
    pub y_title: String,
    /// One label per bar.
    pub categories: Vec<String>,
    /// Series, one value per category; NaN counts as 0.
    pub series: Vec<Series>,
    /// What the y values are.
    pub y_kind: ValueKind,
}

impl Render for StackedBars {
    fn validate(&self) -> Result<(), ChartError> {
        check_series(self.categories.len(), &self.series, "stacked bars")
    }

    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &ChartOptions,
    ) -> Result<(), ChartError> {
        let n = self.categories.len();
        // Positive and negative parts stack separately so a negative item never hides a positive one.
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for c in 0..n {
            let (mut pos, mut neg) = (0.0, 0.0);
            for s in &self.series {
                let v = s.values[c];
                if v.is_finite() {
                    if v >= 0.0 {
                        pos += v;
                    } else {
                        neg += v;
                    }
                }
            }
            hi = hi.max(pos);
            lo = lo.min(neg);
        }
        let legend = self
            .series
            .iter()
            .enumerate()
            .rev()
            .map(|(i, s)| (s.name.clone(), Swatch::Fill(s.color_at(i))))
            .collect();
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
                log: false,
            },
            legend: Legend::from_entries(legend),
        };
        let frame = draw_frame(root, &spec, opts)?;
        let half = (frame.x_unit_px() * 0.36).max(0.5);
        for c in 0..n {
            let xc = frame.px(c as f64) as f64;
            let (x0, x1) = ((xc - half).round() as i32, (xc + half).round() as i32);
            let (mut pos, mut neg) = (0.0, 0.0);
            for (i, s) in self.series.iter().enumerate() {
                let v = s.values[c];
                if !v.is_finite() || v == 0.0 {
                    continue;
                }
                let (a, b) = if v > 0.0 {
                    pos += v;
                    (pos - v, pos)
                } else {
                    neg += v;
                    (neg - v, neg)
                };
                root.draw(&Rectangle::new(
                    [(x0, frame.py(a)), (x1.max(x0 + 1), frame.py(b))],
                    s.color_at(i).filled(),
                ))
                .chart()?;
            }
        }
        frame.finish(root)
    }
}

/// Writes a stacked bar chart to `out_stem.png` / `out_stem.svg`; returns the files written.
pub fn stacked_bars(
    spec: &StackedBars,
    out_stem: &Path,
    opts: &ChartOptions,
) -> Result<Vec<PathBuf>, ChartError> {
    write_chart(spec, out_stem, opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{assert_svg_deterministic, check_outputs, opts};

    fn sample() -> StackedBars {
        let n = 20;
        StackedBars {
            title: "各期现金分配 Cash paid by recipient".into(),
            x_title: "支付日 Payment date".into(),
            y_title: "金额 Amount".into(),
            categories: (0..n)
                .map(|i| format!("2026Q{}-{}", i % 4 + 1, i))
                .collect(),
            series: vec![
                Series::new("税费 Fees", vec![2.0e5; n]),
                Series::new(
                    "优先A1 利息",
                    (0..n).map(|i| 3.0e6 - 1.0e5 * i as f64).collect(),
                ),
                Series::new(
                    "优先A1 本金",
                    (0..n).map(|i| 1.0e7 + 2.0e5 * i as f64).collect(),
                ),
                Series::new(
                    "次级 Sub",
                    (0..n)
                        .map(|i| if i % 5 == 0 { -1.0e6 } else { 5.0e5 })
                        .collect(),
                ),
            ],
            y_kind: ValueKind::Amount,
        }
    }

    #[test]
    fn writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(800, 500);
        let spec = sample();
        let paths = stacked_bars(&spec, &dir.path().join("bars"), &o).unwrap();
        check_outputs(&paths, &o, &spec.title);
    }

    #[test]
    fn svg_is_deterministic() {
        assert_svg_deterministic(|p, o| stacked_bars(&sample(), p, o).unwrap());
    }
}
