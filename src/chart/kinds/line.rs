//! Line chart: several named series over labelled x positions (e.g. tranche balances by date).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use super::polyline;
use crate::chart::frame::{AxisSpec, FrameSpec, Legend, Swatch, draw_frame};
use crate::chart::{
    ChartError, ChartOptions, Render, Series, ValueKind, check_series, finite_range, write_chart,
};

/// Named series over shared x positions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineChart {
    /// Chart title.
    pub title: String,
    /// X axis title.
    pub x_title: String,
    /// Y axis title, without unit (the unit is added for amounts).
    pub y_title: String,
    /// One label per x position (dates, period numbers…); thinned when they would overlap.
    pub x_labels: Vec<String>,
    /// Series, each with one value per x label; NaN leaves a gap.
    pub series: Vec<Series>,
    /// What the y values are.
    pub y_kind: ValueKind,
}

impl Render for LineChart {
    fn validate(&self) -> Result<(), ChartError> {
        check_series(self.x_labels.len(), &self.series, "line chart")
    }

    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &ChartOptions,
    ) -> Result<(), ChartError> {
        let (lo, hi) = finite_range(self.series.iter().flat_map(|s| s.values.iter().copied()))
            .unwrap_or((0.0, 1.0));
        // Balances and rates read against zero; only negative data moves the floor.
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
            legend: Legend::from_entries(
                self.series
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.name.clone(), Swatch::Line(s.color_at(i))))
                    .collect(),
            ),
        };
        let frame = draw_frame(root, &spec, opts)?;
        let width = (frame.font_px / 7.0).round().max(2.0) as u32;
        for (i, s) in self.series.iter().enumerate() {
            let pts = s.values.iter().enumerate().map(|(x, &y)| (x as f64, y));
            polyline(root, &frame, pts, s.color_at(i), width)?;
        }
        frame.finish(root)
    }
}

/// Writes a line chart to `out_stem.png` / `out_stem.svg`; returns the files written.
pub fn line_chart(
    spec: &LineChart,
    out_stem: &Path,
    opts: &ChartOptions,
) -> Result<Vec<PathBuf>, ChartError> {
    write_chart(spec, out_stem, opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{assert_svg_deterministic, check_outputs, opts};

    fn sample(n: usize) -> LineChart {
        let labels = (0..n)
            .map(|i| format!("{}-{:02}-28", 2025 + (i + 2) / 12, (i + 2) % 12 + 1))
            .collect();
        let balance = |start: f64, amort: usize| {
            (0..n)
                .map(|i| (start * (1.0 - i as f64 / amort as f64)).max(0.0))
                .collect()
        };
        LineChart {
            title: "分档余额 Tranche balances".into(),
            x_title: "支付日 Payment date".into(),
            y_title: "余额 Balance".into(),
            x_labels: labels,
            series: vec![
                Series::new("优先A1", balance(3.0e8, n / 2)),
                Series::new("优先A2", balance(1.5e8, n)),
                Series::new("次级 Sub", vec![5.0e7; n]).with_color(4),
            ],
            y_kind: ValueKind::Amount,
        }
    }

    #[test]
    fn writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(800, 500);
        let spec = sample(60);
        let paths = line_chart(&spec, &dir.path().join("sub/line"), &o).unwrap();
        check_outputs(&paths, &o, &spec.title);
    }

    #[test]
    fn svg_is_deterministic() {
        assert_svg_deterministic(|p, o| line_chart(&sample(24), p, o).unwrap());
    }

    #[test]
    fn mismatched_lengths_are_rejected() {
        let mut spec = sample(5);
        spec.series[0].values.pop();
        let dir = tempfile::tempdir().unwrap();
        let err = line_chart(&spec, &dir.path().join("x"), &opts(400, 300)).unwrap_err();
        assert!(matches!(err, ChartError::InvalidData(_)), "{err}");
        assert!(!dir.path().join("x.png").exists());
    }
}
