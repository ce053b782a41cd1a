//! Helpers for the chart tests: decode what was written and check it looks like a chart.

use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

use super::{ChartFormat, ChartOptions, Render, draw};

/// Small images keep the tests fast; both formats.
pub fn opts(width: u32, height: u32) -> ChartOptions {
    ChartOptions {
        formats: vec![ChartFormat::Png, ChartFormat::Svg],
        width,
        height,
        ..ChartOptions::default()
    }
}

/// Decoded PNG as 8-bit RGB rows.
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Image {
    fn pixel(&self, x: u32, y: u32) -> (u8, u8, u8) {
        let i = ((y * self.width + x) * 3) as usize;
        (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }

    /// Variance of the luma over the whole image: 0 for a blank canvas.
    pub fn luma_variance(&self) -> f64 {
        let lumas: Vec<f64> = self
            .rgb
            .chunks_exact(3)
            .map(|p| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64)
            .collect();
        let mean = lumas.iter().sum::<f64>() / lumas.len() as f64;
        lumas.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / lumas.len() as f64
    }

    /// Pixels darker than mid-grey inside the rectangle.
    pub fn dark_pixels(&self, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
        let mut n = 0;
        for y in y0..y1.min(self.height) {
            for x in x0..x1.min(self.width) {
                let (r, g, b) = self.pixel(x, y);
                if (r as u32 + g as u32 + b as u32) < 3 * 100 {
                    n += 1;
                }
            }
        }
        n
    }
}

pub fn decode_png(path: &Path) -> Image {
    let bytes = std::fs::read(path).expect("read png");
    let decoder = png::Decoder::new(BufReader::new(Cursor::new(bytes)));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let rgb = match info.color_type {
        png::ColorType::Rgb => buf[..info.buffer_size()].to_vec(),
        png::ColorType::Rgba => buf[..info.buffer_size()]
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
        other => panic!("unexpected colour type {other:?}"),
    };
    Image {
        width: info.width,
        height: info.height,
        rgb,
    }
}

/// `n` month-end-ish payment dates from 28 March 2026, for dated test charts.
pub fn monthly(n: usize) -> Vec<chrono::NaiveDate> {
    let first = chrono::NaiveDate::from_ymd_opt(2026, 3, 28).unwrap();
    (0..n)
        .map(|i| first + chrono::Months::new(i as u32))
        .collect()
}

/// Asserts `svg` is well-formed XML with one root element: every tag closed in order, every
/// attribute quoted.
pub fn assert_well_formed(svg: &str) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(svg);
    let (mut depth, mut roots) = (0usize, 0usize);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                roots += usize::from(depth == 0);
                depth += 1;
                for a in e.attributes() {
                    a.expect("well-formed attribute");
                }
            }
            Ok(Event::Empty(e)) => {
                roots += usize::from(depth == 0);
                for a in e.attributes() {
                    a.expect("well-formed attribute");
                }
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "SVG is not well-formed at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!((depth, roots), (0, 1), "unclosed elements or several roots");
}

/// Checks the files a chart function returned: one PNG of the requested size that is not
/// blank, and one well-formed SVG that carries its glyphs (no `<text>`) and names the title.
pub fn check_outputs(paths: &[PathBuf], opts: &ChartOptions, title: &str) -> Image {
    assert_eq!(paths.len(), 2, "{paths:?}");
    let png_path = paths
        .iter()
        .find(|p| p.extension().unwrap() == "png")
        .unwrap();
    let svg_path = paths
        .iter()
        .find(|p| p.extension().unwrap() == "svg")
        .unwrap();
    // Set IPABS_CHART_DIR to keep copies of the test charts for looking at them.
    if let Some(dir) = std::env::var_os("IPABS_CHART_DIR") {
        for p in paths {
            let _ = std::fs::copy(p, Path::new(&dir).join(p.file_name().unwrap()));
        }
    }
    let img = decode_png(png_path);
    assert_eq!((img.width, img.height), (opts.width, opts.height));
    let var = img.luma_variance();
    assert!(var > 200.0, "PNG looks blank: luma variance {var}");
    let svg = std::fs::read_to_string(svg_path).expect("svg is UTF-8");
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
    assert_well_formed(&svg);
    assert!(!svg.contains("<text"), "SVG text must be glyph outlines");
    assert!(
        !svg.contains("font-family"),
        "SVG must not depend on a font"
    );
    assert!(svg.contains("<use href=\"#"), "no glyphs drawn");
    assert!(
        svg.contains(&format!("<title>{}</title>", xml_escape(title))),
        "SVG lacks title {title:?}"
    );
    img
}

/// Draws `chart` in both formats and checks the files ([`check_outputs`]), then draws the SVG
/// twice more and asserts the bytes are identical.
pub fn check_chart<C: Render>(chart: &C, opts: ChartOptions) -> Image {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join(chart_stem(chart.title()));
    let paths = draw(chart, &stem, &opts).unwrap();
    let img = check_outputs(&paths, &opts, chart.title());
    let svg_only = ChartOptions {
        formats: vec![ChartFormat::Svg],
        ..opts
    };
    let a = draw(chart, &dir.path().join("a"), &svg_only).unwrap();
    let b = draw(chart, &dir.path().join("b"), &svg_only).unwrap();
    let (a, b) = (std::fs::read(&a[0]).unwrap(), std::fs::read(&b[0]).unwrap());
    assert!(a == b, "SVG differs between runs");
    img
}

/// A file name from a chart title (ASCII letters only), so kept test charts are easy to find.
fn chart_stem(title: &str) -> String {
    let s: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    s.trim_matches('_').to_string()
}

fn xml_escape(s: &str) -> String {
    crate::chart::svg_text::xml_escape(s)
}
