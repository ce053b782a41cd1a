//! Shared chart layout: title, plot area, grid, ticks, axis titles and legend.
//!
//! Every chart kind draws its data into the plot rectangle that [`draw_frame`] lays out, so all
//! charts share margins, fonts, tick rules, the title and the legend. Sizes scale with the image
//! so a 800×500 preview and a 3200×2000 print look alike.

use plotters::coord::Shift;
use plotters::element::{PathElement, Rectangle};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor, WHITE};

use chrono::NaiveDate;

use super::axis::{Scale, Tick, day, linear_ticks, log_ticks};
use super::font::{draw_text, measure, style, style_vertical};
use super::labels::BoxPx;
use super::palette::{GRID, INK, INK_SOFT, heat_color};
use super::{ChartError, ChartOptions, DrawResult, Titles, ValueKind};

/// How one axis is scaled and labelled.
pub(crate) enum AxisSpec {
    /// Numeric axis covering at least `lo..hi` (data units), widened to nice ticks.
    Value {
        lo: f64,
        hi: f64,
        kind: ValueKind,
        log: bool,
    },
    /// One slot per label at positions 0, 1, …; `pad` is the space before the first and after the
    /// last slot in slot widths (0.5 for bars, 0 for lines that should touch the edges).
    Categories { labels: Vec<String>, pad: f64 },
    /// Time in days: x = [`day`] of a date. Ticks sit on the given dates (payment dates), thinned
    /// so labels never touch; `pad_days` is added before the first and after the last date.
    Dates {
        dates: Vec<NaiveDate>,
        pad_days: f64,
    },
}

impl AxisSpec {
    /// A dated axis from the first to the last date, with no padding (steps start and end there).
    pub fn dates(dates: &[NaiveDate]) -> Self {
        Self::Dates {
            dates: dates.to_vec(),
            pad_days: 0.0,
        }
    }

    /// A linear axis over `range` widened to include zero: balances and rates read against
    /// zero, so only negative data move the floor. `None` (no finite data) is 0 to 1.
    pub fn from_zero(range: Option<(f64, f64)>, kind: ValueKind) -> Self {
        let (lo, hi) = range.unwrap_or((0.0, 1.0));
        Self::Value {
            lo: lo.min(0.0),
            hi: hi.max(0.0),
            kind,
            log: false,
        }
    }
}

/// Sample drawn next to a legend label.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Swatch {
    Line(RGBColor),
    /// Dashed line with `dash` pixels on, `dash` off (statistics get distinct dash lengths).
    Dashed(RGBColor, i32),
    Fill(RGBColor),
    /// Translucent fill, as used by fan-chart bands.
    Band(RGBColor, f64),
}

/// Legend shown in a panel right of the plot, where it can never hide data.
pub(crate) enum Legend {
    None,
    Entries(Vec<(String, Swatch)>),
    /// Colour scale for heat maps: `title` above a vertical bar from `min` to `max`.
    ColorBar {
        title: String,
        min: f64,
        max: f64,
        kind: ValueKind,
    },
}

impl Legend {
    /// Entries with a label; no legend at all when none has one (a lone unnamed series).
    pub fn from_entries(entries: Vec<(String, Swatch)>) -> Self {
        let entries: Vec<_> = entries.into_iter().filter(|(l, _)| !l.is_empty()).collect();
        if entries.is_empty() {
            Self::None
        } else {
            Self::Entries(entries)
        }
    }
}

/// Everything [`draw_frame`] needs.
pub(crate) struct FrameSpec<'a> {
    pub title: &'a str,
    pub x_title: String,
    pub y_title: String,
    pub x: AxisSpec,
    pub y: AxisSpec,
    pub legend: Legend,
    /// Pixels kept free between the title and the plot (rows of marker labels).
    pub top_strip: i32,
}

impl<'a> FrameSpec<'a> {
    /// A frame titled from `titles`; value axes of amounts get the display unit in their title.
    pub fn new(
        titles: &'a Titles,
        x: AxisSpec,
        y: AxisSpec,
        legend: Legend,
        opts: &ChartOptions,
    ) -> Self {
        let axis_title = |title: &str, axis: &AxisSpec| match axis {
            AxisSpec::Value { kind, .. } => kind.axis_title(title, opts.unit),
            _ => title.to_string(),
        };
        Self {
            title: &titles.title,
            x_title: axis_title(&titles.x, &x),
            y_title: axis_title(&titles.y, &y),
            x,
            y,
            legend,
            top_strip: 0,
        }
    }
}

