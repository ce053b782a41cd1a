//! The small sensitivity study `ipabs run` makes for the report: each tranche's expected loss
//! (± its standard error) and probability of default as the default multiplier and the
//! within-sector correlation move one at a time around the scenario, on the same seed at every
//! point (common random numbers: the differences are the parameter's effect, not noise).
//! Written as `sensitivity.json` and read back by the same type.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::StructuringError;
use super::overrides::KeyPath;
use super::sweep::Grid;
use crate::deal::Deal;
use crate::montecarlo::{McOptions, simulate};
use crate::scenario::{Attachments, Document};

/// At most this many paths per point (the run's own count if smaller).
pub const MAX_PATHS: u64 = 20_000;

/// One tranche at one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityRow {
    /// The scenario key moved (the others as in the scenario).
    pub key: String,
    pub value: f64,
    /// Whether this is the scenario's own value.
    pub base: bool,
    pub tranche: String,
    pub expected_loss: f64,
    pub expected_loss_std_error: f64,
    /// Missed interest or principal loss.
    pub probability_of_default: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    pub paths: u64,
    pub seed: u64,
    pub rows: Vec<SensitivityRow>,
    /// Keys not varied, and why (e.g. a scenario without that key).
    pub skipped: Vec<String>,
}

/// The values tried for each key: the multiplier at 0.5–2 × and the within-sector correlation
/// from the across-sector value up in steps of 0.15 (it may not be below it), each with the
/// scenario's own value.
fn points(deal: &Deal) -> Vec<(&'static str, f64, Vec<f64>)> {
    let m = deal.credit.pd_multiplier;
    let mut out = vec![("model.pd_multiplier", m, vec![0.5 * m, m, 1.5 * m, 2.0 * m])];
    if let Some(l) = deal.credit.sector_loadings.first() {
        let inter = l.global * l.global;
        let intra = inter + l.sector * l.sector;
        let round = |x: f64| (x * 1e4).round() / 1e4;
        let mut values: Vec<f64> = [inter, intra, intra + 0.15, intra + 0.30]
            .into_iter()
            .map(round)
            .filter(|v| *v < 0.95)
            .collect();
        values.dedup();
        out.push(("model.correlation.intra_sector", round(intra), values));
    }
    out
}

/// Runs the study on the scenario `doc` (its attachments read once).
pub fn run(
    deal: &Deal,
    doc: &Document,
    attachments: &Attachments,
    options: McOptions,
) -> Result<Sensitivity, StructuringError> {
    let options = McOptions {
        paths: options.paths.min(MAX_PATHS),
        ..options
    };
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (key, base, values) in points(deal) {
        let grid = Grid {
            keys: vec![KeyPath::parse(key)?],
            values: vec![
                values
                    .iter()
                    .map(|v| Decimal::from_f64_retain(*v).unwrap_or_default().round_dp(6))
                    .collect(),
            ],
        };
        let deals = match grid.deals(doc, attachments) {
            Ok(d) => d,
            Err(e) => {
                skipped.push(format!("{key}: {e}"));
                continue;
            }
        };
        // Each point's Monte Carlo stops at a chunk boundary on Ctrl-C (McError::Interrupted).
        for ((_, d), value) in deals.iter().zip(&values) {
            let r = simulate(d, options, |_, _| {}, |_| {})?;
            for t in &r.tranches {
                rows.push(SensitivityRow {
                    key: key.to_string(),
                    value: *value,
                    base: (*value - base).abs() < 1e-9,
                    tranche: t.tranche.clone(),
                    expected_loss: t.expected_loss,
                    expected_loss_std_error: t.expected_loss_std_error,
                    probability_of_default: t.probability_of_default,
                });
            }
        }
    }
    Ok(Sensitivity {
        paths: options.paths,
        seed: options.seed,
        rows,
        skipped,
    })
}
