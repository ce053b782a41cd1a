//! The charts of `ipabs compare`: base and stress overlaid, drawn with the chart kinds every
//! run uses (steps over the payment dates for balances and cumulative losses, grouped bars for
//! the cash paid). Each item keeps its colour; the stress is the item's light shade.

use std::path::{Path, PathBuf};

use super::{CHARTS_DIR, ChartFile, ChartSettings};
use crate::chart::palette::{Role, tranche_color, tranche_interest_color};
use crate::chart::{
    self, ChartError, ChartOptions, GroupedBars, Series, StepChart, Titles, ValueKind,
};
use crate::money::Amount;
use crate::report::compare::DateSeries;

/// File stem and title of each comparison chart.
pub const COMPARE_CHARTS: [(&str, &str); 3] = [
    (
        "compare_balances",
        "各档证券余额对比 Tranche balances, base and stress",
    ),
    (
        "compare_losses",
        "累计损失对比 Cumulative losses, base and stress",
    ),
    (
        "compare_cash_paid",
        "分配金额对比 Cash paid by recipient, base and stress",
    ),
];

/// The two runs to overlay: their legend names and date series over the same dates.
pub struct Overlay<'a> {
    pub base_name: &'a str,
    pub stress_name: &'a str,
    pub base: &'a DateSeries,
    pub stress: &'a DateSeries,
    pub tranches: &'a [String],
    /// Totals paid per recipient over the whole run (fees, each tranche's interest and
    /// principal, the subordinate return and residual), base and stress.
    pub cash_paid: &'a [(String, f64, f64)],
}

fn values(series: &DateSeries, item: &str, measure: &str) -> Vec<f64> {
    series
        .series
        .iter()
        .find(|(i, m, _)| i == item && *m == measure)
        .map_or_else(Vec::new, |(_, _, v)| v.iter().map(|d| d.to_f64()).collect())
}

/// Steps of `measure` for each item, base then stress: a tranche in its colour (the stress in
/// its light shade), the pool in the pool's colour (the stress in the cash-source shade).
fn overlay_lines(o: &Overlay<'_>, items: &[String], measure: &str) -> Vec<Series> {
    items
        .iter()
        .flat_map(|item| {
            let (base, stress) = match o.tranches.iter().position(|t| t == item) {
                Some(i) => (tranche_color(i), tranche_interest_color(i)),
                None => (Role::PoolBalance.color(), Role::PoolInterest.color()),
            };
            [
                Series::new(
                    format!("{item} {}", o.base_name),
                    values(o.base, item, measure),
                )
                .with_color(base),
                Series::new(
                    format!("{item} {}", o.stress_name),
                    values(o.stress, item, measure),
                )
                .with_color(stress),
            ]
        })
        .collect()
}

fn balances(o: &Overlay<'_>) -> StepChart {
    StepChart {
        titles: Titles::new(COMPARE_CHARTS[0].1, "支付日 Payment date", "余额 Balance"),
        dates: o.base.dates.clone(),
        series: overlay_lines(o, o.tranches, "closing_balance"),
        y_kind: ValueKind::Amount,
    }
}

fn losses(o: &Overlay<'_>) -> StepChart {
    // The pool, and the tranches that lose anything in either run.
    let lost = |t: &String| {
        [o.base, o.stress]
            .iter()
            .any(|s| values(s, t, "cumulative_loss").iter().any(|v| *v > 0.0))
    };
    let mut items = vec!["pool".to_string()];
    items.extend(o.tranches.iter().filter(|t| lost(t)).cloned());
    StepChart {
        titles: Titles::new(
            COMPARE_CHARTS[1].1,
            "支付日 Payment date",
            "累计损失 Cumulative loss",
        ),
        dates: o.base.dates.clone(),
        series: overlay_lines(o, &items, "cumulative_loss"),
        y_kind: ValueKind::Amount,
    }
}

fn cash_paid(o: &Overlay<'_>) -> GroupedBars {
    GroupedBars {
        titles: Titles::new(COMPARE_CHARTS[2].1, "", "分配金额 Cash paid"),
        categories: o.cash_paid.iter().map(|(r, _, _)| r.clone()).collect(),
        series: vec![
            Series::new(o.base_name, o.cash_paid.iter().map(|c| c.1).collect())
                .with_color(Role::PoolBalance.color()),
            Series::new(o.stress_name, o.cash_paid.iter().map(|c| c.2).collect())
                .with_color(Role::PoolInterest.color()),
        ],
        y_kind: ValueKind::Amount,
        log_y: false,
        value_labels: true,
    }
}

/// Draws the comparison charts into `<out>/charts/`.
pub fn render(
    o: &Overlay<'_>,
    out: &Path,
    settings: &ChartSettings,
) -> Result<Vec<ChartFile>, ChartError> {
    let dir = out.join(CHARTS_DIR);
    std::fs::create_dir_all(&dir).map_err(|source| ChartError::Io {
        path: dir.clone(),
        source,
    })?;
    let opts = ChartOptions {
        formats: settings.formats.clone(),
        width: settings.width,
        height: settings.height,
        unit: settings.unit,
    };
    let stem = |i: usize| dir.join(COMPARE_CHARTS[i].0);
    let files: [Vec<PathBuf>; 3] = [
        chart::draw(&balances(o), &stem(0), &opts)?,
        chart::draw(&losses(o), &stem(1), &opts)?,
        chart::draw(&cash_paid(o), &stem(2), &opts)?,
    ];
    Ok(COMPARE_CHARTS
        .iter()
        .zip(files)
        .map(|((stem, title), files)| ChartFile {
            stem,
            title: title.to_string(),
            files,
        })
        .collect())
}
