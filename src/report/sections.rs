//! The committee sections of `report.html` drawn from the deal's own description (`deal.json`)
//! and stratification (`stratification.json`): the cover, the structure diagram, the priority of
//! payments before and after each trigger, the assumptions and the pool stratification. Every
//! section is filled from the saved files; nothing here is static text about a particular deal.

use std::fmt::Write as _;
use std::path::Path;

use super::deal_doc::{DealDocument, Item};
use super::html::{escape, pct};
use crate::chart::format_number;
use crate::money::Amount;
use crate::pool::Stratification;
use crate::pool::strata::Stratum;
use crate::structuring::breakeven::{BdrNote, BdrRow, BreakevenResult};
use crate::structuring::rating::{Awarded, Method, RatingResult};

/// The saved files only these sections read (the others come with [`super::charts::RunFiles`]);
/// absent in folders written before they existed.
pub struct Extras {
    pub deal: Option<DealDocument>,
    pub sensitivity: Option<crate::structuring::sensitivity::Sensitivity>,
}

impl Extras {
    pub fn load(dir: &Path) -> Extras {
        let read = |name: &str| crate::input::read_text(&dir.join(name)).ok();
        Extras {
            deal: read("deal.json").and_then(|t| serde_json::from_str(&t).ok()),
            sensitivity: read("sensitivity.json").and_then(|t| serde_json::from_str(&t).ok()),
        }
    }
}

fn millions(yuan: f64) -> String {
    format!("{} M", format_number(yuan / 1e6, 1))
}

fn items_table(html: &mut String, head: &str, rows: &[Item]) {
    let pairs: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.text.as_str()))
        .collect();
    pairs_table(html, head, &pairs);
}

fn pairs_table(html: &mut String, head: &str, rows: &[(&str, &str)]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        html,
        "<table class=\"kv\"><tr><th colspan=\"2\">{}</th></tr>",
        escape(head)
    );
    for (name, text) in rows {
        let _ = writeln!(
            html,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(name),
            escape(text)
        );
    }
    html.push_str("</table>\n");
}

/// The cover: deal, program version and scenario hash. No clock time: the report is made of
/// the results only, so the same scenario and seed give the same report byte for byte however
/// and whenever they ran (when and where is in `run-info.json`).
pub fn cover(html: &mut String, deal: &str, version: &str, scenario: &str, sha256: &str) {
    let _ = writeln!(
        html,
        "<section class=\"cover\">\n<h1>{}</h1>\n<p class=\"sub\">知识产权资产支持证券 信用分析报告 · IP ABS credit analysis report</p>\n\
         <table class=\"kv\"><tr><th>程序 Program</th><td>ipabs {}</td></tr>\
         <tr><th>情景文件 Scenario</th><td><code>{}</code></td></tr>\
         <tr><th>情景 SHA-256</th><td><code>{}</code></td></tr></table>\n</section>",
        escape(deal),
        escape(version),
        escape(scenario),
        escape(sha256)
    );
}

/// The structure diagram: the pool on the left paying into the plan, the tranches stacked by
/// priority (height by size) with coupon and credit enhancement, supports and reserves beside
/// them, then the triggers, fees and reserves in words.
pub fn structure(html: &mut String, d: &DealDocument) {
    html.push_str("<h2>交易结构 Transaction structure</h2>\n");
    html.push_str(&structure_svg(d));
    items_table(html, "差额支付 Supports", &d.supports);
    items_table(html, "储备账户 Reserve accounts", &d.accounts);
    let triggers: Vec<(&str, &str)> = d
        .triggers
        .iter()
        .map(|t| (t.name.as_str(), t.text.as_str()))
        .collect();
    pairs_table(html, "触发事件 Triggers", &triggers);
    items_table(html, "税费 Taxes and fees", &d.fees);
    let _ = writeln!(
        html,
        "<p class=\"sub\">CE = credit enhancement at closing: the share of the pool balance ({} yuan) not needed by the class and those ranking at or above it (subordination plus over-collateralisation). {} payment dates, {} from {}; legal final {}.</p>",
        crate::report::table::thousands(d.pool_balance),
        d.payment_dates,
        escape(&d.payment_frequency),
        escape(&d.first_payment_date),
        escape(&d.legal_final_date)
    );
}

