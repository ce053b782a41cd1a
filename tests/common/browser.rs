//! Headless Chromium and poppler for the tests that look at a rendered report: where they are
//! installed (`.ci/run` installs Debian's `chromium` and `poppler-utils`), how to print a page
//! to PDF, and how to read the printed pages back as pixels.

use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Headless Chromium, where installed.
pub fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// `pdftoppm` and `pdfinfo` (poppler-utils), where installed.
pub fn poppler() -> Option<(PathBuf, PathBuf)> {
    let find = |name: &str| {
        ["/usr/bin", "/usr/local/bin"]
            .iter()
            .map(|d| Path::new(d).join(name))
            .find(|p| p.is_file())
    };
    Some((find("pdftoppm")?, find("pdfinfo")?))
}

/// Skips a test on a machine without the tools (with a note), but never in CI.
pub fn missing(what: &str) {
    eprintln!("{what} not installed: check not run");
    assert!(
        std::env::var("CI").is_err(),
        "CI must install {what} (see .ci/run)"
    );
}

/// Chromium with the flags that keep it off the (closed) network and out of the sandbox it
/// cannot have as root in CI; `profile` is a fresh folder.
pub fn command(browser: &Path, profile: &Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!(
        "--user-data-dir={}",
        profile.join("profile").display()
    ))
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    c
}

/// Prints `page` (an HTML file) to `pdf` as Chromium's print dialog would, without the
/// browser's own header and footer (the page's @page rules draw its footer).
pub fn print_to_pdf(browser: &Path, profile: &Path, page: &Path, pdf: &Path) {
    let status = command(browser, profile)
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

/// Number of pages of a PDF (pdfinfo).
pub fn page_count(pdfinfo: &Path, pdf: &Path) -> usize {
    let out = Command::new(pdfinfo).arg(pdf).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo gave no page count: {text}"))
}

/// A page as grey levels, row by row.
pub struct Page {
    pub width: usize,
    pub height: usize,
    pub luma: Vec<u8>,
}

impl Page {
    /// Rows from the top holding anything darker than near-white, as a share of the height:
    /// (first, last) inked row, or None for a blank page. Rows within `ignore_bottom` (a share
    /// of the height, e.g. the footer) are not looked at.
    pub fn inked_rows(&self, ignore_bottom: f64) -> Option<(f64, f64)> {
        let limit = ((1.0 - ignore_bottom) * self.height as f64) as usize;
        let inked = |y: usize| {
            self.luma[y * self.width..(y + 1) * self.width]
                .iter()
                .any(|v| *v < 200)
        };
        let first = (0..limit).find(|y| inked(*y))?;
        let last = (0..limit).rev().find(|y| inked(*y))?;
        Some((
            first as f64 / self.height as f64,
            last as f64 / self.height as f64,
        ))
    }
}

/// Every page of `pdf` at `dpi` (pdftoppm, greyscale PNGs in `dir`).
pub fn pages(pdftoppm: &Path, pdf: &Path, dir: &Path, dpi: u32) -> Vec<Page> {
    let stem = dir.join("page");
    let status = Command::new(pdftoppm)
        .args(["-gray", "-png", "-r", &dpi.to_string()])
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
    files.iter().map(|f| read_grey(f)).collect()
}

fn read_grey(path: &Path) -> Page {
    let bytes = std::fs::read(path).unwrap();
    let decoder = png::Decoder::new(BufReader::new(Cursor::new(bytes)));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.line_size / w;
    let luma = (0..w * h)
        .map(|i| {
            let (y, x) = (i / w, i % w);
            buf[y * info.line_size + x * channels]
        })
        .collect();
    Page {
        width: w,
        height: h,
        luma,
    }
}
