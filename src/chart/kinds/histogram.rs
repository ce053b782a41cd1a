//! Histogram of already-binned values, with labelled vertical markers (mean, percentiles,
//! break-even points).
//!
//! Marker labels sit in rows above the plot ([`stack_rows`]), each next to its line, on a white
//! ground: they never overlap each other, the bars or the title, and a line never runs across a
//! label's text.

use plotters::coord::Shift;
use plotters::element::Rectangle;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor, WHITE};

use super::dashed;
use crate::chart::axis::format_auto;
use crate::chart::font::{draw_text, measure, style};
use crate::chart::frame::{AxisSpec, Frame, FrameSpec, Legend, Swatch, draw_frame, layout};
use crate::chart::labels::{BoxPx, RowLabel, stack_rows};
use crate::chart::palette::{Role, statistic_color, tranche_color};
use crate::chart::{ChartError, ChartOptions, DrawResult, Render, Titles, ValueKind};

/// What a marker shows, which decides its colour and dash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    /// A statistic of the distribution (mean, a percentile): neutral grey, one dash length per
    /// statistic in the order given.
    Statistic,
    /// A value that belongs to tranche `index` (its break-even rate): the tranche's colour.
    Tranche(usize),
}

/// A labelled vertical line at `value` (x units).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Short label, e.g. "均值 mean" or "P95"; the formatted value is appended.
    pub label: String,
    /// Position on the x axis.
    pub value: f64,
    /// What the marker is.
    pub kind: MarkerKind,
}

impl Marker {
    /// A statistic marker at `value`.
    pub fn statistic(label: impl Into<String>, value: f64) -> Self {
        Self {
            label: label.into(),
            value,
            kind: MarkerKind::Statistic,
        }
    }

    /// A marker of tranche `index` at `value`.
    pub fn tranche(label: impl Into<String>, value: f64, index: usize) -> Self {
        Self {
            label: label.into(),
            value,
            kind: MarkerKind::Tranche(index),
        }
    }
}

/// Bars over given bins plus marker lines.
///
/// Bars are drawn in bin order as plain rectangles (not plotters' `Histogram`, whose hash map
/// makes SVG element order differ between runs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistogramChart {
    /// Chart and axis titles.
    pub titles: Titles,
    /// Legend label for the bars.
    pub name: String,
    /// `counts.len() + 1` strictly increasing bin edges.
    pub bin_edges: Vec<f64>,
    /// Count or frequency per bin.
    pub counts: Vec<f64>,
    /// What the x values are.
    pub x_kind: ValueKind,
    /// What the counts are: [`ValueKind::Number`] for counts, [`ValueKind::Percent`] for
    /// frequencies given as fractions.
    pub y_kind: ValueKind,
    /// Vertical marker lines.
    pub markers: Vec<Marker>,
    /// Colour of the bars; `None` is [`Role::PathShare`].
    pub color: Option<RGBColor>,
}

/// A marker ready to draw: colour, dash length (pixels), label text and label box.
struct DrawnMarker {
    value: f64,
    color: RGBColor,
    dash: i32,
    text: String,
    label: BoxPx,
}

impl HistogramChart {
    /// Finite markers in x order with their colour, dash and label text.
    fn styled_markers(&self, opts: &ChartOptions, fpx: f64) -> Vec<(f64, RGBColor, i32, String)> {
        let mut stats = 0;
        let mut out: Vec<(usize, f64, RGBColor, i32, String)> = Vec::new();
        for (i, m) in self.markers.iter().enumerate() {
            let (color, dash) = match m.kind {
                MarkerKind::Statistic => {
                    stats += 1;
                    // Shorter dashes for later statistics, so greys also differ in pattern.
                    let dash = (fpx * (0.9 - 0.2 * (stats - 1) as f64)).max(fpx * 0.2);
                    (statistic_color(stats - 1), dash as i32)
                }
                MarkerKind::Tranche(t) => (tranche_color(t), (fpx * 0.6) as i32),
            };
            if m.value.is_finite() {
                let text = format!(
                    "{} {}",
                    m.label,
                    format_auto(m.value, self.x_kind, opts.unit)
                );
                out.push((i, m.value, color, dash.max(2), text));
            }
        }
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out.into_iter()
            .map(|(_, v, c, d, t)| (v, c, d, t))
            .collect()
    }