/// A horizontal arrowhead with its tip at (x, y), pointing right (`right`) or left.
fn arrow_head(x: f64, y: f64, right: bool) -> String {
    let dx = if right { -9.0 } else { 9.0 };
    format!("<path d=\"M{x},{y} l{dx},-4.5 l0,9 z\" fill=\"#444\"/>")
}

/// The diagram as inline SVG (page fonts; sizes in CSS pixels, scaled to the page width).
pub fn structure_svg(d: &DealDocument) -> String {
    let (w, top, stack_h) = (960.0_f64, 20.0_f64, 300.0_f64);
    let side = !d.supports.is_empty() || !d.accounts.is_empty();
    let total: f64 = d
        .tranches
        .iter()
        .map(|t| t.balance.to_f64())
        .sum::<f64>()
        .max(1.0);
    let min_h = 30.0;
    // Heights by size, with a floor so a small class stays legible; the floor's extra height is
    // taken from the others pro rata.
    let raw: Vec<f64> = d
        .tranches
        .iter()
        .map(|t| t.balance.to_f64() / total * stack_h)
        .collect();
    let extra: f64 = raw.iter().map(|h| (min_h - h).max(0.0)).sum();
    let big: f64 = raw.iter().filter(|h| **h > min_h).sum::<f64>().max(1.0);
    let heights: Vec<f64> = raw
        .iter()
        .map(|h| {
            if *h <= min_h {
                min_h
            } else {
                h - extra * h / big
            }
        })
        .collect();
    let trigger_rows = d.triggers.len() as f64;
    let h = top * 2.0 + stack_h + 40.0 + 18.0 * trigger_rows;
    let mut svg =
        format!("<svg class=\"structure\" role=\"img\" viewBox=\"0 0 {w} {h}\" font-size=\"13\">");
    // Pool.
    let (px, pw, py, ph) = (10.0, 200.0, top + stack_h / 2.0 - 55.0, 110.0);
    let _ = write!(
        svg,
        "<rect x=\"{px}\" y=\"{py}\" width=\"{pw}\" height=\"{ph}\" rx=\"6\" fill=\"#f2f4f7\" stroke=\"#444\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">资产池 Pool</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} yuan</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} assets · {} obligors</text>",
        px + pw / 2.0,
        py + 30.0,
        px + pw / 2.0,
        py + 58.0,
        millions(d.pool_balance.to_f64()),
        px + pw / 2.0,
        py + 82.0,
        d.pool_assets,
        d.pool_obligors
    );
    // Plan (SPV) between pool and tranches.
    let (sx, sw) = (320.0, 160.0);
    let _ = write!(
        svg,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#444\" stroke-width=\"1.5\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">collections 回收款</text>\
         <rect x=\"{sx}\" y=\"{py}\" width=\"{sw}\" height=\"{ph}\" rx=\"6\" fill=\"#fff\" stroke=\"#444\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">专项计划 Plan</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
        px + pw,
        py + ph / 2.0,
        sx - 2.0,
        py + ph / 2.0,
        (px + pw + sx) / 2.0,
        py + ph / 2.0 - 8.0,
        sx + sw / 2.0,
        py + 40.0,
        sx + sw / 2.0,
        py + 64.0,
        if d.waterfalls.first().is_some_and(|w| w.separate_accounts) {
            "revenue + principal accounts"
        } else {
            "one plan account"
        }
    );
    svg += &arrow_head(sx - 1.0, py + ph / 2.0, true);
    // Tranches, most senior on top.
    let (tx, tw) = (580.0, if side { 220.0 } else { 360.0 });
    let _ = write!(
        svg,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#444\" stroke-width=\"1.5\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">pays 支付</text>",
        sx + sw,
        py + ph / 2.0,
        tx - 2.0,
        py + ph / 2.0,
        (sx + sw + tx) / 2.0,
        py + ph / 2.0 - 8.0
    );
    svg += &arrow_head(tx - 1.0, py + ph / 2.0, true);
    let mut y = top;
    for (k, (t, th)) in d.tranches.iter().zip(&heights).enumerate() {
        let c = crate::chart::palette::tranche_color(k);
        let fill = format!("rgb({},{},{})", c.0, c.1, c.2);
        let ink = crate::chart::palette::text_on(c);
        let ink = format!("rgb({},{},{})", ink.0, ink.1, ink.2);
        let label = format!(
            "{} · {} · {} · CE {}",
            t.name,
            millions(t.balance.to_f64()),
            if t.coupon > 0.0 {
                pct(t.coupon, 2)
            } else {
                "no coupon".into()
            },
            pct(t.credit_enhancement, 2)
        );
        let _ = write!(
            svg,
            "<rect x=\"{tx}\" y=\"{y:.1}\" width=\"{tw}\" height=\"{th:.1}\" fill=\"{fill}\" stroke=\"#fff\" stroke-width=\"2\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"middle\" dominant-baseline=\"middle\" fill=\"{ink}\">{}</text>",
            tx + tw / 2.0,
            y + th / 2.0,
            escape(&label)
        );
        y += th;
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#666\">priority: most senior on top · height by size</text>",
        tx + tw / 2.0,
        top + stack_h + 22.0
    );
    // Supports and reserves to the right of the stack.
    if side {
        let bx = tx + tw + 30.0;
        let bw = w - bx - 10.0;
        let mut by = top;
        for (label, rows) in [
            ("差额支付 Support", &d.supports),
            ("储备 Reserve", &d.accounts),
        ] {
            for r in rows {
                let _ = write!(
                    svg,
                    "<rect x=\"{bx}\" y=\"{by}\" width=\"{bw}\" height=\"64\" rx=\"6\" fill=\"#fff\" stroke=\"#444\" stroke-dasharray=\"4 3\"/>\
                     <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"12\">{}</text>\
                     <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>\
                     <line x1=\"{bx}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#444\" stroke-dasharray=\"4 3\"/>",
                    bx + bw / 2.0,
                    by + 26.0,
                    escape(label),
                    bx + bw / 2.0,
                    by + 46.0,
                    escape(&r.name),
                    by + 32.0,
                    tx + tw + 2.0,
                    by + 32.0
                );
                svg += &arrow_head(tx + tw + 1.0, by + 32.0, false);
                by += 80.0;
            }
        }
    }
    // Triggers under the plan: what each watches is in the table below; here, where it leads.
    let mut ty = top + stack_h + 40.0;
    for t in &d.triggers {
        let _ = write!(
            svg,
            "<text x=\"{px}\" y=\"{ty}\" font-size=\"12\"><tspan font-weight=\"bold\">触发 Trigger {}</tspan> — {}</text>",
            escape(&t.name),
            escape(&t.effect)
        );
        ty += 18.0;
    }
    svg.push_str("</svg>\n");
    svg
}

