//! The reference report printed to A4 in headless Chromium, as a committee member would print
//! it: a bounded number of pages, none but the last more than half empty, the deal name and page
//! number in every footer.

mod support;

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::Path;

/// The reference report at 2,000 paths prints on at most this many A4 pages.
const MAX_PAGES: usize = 12;

#[test]
fn the_reference_report_prints_on_a4_without_half_empty_pages() {
    let Some(chrome) = support::chromium() else {
        return support::chromium_absent("the A4 print check");
    };
    let Some((pdftoppm, pdfinfo)) = support::poppler() else {
        return support::poppler_absent("the A4 print check");
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ip-lease-733m.toml");
    cargo_bin_cmd!("ipabs")
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "2000", "--quiet", "--format", "svg", "--out"])
        .arg(&out)
        .assert()
        .success();
    let pdf = dir.path().join("report.pdf");
    support::print_to_pdf(&chrome, &out.join("report.html"), &pdf);
    let count = support::page_count(&pdfinfo, &pdf);
    assert!(
        (2..=MAX_PAGES).contains(&count),
        "{count} pages (expected 2..={MAX_PAGES})"
    );
    let shots = dir.path().join("pages");
    std::fs::create_dir(&shots).unwrap();
    let pages = support::pdf_pages(&pdftoppm, &pdf, &shots, 40);
    assert_eq!(pages.len(), count);
    for (k, page) in pages.iter().enumerate() {
        // A4 portrait.
        let ratio = page.height as f64 / page.width as f64;
        assert!(
            (ratio - 297.0 / 210.0).abs() < 0.01,
            "page {} ratio {ratio}",
            k + 1
        );
        // The footer (deal name, page number) sits in the bottom margin.
        let footer = support::inked_rows(page, 0.0).expect("a page with ink").1;
        assert!(
            footer > 0.95,
            "page {}: no footer (last ink at {footer:.2})",
            k + 1
        );
        if k + 1 == count {
            continue;
        }
        // Content above the footer margin reaches past the middle of the page.
        let (_, last) = support::inked_rows(page, 0.06)
            .unwrap_or_else(|| panic!("page {} is blank above its footer", k + 1));
        assert!(
            last > 0.5,
            "page {} of {count} is more than half empty (content ends at {:.0} % of the height)",
            k + 1,
            last * 100.0
        );
    }
}