/// The laid-out plot area; maps data coordinates to pixels.
pub(crate) struct Frame {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
    pub x: Scale,
    pub y: Scale,
    /// Base text size in pixels, for chart kinds that add their own text.
    pub font_px: f64,
    /// Where the title is drawn.
    pub title_box: BoxPx,
    /// Where the x tick labels are drawn, left to right.
    pub x_label_boxes: Vec<BoxPx>,
}

impl Frame {
    /// Pixel column of data value `x`.
    pub fn px(&self, x: f64) -> i32 {
        self.left + (self.x.frac(x) * (self.right - self.left) as f64).round() as i32
    }

    /// Pixel row of data value `y`.
    pub fn py(&self, y: f64) -> i32 {
        self.bottom - (self.y.frac(y) * (self.bottom - self.top) as f64).round() as i32
    }

    /// Pixel width of one unit of x (one category slot on category axes).
    pub fn x_unit_px(&self) -> f64 {
        (self.right - self.left) as f64 / (self.x.max - self.x.min)
    }

    /// Pixel height of one unit of y (one category slot on category axes).
    pub fn y_unit_px(&self) -> f64 {
        (self.bottom - self.top) as f64 / (self.y.max - self.y.min)
    }

    /// Axis lines, drawn last so bars and areas do not cover them.
    pub fn finish<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        let s = INK.stroke_width(2);
        root.draw(&PathElement::new(
            vec![
                (self.left, self.top),
                (self.left, self.bottom),
                (self.right, self.bottom),
            ],
            s,
        ))
        .chart()
    }
}

/// `text` cut to fit `max_px` wide, with an ellipsis when cut.
pub(crate) fn fit_text(text: &str, size: f64, max_px: i32) -> String {
    if measure(text, size).0 <= max_px {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let s: String = chars.iter().collect::<String>() + "…";
        if measure(&s, size).0 <= max_px {
            return s;
        }
    }
    "…".to_string()
}

/// Base font size for an image: about 22 px on the default 1600×1000.
pub(crate) fn base_font_px(opts: &ChartOptions) -> f64 {
    (opts.width.min(opts.height * 16 / 10) as f64 / 72.0).clamp(9.0, 32.0)
}

/// Steps that divide years, quarters and months evenly read better than e.g. every 7th date.
const LABEL_STEPS: [usize; 18] = [
    1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 25, 30, 40, 50, 60, 100,
];

/// Every `step`-th label at pixel columns `centers`, with `step` the smallest of [`LABEL_STEPS`]
/// (or larger) for which no two kept labels come closer than `min_gap`: the boxes are measured,
/// so irregular spacing (a short first period) cannot make labels touch.
fn thinned(labels: &[String], centers: &[f64], fpx: f64, min_gap: f64) -> Vec<usize> {
    let widths: Vec<f64> = labels.iter().map(|l| measure(l, fpx).0 as f64).collect();
    let fits = |step: usize| {
        let kept: Vec<usize> = (0..labels.len()).step_by(step).collect();
        kept.windows(2).all(|w| {
            let (a, b) = (w[0], w[1]);
            centers[a] + widths[a] / 2.0 + min_gap <= centers[b] - widths[b] / 2.0
        })
    };
    let step = LABEL_STEPS
        .into_iter()
        .chain(101..)
        .take_while(|&s| s <= labels.len().max(1))
        .find(|&s| fits(s))
        .unwrap_or(labels.len().max(1));
    (0..labels.len()).step_by(step).collect()
}

/// Ticks at `values` labelled `labels`, thinned by [`thinned`] at their pixel positions.
fn thinned_ticks(
    labels: &[String],
    values: &[f64],
    scale: &Scale,
    left: i32,
    plot_w: f64,
    fpx: f64,
) -> Vec<Tick> {
    let centers: Vec<f64> = values
        .iter()
        .map(|v| left as f64 + scale.frac(*v) * plot_w)
        .collect();
    thinned(labels, &centers, fpx, fpx)
        .into_iter()
        .map(|i| Tick {
            value: values[i],
            label: labels[i].clone(),
        })
        .collect()
}