    fn frame_spec(&self, opts: &ChartOptions) -> FrameSpec<'_> {
        let fpx = crate::chart::frame::base_font_px(opts);
        let markers = self.styled_markers(opts, fpx);
        let (mut lo, mut hi) = (self.bin_edges[0], *self.bin_edges.last().unwrap_or(&1.0));
        for (v, ..) in &markers {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
        let top = self
            .counts
            .iter()
            .copied()
            .filter(|c| c.is_finite())
            .fold(0.0, f64::max);
        let bar = self.color.unwrap_or(Role::PathShare.color());
        let mut legend = vec![(self.name.clone(), Swatch::Fill(bar))];
        legend.extend(
            markers
                .iter()
                .map(|(_, c, d, t)| (t.clone(), Swatch::Dashed(*c, *d))),
        );
        FrameSpec::new(
            &self.titles,
            AxisSpec::Value {
                lo,
                hi,
                kind: self.x_kind,
                log: false,
            },
            AxisSpec::Value {
                lo: 0.0,
                hi: if top > 0.0 { top } else { 1.0 },
                kind: self.y_kind,
                log: false,
            },
            Legend::from_entries(legend),
            opts,
        )
    }

    /// The frame (with a strip above the plot tall enough for the marker labels) and every
    /// marker with its label box.
    fn place_markers(
        &self,
        opts: &ChartOptions,
    ) -> Result<(FrameSpec<'_>, Frame, Vec<DrawnMarker>), ChartError> {
        let mut spec = self.frame_spec(opts);
        let fpx = crate::chart::frame::base_font_px(opts);
        let markers = self.styled_markers(opts, fpx);
        let row_h = (fpx * 1.35).ceil() as i32;
        let gap = (fpx * 0.6) as i32;
        // The strip changes the plot height and so, slightly, the y tick labels and the plot's
        // left edge: lay out again until the rows fit the strip they were placed for.
        for _ in 0..4 {
            let frame = layout(&spec, opts)?.frame;
            let labels: Vec<RowLabel> = markers
                .iter()
                .map(|(v, _, _, t)| RowLabel {
                    anchor: frame.px(*v),
                    width: measure(t, fpx).0,
                })
                .collect();
            let placed = stack_rows(&labels, frame.left, frame.right, gap);
            let rows = placed.iter().map(|p| p.row + 1).max().unwrap_or(0) as i32;
            let need = rows * row_h + gap / 2;
            if need <= spec.top_strip {
                let drawn = markers
                    .iter()
                    .zip(placed)
                    .map(|((v, c, d, t), p)| {
                        let bottom = frame.top - gap / 2 - p.row as i32 * row_h;
                        DrawnMarker {
                            value: *v,
                            color: *c,
                            dash: *d,
                            text: t.clone(),
                            label: BoxPx {
                                left: p.left,
                                right: p.right,
                                top: bottom - fpx.ceil() as i32,
                                bottom,
                            },
                        }
                    })
                    .collect();
                return Ok((spec, frame, drawn));
            }
            spec.top_strip = need;
        }
        Err(ChartError::Draw(
            "histogram: marker labels found no stable layout".into(),
        ))
    }
}

impl Render for HistogramChart {
    fn title(&self) -> &str {
        &self.titles.title
    }

