//! Stacked bar chart over payment dates: named series stacked in one bar per date (e.g. cash paid
//! per date by recipient, collections per date by source). Negative values stack downward from
//! zero. Each bar covers its own date only, so a single bullet payment is one bar, not a ramp.

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::element::Rectangle;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::{Color, RGBColor};

use crate::chart::axis::day;
use crate::chart::frame::{AxisSpec, Frame, FrameSpec, Legend, Swatch, draw_frame};
use crate::chart::labels::BoxPx;
use crate::chart::{
    ChartError, ChartOptions, DrawResult, Render, Series, Titles, ValueKind, check_dates,
    check_series,
};

/// Share of the shortest gap between two dates that a bar is wide: bars never touch, so each
/// reads as one date.
const BAR_SHARE: f64 = 0.7;
/// Gap assumed around a lone date (days), so a single bar is not as wide as the axis.
const LONE_DATE_GAP: f64 = 30.0;

/// One stacked bar per date, first series at the bottom.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StackedBars {
    /// Chart and axis titles.
    pub titles: Titles,
    /// Increasing dates, one bar each.
    pub dates: Vec<NaiveDate>,
    /// Series, one value per date; NaN counts as 0.
    pub series: Vec<Series>,
    /// What the y values are.
    pub y_kind: ValueKind,
}

/// Shortest gap between consecutive dates, in days ([`LONE_DATE_GAP`] for a single date).
fn shortest_gap(dates: &[NaiveDate]) -> f64 {
    let gap = dates
        .windows(2)
        .map(|w| day(w[1]) - day(w[0]))
        .fold(f64::INFINITY, f64::min);
    if gap.is_finite() {
        gap.max(1.0)
    } else {
        LONE_DATE_GAP
    }
}

impl StackedBars {
    /// Bottom and top of every stacked segment with its colour: `(date index, box, colour)`.
    pub(crate) fn segments(&self, frame: &Frame) -> Vec<(usize, BoxPx, RGBColor)> {
        let half_days = shortest_gap(&self.dates) * BAR_SHARE / 2.0;
        let mut out = Vec::new();
        for (c, d) in self.dates.iter().enumerate() {
            let (x0, x1) = (frame.px(day(*d) - half_days), frame.px(day(*d) + half_days));
            let (mut pos, mut neg) = (0.0, 0.0);
            for (i, s) in self.series.iter().enumerate() {
                let v = s.values[c];
                if !v.is_finite() || v == 0.0 {
                    continue;
                }
                // Positive and negative parts stack separately so a negative item never hides a
                // positive one.
                let (a, b) = if v > 0.0 {
                    pos += v;
                    (pos - v, pos)
                } else {
                    neg += v;
                    (neg - v, neg)
                };
                let (ya, yb) = (frame.py(a), frame.py(b));
                let bx = BoxPx {
                    left: x0,
                    right: x1.max(x0 + 1),
                    top: ya.min(yb),
                    bottom: ya.max(yb),
                };
                out.push((c, bx, s.color_at(i)));
            }
        }
        out
    }

    fn frame_spec(&self, opts: &ChartOptions) -> FrameSpec<'_> {
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for c in 0..self.dates.len() {
            let (mut pos, mut neg) = (0.0, 0.0);
            for v in self.series.iter().map(|s| s.values[c]) {
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
        // Legend top-to-bottom matches the stack as seen on the chart.
        let legend = self
            .series
            .iter()
            .enumerate()
            .rev()
            .map(|(i, s)| (s.name.clone(), Swatch::Fill(s.color_at(i))))
            .collect();
        FrameSpec::new(
            &self.titles,
            AxisSpec::Dates {
                dates: self.dates.clone(),
                pad_days: shortest_gap(&self.dates) / 2.0,
            },
            AxisSpec::Value {
                lo,
                hi,
                kind: self.y_kind,
                log: false,
            },
            Legend::from_entries(legend),
            opts,
        )
    }
}

impl Render for StackedBars {
    fn title(&self) -> &str {
        &self.titles.title
    }

    fn validate(&self) -> Result<(), ChartError> {
        check_dates(&self.dates, "stacked bars")?;
        check_series(self.dates.len(), &self.series, "stacked bars")
    }

    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &ChartOptions,
    ) -> Result<(), ChartError> {
        let frame = draw_frame(root, &self.frame_spec(opts), opts)?;
        for (_, b, color) in self.segments(&frame) {
            root.draw(&Rectangle::new(
                [(b.left, b.top), (b.right, b.bottom)],
                color.filled(),
            ))
            .chart()?;
        }
        frame.finish(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::frame::layout;
    use crate::chart::test_support::{check_chart, monthly, opts};

    fn sample() -> StackedBars {
        let n = 20;
        StackedBars {
            titles: Titles::new(
                "各期现金分配 Cash paid by recipient",
                "支付日 Payment date",
                "金额 Amount",
            ),
            dates: monthly(n),
            series: vec![
                Series::new("税费 Fees", vec![2.0e5; n]),
                Series::new(
                    "优先A1 利息",
                    (0..n).map(|i| 3.0e6 - 1.0e5 * i as f64).collect(),
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
        check_chart(&sample(), opts(800, 500));
    }

    #[test]
    fn a_bullet_payment_occupies_its_date_only() {
        // Quarterly dates with everything paid on the fifth: one bar, strictly between the
        // neighbouring dates, with nothing drawn on any other date.
        let dates: Vec<NaiveDate> = monthly(24).into_iter().step_by(3).collect();
        let mut bullet = vec![0.0; dates.len()];
        bullet[4] = 2.0e8;
        let chart = StackedBars {
            dates: dates.clone(),
            series: vec![Series::new("本金 principal", bullet)],
            ..sample()
        };
        let o = opts(1600, 1000);
        let frame = layout(&chart.frame_spec(&o), &o).unwrap().frame;
        let segs = chart.segments(&frame);
        assert_eq!(segs.len(), 1, "{segs:?}");
        let (date, b, _) = segs[0];
        assert_eq!(date, 4);
        assert!(b.left > frame.px(day(dates[3])) && b.right < frame.px(day(dates[5])));
        assert!(b.left < frame.px(day(dates[4])) && frame.px(day(dates[4])) < b.right);
    }

    #[test]
    fn irregular_dates_keep_bars_apart() {
        let mut dates = monthly(6);
        dates[0] = dates[1] - chrono::Days::new(9);
        let chart = StackedBars {
            dates,
            series: vec![Series::new("x", vec![1.0; 6])],
            ..sample()
        };
        let o = opts(1600, 1000);
        let frame = layout(&chart.frame_spec(&o), &o).unwrap().frame;
        let segs = chart.segments(&frame);
        assert!(
            segs.windows(2).all(|w| w[0].1.right < w[1].1.left),
            "{segs:?}"
        );
    }
}
