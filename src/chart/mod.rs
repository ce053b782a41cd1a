//! Charts as PNG and SVG files, from plain data.
//!
//! Each chart kind is a plain data struct ([`StepChart`], [`StackedBars`], [`HistogramChart`],
//! [`GroupedBars`], [`ExceedanceCurve`], [`FanChart`], [`Heatmap`]); [`draw`] writes one to
//! `out_stem.png` and/or `out_stem.svg` and returns the paths written. Charts know nothing of
//! deals or simulations: callers pass numbers, dates and labels.
//!
//! Conventions shared by every chart:
//! - a quantity that belongs to a payment date (a payment, a balance after the date) is drawn as
//!   a bar on that date or a step that holds until the next date, never interpolated between
//!   dates; such charts have a dated x axis;
//! - money amounts are passed in yuan and shown in [`ChartOptions::unit`] (万元 by default);
//! - probabilities and rates are passed as fractions and shown as percentages
//!   ([`ValueKind::Percent`]); a rate axis ends at 100 % at most;
//! - a colour means one thing in every chart ([`palette`]): callers give each series the colour of
//!   what it is (a tranche, the pool, a statistic);
//! - labels never overlap: tick labels are thinned by their measured width, marker labels are
//!   stacked in rows ([`labels`]);
//! - titles and labels may mix Chinese and Latin text: an embedded font ([`font`]) covers both,
//!   so no system font is needed, and SVG files carry the glyph outlines they use
//!   ([`svg_text`]), so they render the same on a machine without any CJK font;
//! - the same input gives byte-identical SVG.

mod axis;
pub mod font;
mod frame;
mod kinds;
mod labels;
pub mod palette;
mod svg_text;
pub mod units;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use plotters::coord::Shift;
use plotters::prelude::DrawingBackend;
use plotters::prelude::{
    BitMapBackend, DrawingArea, DrawingAreaErrorKind, IntoDrawingArea, SVGBackend,
};
pub use plotters::style::RGBColor;

pub use axis::{format_auto, format_number, format_value};
pub use kinds::exceedance::{ExceedanceCurve, ExceedanceSeries};
pub use kinds::fan::{FanChart, FanSeries};
pub use kinds::grouped_bars::GroupedBars;
pub use kinds::heatmap::{Heatmap, color_domain, heatmap};
pub use kinds::histogram::{HistogramChart, Marker, MarkerKind};
pub use kinds::stacked_bars::StackedBars;
pub use kinds::step::StepChart;
pub use units::AmountUnit;

/// Output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartFormat {
    /// Raster image; text rendered with the embedded font.
    Png,
    /// Vector image; text drawn as the embedded font's glyph outlines (see [`svg_text`]).
    Svg,
}

impl ChartFormat {
    /// File extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Svg => "svg",
        }
    }
}

impl fmt::Display for ChartFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for ChartFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "png" => Ok(Self::Png),
            "svg" => Ok(Self::Svg),
            other => Err(format!(
                "unknown chart format {other:?} (expected png or svg)"
            )),
        }
    }
}

/// Options shared by every chart function.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartOptions {
    /// Formats to write; one file each. Empty writes nothing.
    pub formats: Vec<ChartFormat>,
    /// Image width in pixels (SVG: user units).
    pub width: u32,
    /// Image height in pixels (SVG: user units).
    pub height: u32,
    /// Unit for money amounts on axes and in labels.
    pub unit: AmountUnit,
}

impl Default for ChartOptions {
    /// PNG and SVG, 1600×1000, amounts in 万元.
    fn default() -> Self {
        Self {
            formats: vec![ChartFormat::Png, ChartFormat::Svg],
            width: 1600,
            height: 1000,
            unit: AmountUnit::default(),
        }
    }
}

/// What the numbers on an axis are, which decides how they are scaled and printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueKind {
    /// Money in yuan, shown in [`ChartOptions::unit`]; the unit is added to the axis title.
    #[default]
    Amount,
    /// A fraction (0.05), shown as a percentage (5%).
    Percent,
    /// A plain number, shown with thousands separators.
    Number,
}

impl ValueKind {
    /// `title` with the display unit appended for amounts, e.g. "余额 (万元)".
    pub fn axis_title(self, title: &str, unit: AmountUnit) -> String {
        match self {
            Self::Amount if !title.is_empty() => format!("{title} ({})", unit.label()),
            _ => title.to_string(),
        }
    }
}

/// The titles every chart has.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Titles {
    /// Chart title.
    pub title: String,
    /// X axis title, without unit (the display unit is added for amounts).
    pub x: String,
    /// Y axis title, without unit.
    pub y: String,
}

impl Titles {
    /// Chart title and axis titles.
    pub fn new(title: impl Into<String>, x: impl Into<String>, y: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            x: x.into(),
            y: y.into(),
        }
    }
}