    fn validate(&self) -> Result<(), ChartError> {
        let bad = |m: &str| Err(ChartError::InvalidData(format!("histogram: {m}")));
        if self.counts.is_empty() {
            return bad("no bins");
        }
        if self.bin_edges.len() != self.counts.len() + 1 {
            return bad("need one more bin edge than counts");
        }
        if self.bin_edges.iter().any(|e| !e.is_finite())
            || self.bin_edges.windows(2).any(|w| w[1] <= w[0])
        {
            return bad("bin edges must be finite and strictly increasing");
        }
        Ok(())
    }

    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &ChartOptions,
    ) -> Result<(), ChartError> {
        let (spec, _, markers) = self.place_markers(opts)?;
        let frame = draw_frame(root, &spec, opts)?;
        let fill = self.color.unwrap_or(Role::PathShare.color()).filled();
        for (i, &c) in self.counts.iter().enumerate() {
            if !c.is_finite() || c <= 0.0 {
                continue;
            }
            let (x0, x1) = (frame.px(self.bin_edges[i]), frame.px(self.bin_edges[i + 1]));
            // A one-pixel gap separates bars only where bars are wide enough to spare it.
            let x1 = if x1 - x0 > 4 { x1 - 1 } else { x1.max(x0 + 1) };
            root.draw(&Rectangle::new(
                [(x0, frame.py(c)), (x1, frame.py(0.0))],
                fill,
            ))
            .chart()?;
        }
        let fpx = frame.font_px;
        for m in &markers {
            let x = frame.px(m.value);
            dashed(
                root,
                (x, frame.bottom),
                (x, m.label.bottom),
                m.color,
                2,
                m.dash,
            )?;
        }
        // Labels last, each on a white ground, so no line runs across a label's text.
        let pad = (fpx * 0.2) as i32;
        for m in &markers {
            let b = m.label;
            root.draw(&Rectangle::new(
                [(b.left - pad, b.top - pad), (b.right + pad, b.bottom + pad)],
                WHITE.filled(),
            ))
            .chart()?;
            let st = style(fpx, m.color, HPos::Left, VPos::Top);
            draw_text(root, &m.text, &st, (b.left, b.top))?;
        }
        frame.finish(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{check_chart, opts};

    fn sample(markers: Vec<Marker>) -> HistogramChart {
        let n = 40;
        let edges: Vec<f64> = (0..=n).map(|i| i as f64 * 0.0125).collect();
        let counts = (0..n)
            .map(|i| {
                let z = (i as f64 - 14.0) / 6.0;
                0.05 * (-z * z / 2.0).exp()
            })
            .collect();
        HistogramChart {
            titles: Titles::new(
                "资产池累计违约率分布 Pool cumulative default rate",
                "累计违约率 Cumulative default rate",
                "路径占比 Share of paths",
            ),
            name: "模拟路径 simulated".into(),
            bin_edges: edges,
            counts,
            x_kind: ValueKind::Percent,
            y_kind: ValueKind::Percent,
            markers,
            color: None,
        }
    }

    /// The lease deal's markers: statistics, a sub break-even and three seniors at 100 %.
    fn crowded() -> Vec<Marker> {
        vec![
            Marker::statistic("均值 mean", 0.0608),
            Marker::statistic("P50", 0.0273),
            Marker::statistic("P95", 0.232),
            Marker::statistic("P99", 0.354),
            Marker::tranche("A1 BDR", 1.0, 0),
            Marker::tranche("A2 BDR", 1.0, 1),
            Marker::tranche("A3 BDR", 1.0, 2),
            Marker::tranche("Sub BDR", 0.44, 3),
            Marker::tranche("盈亏平衡 break-even", 0.065, 3),
        ]
    }

    #[test]
    fn writes_png_and_svg() {
        check_chart(&sample(crowded()), opts(800, 500));
    }

    #[test]
    fn marker_labels_never_overlap_anything() {
        for (w, h) in [(1600, 1000), (800, 500), (640, 400)] {
            let o = opts(w, h);
            let chart = sample(crowded());
            let (_, frame, markers) = chart.place_markers(&o).unwrap();
            let boxes: Vec<BoxPx> = markers.iter().map(|m| m.label).collect();
            for (i, a) in boxes.iter().enumerate() {
                for b in &boxes[i + 1..] {
                    assert!(!a.overlaps(b), "{w}x{h}: {a:?} overlaps {b:?}");
                }
                assert!(!a.overlaps(&frame.title_box), "{w}x{h}: label on the title");
                assert!(a.bottom <= frame.top, "{w}x{h}: label inside the plot");
                assert!(
                    a.left >= frame.left && a.right <= frame.right,
                    "{w}x{h}: {a:?}"
                );
            }
            // Labels are measured text: their boxes must hold the text they print.
            for m in &markers {
                assert!(m.label.right - m.label.left >= measure(&m.text, frame.font_px).0);
            }
        }
    }

    #[test]
    fn statistics_are_grey_and_break_evens_take_their_tranche_colour() {
        let chart = sample(crowded());
        let o = opts(1600, 1000);
        let styled = chart.styled_markers(&o, 22.0);
        for (_, color, _, text) in &styled {
            let grey = color.0 == color.1 && color.1 == color.2;
            if text.contains("BDR") || text.contains("break-even") {
                let t = ["A1", "A2", "A3", "Sub"]
                    .iter()
                    .position(|n| text.starts_with(n))
                    .unwrap_or(3);
                assert_eq!(*color, tranche_color(t), "{text}");
            } else {
                assert!(grey, "{text} is a statistic but not grey");
            }
        }
    }

    #[test]
    fn bad_edges_are_rejected() {
        let mut spec = sample(vec![]);
        spec.bin_edges.swap(3, 4);
        assert!(spec.validate().is_err());
        spec.bin_edges.pop();
        assert!(spec.validate().is_err());
    }
}
