//! The embedded chart font and the text styles built on it.
//!
//! Charts must render Chinese labels (优先A1, 影视) on machines without any CJK system font, and a
//! plotters text run is drawn with exactly one font, so one font covering Latin and GB2312 hanzi
//! is compiled into the binary and registered with plotters' `ab_glyph` font table.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Once, OnceLock};

use ab_glyph::{Font, FontRef, ScaleFont};
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontFamily, FontStyle, FontTransform, RGBColor, TextStyle};

use super::svg_text::TextRun;
use super::{ChartError, DrawResult};

/// Subset of WenQuanYi Micro Hei (Apache-2.0): ASCII, Latin-1, GB2312 hanzi and CJK punctuation.
/// See `assets/fonts/README.md` for how it was made.
pub static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei-subset.ttf");

/// Family name the font is registered under.
///
/// Only plotters sees this name: bitmap output and all text measurement use the embedded font
/// registered under it, and SVG output replaces plotters' `<text>` elements by the embedded
/// font's glyph outlines ([`super::svg_text`]), so no viewer ever has to find the family.
pub const FONT_FAMILY: &str = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif";

static REGISTER: Once = Once::new();
static REGISTERED: AtomicBool = AtomicBool::new(false);

/// Registers the embedded font with plotters. Safe to call from many threads and many times;
/// only the first call does work.
pub fn ensure_registered() -> Result<(), ChartError> {
    REGISTER.call_once(|| {
        let ok = plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES).is_ok();
        REGISTERED.store(ok, Ordering::Release);
    });
    if REGISTERED.load(Ordering::Acquire) {
        Ok(())
    } else {
        Err(ChartError::Font(
            "embedded font could not be parsed".to_string(),
        ))
    }
}

/// Text style in the embedded font, anchored at the given position.
pub(crate) fn style(size_px: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    // plotters treats the requested size as ~1.24 × the em height, so scale up to get `size_px`
    // tall glyphs in both backends.
    let font = (
        FontFamily::Name(FONT_FAMILY),
        size_px * 1.24,
        FontStyle::Normal,
    )
        .into();
    TextStyle {
        font,
        color: plotters::style::Color::to_backend_color(&color),
        pos: Pos::new(h, v),
    }
}

/// Same as [`style`], rotated to read bottom-to-top (y-axis titles).
pub(crate) fn style_vertical(size_px: f64, color: RGBColor) -> TextStyle<'static> {
    let s = style(size_px, color, HPos::Center, VPos::Center);
    s.transform(FontTransform::Rotate270)
}

/// How [`draw_text`] hands text to the backend on this thread.
enum TextMode {
    /// Whole strings to plotters (no chart is being written).
    Plotters,
    /// Glyph by glyph (bitmap output).
    PerGlyph,
    /// Whole strings to plotters, each also recorded so the SVG's `<text>` elements can be
    /// replaced by outlines afterwards ([`super::svg_text`]).
    Record(Vec<TextRun>),
}

thread_local! {
    static MODE: RefCell<TextMode> = const { RefCell::new(TextMode::Plotters) };
}

/// While alive, [`draw_text`] on this thread works in the given mode; the previous mode comes back
/// on drop.
pub(crate) struct TextModeGuard {
    before: Option<TextMode>,
}

impl TextModeGuard {
    /// Bitmap output: glyphs placed one by one.
    pub(crate) fn per_glyph() -> Self {
        Self::enter(TextMode::PerGlyph)
    }

    /// SVG output: runs recorded for [`TextModeGuard::take_runs`].
    pub(crate) fn record() -> Self {
        Self::enter(TextMode::Record(Vec::new()))
    }

    fn enter(mode: TextMode) -> Self {
        Self {
            before: Some(MODE.replace(mode)),
        }
    }

    /// The runs recorded since [`TextModeGuard::record`], in drawing order.
    pub(crate) fn take_runs(&self) -> Vec<TextRun> {
        MODE.with_borrow_mut(|m| match m {
            TextMode::Record(runs) => std::mem::take(runs),
            _ => Vec::new(),
        })
    }
}