/// From the first to the last date, widened by `pad_days` both sides (and to a week when there
/// is a single date, so it sits in the middle of a visible range).
fn date_scale(dates: &[NaiveDate], pad_days: f64) -> Scale {
    let (lo, hi) = super::finite_range(dates.iter().map(|d| day(*d))).unwrap_or((0.0, 1.0));
    let pad = if hi - lo < 1.0 {
        pad_days.max(7.0)
    } else {
        pad_days
    };
    Scale {
        min: lo - pad,
        max: hi + pad,
        log: false,
    }
}

fn category_scale(n: usize, pad: f64) -> Scale {
    let (mut min, mut max) = (-pad, n.saturating_sub(1) as f64 + pad);
    if max - min < 1e-9 {
        min -= 0.5;
        max += 0.5;
    }
    Scale {
        min,
        max,
        log: false,
    }
}

fn value_ticks(
    lo: f64,
    hi: f64,
    kind: ValueKind,
    log: bool,
    max: usize,
    opts: &ChartOptions,
) -> (Scale, Vec<Tick>) {
    if log {
        log_ticks(lo, hi, max, kind, opts.unit)
    } else {
        linear_ticks(lo, hi, max, kind, opts.unit)
    }
}

fn legend_width(legend: &Legend, fpx: f64, opts: &ChartOptions) -> i32 {
    let cap = (opts.width as f64 * 0.3) as i32;
    let w = match legend {
        Legend::None => return 0,
        Legend::Entries(entries) => {
            let label_w = entries
                .iter()
                .map(|(l, _)| measure(l, fpx).0)
                .max()
                .unwrap_or(0);
            (fpx * 2.4) as i32 + label_w
        }
        Legend::ColorBar {
            title,
            min,
            max,
            kind,
        } => {
            let (_, ticks) = linear_ticks(*min, *max, 6, *kind, opts.unit);
            let tick_w = ticks
                .iter()
                .map(|t| measure(&t.label, fpx).0)
                .max()
                .unwrap_or(0);
            ((fpx * 2.2) as i32 + tick_w).max(measure(title, fpx).0)
        }
    };
    w.min(cap) + (fpx * 1.5) as i32
}

/// A frame laid out but not drawn: the plot rectangle and every tick.
pub(crate) struct Layout {
    pub frame: Frame,
    x_ticks: Vec<Tick>,
    y_ticks: Vec<Tick>,
    title: String,
    title_px: f64,
}

