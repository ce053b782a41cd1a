//! Fan chart: per series a median line with 25–75 % and 5–95 % bands over labelled x positions
//! (e.g. pool balance and senior balance across simulated paths).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::Polygon;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::Color;

use super::polyline;
use crate::chart::frame::Frame;
use crate::chart::frame::{AxisSpec, FrameSpec, Legend, Swatch, draw_frame};
use crate::chart::palette::series_color;
use crate::chart::{
    ChartError, ChartOptions, DrawResult, Render, ValueKind, finite_range, write_chart,
};

/// Opacity of the outer (5–95 %) and inner (25–75 %) bands; the inner band is drawn over the
/// outer one, so it looks darker.
const OUTER_ALPHA: f64 = 0.15;
const INNER_ALPHA: f64 = 0.3;

/// Percentiles of one quantity at each x position.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FanSeries {
    /// Legend label stem; " 中位数", " 25–75%" and " 5–95%" are appended.
    pub name: String,
    /// 5th percentile per x position.
    pub p5: Vec<f64>,
    /// 25th percentile per x position.
    pub p25: Vec<f64>,
    /// Median per x position.
    pub median: Vec<f64>,
    /// 75th percentile per x position.
    pub p75: Vec<f64>,
    /// 95th percentile per x position.
    pub p95: Vec<f64>,
    /// Palette index; `None` uses the series' position.
    pub color: Option<usize>,
}

/// One or more fans over shared x positions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FanChart {
    /// Chart title.
    pub title: String,
    /// X axis title.
    pub x_title: String,
    /// Y axis title, without unit.
    pub y_title: String,
    /// One label per x position.
    pub x_labels: Vec<String>,
    /// The fans.
    pub series: Vec<FanSeries>,
    /// What the y values are.
    pub y_kind: ValueKind,
}

impl FanSeries {
    fn columns(&self) -> [&Vec<f64>; 5] {
        [&self.p5, &self.p25, &self.median, &self.p75, &self.p95]
    }
}

/// Fills between `lower` and `upper`, split at non-finite points.
fn band<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    frame: &Frame,
    lower: &[f64],
    upper: &[f64],
    style: plotters::style::ShapeStyle,
) -> Result<(), ChartError> {
    let n = lower.len();
    let mut start = 0;
    while start < n {
        let ok = |i: usize| lower[i].is_finite() && upper[i].is_finite();
        if !ok(start) {
            start += 1;
            continue;
        }
        let mut end = start;
        while end + 1 < n && ok(end + 1) {
            end += 1;
        }
        if end > start {
            let mut pts: Vec<(i32, i32)> = (start..=end)
                .map(|i| (frame.px(i as f64), frame.py(upper[i])))
                .collect();
            pts.extend(
                (start..=end)
                    .rev()
                    .map(|i| (frame.px(i as f64), frame.py(lower[i]))),
            );
            root.draw(&Polygon::new(pts, style)).chart()?;
        }
        start = end + 1;
    }
    Ok(())
}

impl Render for FanChart {
    fn validate(&self) -> Result<(), ChartError> {
        let n = self.x_labels.len();
        if n == 0 || self.series.is_empty() {
            return Err(ChartError::InvalidData("fan chart: no data".into()));
        }
        for s in &self.series {
            if s.columns().iter().any(|c| c.len() != n) {
                return Err(ChartError::InvalidData(format!(
                    "fan chart: series {:?} needs {n} values in every percentile",
                    s.name
                )));
            }
        }
        Ok(())
    }

    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &ChartOptions,
    ) -> Result<(), ChartError> {
        let all = self
            .series
            .iter()
            .flat_map(|s| s.columns().into_iter().flat_map(|c| c.iter().copied()));
        let (lo, hi) = finite_range(all).unwrap_or((0.0, 1.0));
        let color = |i: usize, s: &FanSeries| series_color(s.color.unwrap_or(i));
        let mut legend = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let c = color(i, s);
            legend.push((format!("{} 中位数", s.name), Swatch::Line(c)));
            legend.push((
                format!("{} 25–75%", s.name),
                Swatch::Band(c, INNER_ALPHA + OUTER_ALPHA),
            ));
            legend.push((format!("{} 5–95%", s.name), Swatch::Band(c, OUTER_ALPHA)));
        }
        let spec = FrameSpec {
            title: &self.title,
            x_title: self.x_title.clone(),
            y_title: self.y_kind.axis_title(&self.y_title, opts.unit),
            x: AxisSpec::Categories {
                labels: self.x_labels.clone(),
                pad: 0.0,
            },
            y: AxisSpec::Value {
                lo: lo.min(0.0),
                hi: hi.max(0.0),
                kind: self.y_kind,
                log: false,
            },
            legend: Legend::from_entries(legend),
        };
        let frame = draw_frame(root, &spec, opts)?;
        // All bands before any median line, so no band covers another series' median.
        for (i, s) in self.series.iter().enumerate() {
            let c = color(i, s);
            band(root, &frame, &s.p5, &s.p95, c.mix(OUTER_ALPHA).filled())?;
            band(root, &frame, &s.p25, &s.p75, c.mix(INNER_ALPHA).filled())?;
        }
        let width = (frame.font_px / 7.0).round().max(2.0) as u32;
        for (i, s) in self.series.iter().enumerate() {
            let pts = s.median.iter().enumerate().map(|(x, &y)| (x as f64, y));
            polyline(root, &frame, pts, color(i, s), width)?;
        }
        frame.finish(root)
    }
}

/// Writes a fan chart to `out_stem.png` / `out_stem.svg`; returns the files written.
pub fn fan_chart(
    spec: &FanChart,
    out_stem: &Path,
    opts: &ChartOptions,
) -> Result<Vec<PathBuf>, ChartError> {
    write_chart(spec, out_stem, opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{assert_svg_deterministic, check_outputs, opts};

    fn fan(name: &str, start: f64, n: usize, color: Option<usize>) -> FanSeries {
        let at = |spread: f64| -> Vec<f64> {
            (0..n)
                .map(|i| {
                    let t = i as f64 / n as f64;
                    (start * (1.0 - t) * (1.0 + spread * t)).max(0.0)
                })
                .collect()
        };
        FanSeries {
            name: name.into(),
            p5: at(-0.6),
            p25: at(-0.25),
            median: at(0.0),
            p75: at(0.25),
            p95: at(0.6),
            color,
        }
    }

    fn sample() -> FanChart {
        let n = 40;
        FanChart {
            title: "资产池与优先档余额 Pool and senior balance".into(),
            x_title: "期数 Period".into(),
            y_title: "余额 Balance".into(),
            x_labels: (1..=n).map(|i| format!("第{i}期")).collect(),
            series: vec![
                fan("资产池 Pool", 5.0e8, n, Some(9)),
                fan("优先A", 4.0e8, n, Some(0)),
            ],
            y_kind: ValueKind::Amount,
        }
    }

    #[test]
    fn writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(800, 500);
        let spec = sample();
        let paths = fan_chart(&spec, &dir.path().join("fan"), &o).unwrap();
        check_outputs(&paths, &o, &spec.title);
    }

    #[test]
    fn svg_is_deterministic() {
        assert_svg_deterministic(|p, o| fan_chart(&sample(), p, o).unwrap());
    }

    #[test]
    fn ragged_percentiles_are_rejected() {
        let mut spec = sample();
        spec.series[1].p75.pop();
        let dir = tempfile::tempdir().unwrap();
        assert!(fan_chart(&spec, &dir.path().join("x"), &opts(400, 300)).is_err());
    }
}
