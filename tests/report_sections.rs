//! report.html's committee sections are filled from the deal and the run: the cover, the
//! structure diagram, the priority of payments, the assumptions, the stratification, the
//! break-even table, the rating detail and the sensitivity — and two deals read differently.

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::Path;

const SECTIONS: [&str; 9] = [
    "程序 Program",
    "交易结构 Transaction structure",
    "现金流支付顺序 Priority of payments",
    "假设 Assumptions",
    "资产池分布 Pool stratification",
    "盈亏平衡违约率 Break-even default rates",
    "评级分析 Rating detail",
    "敏感性分析 Sensitivity",
    "图表 Charts",
];

fn report(scenario: &str, dir: &Path) -> String {
    let out = dir.join(scenario);
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(scenario);
    cargo_bin_cmd!("ipabs")
        .arg("run")
        .arg(&path)
        .args(["--paths", "2000", "--quiet", "--format", "svg", "--out"])
        .arg(&out)
        .assert()
        .success();
    std::fs::read_to_string(out.join("report.html")).unwrap()
}

/// The text of the section that starts with `heading`, up to the next `<h2>`.
fn section<'a>(html: &'a str, heading: &str) -> &'a str {
    let start = html
        .find(heading)
        .unwrap_or_else(|| panic!("no section {heading}"));
    let rest = &html[start..];
    &rest[..rest.find("<h2>").unwrap_or(rest.len())]
}

#[test]
fn every_section_is_there_and_two_deals_read_differently() {
    let dir = tempfile::tempdir().unwrap();
    let lease = report("ip-lease-733m.toml", dir.path());
    let pledge = report("patent-pledge-200m.toml", dir.path());
    for html in [&lease, &pledge] {
        let mut at = 0;
        for s in SECTIONS {
            let i = html.find(s).unwrap_or_else(|| panic!("missing {s}"));
            assert!(i > at, "{s} out of order");
            at = i;
        }
    }
    // Filled from each deal: its tranches, obligors, steps and the stresses it ran.
    let structure = |h: &str| section(h, "交易结构").to_string();
    assert_ne!(structure(&lease), structure(&pledge));
    assert!(structure(&lease).contains("A3 · 206.0 M"));
    assert!(structure(&lease).contains("parent"));
    let pop = |h: &str| section(h, "现金流支付顺序").to_string();
    assert_ne!(pop(&lease), pop(&pledge));
    assert!(pop(&lease).contains("收益账") && pop(&lease).contains("accelerated"));
    assert!(section(&lease, "资产池分布").contains("影视公司乙"));
    assert!(!section(&pledge, "资产池分布").contains("影视公司乙"));
    for (html, tranche) in [(&lease, "A3"), (&pledge, "A")] {
        assert!(section(html, "盈亏平衡违约率").contains(&format!("{tranche}<br>supported")));
        assert!(section(html, "评级分析").contains(&format!("<th>{tranche}</th>")));
        assert!(section(html, "敏感性分析").contains(&format!("{tranche} EL ± s.e.")));
        assert!(section(html, "敏感性分析").contains("(scenario)"));
    }
    // The rating detail names its rules and the lognormal fit's verdict.
    let rating = section(&lease, "评级分析");
    assert!(rating.contains("p_g(WAL)") && rating.contains("refused"));
}
