//! Fan chart over payment dates: per series a median step line with 25–75 % and 5–95 % bands
//! (e.g. pool balance and senior balance across simulated paths). A balance after a payment date
//! holds until the next date, so bands and medians are steps too.

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::element::Polygon;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::{Color, RGBColor};

use super::{step_line, steps};
use crate::chart::axis::day;
use crate::chart::frame::{AxisSpec, Frame, FrameSpec, Legend, Swatch, draw_frame};
use crate::chart::palette::series_color;
use crate::chart::{
    ChartError, ChartOptions, DrawResult, Render, Titles, ValueKind, check_dates, finite_range,
};

/// Opacity of the outer (5–95 %) and inner (25–75 %) bands; the inner band is drawn over the
/// outer one, so it looks darker.
const OUTER_ALPHA: f64 = 0.15;
const INNER_ALPHA: f64 = 0.3;

/// Percentiles of one quantity at each date.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FanSeries {
    /// Legend label stem; " 中位数 median", " 25–75%" and " 5–95%" are appended.
    pub name: String,
    /// 5th percentile per date.
    pub p5: Vec<f64>,
    /// 25th percentile per date.
    pub p25: Vec<f64>,
    /// Median per date.
    pub median: Vec<f64>,
    /// 75th percentile per date.
    pub p75: Vec<f64>,
    /// 95th percentile per date.
    pub p95: Vec<f64>,
    /// Colour of what the series is; `None` uses the series' position.
    pub color: Option<RGBColor>,
}

/// One or more fans over shared dates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FanChart {
    /// Chart and axis titles.
    pub titles: Titles,
    /// Increasing payment dates; each value holds from its date until the next.
    pub dates: Vec<NaiveDate>,
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

/// Fills between the steps of `lower` and `upper`, split at non-finite points.
fn band<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    frame: &Frame,
    x: &[f64],
    lower: &[f64],
    upper: &[f64],
    style: plotters::style::ShapeStyle,
) -> Result<(), ChartError> {
    let ok = |i: usize| lower[i].is_finite() && upper[i].is_finite();
    let mut start = 0;
    while start < x.len() {
        if !ok(start) {
            start += 1;
            continue;
        }
        let mut end = start;
        while end + 1 < x.len() && ok(end + 1) {
            end += 1;
        }
        if end > start {
            let r = start..=end;
            let px = |(x, y): (f64, f64)| (frame.px(x), frame.py(y));
            let mut pts: Vec<(i32, i32)> = steps(&x[r.clone()], &upper[r.clone()])
                .into_iter()
                .map(px)
                .collect();
            pts.extend(steps(&x[r.clone()], &lower[r]).into_iter().rev().map(px));
            root.draw(&Polygon::new(pts, style)).chart()?;
        }
        start = end + 1;
    }
    Ok(())
}

impl Render for FanChart {
    fn title(&self) -> &str {
        &self.titles.title
    }

    fn validate(&self) -> Result<(), ChartError> {
        check_dates(&self.dates, "fan chart")?;
        if self.series.is_empty() {
            return Err(ChartError::InvalidData("fan chart: no series".into()));
        }
        let n = self.dates.len();
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
        let range = finite_range(all);
        let color = |i: usize, s: &FanSeries| s.color.unwrap_or_else(|| series_color(i));
        let mut legend = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let c = color(i, s);
            legend.push((format!("{} 中位数 median", s.name), Swatch::Line(c)));
            legend.push((
                format!("{} 25–75%", s.name),
                Swatch::Band(c, INNER_ALPHA + OUTER_ALPHA),
            ));
            legend.push((format!("{} 5–95%", s.name), Swatch::Band(c, OUTER_ALPHA)));
        }
        let spec = FrameSpec::new(
            &self.titles,
            AxisSpec::dates(&self.dates),
            AxisSpec::from_zero(range, self.y_kind),
            Legend::from_entries(legend),
            opts,
        );
        let frame = draw_frame(root, &spec, opts)?;
        let x: Vec<f64> = self.dates.iter().map(|d| day(*d)).collect();
        // All bands before any median line, so no band covers another series' median.
        for (i, s) in self.series.iter().enumerate() {
            let c = color(i, s);
            band(root, &frame, &x, &s.p5, &s.p95, c.mix(OUTER_ALPHA).filled())?;
            band(
                root,
                &frame,
                &x,
                &s.p25,
                &s.p75,
                c.mix(INNER_ALPHA).filled(),
            )?;
        }
        let width = (frame.font_px / 7.0).round().max(2.0) as u32;
        for (i, s) in self.series.iter().enumerate() {
            step_line(root, &frame, &x, &s.median, color(i, s), width)?;
        }
        frame.finish(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{check_chart, monthly, opts};

    fn fan(name: &str, start: f64, n: usize) -> FanSeries {
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
            color: None,
        }
    }

    fn sample() -> FanChart {
        let n = 40;
        FanChart {
            titles: Titles::new(
                "资产池与优先档余额 Pool and senior balance",
                "支付日 Payment date",
                "余额 Balance",
            ),
            dates: monthly(n),
            series: vec![fan("资产池 Pool", 5.0e8, n), fan("优先A", 4.0e8, n)],
            y_kind: ValueKind::Amount,
        }
    }

    #[test]
    fn writes_png_and_svg() {
        check_chart(&sample(), opts(800, 500));
    }

    #[test]
    fn ragged_percentiles_are_rejected() {
        let mut spec = sample();
        spec.series[1].p75.pop();
        assert!(spec.validate().is_err());
    }
}
