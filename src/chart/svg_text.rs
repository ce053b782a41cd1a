//! SVG text as glyph outlines, so an SVG renders the same on a machine without any CJK font.
//!
//! plotters' SVG backend writes `<text font-family=…>`, which a viewer draws with its own fonts:
//! without a CJK font every Chinese label becomes a row of boxes. Instead, while an SVG is drawn,
//! [`super::font::draw_text`] records every text run it hands to plotters ([`TextRun`]); once the
//! SVG is complete, [`outline_text`] replaces the `<text>` elements, in drawing order, with the
//! glyph outlines of the embedded font. Each glyph used is written once, as a `<path>` in
//! `<defs>` (in font units), and every occurrence is a `<use>` of it, which keeps files small. The
//! text itself stays in an `aria-label` so the SVG remains searchable and accessible.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ab_glyph::{Font, GlyphId, OutlineCurve, Point, ScaleFont};
use plotters::style::text_anchor::{HPos, VPos};

use super::ChartError;
use super::font::glyph_font;

/// One text run as handed to plotters: enough to lay it out exactly as the PNG backend does.
#[derive(Clone)]
pub(crate) struct TextRun {
    pub text: String,
    /// plotters font size (ab_glyph pixel scale), 1.24 × the nominal size.
    pub size: f32,
    pub color: (u8, u8, u8),
    pub h: HPos,
    pub v: VPos,
    /// Reads bottom-to-top (y-axis titles).
    pub rotated: bool,
    pub pos: (i32, i32),
}

/// One glyph of a run: its id and the x of its origin, in pixels relative to the run's anchor.
struct Placed {
    id: GlyphId,
    x: f32,
}

/// Pixel layout of a run, reproducing plotters' bitmap text: the layout box is the advance-sum
/// width by the nominal size, anchored by `h`/`v`, and the baseline sits half the pixel scale
/// below the box top (plotters' `y_shift = size / 2 + bounds.min.y`).
fn layout(run: &TextRun) -> (Vec<Placed>, f32) {
    let font = glyph_font().as_scaled(run.size);
    let mut pen = 0f32;
    let mut prev = None;
    let mut glyphs = Vec::new();
    for c in run.text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            pen += font.kern(p, id);
        }
        if !c.is_whitespace() {
            glyphs.push(Placed { id, x: pen });
        }
        pen += font.h_advance(id);
        prev = Some(id);
    }
    let width = pen.trunc() as i32;
    let height = (f64::from(run.size) / 1.24) as i32;
    let dx = match run.h {
        HPos::Left => 0,
        HPos::Center => -width / 2,
        HPos::Right => -width,
    };
    let dy = match run.v {
        VPos::Top => 0,
        VPos::Center => -height / 2,
        VPos::Bottom => -height,
    };
    for g in &mut glyphs {
        g.x += dx as f32;
    }
    (glyphs, dy as f32 + run.size / 2.0)
}

/// `v` with at most one decimal, without trailing zeros.
fn num(out: &mut String, v: f32) {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        let _ = write!(out, "{}", r as i64);
    } else {
        let _ = write!(out, "{r:.1}");
    }
}

/// SVG path data of a glyph outline in font units, y pointing down.
fn glyph_path(id: GlyphId) -> Option<String> {
    let outline = glyph_font().outline(id)?;
    let mut d = String::new();
    let mut at: Option<Point> = None;
    let mut start: Option<Point> = None;
    let pt = |d: &mut String, p: Point| {
        num(d, p.x);
        d.push(' ');
        num(d, -p.y);
    };
    for curve in &outline.curves {
        let p0 = match curve {
            OutlineCurve::Line(a, _) | OutlineCurve::Quad(a, _, _) | OutlineCurve::Cubic(a, ..) => {
                *a
            }
        };
        if at != Some(p0) {
            if at.is_some() && at == start {
                d.push('Z');
            }
            d.push('M');
            pt(&mut d, p0);
            start = Some(p0);
        }
        match curve {
            OutlineCurve::Line(_, b) => {
                d.push('L');
                pt(&mut d, *b);
                at = Some(*b);
            }
            OutlineCurve::Quad(_, c, b) => {
                d.push('Q');
                pt(&mut d, *c);
                d.push(' ');
                pt(&mut d, *b);
                at = Some(*b);
            }
            OutlineCurve::Cubic(_, c1, c2, b) => {
                d.push('C');
                pt(&mut d, *c1);
                d.push(' ');
                pt(&mut d, *c2);
                d.push(' ');
                pt(&mut d, *b);
                at = Some(*b);
            }
        }
    }
    if !d.is_empty() {
        d.push('Z');
    }
    (!d.is_empty()).then_some(d)
}

