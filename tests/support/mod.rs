//! Helpers shared by the chart and report tests: headless Chromium (screenshots, printing to
//! PDF), poppler (page count, pages as pixels) and PNG decoding.
// Each test binary uses only some of these.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

/// Headless Chromium, where installed (`.ci/run` installs Debian's `chromium`).
pub fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Says that a browser check was not run; fails under CI, which must install Chromium.
pub fn chromium_absent(what: &str) {
    // A developer machine without Chromium: CI installs it and runs this check.
    eprintln!("chromium not installed: {what} not run");
    assert!(
        std::env::var("CI").is_err(),
        "CI must install chromium (see .ci/run)"
    );
}

/// Headless Chromium with the flags that keep it off the (closed) network and out of the
/// sandbox it cannot have as root in CI, with its profile in `profile`.
pub fn browser(browser: &Path, profile: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    cmd
}

/// Screenshot of `url` in a `size` window into `out`, with `env` added to Chromium's environment.
pub fn screenshot(
    browser_path: &Path,
    url: &str,
    size: (u32, u32),
    out: &Path,
    env: &[(&str, &OsStr)],
) {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = browser(browser_path, profile.path());
    cmd.arg(format!("--window-size={},{}", size.0, size.1))
        .arg(format!("--screenshot={}", out.display()))
        .arg(url);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = cmd.status().unwrap();
    assert!(status.success(), "chromium failed on {url}");
}

/// Prints `page` (an HTML file) to `pdf` as the browser's print dialog would, without the
/// browser's own header and footer (the page's @page rules draw its footer).
pub fn print_to_pdf(browser_path: &Path, page: &Path, pdf: &Path) {
    let profile = tempfile::tempdir().unwrap();
    let status = browser(browser_path, profile.path())
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .status()
        .unwrap();
    assert!(
        status.success(),
        "chromium could not print {}",
        page.display()
    );
}

/// `pdftoppm` and `pdfinfo` (poppler-utils, which `.ci/run` installs), where installed.
pub fn poppler() -> Option<(PathBuf, PathBuf)> {
    let find = |name: &str| {
        ["/usr/bin", "/usr/local/bin"]
            .iter()
            .map(|d| Path::new(d).join(name))
            .find(|p| p.is_file())
    };
    Some((find("pdftoppm")?, find("pdfinfo")?))
}

/// Says that poppler is missing; fails under CI, which must install it.
pub fn poppler_absent(what: &str) {
    eprintln!("poppler-utils not installed: {what} not run");
    assert!(
        std::env::var("CI").is_err(),
        "CI must install poppler-utils (see .ci/run)"
    );
}

/// Number of pages of a PDF (pdfinfo).
pub fn page_count(pdfinfo: &Path, pdf: &Path) -> usize {
    let out = std::process::Command::new(pdfinfo)
        .arg(pdf)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo gave no page count: {text}"))
}

/// Every page of `pdf` at `dpi`, rendered by pdftoppm into `dir` and decoded.
pub fn pdf_pages(pdftoppm: &Path, pdf: &Path, dir: &Path, dpi: u32) -> Vec<Rgb> {
    let stem = dir.join("page");
    let status = std::process::Command::new(pdftoppm)
        .args(["-png", "-r", &dpi.to_string()])
        .arg(pdf)
        .arg(&stem)
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm failed on {}", pdf.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("page-"))
        })
        .collect();
    // page-1.png … page-10.png: order by the number, not the text.
    files.sort_by_key(|p| {
        p.file_stem()
            .and_then(|s| {
                s.to_string_lossy()
                    .rsplit('-')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .unwrap_or(0)
    });
    files.iter().map(|f| decode_png(f)).collect()
}

/// Rows from the top holding anything darker than near-white, as shares of the height: the
/// (first, last) inked row, or None for a blank page. Rows within `ignore_bottom` (a share of
/// the height, e.g. the footer margin) are not looked at.
pub fn inked_rows(page: &Rgb, ignore_bottom: f64) -> Option<(f64, f64)> {
    let (w, h) = (page.width as usize, page.height as usize);
    let limit = ((1.0 - ignore_bottom) * h as f64) as usize;
    let inked = |y: usize| {
        page.pixels[y * w..(y + 1) * w]
            .iter()
            .any(|p| p.iter().map(|c| u32::from(*c)).sum::<u32>() < 600)
    };
    let first = (0..limit).find(|y| inked(*y))?;
    let last = (0..limit).rev().find(|y| inked(*y))?;
    Some((first as f64 / h as f64, last as f64 / h as f64))
}

/// A decoded PNG as 8-bit RGB.
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<[u8; 3]>,
}

impl Rgb {
    /// Luma of the pixel at (x, y).
    pub fn luma(&self, x: u32, y: u32) -> f64 {
        let [r, g, b] = self.pixels[(y * self.width + x) as usize];
        0.299 * r as f64 + 0.587 * g as f64 + 0.114 * b as f64
    }

    /// Variance of the luma over the whole image: 0 for a blank canvas.
    pub fn luma_variance(&self) -> f64 {
        let n = self.pixels.len() as f64;
        let lumas: Vec<f64> = (0..self.height)
            .flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .map(|(x, y)| self.luma(x, y))
            .collect();
        let mean = lumas.iter().sum::<f64>() / n;
        lumas.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n
    }
}

pub fn decode_png(path: &Path) -> Rgb {
    let bytes = std::fs::read(path).unwrap();
    let decoder = png::Decoder::new(BufReader::new(Cursor::new(bytes)));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected colour type {other:?}"),
    };
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    Rgb {
        width: info.width,
        height: info.height,
        pixels,
    }
}
