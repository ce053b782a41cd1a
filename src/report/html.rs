//! `report.html`: one self-contained page for a credit committee — deal, pool and tranche
//! tables, every chart inlined as SVG, and the run's metadata. No external references: inline
//! CSS, inline SVG (or PNG as a data URI when no SVG was drawn), no scripts.

use std::fmt::Write as _;
use std::path::Path;

use super::charts::{ChartFile, RunFiles};
use crate::chart::{AmountUnit, format_number};
use crate::money::Amount;

/// `text` as a CSS string literal that is also safe inside an HTML `<style>` element: quotes,
/// backslashes, line breaks and `<` written as CSS escapes.
pub fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' | '<' | '>' | '&' | '\n' | '\r' => {
                out.push_str(&format!("\\{:x} ", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { --ink: #222; --soft: #666; --rule: #d0d0d0; --head: #f2f4f7; }
* { box-sizing: border-box; }
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  color: var(--ink); margin: 2em auto; max-width: 1100px; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; border-bottom: 2px solid var(--ink); padding-bottom: 0.2em; margin-top: 1.8em; }
p.sub { color: var(--soft); margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0 1em; font-size: 0.92em; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.kv th { width: 32%; }
td.grade { white-space: nowrap; font-size: 0.9em; }
th.num { white-space: normal; }
figure.chart { margin: 1.5em 0; }
figure.chart h3 { font-size: 1em; margin: 0 0 0.4em; }
figure.chart svg, figure.chart img { display: block; width: 100%; height: auto; max-width: 100%; }
code { font-size: 0.9em; word-break: break-all; }
footer { color: var(--soft); font-size: 0.85em; margin-top: 2em; }
section.cover h1 { font-size: 1.8em; margin-top: 0.4em; }
svg.structure { display: block; width: 100%; height: auto; margin: 0.6em 0 1em; }
ol.pop { margin: 0.3em 0 1em; padding-left: 2em; }
ol.pop li { margin: 0.15em 0; }
div.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.2em; align-items: start; }
div.pair table.kv th { width: 40%; }
div.pair table { margin-top: 0.3em; }
table.be small { white-space: normal; font-size: 0.8em; color: #555; }
table.sens td, table.sens th, table.be td, table.be th, table.rating td, table.rating th { font-size: 0.85em; padding: 0.25em 0.4em; }
h3 { font-size: 1em; margin: 1em 0 0.3em; }
@page { size: A4 portrait; margin: 14mm 12mm 16mm;
  @bottom-left { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; font-size: 8pt; color: #666; }
  @bottom-right { content: "page " counter(page) " / " counter(pages); font-family: "WenQuanYi Micro Hei", sans-serif; font-size: 8pt; color: #666; } }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9pt; line-height: 1.3; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  h2 { margin-top: 1.2em; }
  tr, li { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  section.cover { min-height: 0; }
  svg.structure { max-height: 95mm; }
  figure.chart { break-inside: avoid; page-break-inside: avoid; margin: 0 0 4mm; }
  figure.chart svg, figure.chart img { width: 100%; height: auto; max-height: 118mm; object-fit: contain; }
}
"#;

/// A rate as a percentage with thousands separators (`-` when not finite), for every table of
/// the report.
pub(crate) fn pct(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{}%", format_number(v * 100.0, decimals))
    } else {
        "-".into()
    }
}

fn opt_pct(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".into(), |v| pct(v, decimals))
}

fn amount(v: f64) -> String {
    format_number(v, 2)
}

fn num(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format_number(v, decimals)
    } else {
        "-".into()
    }
}

/// A JSON value from a summary as display text: shares as percentages where the key says so.
fn json_text(key: &str, v: &serde_json::Value) -> String {
    let is_share = key.contains("share")
        || key.contains("mix")
        || matches!(
            key,
            "wac" | "weighted_ltv" | "weighted_pd" | "cdr" | "cpr" | "recovery_rate"
        );
    match v {
        serde_json::Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if is_share {
                pct(f, 2)
            } else if n.is_i64() || n.is_u64() {
                format_number(f, 0)
            } else {
                format_number(f, 2)
            }
        }
        serde_json::Value::String(s) => match s.parse::<f64>() {
            Ok(f) if s.contains('.') => amount(f),
            _ => s.clone(),
        },
        serde_json::Value::Array(items) if items.is_empty() => "-".into(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|x| json_text(key, x))
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, x)| format!("{k} {}", json_text(key, x)))
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::Null => "-".into(),
        serde_json::Value::Bool(b) => b.to_string(),
    }
}

/// Display order of known summary keys; unknown keys follow in name order.
const KEY_ORDER: [&str; 20] = [
    "balance",
    "appraised_value",
    "assets",
    "obligors",
    "ip_items",
    "wac",
    "wam_months",
    "wal_years",
    "top1_share",
    "top5_share",
    "weighted_ltv",
    "weighted_pd",
    "sector_mix",
    "ip_kind_mix",
    "cdr",
    "cpr",
    "recovery_rate",
    "recovery_lag_months",
    "obligor_defaults",
    "support_default_period",
];

/// The entries of a summary object in display order.
fn ordered(map: &serde_json::Map<String, serde_json::Value>) -> Vec<(&String, &serde_json::Value)> {
    let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
    entries.sort_by_key(|(k, _)| {
        (
            KEY_ORDER
                .iter()
                .position(|o| o == k)
                .unwrap_or(KEY_ORDER.len()),
            (*k).clone(),
        )
    });
    entries
}

/// Labels for known summary keys.
fn label(key: &str) -> String {
    let l = match key {
        "assets" => "资产笔数 Assets",
        "obligors" => "债务人 Obligors",
        "ip_items" => "知识产权项数 IP items",
        "balance" => "资产池余额 Pool balance (yuan)",
        "appraised_value" => "评估价值 Appraised value (yuan)",
        "wac" => "加权平均利率 WAC",
        "wam_months" => "加权平均剩余期限 WAM (months)",
        "wal_years" => "加权平均期限 WAL (years)",
        "top1_share" => "最大债务人占比 Top-1 share",
        "top5_share" => "前五大债务人占比 Top-5 share",
        "weighted_ltv" => "加权抵质押率 Weighted LTV",
        "weighted_pd" => "加权违约概率 Weighted PD",
        "sector_mix" => "行业分布 Sector mix",
        "ip_kind_mix" => "知识产权类型 IP kind mix",
        "cdr" => "年违约率 CDR",
        "cpr" => "年提前还款率 CPR",
        "recovery_rate" => "回收率 Recovery rate",
        "recovery_lag_months" => "回收滞后 Recovery lag (months)",
        "obligor_defaults" => "指定违约 Obligor defaults",
        "support_default_period" => "差额支付方违约期 Support default period",
        other => other,
    };
    l.to_string()
}

fn kv_table(html: &mut String, rows: &[(String, String)]) {
    html.push_str("<table class=\"kv\">\n");
    for (k, v) in rows {
        let _ = writeln!(
            html,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(k),
            escape(v)
        );
    }
    html.push_str("</table>\n");
}

/// An SVG file's markup made fit to inline in HTML: no XML declaration, no namespace URL, no
/// fixed size (the CSS scales it to the page width; the viewBox keeps its aspect ratio).
pub fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let body = &svg[start..];
    let tag_end = body.find('>').map_or(body.len(), |i| i + 1);
    let (tag, rest) = body.split_at(tag_end);
    let mut attrs = String::from("<svg role=\"img\"");
    // Keep only the viewBox of the opening tag.
    if let Some(i) = tag.find("viewBox=\"") {
        let v = &tag[i..];
        if let Some(end) = v[9..].find('"') {
            attrs.push(' ');
            attrs.push_str(&v[..9 + end + 1]);
        }
    }
    attrs.push('>');
    attrs + rest.trim_end()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The chart's markup: its SVG inlined, or its PNG as a data URI when there is no SVG.
fn chart_markup(chart: &ChartFile) -> std::io::Result<String> {
    let ext = |e: &str| {
        chart
            .files
            .iter()
            .find(|f| f.extension().is_some_and(|x| x == e))
    };
    if let Some(svg) = ext("svg") {
        return Ok(inline_svg(&std::fs::read_to_string(svg)?));
    }
    if let Some(png) = ext("png") {
        let data = base64(&std::fs::read(png)?);
        return Ok(format!(
            "<img alt=\"{}\" src=\"data:image/png;base64,{data}\">",
            escape(&chart.title)
        ));
    }
    Ok("<p>(chart not drawn)</p>".into())
}

/// Builds report.html from a run's saved files and its drawn charts (read from `charts`' files).
pub fn render(run: &RunFiles, charts: &[ChartFile], unit: AmountUnit) -> std::io::Result<String> {
    let s = &run.summary;
    let Some(mc_files) = &run.mc else {
        return Err(std::io::Error::other(
            "report.html needs the Monte Carlo files of `ipabs run`",
        ));
    };
    let mc_results = &mc_files.summary.results;
    let mut html = String::with_capacity(1 << 20);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — ipabs report</title>\n<style>{CSS}\n@page {{ @bottom-left {{ content: {}; }} }}</style>\n</head>\n<body>\n",
        escape(&s.deal),
        css_string(&s.deal)
    );
    let extras = super::sections::Extras::load(&run.dir);
    super::sections::cover(
        &mut html,
        &s.deal,
        &s.metadata.version,
        &s.metadata.scenario_file,
        &s.metadata.scenario_sha256,
    );

    // Deal summary.
    html.push_str("<h2>交易概要 Deal summary</h2>\n");
    let mut deal = vec![
        ("交易名称 Deal".to_string(), s.deal.to_string()),
        ("币种 Currency".into(), s.currency.to_string()),
        ("设立日 Closing date".into(), s.closing_date.to_string()),
        (
            "法定到期日 Legal final date".into(),
            s.legal_final_date.to_string(),
        ),
        (
            "证券总额 Total issued (yuan)".into(),
            amount(s.tranches.iter().map(|t| t.original_balance.to_f64()).sum()),
        ),
        (
            "支付期数 Payment dates run".into(),
            s.periods_run.to_string(),
        ),
    ];
    if extras.deal.is_none() {
        let assumptions = as_map(&*s.assumptions);
        for (k, v) in ordered(&assumptions) {
            deal.push((format!("基准假设 {}", label(k)), json_text(k, v)));
        }
    }
    deal.push((
        "触发事件 Triggers fired".into(),
        if s.triggers_fired.is_empty() {
            "-".into()
        } else {
            s.triggers_fired
                .iter()
                .map(|t| format!("{} (period {}, {})", t.trigger, t.period, t.date))
                .collect::<Vec<_>>()
                .join("; ")
        },
    ));
    for d in &s.support_drawn {
        deal.push((
            format!("差额支付 Support drawn: {}", d.support),
            amount(d.drawn.to_f64()),
        ));
    }
    kv_table(&mut html, &deal);
    if let Some(d) = &extras.deal {
        super::sections::structure(&mut html, d);
        super::sections::priority_of_payments(&mut html, d);
        super::sections::assumptions(&mut html, d, mc_results);
    }

    // Pool summary.
    html.push_str("<h2>资产池概要 Pool summary</h2>\n");
    let pool_summary = as_map(&*s.pool);
    let pool: Vec<(String, String)> = ordered(&pool_summary)
        .into_iter()
        .map(|(k, v)| (label(k), json_text(k, v)))
        .collect();
    kv_table(&mut html, &pool);
    if let Some(strata) = &run.stratification {
        super::sections::stratification(&mut html, strata);
    }

    // Tranches.
    html.push_str("<h2>证券分层 Tranches</h2>\n<table>\n<tr><th>档 Tranche</th>");
    for h in [
        format!("规模 Size ({})", unit.label()),
        "票面利率 Coupon".into(),
        "WAL (yrs)".into(),
        "收益率 Yield".into(),
        "基准损失 Base loss".into(),
        "预期损失 EL".into(),
        "损失概率 P(loss)".into(),
        "利息违约概率 P(missed interest)".into(),
        "违约概率 P(default)".into(),
        "隐含评级 Implied grade".into(),
    ] {
        let _ = write!(html, "<th class=\"num\">{}</th>", escape(&h));
    }
    html.push_str("</tr>\n");
    let implied_grades = run.implied_grades();
    for t in s.tranches.iter() {
        let mc = mc_files.tranches.iter().find(|m| m.tranche == t.tranche);
        let none = if run.skipped("rating") {
            "not computed (--mc-only)"
        } else {
            "-"
        };
        let grade = implied_grades.get(&t.tranche).map_or(none, String::as_str);
        let cells = [
            format_number(unit.scale(t.original_balance.to_f64()), 2),
            pct(t.coupon.to_f64(), 2),
            num(t.wal_years, 2),
            opt_pct(t.yield_at_par, 3),
            pct(t.loss_rate, 2),
            opt_pct(mc.map(|m| m.expected_loss), 4),
            opt_pct(mc.map(|m| m.probability_of_loss), 3),
            match mc {
                Some(m) => m
                    .probability_of_missed_interest
                    .map_or(crate::report::table::NOT_APPLICABLE.to_string(), |p| {
                        pct(p, 3)
                    }),
                None => opt_pct(None, 3),
            },
            opt_pct(mc.map(|m| m.probability_of_default), 3),
        ];
        let _ = write!(html, "<tr><th>{}</th>", escape(&t.tranche));
        for c in cells {
            let _ = write!(html, "<td class=\"num\">{}</td>", escape(&c));
        }
        // One grade per TDR method, one per line, so the table fits the page width.
        let grades: Vec<String> = grade.split(" · ").map(escape).collect();
        let _ = write!(html, "<td class=\"grade\">{}</td>", grades.join("<br>"));
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    let yield_note = format!("IRR at par, {}", s.yield_convention.label);
    let _ = writeln!(
        html,
        "<p class=\"sub\">WAL, yield ({}) and base loss from the deterministic base case; \
         EL, P(loss), P(missed interest) ({} for a class without a coupon) and P(default) \
         (missed interest or principal loss) from the Monte Carlo.</p>",
        escape(&yield_note),
        crate::report::table::NOT_APPLICABLE
    );

    // Monte Carlo.
    let p = &mc_results.pool;
    html.push_str("<h2>蒙特卡洛 Monte Carlo</h2>\n");
    kv_table(
        &mut html,
        &[
            (
                "路径数 Paths".into(),
                format_number(mc_results.paths as f64, 0),
            ),
            (
                "累计违约率 Pool cumulative default rate: mean / P50 / P95 / P99".into(),
                [
                    p.cumulative_default_rate.mean,
                    p.cumulative_default_rate.p50,
                    p.cumulative_default_rate.p95,
                    p.cumulative_default_rate.p99,
                ]
                .iter()
                .map(|v| pct(*v, 2))
                .collect::<Vec<_>>()
                .join(" / "),
            ),
            (
                "资产池损失率 Pool loss rate: mean / P50 / P95 / P99".into(),
                [
                    p.loss_rate.mean,
                    p.loss_rate.p50,
                    p.loss_rate.p95,
                    p.loss_rate.p99,
                ]
                .iter()
                .map(|v| pct(*v, 2))
                .collect::<Vec<_>>()
                .join(" / "),
            ),
            (
                "差额支付启用概率 P(support drawn)".into(),
                pct(p.support_drawn_probability, 3),
            ),
        ],
    );

    // Sections of a part the run did not compute (`--mc-only`) say so where they would be.
    let not_computed = |html: &mut String, heading: &str| {
        let _ = writeln!(
            html,
            "<h2>{}</h2>\n<p class=\"sub\">not computed (--mc-only): this run made the Monte Carlo only; run without --mc-only for this section.</p>",
            escape(heading)
        );
    };
    match &run.breakeven {
        Some(b) => super::sections::breakeven(&mut html, &b.result),
        None if run.skipped("breakeven") => {
            not_computed(&mut html, super::sections::BREAKEVEN_HEADING)
        }
        None => {}
    }
    match &run.rating {
        Some(r) => super::sections::rating(&mut html, &r.result),
        None if run.skipped("rating") => not_computed(&mut html, super::sections::RATING_HEADING),
        None => {}
    }
    match &extras.sensitivity {
        Some(sens) if !run.skipped("sensitivity") => super::sections::sensitivity(&mut html, sens),
        _ if run.skipped("sensitivity") => {
            not_computed(&mut html, super::sections::SENSITIVITY_HEADING)
        }
        _ => {}
    }

    // Charts.
    html.push_str("<h2>图表 Charts</h2>\n");
    for c in charts {
        // The chart draws its own title: the figure names it for screen readers only, so a
        // printed page shows each title once.
        let _ = writeln!(
            html,
            "<figure class=\"chart\" id=\"{}\" aria-label=\"{}\">\n{}\n</figure>",
            escape(c.stem),
            escape(&c.title),
            chart_markup(c)?
        );
    }

    // Metadata.
    html.push_str("<h2>运行信息 Run metadata</h2>\n");
    let m = &s.metadata;
    kv_table(
        &mut html,
        &[
            ("情景文件 Scenario file".into(), m.scenario_file.clone()),
            ("情景文件 SHA-256".into(), m.scenario_sha256.clone()),
            ("随机种子 Seed".into(), mc_results.seed.to_string()),
            ("路径数 Paths".into(), mc_results.paths.to_string()),
            (
                "随机数生成器 Generator".into(),
                mc_results.generator.to_string(),
            ),
            ("程序版本 Version".into(), format!("ipabs {}", m.version)),
            (
                "报告生成 Report drawn by".into(),
                format!("ipabs {}", env!("CARGO_PKG_VERSION")),
            ),
            ("金额单位 Amount unit (charts)".into(), unit.label().into()),
        ],
    );
    html.push_str(
        "<footer>Illustrative analysis generated by ipabs from saved run results. \
         Amounts in yuan unless stated.</footer>\n</body>\n</html>\n",
    );
    Ok(html)
}

/// A saved summary's fields as key/value pairs, in the order [`ordered`] gives them.
fn as_map(value: &impl serde::Serialize) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// Writes report.html for `run` to `path`.
pub fn write(
    run: &RunFiles,
    charts: &[ChartFile],
    unit: AmountUnit,
    path: &Path,
) -> std::io::Result<()> {
    std::fs::write(path, render(run, charts, unit)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<A&B> "x" 'y'"#),
            "&lt;A&amp;B&gt; &quot;x&quot; &#39;y&#39;"
        );
        assert_eq!(escape("优先A1"), "优先A1");
    }

    #[test]
    fn inline_svg_drops_namespace_and_size() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"1600\" height=\"1000\" viewBox=\"0 0 1600 1000\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect/>\n</svg>\n";
        let out = inline_svg(svg);
        assert_eq!(
            out,
            "<svg role=\"img\" viewBox=\"0 0 1600 1000\">\n<rect/>\n</svg>"
        );
        assert!(!out.contains("http"));
    }

    #[test]
    fn base64_known_values() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