/// `s` escaped for an XML attribute or text node.
pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// FNV-1a: a stable 64-bit hash for id prefixes (several SVGs inlined in one HTML page must not
/// share element ids unless their glyphs are the same).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The `<g>` that draws one run from `<use>`s of the glyph definitions.
fn run_group(run: &TextRun, prefix: &str, used: &mut BTreeMap<u16, Option<String>>) -> String {
    let (glyphs, baseline) = layout(run);
    let scale = glyph_font().as_scaled(run.size).h_scale_factor();
    let mut g = String::new();
    let (r, gr, b) = run.color;
    let _ = write!(
        g,
        "<g fill=\"#{r:02X}{gr:02X}{b:02X}\" aria-label=\"{}\" transform=\"translate({} {})",
        xml_escape(&run.text),
        run.pos.0,
        run.pos.1
    );
    // plotters' Rotate270 maps (x, y) to (y, -x): a −90° rotation about the anchor.
    if run.rotated {
        g.push_str(" rotate(-90)");
    }
    g.push_str(" scale(");
    let _ = write!(g, "{scale:.6}");
    g.push_str(")\">");
    for p in glyphs {
        let def = used.entry(p.id.0).or_insert_with(|| glyph_path(p.id));
        if def.is_none() {
            continue;
        }
        let _ = write!(g, "<use href=\"#{prefix}{}\" x=\"", p.id.0);
        num(&mut g, p.x / scale);
        g.push_str("\" y=\"");
        num(&mut g, baseline / scale);
        g.push_str("\"/>");
    }
    g.push_str("</g>");
    g
}

/// Replaces the `<text>` elements of `svg` (as written by plotters, in drawing order) with the
/// outlines of `runs`, adds the glyph definitions and a `<title>`.
pub(crate) fn outline_text(svg: &str, runs: &[TextRun], title: &str) -> Result<String, ChartError> {
    let prefix = format!("g{:08x}-", fnv1a(svg.as_bytes()) as u32);
    let mut used: BTreeMap<u16, Option<String>> = BTreeMap::new();
    let mut body = String::with_capacity(svg.len());
    let mut rest = svg;
    let mut runs_left = runs.iter();
    while let Some(start) = rest.find("<text") {
        let end = rest[start..]
            .find("</text>")
            .map(|e| start + e + "</text>".len())
            .ok_or_else(|| ChartError::Draw("unterminated <text> in SVG".into()))?;
        let run = runs_left
            .next()
            .ok_or_else(|| ChartError::Draw("SVG has more <text> elements than runs".into()))?;
        body.push_str(&rest[..start]);
        body.push_str(&run_group(run, &prefix, &mut used));
        rest = &rest[end..];
    }
    if runs_left.next().is_some() {
        return Err(ChartError::Draw(
            "SVG has fewer <text> elements than text runs".into(),
        ));
    }
    body.push_str(rest);
    let open_end = body
        .find("<svg")
        .and_then(|s| body[s..].find('>').map(|e| s + e + 1))
        .ok_or_else(|| ChartError::Draw("no <svg> element".into()))?;
    let mut head = String::new();
    let _ = write!(head, "\n<title>{}</title>\n<defs>", xml_escape(title));
    for (id, d) in &used {
        if let Some(d) = d {
            let _ = write!(head, "<path id=\"{prefix}{id}\" d=\"{d}\"/>");
        }
    }
    head.push_str("</defs>");
    body.insert_str(open_end, &head);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, h: HPos) -> TextRun {
        TextRun {
            text: text.into(),
            size: 24.8,
            color: (0x22, 0x22, 0x22),
            h,
            v: VPos::Top,
            rotated: false,
            pos: (100, 50),
        }
    }

    #[test]
    fn glyphs_are_defined_once_and_used_per_occurrence() {
        let svg = "<svg width=\"10\" height=\"10\">\n<text x=\"1\">优先 11</text>\n<rect/>\n<text>1</text>\n</svg>";
        let runs = [run("优先 11", HPos::Left), run("1", HPos::Center)];
        let out = outline_text(svg, &runs, "标题 & title").unwrap();
        assert!(!out.contains("<text"), "{out}");
        assert!(out.contains("<title>标题 &amp; title</title>"));
        assert!(out.contains("aria-label=\"优先 11\""));
        // 优, 先 and 1: three definitions; 1 is used three times.
        assert_eq!(out.matches("<path id=").count(), 3, "{out}");
        assert_eq!(out.matches("<use ").count(), 5);
        assert!(out.find("<defs>").unwrap() < out.find("<rect/>").unwrap());
    }

    #[test]
    fn run_counts_must_match() {
        let svg = "<svg>\n<text>a</text>\n</svg>";
        assert!(outline_text(svg, &[], "t").is_err());
        let two = [run("a", HPos::Left), run("b", HPos::Left)];
        assert!(outline_text(svg, &two, "t").is_err());
    }

    #[test]
    fn anchors_match_the_bitmap_layout() {
        let (left, base) = layout(&run("10", HPos::Left));
        let (right, _) = layout(&run("10", HPos::Right));
        assert_eq!(left[0].x, 0.0);
        let width = left[1].x
            + glyph_font()
                .as_scaled(24.8)
                .h_advance(glyph_font().glyph_id('0'));
        assert!((right[0].x + width.trunc()).abs() < 1.0);
        assert!((base - 12.4).abs() < 1e-4);
    }
}
