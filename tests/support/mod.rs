//! Helpers shared by the chart tests: headless Chromium and PNG decoding.
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

/// Screenshot of `url` in a `size` window into `out`, with `env` added to Chromium's environment.
pub fn screenshot(browser: &Path, url: &str, size: (u32, u32), out: &Path, env: &[(&str, &OsStr)]) {
    let profile = tempfile::tempdir().unwrap();
    // The flags keep Chromium off the (closed) network and out of the sandbox it cannot have
    // as root in CI.
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
    .arg(format!("--window-size={},{}", size.0, size.1))
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .arg(format!("--screenshot={}", out.display()))
    .arg(url)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = cmd.status().unwrap();
    assert!(status.success(), "chromium failed on {url}");
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
