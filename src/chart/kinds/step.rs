//! Step chart: values that change on dates and hold in between (e.g. tranche balances, which
//! stay put from one payment date to the next and drop on the date).

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use super::step_line;
use crate::chart::axis::day;
use crate::chart::frame::{AxisSpec, FrameSpec, Legend, Swatch, draw_frame};
use crate::chart::{
    ChartError, ChartOptions, Render, Series, Titles, ValueKind, check_dates, check_series,
    finite_range,
};

/// Named series over shared dates, drawn as steps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepChart {
    /// Chart and axis titles.
    pub titles: Titles,
    /// Increasing dates at which values change (e.g. the closing date and every payment date).
    pub dates: Vec<NaiveDate>,
    /// Series with one value per date: the value from that date until the next; NaN leaves a gap.
    pub series: Vec<Series>,
    /// What the y values are.
    pub y_kind: ValueKind,
}

impl Render for StepChart {
    fn title(&self) -> &str {
        &self.titles.title
    }

    fn validate(&self) -> Result<(), ChartError> {
        check_dates(&self.dates, "step chart")?;
        check_series(self.dates.len(), &self.series, "step chart")
    }

    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &ChartOptions,
    ) -> Result<(), ChartError> {
        let range = finite_range(self.series.iter().flat_map(|s| s.values.iter().copied()));
        let spec = FrameSpec::new(
            &self.titles,
            AxisSpec::dates(&self.dates),
            AxisSpec::from_zero(range, self.y_kind),
            Legend::from_entries(
                self.series
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.name.clone(), Swatch::Line(s.color_at(i))))
                    .collect(),
            ),
            opts,
        );
        let frame = draw_frame(root, &spec, opts)?;
        let width = (frame.font_px / 7.0).round().max(2.0) as u32;
        let x: Vec<f64> = self.dates.iter().map(|d| day(*d)).collect();
        for (i, s) in self.series.iter().enumerate() {
            step_line(root, &frame, &x, &s.values, s.color_at(i), width)?;
        }
        frame.finish(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{check_chart, monthly, opts};

    fn sample(n: usize) -> StepChart {
        let balance = |start: f64, amort: usize| {
            (0..n)
                .map(|i| (start * (1.0 - i as f64 / amort as f64)).max(0.0))
                .collect()
        };
        StepChart {
            titles: Titles::new(
                "分档余额 Tranche balances",
                "支付日 Payment date",
                "余额 Balance",
            ),
            dates: monthly(n),
            series: vec![
                Series::new("优先A1", balance(3.0e8, n / 2)),
                Series::new("优先A2", balance(1.5e8, n)),
                Series::new("次级 Sub", vec![5.0e7; n]),
            ],
            y_kind: ValueKind::Amount,
        }
    }

    #[test]
    fn writes_png_and_svg() {
        check_chart(&sample(60), opts(800, 500));
    }

    #[test]
    fn bad_data_is_rejected() {
        let mut spec = sample(5);
        spec.series[0].values.pop();
        assert!(matches!(spec.validate(), Err(ChartError::InvalidData(_))));
        let mut spec = sample(5);
        spec.dates.swap(1, 2);
        assert!(matches!(spec.validate(), Err(ChartError::InvalidData(_))));
    }
}