/// The priority of payments as numbered steps, one list per step list, saying when each is in
/// force.
pub fn priority_of_payments(html: &mut String, d: &DealDocument) {
    html.push_str("<h2>现金流支付顺序 Priority of payments</h2>\n");
    for w in &d.waterfalls {
        let _ = writeln!(
            html,
            "<h3>{} — {}{}</h3>\n<ol class=\"pop\">",
            escape(&w.name),
            escape(&w.in_force),
            if w.separate_accounts {
                " · 收益账 / 本金账 separate revenue and principal accounts"
            } else {
                " · one combined plan account"
            }
        );
        for s in &w.steps {
            let _ = writeln!(html, "<li>{}</li>", escape(s));
        }
        html.push_str("</ol>\n");
    }
}

/// The base case and the Monte Carlo model, with the paths, seed and sampling that ran.
pub fn assumptions(html: &mut String, d: &DealDocument, mc: &crate::montecarlo::McResults) {
    let (paths, seed) = (mc.paths, mc.seed);
    html.push_str("<h2>假设 Assumptions</h2>\n<div class=\"pair\">\n");
    items_table(html, "基准情景 Base case (deterministic)", &d.base_case);
    let mut model = d.model.clone();
    model.push(Item {
        name: "Paths 路径数".into(),
        text: format_number(paths as f64, 0),
    });
    model.push(Item {
        name: "Seed 随机种子".into(),
        text: seed.to_string(),
    });
    model.push(Item {
        name: "Sampling 抽样".into(),
        text: crate::report::table::sampling_note(mc.importance_sampling.as_ref(), paths),
    });
    items_table(html, "蒙特卡洛模型 Monte Carlo model", &model);
    html.push_str("</div>\n");
}

