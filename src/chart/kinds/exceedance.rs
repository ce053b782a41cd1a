//! Exceedance curves: per series, P(X > x) against x, optionally with a log-scale probability
//! axis to show the tail.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::RGBColor;

use super::polyline;
use crate::chart::frame::{AxisSpec, FrameSpec, Legend, Swatch, draw_frame};
use crate::chart::palette::series_color;
use crate::chart::{ChartError, ChartOptions, Render, Titles, ValueKind, finite_range};

/// One exceedance curve.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExceedanceSeries {
    /// Legend label.
    pub name: String,
    /// `(x, P(X > x))` points in increasing x; probabilities as fractions.
    pub points: Vec<(f64, f64)>,
    /// Colour of what the curve is; `None` uses the series' position.
    pub color: Option<RGBColor>,
}

impl ExceedanceSeries {
    /// A curve coloured by its position in the chart.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            color: None,
        }
    }
}

/// Several exceedance curves on one chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExceedanceCurve {
    /// Chart and axis titles (the y axis is a probability, shown in %).
    pub titles: Titles,
    /// The curves.
    pub series: Vec<ExceedanceSeries>,
    /// What the x values are.
    pub x_kind: ValueKind,
    /// Log-scale probability axis; points with P = 0 are left out.
    pub log_y: bool,
}

impl Render for ExceedanceCurve {
    fn title(&self) -> &str {
        &self.titles.title
    }

    fn validate(&self) -> Result<(), ChartError> {
        if self.series.iter().all(|s| s.points.is_empty()) {
            return Err(ChartError::InvalidData(
                "exceedance curve: no points".into(),
            ));
        }
        Ok(())
    }

    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &ChartOptions,
    ) -> Result<(), ChartError> {
        let pts = || self.series.iter().flat_map(|s| s.points.iter().copied());
        let (xlo, xhi) = finite_range(pts().map(|p| p.0)).unwrap_or((0.0, 1.0));
        let (ylo, yhi) = if self.log_y {
            finite_range(pts().map(|p| p.1).filter(|p| *p > 0.0)).unwrap_or((1e-3, 1.0))
        } else {
            (
                0.0,
                finite_range(pts().map(|p| p.1)).map_or(1.0, |r| r.1.max(0.0)),
            )
        };
        let color = |i: usize, s: &ExceedanceSeries| s.color.unwrap_or_else(|| series_color(i));
        let spec = FrameSpec::new(
            &self.titles,
            AxisSpec::Value {
                lo: xlo,
                hi: xhi,
                kind: self.x_kind,
                log: false,
            },
            AxisSpec::Value {
                lo: ylo,
                hi: yhi,
                kind: ValueKind::Percent,
                log: self.log_y,
            },
            Legend::from_entries(
                self.series
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.name.clone(), Swatch::Line(color(i, s))))
                    .collect(),
            ),
            opts,
        );
        let frame = draw_frame(root, &spec, opts)?;
        let width = (frame.font_px / 7.0).round().max(2.0) as u32;
        for (i, s) in self.series.iter().enumerate() {
            let log = self.log_y;
            // On a log axis P = 0 has no position: break the curve there instead of diving to the floor.
            let p = s.points.iter().map(|&(x, p)| {
                if log && p <= 0.0 {
                    (x, f64::NAN)
                } else {
                    (x, p)
                }
            });
            polyline(root, &frame, p, color(i, s), width)?;
        }
        frame.finish(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{check_chart, opts};

    fn sample(log_y: bool) -> ExceedanceCurve {
        let curve = |scale: f64| -> Vec<(f64, f64)> {
            (0..=50)
                .map(|i| {
                    let x = i as f64 * 2.0e6;
                    (x, (-x / scale).exp())
                })
                .collect()
        };
        ExceedanceCurve {
            titles: Titles::new("损失超越概率 Loss exceedance", "损失 Loss", "P(损失 > x)"),
            series: vec![
                ExceedanceSeries::new("优先A1", curve(4.0e6)),
                ExceedanceSeries::new("优先B", curve(1.5e7)),
                ExceedanceSeries {
                    color: Some(crate::chart::palette::tranche_color(5)),
                    ..ExceedanceSeries::new("次级", curve(4.0e7))
                },
            ],
            x_kind: ValueKind::Amount,
            log_y,
        }
    }

    #[test]
    fn writes_png_and_svg_linear_and_log() {
        for log in [false, true] {
            check_chart(&sample(log), opts(800, 500));
        }
    }
}
