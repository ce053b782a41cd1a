//! End to end: `ipabs run --xlsx` draws every chart (PNG and SVG), report.html and
//! results.xlsx from the files it saved; `ipabs chart` redraws them in place; bad folders fail
//! with exit code 2 naming the file.

mod support;

use assert_cmd::cargo::cargo_bin_cmd;
use calamine::{Data, Reader, Xlsx, open_workbook};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tempfile::TempDir;

/// Stems and titles of the charts a run gets (as in `ipabs::report::charts::CHARTS`).
fn charts() -> &'static [(&'static str, &'static str)] {
    &ipabs::report::charts::CHARTS
}

const TRANCHES: [&str; 4] = ["A1", "A2", "A3", "Sub"];

/// One run shared by the tests (read-only; tests that change files work on a copy).
fn run_dir() -> &'static Path {
    static RUN: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    &RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ip-lease-733m.toml");
        let assert = cargo_bin_cmd!("ipabs")
            .arg("run")
            .arg(&scenario)
            .args(["--paths", "2000", "--quiet", "--xlsx", "--out"])
            .arg(&out)
            .assert();
        let o = assert.get_output();
        assert!(
            o.status.success(),
            "run failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        (dir, out)
    })
    .1
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// (width, height, luma variance) of a PNG.
fn png_stats(path: &Path) -> (u32, u32, f64) {
    let img = support::decode_png(path);
    (img.width, img.height, img.luma_variance())
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
fn every_chart_in_both_formats() {
    let dir = run_dir().join("charts");
    for (stem, title) in charts() {
        let png = dir.join(format!("{stem}.png"));
        let svg = dir.join(format!("{stem}.svg"));
        assert!(png.is_file(), "missing {}", png.display());
        let (w, h, var) = png_stats(&png);
        assert_eq!((w, h), (1600, 1000), "{stem}.png size");
        assert!(var > 200.0, "{stem}.png looks blank (luma variance {var})");
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
        assert!(
            text.contains(&xml_escape(title)),
            "{stem}.svg lacks its title"
        );
    }
}

#[test]
fn report_html_is_self_contained() {
    let html = std::fs::read_to_string(run_dir().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for tag in ["html", "head", "body"] {
        assert_eq!(html.matches(&format!("<{tag}")).count(), 1, "<{tag}>");
        assert_eq!(html.matches(&format!("</{tag}>")).count(), 1, "</{tag}>");
    }
    assert!(html.find("<body").unwrap() < html.find("</body>").unwrap());
    // Every chart inlined, and the structure diagram drawn from the deal.
    assert_eq!(html.matches("<svg").count(), charts().len() + 1);
    assert_eq!(html.matches("<svg class=\"structure\"").count(), 1);
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    for t in TRANCHES {
        assert!(html.contains(&format!("<th>{t}</th>")), "tranche {t}");
    }
    for (_, title) in charts() {
        assert!(html.contains(title), "chart title {title}");
    }
    for banned in [
        "http://",
        "https://",
        "<link",
        "<script",
        "<img src=\"/",
        "url(",
    ] {
        assert!(!html.contains(banned), "report.html contains {banned:?}");
    }
    for (i, _) in html.match_indices("src=\"") {
        assert!(html[i..].starts_with("src=\"data:"), "external src at {i}");
    }
    assert!(html.contains("@page { size: A4 portrait"));
    assert!(html.contains("break-inside: avoid"));
    let sha = std::fs::read_to_string(run_dir().join("summary.json")).unwrap();
    let sha: serde_json::Value = serde_json::from_str(&sha).unwrap();
    assert!(html.contains(sha["metadata"]["scenario_sha256"].as_str().unwrap()));
    assert!(
        html.contains("2,000") && html.contains("20190308"),
        "paths and seed"
    );
}

fn csv_totals(path: &Path) -> (Vec<String>, Vec<f64>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let mut totals = vec![0.0; header.len()];
    for rec in r.records() {
        for (t, v) in totals.iter_mut().zip(rec.unwrap().iter()) {
            *t += v.parse::<f64>().unwrap_or(0.0);
        }
    }
    (header, totals)
}

#[test]
fn results_xlsx_matches_the_csvs() {
    let mut book: Xlsx<_> = open_workbook(run_dir().join("results.xlsx")).unwrap();
    let names = book.sheet_names();
    for s in [
        "资产池现金流 Pool",
        "证券现金流 Tranches",
        "蒙特卡洛汇总 Monte Carlo",
        "证券指标 Tranche metrics",
    ] {
        assert!(names.iter().any(|n| n == s), "sheet {s} in {names:?}");
    }
    for (sheet, csv) in [
        ("证券现金流 Tranches", "tranche_cashflows.csv"),
        ("资产池现金流 Pool", "pool_cashflows.csv"),
    ] {
        let range = book.worksheet_range(sheet).unwrap();
        let (header, totals) = csv_totals(&run_dir().join(csv));
        let mut rows = range.rows();
        let xl_header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(xl_header, header);
        let mut xl_totals = vec![0.0; header.len()];
        let mut n = 0;
        for row in rows {
            n += 1;
            for (t, c) in xl_totals.iter_mut().zip(row) {
                if let Data::Float(f) = c {
                    *t += f;
                }
            }
        }
        assert!(n > 10, "{sheet}: {n} rows");
        for (i, h) in header.iter().enumerate() {
            if h == "date" || h == "tranche" {
                continue;
            }
            assert!(
                (xl_totals[i] - totals[i]).abs() <= 1e-6 * totals[i].abs().max(1.0),
                "{sheet} {h}: xlsx {} vs csv {}",
                xl_totals[i],
                totals[i]
            );
        }
    }
    let metrics = book.worksheet_range("证券指标 Tranche metrics").unwrap();
    let col: Vec<String> = metrics.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!(col, TRANCHES);
}

#[test]
fn chart_command_redraws_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("copy");
    copy_dir(run_dir(), &dir);
    std::fs::remove_file(dir.join("report.html")).unwrap();
    let out = cargo_bin_cmd!("ipabs")
        .arg("chart")
        .arg(&dir)
        .args(["--format", "svg", "--unit", "yi"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("7 charts"), "{stdout}");
    assert!(dir.join("report.html").is_file());
    for (stem, _) in charts() {
        assert!(dir.join(format!("charts/{stem}.svg")).is_file());
        // The folder was replaced: no PNG left from the run.
        assert!(!dir.join(format!("charts/{stem}.png")).exists());
    }
    let svg = std::fs::read_to_string(dir.join("charts/tranche_balances.svg")).unwrap();
    assert!(svg.contains("亿元"));
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".ipabs-output.json")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // PNG only: the report embeds PNG data URIs instead.
    cargo_bin_cmd!("ipabs")
        .arg("chart")
        .arg(&dir)
        .args(["--format", "png"])
        .assert()
        .success();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(
        html.matches("src=\"data:image/png;base64,").count(),
        charts().len()
    );
}

#[test]
fn chart_command_on_bad_folders_exits_2() {
    let empty = tempfile::tempdir().unwrap();
    let out = cargo_bin_cmd!("ipabs")
        .arg("chart")
        .arg(empty.path())
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("not written by ipabs"), "{err}");

    // A truncated paths.bin: named, and the old charts are left as they were.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("copy");
    copy_dir(run_dir(), &dir);
    let bin = dir.join("paths.bin");
    let bytes = std::fs::read(&bin).unwrap();
    std::fs::write(&bin, &bytes[..bytes.len() - 7]).unwrap();
    let before = std::fs::read(dir.join("charts/tranche_loss.svg")).unwrap();
    let out = cargo_bin_cmd!("ipabs")
        .arg("chart")
        .arg(&dir)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("paths.bin"), "{err}");
    assert_eq!(
        std::fs::read(dir.join("charts/tranche_loss.svg")).unwrap(),
        before
    );

    // A corrupt CSV is named too.
    std::fs::write(&bin, &bytes).unwrap();
    std::fs::write(
        dir.join("mc_tranches.csv"),
        "tranche,expected_loss\nA1,abc\n",
    )
    .unwrap();
    let out = cargo_bin_cmd!("ipabs")
        .arg("chart")
        .arg(&dir)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("mc_tranches.csv"), "{err}");
}

#[test]
fn run_without_charts_writes_none() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ip-lease-733m.toml");
    cargo_bin_cmd!("ipabs")
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "200", "--quiet", "--no-charts", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("summary.json").is_file());
    assert!(!out.join("charts").exists());
    assert!(!out.join("report.html").exists());
    assert!(!out.join("results.xlsx").exists());
}

#[test]
fn report_renders_in_a_headless_browser() {
    let Some(browser) = support::chromium() else {
        support::chromium_absent("screenshot check of report.html");
        return;
    };
    let report = run_dir().join("report.html");
    let tmp = tempfile::tempdir().unwrap();
    let shot = tmp.path().join("report.png");
    support::screenshot(
        &browser,
        &format!("file://{}", report.display()),
        (1240, 1754),
        &shot,
        &[],
    );
    let (w, h, var) = png_stats(&shot);
    assert_eq!((w, h), (1240, 1754));
    // A blank or error page is nearly uniform; the report has tables and text.
    assert!(
        var > 200.0,
        "the screenshot of report.html looks blank (luma variance {var})"
    );
}