impl Drop for TextModeGuard {
    fn drop(&mut self) {
        if let Some(before) = self.before.take() {
            MODE.set(before);
        }
    }
}

/// The embedded font, parsed once.
pub(crate) fn glyph_font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).expect("embedded font parses"))
}

/// Draws `text` like `DrawingArea::draw_text`, in the way the current [`TextMode`] asks.
///
/// Bitmap: plotters 0.3.7's ab_glyph rasteriser drops each glyph's left side bearing, so narrow
/// glyphs such as "1" sit too far left and "1,100" reads as "1,1 00"; drawing glyph by glyph at
/// `pen + bearing` gives even spacing (rotated text, only the y-axis title, is left to plotters).
/// SVG: the run is recorded and later drawn as outlines. Blank text draws nothing in any mode, so
/// recorded runs and `<text>` elements stay in step.
pub(crate) fn draw_text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
    pos: (i32, i32),
) -> Result<(), ChartError> {
    if text.trim().is_empty() {
        return Ok(());
    }
    let rotated = !matches!(style.font.get_transform(), FontTransform::None);
    let per_glyph = MODE.with_borrow_mut(|m| match m {
        TextMode::Plotters => false,
        TextMode::PerGlyph => !rotated,
        TextMode::Record(runs) => {
            let c = style.color.rgb;
            runs.push(TextRun {
                text: text.to_string(),
                size: style.font.get_size() as f32,
                color: c,
                h: style.pos.h_pos,
                v: style.pos.v_pos,
                rotated,
                pos,
            });
            false
        }
    });
    if !per_glyph {
        return root.draw_text(text, style, pos).chart();
    }
    let size = style.font.get_size() as f32;
    let font = glyph_font().as_scaled(size);
    let mut pen = 0f32;
    let mut prev = None;
    let mut placed = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            pen += font.kern(p, id);
        }
        let bearing = font
            .outline_glyph(id.with_scale(size))
            .map_or(0.0, |o| o.px_bounds().min.x);
        if !c.is_whitespace() {
            placed.push((c, pen + bearing));
        }
        pen += font.h_advance(id);
        prev = Some(id);
    }
    // Anchor on the same advance-sum width that plotters uses to measure.
    let total = pen.trunc();
    let x0 = match style.pos.h_pos {
        HPos::Left => pos.0 as f32,
        HPos::Center => pos.0 as f32 - (total / 2.0).trunc(),
        HPos::Right => pos.0 as f32 - total,
    };
    let left = style.pos(Pos::new(HPos::Left, style.pos.v_pos));
    let mut buf = [0u8; 4];
    for (c, x) in placed {
        root.draw_text(
            c.encode_utf8(&mut buf),
            &left,
            ((x0 + x).round() as i32, pos.1),
        )
        .chart()?;
    }
    Ok(())
}

/// Width and height in pixels that `text` takes in a style from [`style`].
pub(crate) fn measure(text: &str, size_px: f64) -> (i32, i32) {
    let s = style(size_px, RGBColor(0, 0, 0), HPos::Left, VPos::Top);
    match s.font.box_size(text) {
        Ok((w, h)) => (w as i32, h as i32),
        // Measuring only fails if the font is missing; a rough estimate keeps layout sane.
        Err(_) => (
            (text.chars().count() as f64 * size_px) as i32,
            size_px as i32,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ab_glyph::GlyphId;

    #[test]
    fn font_covers_latin_and_chinese() {
        let font = FontRef::try_from_slice(FONT_BYTES).unwrap();
        for c in "优先A1 影视 次级 文化 版权 资产支持证券 万元亿元（），。%€¥é0123456789".chars()
        {
            assert_ne!(font.glyph_id(c), GlyphId(0), "no glyph for {c:?}");
        }
    }

    #[test]
    fn registration_is_idempotent_and_thread_safe() {
        let handles: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| ensure_registered().is_ok()))
            .collect();
        for h in handles {
            assert!(h.join().unwrap());
        }
        assert!(ensure_registered().is_ok());
        let (w, h) = measure("优先A1", 20.0);
        assert!(w > 40 && h > 10, "{w}x{h}");
    }
}