fn strata_table(html: &mut String, title: &str, rows: &[Stratum]) {
    let _ = writeln!(
        html,
        "<table class=\"strata\"><tr><th>{}</th><th class=\"num\">assets</th><th class=\"num\">balance (yuan)</th><th class=\"num\">share</th><th class=\"num\">WAC</th></tr>",
        escape(title)
    );
    for r in rows {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&r.label),
            r.assets,
            crate::report::table::thousands(r.balance),
            pct(r.share, 2),
            pct(r.wac, 2)
        );
    }
    html.push_str("</table>\n");
}

/// Pool stratification: obligors with their shares, then the bucket tables two abreast.
pub fn stratification(html: &mut String, s: &Stratification) {
    html.push_str("<h2>资产池分布 Pool stratification</h2>\n");
    html.push_str(
        "<table class=\"strata\"><tr><th>债务人 Obligor</th><th>sector</th><th class=\"num\">assets</th><th class=\"num\">balance (yuan)</th><th class=\"num\">share</th><th class=\"num\">annual PD</th></tr>\n",
    );
    for o in &s.obligors {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&o.obligor),
            escape(&o.sector),
            o.assets,
            crate::report::table::thousands(o.balance),
            pct(o.share, 2),
            pct(o.annual_pd, 2)
        );
    }
    html.push_str("</table>\n<div class=\"pair\">\n");
    for (title, rows) in s.tables() {
        strata_table(html, title, rows);
    }
    html.push_str("</div>\n");
}

/// Headings of the sections a run may not have computed (`--mc-only`).
pub const SENSITIVITY_HEADING: &str = "敏感性分析 Sensitivity";
pub const BREAKEVEN_HEADING: &str = "盈亏平衡违约率 Break-even default rates";
pub const RATING_HEADING: &str = "评级分析 Rating detail";

