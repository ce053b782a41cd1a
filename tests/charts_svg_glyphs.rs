//! An SVG chart renders its Chinese title on a machine without any font: Chromium is started with
//! a fontconfig that lists no font folder, and the title band of its screenshot must match the
//! PNG the program drew with the embedded font. A control SVG whose title is plain `<text>` (as
//! charts were written before) must *not* match under the same setup, which shows the setup
//! really has no CJK font and that the comparison can fail.

mod support;

use std::path::Path;

use ipabs::chart::{ChartFormat, ChartOptions, Series, StepChart, Titles, ValueKind, draw};
use support::Rgb;

const TITLE: &str = "影视版权资产支持证券 优先A1 余额";
const SIZE: (u32, u32) = (1200, 700);
/// Rows of the title band: the title is drawn from the top margin (about 16 px at this size) and
/// is about 23 px tall; the plot starts below 50 px.
const TITLE_ROWS: std::ops::Range<u32> = 0..50;

fn chart() -> StepChart {
    let d = |m| chrono::NaiveDate::from_ymd_opt(2026, m, 28).unwrap();
    StepChart {
        titles: Titles::new(TITLE, "支付日 Payment date", "余额 Balance"),
        dates: vec![d(1), d(4), d(7), d(10)],
        series: vec![Series::new("优先A1", vec![3.0e8, 2.0e8, 1.0e8, 0.0])],
        y_kind: ValueKind::Amount,
    }
}

/// Dark pixels of the title band.
fn ink(img: &Rgb) -> Vec<(i32, i32)> {
    let mut out = Vec::new();
    for y in TITLE_ROWS {
        for x in 0..img.width {
            if img.luma(x, y) < 128.0 {
                out.push((x as i32, y as i32));
            }
        }
    }
    out
}

/// Share of dark pixels of each image that have a dark pixel of the other within one pixel:
/// 1 for the same glyphs (antialiasing differs a little), near 0 for boxes or nothing.
fn agreement(a: &[(i32, i32)], b: &[(i32, i32)]) -> f64 {
    use std::collections::HashSet;
    let near = |set: &HashSet<(i32, i32)>, (x, y): (i32, i32)| {
        (-1..=1).any(|dx| (-1..=1).any(|dy| set.contains(&(x + dx, y + dy))))
    };
    let (sa, sb): (HashSet<_>, HashSet<_>) =
        (a.iter().copied().collect(), b.iter().copied().collect());
    let hits =
        a.iter().filter(|p| near(&sb, **p)).count() + b.iter().filter(|p| near(&sa, **p)).count();
    hits as f64 / (a.len() + b.len()).max(1) as f64
}

/// The SVG with the title's glyph group replaced by the `<text>` plotters would write.
fn with_text_title(svg: &str) -> String {
    let at = svg
        .find(&format!("aria-label=\"{TITLE}\""))
        .expect("title group");
    let start = svg[..at].rfind("<g ").unwrap();
    let end = at + svg[at..].find("</g>").unwrap() + "</g>".len();
    let text = format!(
        "<text x=\"100\" y=\"16\" dy=\"0.76em\" text-anchor=\"start\" \
         font-family=\"WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif\" font-size=\"22\" \
         fill=\"#222222\">{TITLE}</text>"
    );
    format!("{}{text}{}", &svg[..start], &svg[end..])
}

fn shoot(browser: &Path, svg: &Path, fonts_conf: &Path, out: &Path) -> Rgb {
    support::screenshot(
        browser,
        &format!("file://{}", svg.display()),
        SIZE,
        out,
        &[("FONTCONFIG_FILE", fonts_conf.as_os_str())],
    );
    support::decode_png(out)
}

#[test]
fn svg_title_renders_without_any_font() {
    let Some(browser) = support::chromium() else {
        support::chromium_absent("font-free SVG rendering check");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let opts = ChartOptions {
        formats: vec![ChartFormat::Png, ChartFormat::Svg],
        width: SIZE.0,
        height: SIZE.1,
        ..ChartOptions::default()
    };
    let files = draw(&chart(), &dir.path().join("balances"), &opts).unwrap();
    let (png, svg) = (&files[0], &files[1]);
    let svg_text = std::fs::read_to_string(svg).unwrap();
    assert!(!svg_text.contains("<text"));

    // No <dir>: fontconfig finds no font at all.
    let conf = dir.path().join("fonts.conf");
    std::fs::write(
        &conf,
        format!(
            "<?xml version=\"1.0\"?>\n<fontconfig><cachedir>{}</cachedir></fontconfig>\n",
            dir.path().join("font-cache").display()
        ),
    )
    .unwrap();

    let reference = ink(&support::decode_png(png));
    assert!(
        reference.len() > 500,
        "the PNG title has {} dark pixels",
        reference.len()
    );
    let shot = shoot(&browser, svg, &conf, &dir.path().join("svg.png"));
    assert_eq!((shot.width, shot.height), SIZE);
    let drawn = ink(&shot);
    let score = agreement(&reference, &drawn);

    let control_svg = dir.path().join("control.svg");
    std::fs::write(&control_svg, with_text_title(&svg_text)).unwrap();
    let control = ink(&shoot(
        &browser,
        &control_svg,
        &conf,
        &dir.path().join("control.png"),
    ));
    let control_score = agreement(&reference, &control);

    eprintln!("title agreement with the PNG: SVG {score:.3}, <text> control {control_score:.3}");
    assert!(
        control_score < 0.6,
        "a <text> title matched too ({control_score:.2}): Chromium found a CJK font, so this \
         setup cannot tell glyphs that travel with the SVG from a system font"
    );
    assert!(
        score > 0.9,
        "the SVG's title does not look like the PNG's without fonts: agreement {score:.2} \
         ({} dark pixels drawn, {} expected; control {control_score:.2})",
        drawn.len(),
        reference.len()
    );
}
