//! Stacked area chart: named non-negative series stacked over labelled x positions (e.g.
//! collections by source per period).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::{PathElement, Polygon};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::{Color, WHITE};

use crate::chart::frame::{AxisSpec, FrameSpec, Legend, Swatch, draw_frame};
use crate::chart::{
    ChartError, ChartOptions, DrawResult, Render, Series, ValueKind, check_series, write_chart,
};

/// Series stacked on top of each other, first series at the bottom.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StackedArea {
    /// Chart title.
    pub title: String,
    /// X axis title.
    pub x_title: String,
    /// Y axis title, without unit.
    pub y_title: String,
    /// One label per x position.
    pub x_labels: Vec<String>,
    /// Non-negative series, one value per x label; NaN counts as 0.
    pub series: Vec<Series>,
    /// What the y values are.
    pub y_kind: ValueKind,
}

/// Running totals: `out[i][x]` is the top of layer `i` at `x`.
pub(crate) fn cumulate(series: &[Series], n: usize) -> Vec<Vec<f64>> {
    let mut acc = vec![0.0; n];
    series
        .iter()
        .map(|s| {
            for (a, v) in acc.iter_mut().zip(&s.values) {
                if v.is_finite() {
                    *a += v;
                }
            }
            acc.clone()
        })
        .collect()
}

impl Render for StackedArea {
    fn validate(&self) -> Result<(), ChartError> {
        check_series(self.x_labels.len(), &self.series, "stacked area")?;
        if let Some(s) = self
            .series
            .iter()
            .find(|s| s.values.iter().any(|v| *v < 0.0))
        {
            return Err(ChartError::InvalidData(format!(
                "stacked area: series {:?} has negative values",
                s.name
            )));
        }
        Ok(())
    }

    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &ChartOptions,
    ) -> Result<(), ChartError> {
        let n = self.x_labels.len();
        let tops = cumulate(&self.series, n);
        let hi = tops
            .last()
            .map_or(1.0, |t| t.iter().copied().fold(0.0, f64::max));
        // Legend top-to-bottom matches the stack as seen on the chart.
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
                labels: self.x_labels.clone(),
                pad: 0.0,
            },
            y: AxisSpec::Value {
                lo: 0.0,
                hi,
                kind: self.y_kind,
                log: false,
            },
            legend: Legend::from_entries(legend),
        };
        let frame = draw_frame(root, &spec, opts)?;
        let zero = vec![0.0; n];
        for (i, s) in self.series.iter().enumerate() {
            let lower = if i == 0 { &zero } else { &tops[i - 1] };
            let upper = &tops[i];
            let mut pts: Vec<(i32, i32)> = (0..n)
                .map(|x| (frame.px(x as f64), frame.py(upper[x])))
                .collect();
            pts.extend(
                (0..n)
                    .rev()
                    .map(|x| (frame.px(x as f64), frame.py(lower[x]))),
            );
            let color = s.color_at(i);
            if n == 1 {
                // A single period has no width; show it as a bar-like strip.
                let x = frame.px(0.0);
                let half = ((frame.right - frame.left) / 20).max(2);
                pts = vec![
                    (x - half, frame.py(upper[0])),
                    (x + half, frame.py(upper[0])),
                    (x + half, frame.py(lower[0])),
                    (x - half, frame.py(lower[0])),
                ];
            }
            root.draw(&Polygon::new(pts.clone(), color.mix(0.9).filled()))
                .chart()?;
            // A thin light edge separates neighbouring layers of similar colour.
            root.draw(&PathElement::new(
                pts[..pts.len() / 2].to_vec(),
                WHITE.stroke_width(1),
            ))
            .chart()?;
        }
        frame.finish(root)
    }
}

/// Writes a stacked area chart to `out_stem.png` / `out_stem.svg`; returns the files written.
pub fn stacked_area(
    spec: &StackedArea,
    out_stem: &Path,
    opts: &ChartOptions,
) -> Result<Vec<PathBuf>, ChartError> {
    write_chart(spec, out_stem, opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{assert_svg_deterministic, check_outputs, opts};

    fn sample() -> StackedArea {
        let n = 36;
        let wave = |a: f64, p: f64| -> Vec<f64> {
            (0..n)
                .map(|i| a * (1.0 + 0.5 * (i as f64 / p).sin()))
                .collect()
        };
        StackedArea {
            title: "回收款来源 Collections by source".into(),
            x_title: "期数 Period".into(),
            y_title: "回收 Collections".into(),
            x_labels: (1..=n).map(|i| i.to_string()).collect(),
            series: vec![
                Series::new("影视 Film", wave(2.0e6, 3.0)),
                Series::new("音乐 Music", wave(1.2e6, 5.0)),
                Series::new("专利 Patents", wave(8.0e5, 2.0)),
            ],
            y_kind: ValueKind::Amount,
        }
    }

    #[test]
    fn writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(800, 500);
        let spec = sample();
        let paths = stacked_area(&spec, &dir.path().join("area"), &o).unwrap();
        check_outputs(&paths, &o, &spec.title);
        assert_eq!(cumulate(&spec.series, 36)[2][0], 4.0e6);
    }

    #[test]
    fn svg_is_deterministic() {
        assert_svg_deterministic(|p, o| stacked_area(&sample(), p, o).unwrap());
    }

    #[test]
    fn negative_values_are_rejected() {
        let mut spec = sample();
        spec.series[1].values[3] = -1.0;
        let dir = tempfile::tempdir().unwrap();
        assert!(stacked_area(&spec, &dir.path().join("x"), &opts(400, 300)).is_err());
    }
}