/// Lays out title, axes, ticks and legend without drawing, so a chart kind can place its own
/// labels (and ask for room) before anything is drawn.
pub(crate) fn layout(spec: &FrameSpec<'_>, opts: &ChartOptions) -> Result<Layout, ChartError> {
    let (w, h) = (opts.width as i32, opts.height as i32);
    let fpx = base_font_px(opts);
    let title_px = fpx * 1.45;
    let margin = fpx.round() as i32;

    let title_h = measure(spec.title, title_px).1.max(title_px as i32);
    let top = margin + title_h + margin + spec.top_strip.max(0);
    let x_title_h = if spec.x_title.is_empty() {
        0
    } else {
        fpx as i32 + margin / 2
    };
    let y_title_w = if spec.y_title.is_empty() {
        0
    } else {
        fpx as i32 + margin / 2
    };
    let tick_gap = (fpx * 0.5) as i32;
    let bottom = h - margin - x_title_h - fpx as i32 - tick_gap;
    let legend_w = legend_width(&spec.legend, fpx, opts);
    let right = w - margin - legend_w;

    let plot_h = (bottom - top).max(10) as f64;
    let (y_scale, y_ticks) = match &spec.y {
        AxisSpec::Value { lo, hi, kind, log } => {
            let max = ((plot_h / (fpx * 2.6)) as usize).clamp(2, 11);
            value_ticks(*lo, *hi, *kind, *log, max, opts)
        }
        AxisSpec::Categories { labels, pad } => {
            let scale = category_scale(labels.len(), *pad);
            let slot = plot_h / (scale.max - scale.min);
            // Rows are one text line tall: keep every `need`-th so lines never touch.
            let need = ((fpx * 1.4) / slot.max(1e-9)).ceil().max(1.0) as usize;
            let step = LABEL_STEPS.into_iter().find(|&s| s >= need).unwrap_or(need);
            let ticks = labels
                .iter()
                .enumerate()
                .step_by(step)
                .map(|(i, l)| Tick {
                    value: i as f64,
                    label: l.clone(),
                })
                .collect();
            (scale, ticks)
        }
        AxisSpec::Dates { .. } => {
            return Err(ChartError::InvalidData(
                "dates are only supported on the x axis".into(),
            ));
        }
    };
    let y_label_cap = (w as f64 * 0.25) as i32;
    let y_ticks: Vec<Tick> = y_ticks
        .into_iter()
        .map(|t| Tick {
            label: fit_text(&t.label, fpx, y_label_cap),
            value: t.value,
        })
        .collect();
    let y_tick_w = y_ticks
        .iter()
        .map(|t| measure(&t.label, fpx).0)
        .max()
        .unwrap_or(0);
    let left = margin + y_title_w + y_tick_w + tick_gap;
    let plot_w = (right - left).max(10) as f64;

    let (x_scale, x_ticks) = match &spec.x {
        AxisSpec::Value { lo, hi, kind, log } => {
            // Shrink the tick budget until the widest label fits its share of the width.
            let mut max = ((plot_w / (fpx * 3.0)) as usize).clamp(2, 15);
            loop {
                let (scale, ticks) = value_ticks(*lo, *hi, *kind, *log, max, opts);
                let widest = ticks
                    .iter()
                    .map(|t| measure(&t.label, fpx).0)
                    .max()
                    .unwrap_or(0);
                let fits = (ticks.len() as f64) * (widest as f64 + fpx * 1.2) <= plot_w;
                if fits || max <= 2 {
                    break (scale, ticks);
                }
                max -= 1;
            }
        }
        AxisSpec::Categories { labels, pad } => {
            let scale = category_scale(labels.len(), *pad);
            let cap = ((plot_w / 3.0) as i32).max(fpx as i32 * 4);
            let labels: Vec<String> = labels.iter().map(|l| fit_text(l, fpx, cap)).collect();
            let values: Vec<f64> = (0..labels.len()).map(|i| i as f64).collect();
            (
                scale,
                thinned_ticks(&labels, &values, &scale, left, plot_w, fpx),
            )
        }
        AxisSpec::Dates { dates, pad_days } => {
            let scale = date_scale(dates, *pad_days);
            let labels: Vec<String> = dates.iter().map(|d| d.to_string()).collect();
            let values: Vec<f64> = dates.iter().map(|d| day(*d)).collect();
            (
                scale,
                thinned_ticks(&labels, &values, &scale, left, plot_w, fpx),
            )
        }
    };

    let title = fit_text(spec.title, title_px, w - 2 * margin);
    let (title_w, _) = measure(&title, title_px);
    let title_x = ((left + right) / 2).clamp(title_w / 2 + margin, w / 2);
    let title_box = BoxPx {
        left: title_x - title_w / 2,
        top: margin,
        right: title_x + title_w - title_w / 2,
        bottom: margin + title_h,
    };
    let mut frame = Frame {
        left,
        top,
        right,
        bottom,
        x: x_scale,
        y: y_scale,
        font_px: fpx,
        title_box,
        x_label_boxes: Vec::new(),
    };
    frame.x_label_boxes = x_ticks
        .iter()
        .map(|t| {
            let (lw, lh) = measure(&t.label, fpx);
            let x = frame.px(t.value);
            BoxPx {
                left: x - lw / 2,
                top: bottom + tick_gap,
                right: x + lw - lw / 2,
                bottom: bottom + tick_gap + lh,
            }
        })
        .collect();
    Ok(Layout {
        frame,
        x_ticks,
        y_ticks,
        title,
        title_px,
    })
}

