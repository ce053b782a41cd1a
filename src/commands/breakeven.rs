//! `ipabs breakeven SCENARIO [--tranche NAME] [--periods N] [--out DIR]`.

use crate::report::run_info::RunInfo;
use std::time::Instant;

use super::outcome::Outcome;
use super::{AppError, open_output};
use crate::cli::{BreakevenArgs, default_out_suffixed};
use crate::report::structuring::{BDR_DEFINITION, BreakevenDocument, sorted_json};
use crate::report::{ReportError, RunMetadata};
use crate::structuring::breakeven::{BreakevenResult, breakeven};
use crate::structuring::{self, pct, tranche_index};
use std::borrow::Cow;

pub fn run(args: &BreakevenArgs) -> Result<Outcome, AppError> {
    let loaded = structuring::load(&args.scenario)?;
    super::print_warnings(&loaded.deal.warnings);
    let deal = &loaded.deal;
    let mut config = loaded.config.breakeven.clone();
    if let Some(n) = args.periods {
        let dates = deal.period_ends.len();
        if n == 0 || n > dates {
            return Err(AppError::Usage(format!(
                "--periods expects 1 to {dates} (the deal's payment dates), found {n}"
            )));
        }
        config.periods = Some(n);
    }
    let chosen: Option<Vec<usize>> = if args.tranche.is_empty() {
        None
    } else {
        Some(
            args.tranche
                .iter()
                .map(|n| {
                    tranche_index(deal, n).map_err(|e| AppError::Usage(format!("--tranche: {e}")))
                })
                .collect::<Result<_, _>>()?,
        )
    };
    let target = default_out_suffixed(&args.scenario, &args.out, "breakeven");
    let (out, meta) = open_output("breakeven", &args.scenario, &loaded, &target, &[])?;
    crate::cancel::phase("breakeven")?;
    let started = Instant::now();
    let result = breakeven(deal, &config, chosen.as_deref());
    crate::cancel::check()?;
    let elapsed = started.elapsed().as_secs_f64();
    out.csv("breakeven.csv", &result.rows)?;
    out.json("breakeven.json", &document(deal, &meta, &result)?)?;
    let written = super::commit_with_info(out, &RunInfo::new("breakeven", 0, started))?;
    let mut text = format!(
        "{} — break-even default rates, {} stresses, defaults over the first {} payment dates ({:.2} s)\n",
        deal.name,
        result.stresses.len(),
        result.periods,
        elapsed
    );
    text += &report(&result, &config);
    text += &format!("written to {}\n", written.path.display());
    Ok(Outcome::folder("breakeven", text, written))
}

/// The content of `breakeven.json` (also written by `ipabs run`), keys sorted as always.
pub fn document(
    deal: &crate::deal::Deal,
    meta: &RunMetadata,
    result: &BreakevenResult,
) -> Result<serde_json::Value, ReportError> {
    sorted_json(&BreakevenDocument {
        deal: Cow::Borrowed(&deal.name),
        metadata: Cow::Borrowed(meta),
        definition: Cow::Borrowed(BDR_DEFINITION),
        result: Cow::Borrowed(result),
    })
}

/// The terminal tables: the minimum per tranche, then the base and single stresses.
pub fn report(
    result: &BreakevenResult,
    config: &crate::structuring::breakeven::BreakevenConfig,
) -> String {
    let mut text = format!(
        "{:<8} {:>9} {:>9}  {:<42} {:>11} {:>11}  {}\n",
        "tranche",
        "base",
        "min",
        "binding stress",
        "base no sup",
        "min no sup",
        "binding stress (no support)"
    );
    for m in &result.minimum {
        text += &format!(
            "{:<8} {:>9} {:>9}  {:<42} {:>11} {:>11}  {}\n",
            m.tranche,
            pct(m.base_with_support, 3),
            pct(m.min_with_support, 3),
            m.binding_stress_with_support,
            pct(m.base_without_support, 3),
            pct(m.min_without_support, 3),
            m.binding_stress_without_support
        );
    }
    let names: Vec<&str> = result.minimum.iter().map(|m| m.tranche.as_str()).collect();
    text += "\nBase case and single stresses (BDR with support / without support):\n";
    text += &format!("{:<42}", "stress");
    for n in &names {
        text += &format!(" {:>19}", n);
    }
    text += "\n";
    for s in result
        .stresses
        .iter()
        .filter(|s| config.distance_from_base(s) <= 1)
    {
        let label = s.label();
        text += &format!("{label:<42}");
        for n in &names {
            let get = |support: bool| {
                result
                    .rows
                    .iter()
                    .find(|r| r.tranche == *n && r.stress == label && r.support == support)
                    .map_or(f64::NAN, |r| r.bdr)
            };
            text += &format!(
                " {:>19}",
                format!("{} / {}", pct(get(true), 2), pct(get(false), 2))
            );
        }
        text += "\n";
    }
    text
}