/// A named sequence of values, one per x position, date or category.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// One value per x position; non-finite values (NaN) are gaps.
    pub values: Vec<f64>,
    /// Colour of what the series is (see [`palette`]); `None` uses the tranche hues in the order
    /// the series come.
    pub color: Option<RGBColor>,
}

impl Series {
    /// A series coloured by its position in the chart.
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            values,
            color: None,
        }
    }

    /// The same series in a fixed colour.
    pub fn with_color(mut self, color: RGBColor) -> Self {
        self.color = Some(color);
        self
    }

    pub(crate) fn color_at(&self, position: usize) -> RGBColor {
        self.color
            .unwrap_or_else(|| palette::series_color(position))
    }
}

/// Why a chart could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The data cannot be drawn (mismatched lengths, nothing to plot, bad bin edges…).
    #[error("invalid chart data: {0}")]
    InvalidData(String),
    /// The image size is zero or absurd.
    #[error("invalid chart size {width}x{height}")]
    InvalidSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// A stop (Ctrl-C, SIGTERM) was asked for before this chart was drawn.
    #[error("interrupted")]
    Interrupted,
    /// The embedded font could not be loaded.
    #[error("chart font: {0}")]
    Font(String),
    /// plotters failed while drawing or encoding.
    #[error("drawing chart: {0}")]
    Draw(String),
    /// Writing the output file failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Converts plotters' backend-specific errors into [`ChartError`].
pub(crate) trait DrawResult<T> {
    fn chart(self) -> Result<T, ChartError>;
}

impl<T, E: std::error::Error + Send + Sync> DrawResult<T> for Result<T, DrawingAreaErrorKind<E>> {
    fn chart(self) -> Result<T, ChartError> {
        self.map_err(|e| ChartError::Draw(e.to_string()))
    }
}

/// A chart kind: checks its data and draws itself on any plotters backend. Every chart struct of
/// this module implements it; write one with [`draw`].
pub trait Render {
    /// The chart title (also the SVG's `<title>`).
    fn title(&self) -> &str;
    /// Checks the data before any file is created.
    fn validate(&self) -> Result<(), ChartError>;
    /// Draws the whole image.
    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &ChartOptions,
    ) -> Result<(), ChartError>;
}