/// Clears the image and draws everything but the data; returns where the data goes.
pub(crate) fn draw_frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &FrameSpec<'_>,
    opts: &ChartOptions,
) -> Result<Frame, ChartError> {
    let Layout {
        frame,
        x_ticks,
        y_ticks,
        title,
        title_px,
    } = layout(spec, opts)?;
    let (w, h) = (opts.width as i32, opts.height as i32);
    let fpx = frame.font_px;
    let margin = fpx.round() as i32;
    let tick_gap = (fpx * 0.5) as i32;
    let (left, top, right, bottom) = (frame.left, frame.top, frame.right, frame.bottom);
    root.fill(&WHITE).chart()?;

    // Grid first so the data lies on top of it.
    let grid = GRID.stroke_width(1);
    for t in &y_ticks {
        let y = frame.py(t.value);
        root.draw(&PathElement::new(vec![(left, y), (right, y)], grid))
            .chart()?;
    }
    if matches!(spec.x, AxisSpec::Value { .. } | AxisSpec::Dates { .. }) {
        for t in &x_ticks {
            let x = frame.px(t.value);
            root.draw(&PathElement::new(vec![(x, top), (x, bottom)], grid))
                .chart()?;
        }
    }

    let tick_len = (fpx * 0.3) as i32;
    let tick_style = INK.stroke_width(1);
    let y_label = style(fpx, INK_SOFT, HPos::Right, VPos::Center);
    for t in &y_ticks {
        let y = frame.py(t.value);
        root.draw(&PathElement::new(
            vec![(left - tick_len, y), (left, y)],
            tick_style,
        ))
        .chart()?;
        draw_text(root, &t.label, &y_label, (left - tick_gap, y))?;
    }
    let x_label = style(fpx, INK_SOFT, HPos::Center, VPos::Top);
    for t in &x_ticks {
        let x = frame.px(t.value);
        root.draw(&PathElement::new(
            vec![(x, bottom), (x, bottom + tick_len)],
            tick_style,
        ))
        .chart()?;
        draw_text(root, &t.label, &x_label, (x, bottom + tick_gap))?;
    }

    let title_style = style(title_px, INK, HPos::Left, VPos::Top);
    draw_text(root, &title, &title_style, (frame.title_box.left, margin))?;
    if !spec.x_title.is_empty() {
        let s = style(fpx, INK, HPos::Center, VPos::Bottom);
        let t = fit_text(&spec.x_title, fpx, right - left);
        draw_text(root, &t, &s, ((left + right) / 2, h - margin))?;
    }
    if !spec.y_title.is_empty() {
        let s = style_vertical(fpx, INK);
        let t = fit_text(&spec.y_title, fpx, bottom - top);
        draw_text(root, &t, &s, (margin + fpx as i32 / 2, (top + bottom) / 2))?;
    }

    draw_legend(
        root,
        &spec.legend,
        &frame,
        right + (fpx * 1.5) as i32,
        w - margin,
        opts,
    )?;
    Ok(frame)
}

fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    legend: &Legend,
    frame: &Frame,
    x0: i32,
    x1: i32,
    opts: &ChartOptions,
) -> Result<(), ChartError> {
    let fpx = frame.font_px;
    match legend {
        Legend::None => Ok(()),
        Legend::Entries(entries) => {
            let row = (fpx * 1.6) as i32;
            let sw = (fpx * 1.6) as i32;
            let text = style(fpx, INK, HPos::Left, VPos::Center);
            let label_x = x0 + sw + (fpx * 0.6) as i32;
            for (i, (label, swatch)) in entries.iter().enumerate() {
                let cy = frame.top + row / 2 + row * i as i32;
                if cy > frame.bottom {
                    break;
                }
                let half = (fpx * 0.4) as i32;
                match *swatch {
                    Swatch::Line(c) => root
                        .draw(&PathElement::new(
                            vec![(x0, cy), (x0 + sw, cy)],
                            c.stroke_width(3),
                        ))
                        .chart()?,
                    Swatch::Dashed(c, dash) => {
                        super::kinds::dashed(root, (x0, cy), (x0 + sw, cy), c, 2, dash)?;
                    }
                    Swatch::Fill(c) => root
                        .draw(&Rectangle::new(
                            [(x0, cy - half), (x0 + sw, cy + half)],
                            c.filled(),
                        ))
                        .chart()?,
                    Swatch::Band(c, a) => root
                        .draw(&Rectangle::new(
                            [(x0, cy - half), (x0 + sw, cy + half)],
                            c.mix(a).filled(),
                        ))
                        .chart()?,
                }
                let l = fit_text(label, fpx, x1 - label_x);
                draw_text(root, &l, &text, (label_x, cy))?;
            }
            Ok(())
        }
        Legend::ColorBar {
            title,
            min,
            max,
            kind,
        } => {
            let t = fit_text(title, fpx, x1 - x0);
            draw_text(
                root,
                &t,
                &style(fpx, INK, HPos::Left, VPos::Top),
                (x0, frame.top),
            )?;
            let bar_top = frame.top + (fpx * 1.8) as i32;
            let bar_bottom = frame.bottom;
            let bar_w = (fpx * 1.2) as i32;
            let span = (bar_bottom - bar_top).max(1);
            // One rectangle per pixel row keeps the gradient smooth in both backends.
            for y in bar_top..bar_bottom {
                let f = (bar_bottom - y) as f64 / span as f64;
                root.draw(&Rectangle::new(
                    [(x0, y), (x0 + bar_w, y + 1)],
                    heat_color(f).filled(),
                ))
                .chart()?;
            }
            let (lo, hi) = if max > min {
                (*min, *max)
            } else {
                (*min, *min + 1.0)
            };
            let bar_scale = Scale {
                min: lo,
                max: hi,
                log: false,
            };
            let (_, ticks) = linear_ticks(lo, hi, 6, *kind, opts.unit);
            let text = style(fpx, INK_SOFT, HPos::Left, VPos::Center);
            for tk in ticks
                .iter()
                .filter(|t| t.value >= lo - 1e-12 && t.value <= hi + 1e-12)
            {
                let y = bar_bottom - (bar_scale.frac(tk.value) * span as f64).round() as i32;
                root.draw(&PathElement::new(
                    vec![(x0 + bar_w, y), (x0 + bar_w + (fpx * 0.3) as i32, y)],
                    INK.stroke_width(1),
                ))
                .chart()?;
                draw_text(root, &tk.label, &text, (x0 + bar_w + (fpx * 0.5) as i32, y))?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::test_support::{monthly, opts};

    fn dated_layout(dates: Vec<NaiveDate>, width: u32) -> Layout {
        let titles = Titles::new("标题 title", "支付日 Payment date", "余额");
        let spec = FrameSpec::new(
            &titles,
            AxisSpec::Dates {
                dates,
                pad_days: 0.0,
            },
            AxisSpec::Value {
                lo: 0.0,
                hi: 1.0,
                kind: ValueKind::Number,
                log: false,
            },
            Legend::None,
            &opts(width, 600),
        );
        layout(&spec, &opts(width, 600)).unwrap()
    }

    #[test]
    fn date_axis_labels_are_payment_dates_that_never_touch() {
        // A short first period (9 days), then 60 monthly dates: thinned to a regular subset.
        let mut dates = monthly(61);
        dates[0] = dates[1] - chrono::Days::new(9);
        for width in [1600, 800] {
            let lay = dated_layout(dates.clone(), width);
            let labels: Vec<&str> = lay.x_ticks.iter().map(|t| t.label.as_str()).collect();
            assert!(labels.len() >= 4, "{width}: {labels:?}");
            assert_eq!(
                labels[0],
                dates[0].to_string(),
                "the first date is labelled"
            );
            for t in &lay.x_ticks {
                let d: NaiveDate = t.label.parse().expect("label is an ISO date");
                assert!(dates.contains(&d), "{d} is not a payment date");
                assert_eq!(t.value, day(d), "tick sits on its date");
            }
            let boxes = &lay.frame.x_label_boxes;
            for w in boxes.windows(2) {
                assert!(
                    w[0].right < w[1].left,
                    "{width}: {:?} touches {:?}",
                    w[0],
                    w[1]
                );
            }
        }
    }

    #[test]
    fn dates_are_placed_by_time_not_by_index() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let frame = dated_layout(vec![d(1, 1), d(1, 11), d(4, 11)], 1600).frame;
        let (a, b, c) = (
            frame.px(day(d(1, 1))),
            frame.px(day(d(1, 11))),
            frame.px(day(d(4, 11))),
        );
        // 10 days, then 90 days: the second gap is nine times the first.
        let ratio = (c - b) as f64 / (b - a) as f64;
        assert!((ratio - 9.0).abs() < 0.2, "{ratio}");
    }
}