/// Expected loss ± s.e. and P(default) per tranche against each key the run moved.
pub fn sensitivity(html: &mut String, s: &crate::structuring::sensitivity::Sensitivity) {
    let _ = writeln!(html, "<h2>{SENSITIVITY_HEADING}</h2>");
    let mut keys: Vec<&str> = Vec::new();
    let mut tranches: Vec<&str> = Vec::new();
    for r in &s.rows {
        if !keys.contains(&r.key.as_str()) {
            keys.push(&r.key);
        }
        if !tranches.contains(&r.tranche.as_str()) {
            tranches.push(&r.tranche);
        }
    }
    for key in keys {
        let label = match key {
            "model.pd_multiplier" => "违约概率乘数 Default multiplier (× every obligor's PD)",
            "model.correlation.intra_sector" => "行业内相关性 Within-sector correlation",
            other => other,
        };
        let _ = write!(html, "<table class=\"sens\"><tr><th>{}</th>", escape(label));
        for t in &tranches {
            let _ = write!(
                html,
                "<th class=\"num\">{} EL ± s.e.</th><th class=\"num\">{} P(def)</th>",
                escape(t),
                escape(t)
            );
        }
        html.push_str("</tr>\n");
        let mut values: Vec<(f64, bool)> = Vec::new();
        for r in s.rows.iter().filter(|r| r.key == key) {
            if !values.iter().any(|(v, _)| *v == r.value) {
                values.push((r.value, r.base));
            }
        }
        for (v, base) in values {
            let _ = write!(
                html,
                "<tr><td>{}{}</td>",
                format_number(v, 2),
                if base { " (scenario)" } else { "" }
            );
            for t in &tranches {
                match s
                    .rows
                    .iter()
                    .find(|r| r.key == key && r.value == v && r.tranche == *t)
                {
                    Some(r) => {
                        let _ = write!(
                            html,
                            "<td class=\"num\">{} ± {}</td><td class=\"num\">{}</td>",
                            pct(r.expected_loss, 4),
                            pct(r.expected_loss_std_error, 4),
                            pct(r.probability_of_default, 3)
                        );
                    }
                    None => html.push_str("<td>-</td><td>-</td>"),
                }
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</table>\n");
    }
    let _ = writeln!(
        html,
        "<p class=\"sub\">One key moved at a time, the others as in the scenario; {} paths per point on seed {} at every point (common random numbers), so differences between rows are the parameter's effect. EL = expected principal loss / original balance; P(def) = probability of a missed interest payment or a principal loss.{}</p>",
        format_number(s.paths as f64, 0),
        s.seed,
        if s.skipped.is_empty() {
            String::new()
        } else {
            format!(" Not varied: {}.", escape(&s.skipped.join("; ")))
        }
    );
}

/// A footnote mark for how a break-even search ended (the legend is under the table).
fn mark(note: BdrNote) -> &'static str {
    match note {
        BdrNote::None => "",
        BdrNote::SurvivesTotalDefault => "*",
        BdrNote::CurveLimit => "†",
        BdrNote::FailsWithoutDefaults => "‡",
    }
}

/// Break-even default rates: per tranche, with and without the support, at the base stress,
/// moving one stress at a time, and the lowest over the whole stress set with the stress that
/// binds.
pub fn breakeven(html: &mut String, b: &BreakevenResult) {
    let _ = writeln!(html, "<h2>{BREAKEVEN_HEADING}</h2>");
    let c = &b.config;
    let base = (
        c.recovery_factors.first().copied().unwrap_or(1.0),
        c.timings.first().copied(),
        c.spread_shifts_bp.first().copied().unwrap_or(0.0),
        c.cpr_factors.first().copied().unwrap_or(1.0),
    );
    let is = |r: &BdrRow, rec: f64, t: Option<_>, sp: f64, cpr: f64| {
        r.recovery_factor == rec && Some(r.timing) == t && r.spread_bp == sp && r.cpr_factor == cpr
    };
    // (label, recovery, timing, spread, cpr): the base, then each dimension moved alone.
    let mut cases = vec![("base stress".to_string(), base.0, base.1, base.2, base.3)];
    for r in c.recovery_factors.iter().skip(1) {
        cases.push((format!("recovery × {r}"), *r, base.1, base.2, base.3));
    }
    for t in c.timings.iter().skip(1) {
        cases.push((
            format!("{}-loaded defaults", t.name()),
            base.0,
            Some(*t),
            base.2,
            base.3,
        ));
    }
    for sp in c.spread_shifts_bp.iter().skip(1) {
        cases.push((format!("asset rate {sp:+} bp"), base.0, base.1, *sp, base.3));
    }
    for cpr in c.cpr_factors.iter().skip(1) {
        cases.push((format!("CPR × {cpr}"), base.0, base.1, base.2, *cpr));
    }
    html.push_str("<table class=\"be\"><tr><th>stress</th>");
    for m in &b.minimum {
        let _ = write!(
            html,
            "<th class=\"num\">{0}<br>supported</th><th class=\"num\">{0}<br>standalone</th>",
            escape(&m.tranche)
        );
    }
    html.push_str("</tr>\n");
    for (label, rec, t, sp, cpr) in &cases {
        let _ = write!(html, "<tr><td>{}</td>", escape(label));
        for m in &b.minimum {
            for support in [true, false] {
                let cell = b
                    .rows
                    .iter()
                    .find(|r| {
                        r.tranche == m.tranche && r.support == support && is(r, *rec, *t, *sp, *cpr)
                    })
                    .map_or("-".to_string(), |r| {
                        format!("{}{}", pct(r.bdr, 2), mark(r.note))
                    });
                let _ = write!(html, "<td class=\"num\">{}</td>", escape(&cell));
            }
        }
        html.push_str("</tr>\n");
    }
    let _ = write!(
        html,
        "<tr class=\"min\"><th>lowest of {} stresses</th>",
        b.stresses.len()
    );
    for m in &b.minimum {
        let _ = write!(
            html,
            "<td class=\"num\"><b>{}</b><br><small>{}</small></td><td class=\"num\"><b>{}</b><br><small>{}</small></td>",
            pct(m.min_with_support, 2),
            escape(&m.binding_stress_with_support),
            pct(m.min_without_support, 2),
            escape(&m.binding_stress_without_support)
        );
    }
    html.push_str("</tr>\n</table>\n");
    let _ = writeln!(
        html,
        "<p class=\"sub\">* survives total default (every asset defaulting at the first date); † survives every default the stress's timing curve can reach; ‡ short even without defaults. BDR = the pool cumulative default rate (defaulted principal / original pool balance) actually reached in the stressed deterministic run in which the tranche still receives all interest when due and all principal by the last payment date; defaults fall on the first {} payment dates. Standalone = the shortfall support switched off.</p>",
        b.periods
    );
}

/// The rating evidence: per tranche the implied grade and the test that binds, then each
/// grade's target default rate by method against the BDR.
pub fn rating(html: &mut String, r: &RatingResult) {
    let _ = writeln!(html, "<h2>{RATING_HEADING}</h2>");
    html.push_str("<table class=\"rating\"><tr><th>tranche</th><th class=\"num\">BDR (with / standalone)</th><th class=\"num\">WAL</th><th class=\"num\">EL ± s.e.</th><th>Moody's scale (PV loss)</th><th>implied grade (empirical)</th><th>binding test</th><th>promisor priced</th><th>standalone</th></tr>\n");
    for t in &r.tranches {
        let by = |list: &[Awarded]| list.iter().find(|a| a.method == Method::Empirical).cloned();
        let implied = by(&t.implied);
        let standalone = by(&t.standalone);
        let j = &t.supported_joint;
        let _ = writeln!(
            html,
            "<tr><th>{}</th><td class=\"num\">{} / {}</td><td class=\"num\">{}</td><td class=\"num\">{} ± {}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{} (P(fail) {} ± {})</td><td>{}</td></tr>",
            escape(&t.tranche),
            pct(t.min_bdr, 2),
            pct(t.min_bdr_without_support, 2),
            t.wal_years.map_or("-".into(), |w| format_number(w, 2)),
            pct(t.expected_loss, 4),
            pct(t.expected_loss_std_error, 4),
            escape(t.expected_loss_grade.as_deref().unwrap_or("below")),
            t.expected_loss_grade_borderline
                .as_ref()
                .map_or(String::new(), |b| format!(
                    " · borderline {}",
                    escape(&b.grade)
                )),
            escape(&implied.as_ref().map_or("-".into(), Awarded::cell)),
            escape(implied.as_ref().map_or("-", |a| a.binding.as_str())),
            escape(j.grade.as_deref().unwrap_or("below scale")),
            pct(j.failure_probability, 3),
            pct(j.std_error, 3),
            escape(&standalone.as_ref().map_or("-".into(), Awarded::cell)),
        );
    }
    html.push_str("</table>\n");
    // Each grade's TDRs at each tranche's WAL, the passes marked.
    html.push_str("<table class=\"rating\"><tr><th>tranche (WAL horizon)</th><th>grade</th><th class=\"num\">p_g(WAL)</th><th class=\"num\">TDR empirical [95 % interval]</th><th class=\"num\">TDR lognormal</th><th class=\"num\">TDR multiplier</th><th class=\"num\">top-k obligors</th><th>vs BDR with support</th></tr>\n");
    for t in &r.tranches {
        for row in &t.tdr {
            let survives = t
                .large_obligor_check
                .iter()
                .find(|(k, _)| *k == row.large_obligors)
                .is_none_or(|(_, ok)| *ok);
            let verdict = match row.empirical {
                Some(tdr) if tdr <= t.min_bdr && survives => "meets",
                Some(_) if !survives => "fails the large-obligor test",
                Some(_) => "TDR above BDR",
                None => "-",
            };
            let _ = writeln!(
                html,
                "<tr><td>{} ({} y)</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}{}</td><td>{}</td></tr>",
                escape(&t.tranche),
                format_number(t.target_horizon_years, 2),
                escape(&row.grade),
                row.default_probability.map_or("-".into(), |p| pct(p, 4)),
                row.empirical.map_or("n/a".into(), |v| pct(v, 2)),
                row.empirical_interval
                    .map_or(String::new(), |(lo, hi)| format!(
                        " [{}, {}]",
                        pct(lo, 2),
                        pct(hi, 2)
                    )),
                row.lognormal.map_or("n/a".into(), |v| pct(v, 2)),
                row.multiplier_tdr.map_or("n/a".into(), |v| pct(v, 2)),
                row.large_obligors,
                if row.large_obligors == 0 {
                    ""
                } else if survives {
                    " ok"
                } else {
                    " FAIL"
                },
                verdict
            );
        }
    }
    html.push_str("</table>\n");
    let fit = r.lognormal_fit.as_ref().map_or(
        "no default on any path: no lognormal fit".to_string(),
        |f| {
            format!(
                "lognormal fit (moments) μ {:.3}, σ {:.3}; {} of paths without default; Kolmogorov–Smirnov distance {:.3}; {}",
                f.mu,
                f.sigma,
                pct(f.zero_mass, 1),
                f.ks_distance,
                f.refused.as_ref().map_or("used".to_string(), |w| format!("refused: {w}"))
            )
        },
    );
    let _ = writeln!(
        html,
        "<p class=\"sub\">Pool cumulative default rate over {} paths (seed {}): mean {}, standard deviation {}; {}. {}. Supported grades: {}. A tranche earns the highest grade whose TDR is at most its lowest BDR and whose large-obligor test (the k largest obligors defaulting at once with no recovery) it survives; the Moody's-scale grade compares the present value of lost promised payments, discounted at the coupon, with the idealized expected-loss table at the WAL.</p>",
        format_number(r.paths as f64, 0),
        r.seed,
        pct(r.pool_cdr_mean, 2),
        pct(r.pool_cdr_std, 2),
        escape(&fit),
        escape(&r.tenor_rule),
        escape(&r.weak_link_rule)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::deal_doc::tests::doc;

    #[test]
    fn the_diagram_is_drawn_from_the_deal() {
        let a = structure_svg(&doc("ip-lease-733m.toml"));
        let b = structure_svg(&doc("patent-pledge-200m.toml"));
        assert_ne!(a, b);
        for name in ["A1", "A2", "A3", "Sub", "parent", "733.0 M"] {
            assert!(a.contains(name), "{name}");
        }
        assert!(!b.contains("A1 ·"));
        // Well-formed enough for a browser: every opened element closed.
        assert_eq!(a.matches("<text").count(), a.matches("</text>").count());
    }

    #[test]
    fn the_priority_of_payments_lists_every_step_of_every_list() {
        let d = doc("ip-lease-733m.toml");
        let mut html = String::new();
        priority_of_payments(&mut html, &d);
        let steps: usize = d.waterfalls.iter().map(|w| w.steps.len()).sum();
        assert_eq!(html.matches("<li>").count(), steps);
        assert_eq!(html.matches("<ol").count(), d.waterfalls.len());
        assert!(html.contains("after acceleration"));
    }
}
