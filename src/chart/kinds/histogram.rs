//! Histogram of already-binned values, with labelled vertical markers (mean, percentiles,
//! break-even points).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::Rectangle;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, VPos};

use super::dashed;
use crate::chart::axis::format_auto;
use crate::chart::font::{draw_text, measure, style};
use crate::chart::frame::{AxisSpec, FrameSpec, Legend, Swatch, draw_frame};
use crate::chart::palette::series_color;
use crate::chart::{ChartError, ChartOptions, DrawResult, Render, ValueKind, write_chart};

/// A labelled vertical line at `value` (x units).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Short label, e.g. "均值 mean" or "P95"; the formatted value is appended.
    pub label: String,
    /// Position on the x axis.
    pub value: f64,
}

impl Marker {
    /// A marker at `value`.
    pub fn new(label: impl Into<String>, value: f64) -> Self {
        Self {
            label: label.into(),
            value,
        }
    }
}

/// Bars over given bins plus marker lines.
///
/// Bars are drawn in bin order as plain rectangles (not plotters' `Histogram`, whose hash map
/// makes SVG element order differ between runs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistogramChart {
    /// Chart title.
    pub title: String,
    /// X axis title, without unit.
    pub x_title: String,
    /// Y axis title (e.g. "路径数 paths" or "频率 frequency").
    pub y_title: String,
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
    /// Palette index of the bars; `None` is 0.
    pub color: Option<usize>,
}

/// Palette indices for markers: the bars use their own colour, markers skip it.
fn marker_color(bar: usize, i: usize) -> plotters::style::RGBColor {
    const ORDER: [usize; 6] = [2, 1, 4, 6, 8, 3];
    let mut k = 0;
    let mut seen = 0;
    loop {
        let c = ORDER[k % ORDER.len()] + 10 * (k / ORDER.len());
        if c % 10 != bar % 10 {
            if seen == i {
                return series_color(c);
            }
            seen += 1;
        }
        k += 1;
    }
}

impl Render for HistogramChart {
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
        let bar = self.color.unwrap_or(0);
        let mut markers: Vec<(usize, &Marker)> = self
            .markers
            .iter()
            .enumerate()
            .filter(|(_, m)| m.value.is_finite())
            .collect();
        markers.sort_by(|a, b| a.1.value.total_cmp(&b.1.value).then(a.0.cmp(&b.0)));
        let texts: Vec<String> = markers
            .iter()
            .map(|(_, m)| {
                format!(
                    "{} {}",
                    m.label,
                    format_auto(m.value, self.x_kind, opts.unit)
                )
            })
            .collect();

        let (mut lo, mut hi) = (self.bin_edges[0], *self.bin_edges.last().unwrap_or(&1.0));
        for (_, m) in &markers {
            lo = lo.min(m.value);
            hi = hi.max(m.value);
        }
        let top = self
            .counts
            .iter()
            .copied()
            .filter(|c| c.is_finite())
            .fold(0.0, f64::max);
        // Head room above the tallest bar for up to four rows of marker labels.
        let rows = markers.len().min(4) as f64;
        let top = if top > 0.0 {
            top * (1.0 + 0.09 * rows)
        } else {
            1.0
        };