/// `stem` with `.ext` appended (not replaced: stems such as `run.v2/balances` keep their dots).
fn with_ext(stem: &Path, ext: &str) -> PathBuf {
    let mut s: OsString = stem.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Draws `chart` once per requested format to `out_stem.<ext>` and returns the files written.
pub fn draw<C: Render>(
    chart: &C,
    out_stem: &Path,
    opts: &ChartOptions,
) -> Result<Vec<PathBuf>, ChartError> {
    const MAX_SIDE: u32 = 20_000;
    if opts.width < 100 || opts.height < 100 || opts.width > MAX_SIDE || opts.height > MAX_SIDE {
        return Err(ChartError::InvalidSize {
            width: opts.width,
            height: opts.height,
        });
    }
    chart.validate()?;
    font::ensure_registered()?;
    if let Some(dir) = out_stem.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| ChartError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let size = (opts.width, opts.height);
    let mut written = Vec::with_capacity(opts.formats.len());
    for &format in &opts.formats {
        let path = with_ext(out_stem, format.extension());
        if written.contains(&path) {
            continue;
        }
        match format {
            ChartFormat::Png => {
                let root = BitMapBackend::new(&path, size).into_drawing_area();
                let _glyphs = font::TextModeGuard::per_glyph();
                chart.render(&root, opts)?;
                root.present().chart()?;
            }
            ChartFormat::Svg => {
                let svg = render_svg(chart, opts)?;
                std::fs::write(&path, svg).map_err(|source| ChartError::Io {
                    path: path.clone(),
                    source,
                })?;
            }
        }
        written.push(path);
    }
    Ok(written)
}

/// The SVG markup of `chart`, its text as glyph outlines. Rendered to memory and written once, so
/// IO errors surface as IO errors.
fn render_svg<C: Render>(chart: &C, opts: &ChartOptions) -> Result<String, ChartError> {
    let mut svg = String::new();
    let record = font::TextModeGuard::record();
    {
        let root = SVGBackend::with_string(&mut svg, (opts.width, opts.height)).into_drawing_area();
        chart.render(&root, opts)?;
        root.present().chart()?;
    }
    svg_text::outline_text(&svg, &record.take_runs(), chart.title())
}

/// Checks that every series has one value per x position.
pub(crate) fn check_series(n: usize, series: &[Series], what: &str) -> Result<(), ChartError> {
    if n == 0 {
        return Err(ChartError::InvalidData(format!("{what}: no x positions")));
    }
    if series.is_empty() {
        return Err(ChartError::InvalidData(format!("{what}: no series")));
    }
    for s in series {
        if s.values.len() != n {
            return Err(ChartError::InvalidData(format!(
                "{what}: series {:?} has {} values for {} x positions",
                s.name,
                s.values.len(),
                n
            )));
        }
    }
    Ok(())
}

/// Checks that there are dates and that they increase strictly.
pub(crate) fn check_dates(dates: &[chrono::NaiveDate], what: &str) -> Result<(), ChartError> {
    if dates.is_empty() {
        return Err(ChartError::InvalidData(format!("{what}: no dates")));
    }
    if let Some(w) = dates.windows(2).find(|w| w[1] <= w[0]) {
        return Err(ChartError::InvalidData(format!(
            "{what}: dates must increase ({} then {})",
            w[0], w[1]
        )));
    }
    Ok(())
}

/// Smallest and largest finite value, or `None` if there is none.
pub(crate) fn finite_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests {
    use super::test_support::{decode_png, monthly, opts};
    use super::*;

    fn titled(title: &str) -> StepChart {
        StepChart {
            titles: Titles::new(title, "", ""),
            dates: monthly(3),
            series: vec![Series::new("优先A1", vec![3.0, 2.0, 1.0])],
            y_kind: ValueKind::Number,
        }
    }

    /// Dark pixels in the title band (top 8% of the image, middle half of the width).
    fn title_ink(title: &str) -> usize {
        let dir = tempfile::tempdir().unwrap();
        let o = ChartOptions {
            formats: vec![ChartFormat::Png],
            ..opts(800, 500)
        };
        let paths = draw(&titled(title), &dir.path().join("t"), &o).unwrap();
        let img = decode_png(&paths[0]);
        img.dark_pixels(200, 0, 600, 40)
    }

    #[test]
    fn chinese_title_renders_glyphs() {
        let blank = title_ink("");
        let chinese = title_ink("优先A1 影视版权资产支持证券");
        assert!(blank < 10, "title band not empty without a title: {blank}");
        assert!(
            chinese > 300,
            "Chinese title drew only {chinese} dark pixels"
        );
        // Distinct characters must give distinct pixels; a missing-glyph box would not.
        assert_ne!(title_ink("影视"), title_ink("优先"));
    }

    #[test]
    fn formats_and_paths() {
        assert_eq!("SVG".parse::<ChartFormat>(), Ok(ChartFormat::Svg));
        assert!("jpg".parse::<ChartFormat>().is_err());
        assert_eq!(
            with_ext(Path::new("out/run.v2/bal"), "png"),
            PathBuf::from("out/run.v2/bal.png")
        );
        let dir = tempfile::tempdir().unwrap();
        let o = ChartOptions {
            formats: vec![ChartFormat::Svg],
            ..opts(400, 300)
        };
        let paths = draw(&titled("x"), &dir.path().join("only"), &o).unwrap();
        assert_eq!(paths, [dir.path().join("only.svg")]);
    }

    #[test]
    fn svg_carries_the_glyphs_it_uses_and_nothing_more() {
        let dir = tempfile::tempdir().unwrap();
        let o = ChartOptions {
            formats: vec![ChartFormat::Svg],
            ..opts(800, 500)
        };
        let paths = draw(&titled("优先优先"), &dir.path().join("g"), &o).unwrap();
        let svg = std::fs::read_to_string(&paths[0]).unwrap();
        test_support::assert_well_formed(&svg);
        assert!(!svg.contains("<text") && !svg.contains("font-family"));
        // 优 and 先 are each defined once, though the title uses them twice.
        let font = font::glyph_font();
        use ab_glyph::Font;
        for c in ['优', '先'] {
            let id = format!("-{}\" d=", font.glyph_id(c).0);
            assert_eq!(svg.matches(&id).count(), 1, "{c}");
        }
        // A subset of a 1.2 MB font: far below the size of the font itself.
        assert!(svg.len() < 100_000, "{} bytes", svg.len());
    }

    #[test]
    fn bad_size_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(0, 300);
        let err = draw(&titled("x"), &dir.path().join("x"), &o).unwrap_err();
        assert!(matches!(err, ChartError::InvalidSize { .. }), "{err}");
    }

    #[test]
    fn default_options() {
        let o = ChartOptions::default();
        assert_eq!((o.width, o.height), (1600, 1000));
        assert_eq!(o.unit, AmountUnit::Wan);
        assert_eq!(
            ValueKind::Amount.axis_title("余额", AmountUnit::Yi),
            "余额 (亿元)"
        );
        assert_eq!(
            ValueKind::Percent.axis_title("概率", AmountUnit::Yi),
            "概率"
        );
    }
}