        let mut legend = vec![(self.name.clone(), Swatch::Fill(series_color(bar)))];
        for (k, (i, m)) in markers.iter().enumerate() {
            legend.push((texts[k].clone(), Swatch::Dashed(marker_color(bar, *i))));
            let _ = m;
        }
        let spec = FrameSpec {
            title: &self.title,
            x_title: self.x_kind.axis_title(&self.x_title, opts.unit),
            y_title: self.y_title.clone(),
            x: AxisSpec::Value {
                lo,
                hi,
                kind: self.x_kind,
                log: false,
            },
            y: AxisSpec::Value {
                lo: 0.0,
                hi: top,
                kind: self.y_kind,
                log: false,
            },
            legend: Legend::from_entries(legend),
        };
        let frame = draw_frame(root, &spec, opts)?;
        let fill = series_color(bar).filled();
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
        let row_h = (fpx * 1.3) as i32;
        let gap = (fpx * 0.8) as i32;
        let mut row_end: Vec<i32> = Vec::new();
        for (k, (i, m)) in markers.iter().enumerate() {
            let color = marker_color(bar, *i);
            let x = frame.px(m.value);
            dashed(
                root,
                (x, frame.top),
                (x, frame.bottom),
                color,
                2,
                (fpx * 0.5) as i32,
            )?;
            let w = measure(&texts[k], fpx).0;
            // Labels sit right of their line unless that runs off the plot.
            let right_side = x + 4 + w <= frame.right;
            let (l, r) = if right_side {
                (x + 4, x + 4 + w)
            } else {
                (x - 4 - w, x - 4)
            };
            let row = row_end
                .iter()
                .position(|&end| end + gap <= l)
                .unwrap_or_else(|| {
                    if row_end.len() < 4 {
                        row_end.push(i32::MIN);
                        row_end.len() - 1
                    } else {
                        k % 4
                    }
                });
            row_end[row] = r;
            let y = frame.top + 4 + row_h * row as i32;
            let h = if right_side { HPos::Left } else { HPos::Right };
            let tx = if right_side { x + 4 } else { x - 4 };
            draw_text(root, &texts[k], &style(fpx, color, h, VPos::Top), (tx, y))?;
        }
        frame.finish(root)
    }
}

/// Writes a histogram to `out_stem.png` / `out_stem.svg`; returns the files written.
pub fn histogram(
    spec: &HistogramChart,
    out_stem: &Path,
    opts: &ChartOptions,
) -> Result<Vec<PathBuf>, ChartError> {
    write_chart(spec, out_stem, opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{assert_svg_deterministic, check_outputs, opts};

    fn sample() -> HistogramChart {
        let n = 40;
        let edges: Vec<f64> = (0..=n).map(|i| i as f64 * 2.5e6).collect();
        let counts = (0..n)
            .map(|i| {
                let z = (i as f64 - 14.0) / 6.0;
                (1000.0 * (-z * z / 2.0).exp()).round()
            })
            .collect();
        HistogramChart {
            title: "次级档收益分布 Equity payout distribution".into(),
            x_title: "收益 Payout".into(),
            y_title: "路径数 Paths".into(),
            name: "模拟路径 simulated".into(),
            bin_edges: edges,
            counts,
            x_kind: ValueKind::Amount,
            y_kind: ValueKind::Number,
            markers: vec![
                Marker::new("均值 mean", 3.6e7),
                Marker::new("P5", 1.1e7),
                Marker::new("P95", 6.0e7),
                Marker::new("盈亏平衡 break-even", 3.5e7),
            ],
            color: None,
        }
    }

    #[test]
    fn writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(800, 500);
        let spec = sample();
        let paths = histogram(&spec, &dir.path().join("hist"), &o).unwrap();
        check_outputs(&paths, &o, &spec.title);
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        assert!(
            svg.contains("盈亏平衡 break-even 3,500"),
            "marker label missing"
        );
    }

    #[test]
    fn svg_is_deterministic() {
        assert_svg_deterministic(|p, o| histogram(&sample(), p, o).unwrap());
    }

    #[test]
    fn bad_edges_are_rejected() {
        let mut spec = sample();
        spec.bin_edges.swap(3, 4);
        let dir = tempfile::tempdir().unwrap();
        assert!(histogram(&spec, &dir.path().join("x"), &opts(400, 300)).is_err());
        spec.bin_edges.pop();
        assert!(histogram(&spec, &dir.path().join("x"), &opts(400, 300)).is_err());
    }

    #[test]
    fn marker_colours_skip_bar_colour() {
        for i in 0..12 {
            assert_ne!(marker_color(2, i), series_color(2));
        }
    }
}
