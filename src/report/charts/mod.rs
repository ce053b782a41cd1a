//! Every chart of a run, drawn from the files saved in its output folder.
//!
//! Charts are built only from saved results ([`RunFiles`]): the base-case CSVs and summary, the
//! Monte Carlo summaries and `paths.bin`. Nothing here simulates. Charts are written to
//! `<out>/charts/<stem>.png|svg` ([`CHARTS`] lists the stems and titles).

pub mod compare;
pub mod inputs;

use crate::money::Amount;
use chrono::{Datelike, Months, NaiveDate};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

use crate::chart::palette::{Role, tranche_color, tranche_interest_color, tranche_return_color};
use crate::chart::{
    self, AmountUnit, ChartError, ChartFormat, ChartOptions, ExceedanceCurve, ExceedanceSeries,
    FanChart, FanSeries, GroupedBars, HistogramChart, Marker, Series, StackedBars, StepChart,
    Titles, ValueKind,
};
pub use inputs::{InputError, McFiles, RunFiles};

/// Sub-folder of an output folder holding the charts.
pub const CHARTS_DIR: &str = "charts";

/// File stem and title of every chart a run gets, in report order.
pub const CHARTS: [(&str, &str); 7] = [
    (
        "tranche_balances",
        "各档证券余额 Tranche balances (base case)",
    ),
    (
        "collections",
        "资产池回收款来源 Collections by source (base case)",
    ),
    ("payments", "各期分配 Cash paid by recipient (base case)"),
    (
        "pool_default_distribution",
        "资产池累计违约率分布 Pool cumulative default rate (Monte Carlo)",
    ),
    (
        "tranche_loss",
        "预期损失与损失概率 Tranche expected loss and probability of loss",
    ),
    (
        "loss_exceedance",
        "损失超越概率 Tranche loss exceedance curves",
    ),
    (
        "balance_fan",
        "资产池与优先级余额分布 Pool and senior balance fan (Monte Carlo)",
    ),
];

/// How charts are drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSettings {
    /// Formats to write (PNG and/or SVG).
    pub formats: Vec<ChartFormat>,
    /// Unit for amounts.
    pub unit: AmountUnit,
    /// Log scale for the expected-loss bars: `None` picks it when values span over two decades.
    pub log_loss: Option<bool>,
    /// Image size in pixels.
    pub width: u32,
    pub height: u32,
}

impl Default for ChartSettings {
    /// PNG and SVG, 1600×1000, amounts in 万元.
    fn default() -> Self {
        ChartSettings {
            formats: vec![ChartFormat::Png, ChartFormat::Svg],
            unit: AmountUnit::Wan,
            log_loss: None,
            width: 1600,
            height: 1000,
        }
    }
}

impl ChartSettings {
    fn options(&self, formats: Vec<ChartFormat>) -> ChartOptions {
        ChartOptions {
            formats,
            width: self.width,
            height: self.height,
            unit: self.unit,
        }
    }
}

/// One chart written: its stem, title and files.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    pub stem: &'static str,
    pub title: String,
    pub files: Vec<PathBuf>,
}

/// The data of one chart of a run, in [`CHARTS`] order.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartSpec {
    Steps(StepChart),
    Bars(StackedBars),
    Histogram(HistogramChart),
    Grouped(GroupedBars),
    Exceedance(ExceedanceCurve),
    Fan(FanChart),
}

impl ChartSpec {
    fn draw(&self, stem: &Path, opts: &ChartOptions) -> Result<Vec<PathBuf>, ChartError> {
        match self {
            ChartSpec::Steps(c) => chart::draw(c, stem, opts),
            ChartSpec::Bars(c) => chart::draw(c, stem, opts),
            ChartSpec::Histogram(c) => chart::draw(c, stem, opts),
            ChartSpec::Grouped(c) => chart::draw(c, stem, opts),
            ChartSpec::Exceedance(c) => chart::draw(c, stem, opts),
            ChartSpec::Fan(c) => chart::draw(c, stem, opts),
        }
    }
}

/// Draws every chart of a run into `out_dir` (created if needed); returns them in report order.
/// Charts and formats are drawn in parallel.
pub fn render_all(
    run: &RunFiles,
    out_dir: &Path,
    settings: &ChartSettings,
) -> Result<Vec<ChartFile>, ChartError> {
    std::fs::create_dir_all(out_dir).map_err(|source| ChartError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let specs = chart_specs(run, settings)?;
    let tasks: Vec<(usize, ChartFormat)> = specs
        .iter()
        .flat_map(|(i, _)| settings.formats.iter().map(move |f| (*i, *f)))
        .collect();
    let written: Vec<Vec<PathBuf>> = tasks
        .par_iter()
        .map(|&(i, format)| {
            if crate::cancel::requested() {
                return Err(ChartError::Interrupted);
            }
            let stem = out_dir.join(CHARTS[i].0);
            let spec = &specs
                .iter()
                .find(|(j, _)| *j == i)
                .expect("a task per spec")
                .1;
            spec.draw(&stem, &settings.options(vec![format]))
        })
        .collect::<Result<_, _>>()?;
    Ok(CHARTS
        .iter()
        .enumerate()
        .filter(|(i, _)| specs.iter().any(|(j, _)| j == i))
        .map(|(i, (stem, title))| ChartFile {
            stem,
            title: title.to_string(),
            files: tasks
                .iter()
                .zip(&written)
                .filter(|((j, _), _)| *j == i)
                .flat_map(|(_, files)| files.iter().cloned())
                .collect(),
        })
        .collect())
}

/// The charts the folder's files allow as data, each with its index in [`CHARTS`]: the
/// deterministic ones always, the Monte Carlo ones when the folder has a Monte Carlo.
pub fn chart_specs(
    run: &RunFiles,
    settings: &ChartSettings,
) -> Result<Vec<(usize, ChartSpec)>, ChartError> {
    let mut specs = vec![
        (0, ChartSpec::Steps(tranche_balances(run)?)),
        (1, ChartSpec::Bars(collections(run)?)),
        (2, ChartSpec::Bars(payments(run)?)),
    ];
    if let Some(mc) = &run.mc {
        let (exceedance, histogram) = rayon::join(
            || loss_exceedance(run, mc),
            || pool_default_distribution(run, mc),
        );
        specs.extend([
            (3, ChartSpec::Histogram(histogram)),
            (
                4,
                ChartSpec::Grouped(tranche_loss(run, mc, settings.log_loss)),
            ),
            (5, ChartSpec::Exceedance(exceedance)),
            (6, ChartSpec::Fan(balance_fan(run, mc)?)),
        ]);
    }
    Ok(specs)
}

/// A date as written in the run's files (ISO 8601).
fn parse_date(text: &str) -> Result<NaiveDate, ChartError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|e| ChartError::InvalidData(format!("date {text:?}: {e}")))
}

/// The base case's payment dates, one per period.
fn payment_dates(run: &RunFiles) -> Result<Vec<NaiveDate>, ChartError> {
    run.dates().iter().map(|d| parse_date(d)).collect()
}

/// Payment dates of periods `1..=periods`: the base case's dates, continued past the base case's
/// last date at the interval of its last period (the Monte Carlo fans run to the legal final
/// date, the base case only until the deal is paid off).
fn dates_for_periods(run: &RunFiles, periods: usize) -> Result<Vec<NaiveDate>, ChartError> {
    let mut dates = payment_dates(run)?;
    let closing = run.summary.closing_date;
    let (before, last) = match dates.as_slice() {
        [.., a, b] => (*a, *b),
        [b] => (closing, *b),
        [] => return Err(ChartError::InvalidData("no payment dates".into())),
    };
    let months = (last.year() - before.year()) * 12 + last.month() as i32 - before.month() as i32;
    let step = Months::new(months.max(1) as u32);
    let mut k = 1;
    while dates.len() < periods {
        let next = last
            .checked_add_months(Months::new(step.as_u32() * k))
            .ok_or_else(|| ChartError::InvalidData("payment dates past year 262143".into()))?;
        dates.push(next);
        k += 1;
    }
    dates.truncate(periods.max(1));
    Ok(dates)
}

fn title(stem: &str) -> String {
    CHARTS
        .iter()
        .find(|(s, _)| *s == stem)
        .map_or_else(String::new, |(_, t)| t.to_string())
}

/// Per-period values of `f` over the rows of period `1..=periods`.
fn per_period<R>(
    rows: &[R],
    periods: usize,
    period: impl Fn(&R) -> usize,
    value: impl Fn(&R) -> f64,
) -> Vec<f64> {
    let mut out = vec![0.0; periods];
    for r in rows {
        if let Some(v) = period(r).checked_sub(1).and_then(|p| out.get_mut(p)) {
            *v += value(r);
        }
    }
    out
}

fn nonzero(s: &Series) -> bool {
    s.values.iter().any(|v| v.abs() > 0.005)
}

/// Keeps series with any amount; keeps the first if all are zero (a chart needs one series).
fn drop_empty(series: Vec<Series>) -> Vec<Series> {
    let first = series.first().cloned();
    let kept: Vec<Series> = series.into_iter().filter(nonzero).collect();
    if kept.is_empty() {
        first.into_iter().collect()
    } else {
        kept
    }
}

/// Tranche balances from the closing date, stepping down on each payment date; one step line per
/// tranche.
fn tranche_balances(run: &RunFiles) -> Result<StepChart, ChartError> {
    let payment = payment_dates(run)?;
    let mut dates = vec![run.summary.closing_date];
    dates.extend(payment.iter().copied());
    let series = run
        .summary
        .tranches
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let closing = per_period(
                &run.tranches
                    .iter()
                    .filter(|r| r.tranche == t.tranche)
                    .collect::<Vec<_>>(),
                payment.len(),
                |r| r.period,
                |r| r.closing_balance.to_f64(),
            );
            let mut values = vec![t.original_balance.to_f64()];
            values.extend(closing);
            Series::new(t.tranche.clone(), values).with_color(tranche_color(i))
        })
        .collect();
    Ok(StepChart {
        titles: Titles::new(
            title("tranche_balances"),
            "支付日 Payment date",
            "余额 Balance",
        ),
        dates,
        series,
        y_kind: ValueKind::Amount,
    })
}

/// Pool collections per payment date by source, plus support drawn: one bar per date.
fn collections(run: &RunFiles) -> Result<StackedBars, ChartError> {
    let n = run.pool.len();
    let col = |f: fn(&inputs::PoolRow) -> f64| per_period(&run.pool, n, |r| r.period, f);
    let support = per_period(
        &run.accounts
            .iter()
            .filter(|a| a.account.starts_with("support_drawn:"))
            .collect::<Vec<_>>(),
        n,
        |a| a.period,
        |a| a.movement.to_f64(),
    );
    let source = |name: &str, values: Vec<f64>, role: Role| {
        Series::new(name, values).with_color(role.color())
    };
    let series = vec![
        source(
            "利息 interest",
            col(|r| r.interest.to_f64()),
            Role::PoolInterest,
        ),
        source(
            "计划本金 scheduled principal",
            col(|r| r.scheduled_principal.to_f64()),
            Role::PoolScheduledPrincipal,
        ),
        source(
            "提前还款 prepayment",
            col(|r| r.prepayment.to_f64()),
            Role::PoolPrepayment,
        ),
        source(
            "违约回收 recovery",
            col(|r| r.recovery.to_f64()),
            Role::PoolRecovery,
        ),
        source(
            "清仓回购 clean-up call",
            col(|r| r.sold_at_clean_up_call.to_f64()),
            Role::PoolCleanUpCall,
        ),
        source("差额支付 support drawn", support, Role::SupportDrawn),
    ];
    Ok(StackedBars {
        titles: Titles::new(
            title("collections"),
            "支付日 Payment date",
            "回收款 Collections",
        ),
        dates: payment_dates(run)?,
        series: drop_empty(series),
        y_kind: ValueKind::Amount,
    })
}

/// Cash paid per payment date: fees and taxes, then per tranche its interest, principal and
/// subordinate return with residual, each in a shade of the tranche's colour.
fn payments(run: &RunFiles) -> Result<StackedBars, ChartError> {
    let n = run.pool.len();
    let mut series = vec![
        Series::new(
            "税费 fees & taxes",
            per_period(&run.fees, n, |r| r.period, |r| r.paid.to_f64()),
        )
        .with_color(Role::Fees.color()),
    ];
    for (i, t) in run.summary.tranches.iter().enumerate() {
        let mine: Vec<&inputs::TrancheRow> = run
            .tranches
            .iter()
            .filter(|r| r.tranche == t.tranche)
            .collect();
        let paid = |f: fn(&&inputs::TrancheRow) -> f64| per_period(&mine, n, |r| r.period, f);
        series.push(
            Series::new(
                format!("{} 利息 interest", t.tranche),
                paid(|r| r.interest_paid.to_f64()),
            )
            .with_color(tranche_interest_color(i)),
        );
        series.push(
            Series::new(
                format!("{} 本金 principal", t.tranche),
                paid(|r| r.principal_paid.to_f64()),
            )
            .with_color(tranche_color(i)),
        );
        series.push(
            Series::new(
                format!("{} 次级收益 return + residual", t.tranche),
                paid(|r| (r.subordinate_return + r.residual).to_f64()),
            )
            .with_color(tranche_return_color(i)),
        );
    }
    Ok(StackedBars {
        titles: Titles::new(
            title("payments"),
            "支付日 Payment date",
            "分配金额 Cash paid",
        ),
        dates: payment_dates(run)?,
        series: drop_empty(series),
        y_kind: ValueKind::Amount,
    })
}

/// Bins of the pool cumulative default rate histogram.
const CDR_BINS: usize = 60;

/// Histogram of the pool cumulative default rate over paths, with mean, percentile and
/// break-even markers.
fn pool_default_distribution(run: &RunFiles, mc: &McFiles) -> HistogramChart {
    let d = &mc.summary.results.pool.cumulative_default_rate;
    let max = mc.paths.pool_cdr_max;
    // The axis stops a little past the 99.9th percentile so the body of the distribution is
    // readable; the few paths beyond it are counted in the legend.
    let mut hi = (d.p99_9 * 1.15).min(max);
    let break_even = run.break_even_rates();
    let shown_breakeven: Vec<&(String, f64)> = break_even
        .iter()
        .filter(|(_, b)| b.is_finite() && *b >= 0.0 && *b <= 1.0)
        .collect();
    for (_, b) in &shown_breakeven {
        hi = hi.max(*b);
    }
    // A round upper edge a little above the largest value shown, and never past 100 %: no path
    // defaults more than the whole pool.
    let hi = (((hi * 1.02).max(0.01) * 100.0).ceil() / 100.0).min(1.0);
    let width = hi / CDR_BINS as f64;
    // The bars are shares of the total weight, summed from the CDR cells: `hi` is a whole
    // percent, so each bar is a whole number of cells.
    let cells_per_bin = ((hi * 100.0).round() as usize * inputs::CDR_GRID / 100) / CDR_BINS;
    let mut counts = vec![0.0f64; CDR_BINS];
    let mut beyond = 0u64;
    let cells = mc
        .paths
        .pool_cdr_cells
        .iter()
        .zip(&mc.paths.pool_cdr_cell_paths);
    for (cell, (w, paths)) in cells.enumerate() {
        match cell / cells_per_bin.max(1) {
            b if b < CDR_BINS => counts[b] += w,
            _ => beyond += paths,
        }
    }
    let total = mc.paths.total_weight;
    let total = if total > 0.0 { total } else { 1.0 };
    let mut markers = vec![
        Marker::statistic("均值 mean", d.mean),
        Marker::statistic("P50", d.p50),
        Marker::statistic("P95", d.p95),
        Marker::statistic("P99", d.p99),
    ];
    let names = run.tranche_names();
    // A break-even rate is the tranche's: drawn in the tranche's colour, found by name.
    markers.extend(shown_breakeven.iter().filter_map(|(t, b)| {
        let index = names.iter().position(|n| n == t)?;
        Some(Marker::tranche(format!("{t} BDR"), *b, index))
    }));
    HistogramChart {
        titles: Titles::new(
            title("pool_default_distribution"),
            "累计违约率 Cumulative default rate",
            "路径占比 Share of paths",
        ),
        name: if beyond > 0 {
            format!(
                "{} 条路径 paths ({} beyond axis)",
                chart::format_number(mc.paths.rows as f64, 0),
                chart::format_number(beyond as f64, 0)
            )
        } else {
            format!(
                "{} 条路径 paths",
                chart::format_number(mc.paths.rows as f64, 0)
            )
        },
        bin_edges: (0..=CDR_BINS).map(|k| k as f64 * width).collect(),
        counts: counts.iter().map(|c| *c / total).collect(),
        x_kind: ValueKind::Percent,
        y_kind: ValueKind::Percent,
        markers,
        color: Some(Role::PathShare.color()),
    }
}

/// Expected loss and probability of loss per tranche as grouped bars.
fn tranche_loss(run: &RunFiles, mc_files: &McFiles, log: Option<bool>) -> GroupedBars {
    let series: Vec<Series> = run
        .summary
        .tranches
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mc = mc_files.tranches.iter().find(|m| m.tranche == t.tranche);
            let values = mc.map_or(vec![f64::NAN, f64::NAN], |m| {
                vec![m.expected_loss, m.probability_of_loss]
            });
            let name = if values.iter().all(|v| *v == 0.0) {
                format!("{} (无损失 no loss)", t.tranche)
            } else {
                t.tranche.clone()
            };
            Series::new(name, values).with_color(tranche_color(i))
        })
        .collect();
    let positive = chart_range(series.iter().flat_map(|s| s.values.iter().copied()));
    let log_y = log.unwrap_or(matches!(positive, Some((lo, hi)) if hi / lo > 100.0));
    GroupedBars {
        titles: Titles::new(
            title("tranche_loss"),
            "",
            if log_y {
                "概率/损失率 (对数) Rate, log scale"
            } else {
                "概率/损失率 Rate"
            },
        ),
        categories: vec![
            "预期损失 Expected loss".into(),
            "损失概率 Probability of loss".into(),
        ],
        series,
        y_kind: ValueKind::Percent,
        log_y,
        value_labels: true,
    }
}

fn chart_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Loss-rate grid steps of the exceedance curves (x = k / STEPS).
const EXCEEDANCE_STEPS: usize = 500;

/// Exceedance probabilities of one loss column, gathered path by path: `(x, P(loss > x))` on
/// the grid x = k / EXCEEDANCE_STEPS, 0 ≤ x ≤ 1; one pass, no sort. Under importance
/// sampling each path counts with its likelihood ratio, and P(loss > x) is the unbiased
/// Σ w·1{loss > x} / paths.
#[derive(Debug, Clone)]
pub struct Exceedance {
    /// above[m] = weight of the paths whose loss exceeds exactly the grid points 0..m.
    above: Vec<f64>,
}

impl Default for Exceedance {
    fn default() -> Self {
        Exceedance {
            above: vec![0.0; EXCEEDANCE_STEPS + 2],
        }
    }
}

impl Exceedance {
    pub fn push(&mut self, v: f64, weight: f64) {
        let steps = EXCEEDANCE_STEPS;
        if v.is_nan() || v <= 0.0 {
            return;
        }
        let m = ((v * steps as f64).ceil() as usize).min(steps + 1);
        // Guard against rounding: grid point m-1 must be below v.
        let m = if m > 0 && (m - 1) as f64 / steps as f64 >= v {
            m - 1
        } else {
            m
        };
        self.above[m] += weight;
    }

    /// The curve over `paths` paths.
    pub fn points(&self, paths: u64) -> Vec<(f64, f64)> {
        let steps = EXCEEDANCE_STEPS;
        let n = paths.max(1) as f64;
        let mut points = Vec::with_capacity(steps + 1);
        // Paths exceeding grid point k: those with m > k.
        let mut exceed: f64 = self.above[1..].iter().sum();
        for k in 0..=steps {
            points.push((k as f64 / steps as f64, exceed / n));
            exceed -= self.above[k + 1];
        }
        points
    }
}

/// [`Exceedance`] of a whole column at once.
pub fn exceedance_points(losses: &[f64], weights: Option<&[f64]>) -> Vec<(f64, f64)> {
    let mut e = Exceedance::default();
    for (i, v) in losses.iter().enumerate() {
        e.push(*v, weights.map_or(1.0, |w| w[i]));
    }
    e.points(losses.len() as u64)
}

/// One exceedance curve per tranche, log probability axis.
fn loss_exceedance(run: &RunFiles, mc: &McFiles) -> ExceedanceCurve {
    let names = run.tranche_names();
    let curves: Vec<Vec<(f64, f64)>> = mc.paths.exceedance.clone();
    let series = names
        .into_iter()
        .zip(curves)
        .enumerate()
        .map(|(i, (name, points))| ExceedanceSeries {
            name: if points.iter().all(|p| p.1 == 0.0) {
                format!("{name} (无损失 no loss)")
            } else {
                name
            },
            points,
            color: Some(tranche_color(i)),
        })
        .collect::<Vec<_>>();
    let any_positive = series.iter().any(|s| s.points.iter().any(|p| p.1 > 0.0));
    ExceedanceCurve {
        titles: Titles::new(
            title("loss_exceedance"),
            "损失率 Loss rate x",
            "超过 x 的概率 P(loss > x)",
        ),
        series,
        x_kind: ValueKind::Percent,
        log_y: any_positive,
    }
}

/// Fans of the performing pool balance and the senior balance after each payment date.
fn balance_fan(run: &RunFiles, mc: &McFiles) -> Result<FanChart, ChartError> {
    let fan = |rows: &[inputs::FanRow], name: &str, role: Role| -> FanSeries {
        FanSeries {
            name: name.into(),
            p5: rows.iter().map(|r| r.p5).collect(),
            p25: rows.iter().map(|r| r.p25).collect(),
            median: rows.iter().map(|r| r.p50).collect(),
            p75: rows.iter().map(|r| r.p75).collect(),
            p95: rows.iter().map(|r| r.p95).collect(),
            color: Some(role.color()),
        }
    };
    // Periods after every path has ended add nothing: stop after the last non-zero one.
    let live =
        |rows: &[inputs::FanRow]| rows.iter().rposition(|r| r.p95 > 0.0).map_or(0, |p| p + 1);
    let n = mc
        .pool_fan
        .len()
        .min(mc.senior_fan.len())
        .min((live(&mc.pool_fan).max(live(&mc.senior_fan)) + 1).max(1));
    // Fan row k is the balance after period k's payment date.
    let all_dates = dates_for_periods(
        run,
        mc.pool_fan[..n].iter().map(|r| r.period).max().unwrap_or(1),
    )?;
    let dates = mc.pool_fan[..n]
        .iter()
        .map(|r| {
            r.period
                .checked_sub(1)
                .and_then(|p| all_dates.get(p).copied())
                .ok_or_else(|| ChartError::InvalidData(format!("fan period {}", r.period)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FanChart {
        titles: Titles::new(title("balance_fan"), "支付日 Payment date", "余额 Balance"),
        dates,
        series: vec![
            fan(
                &mc.pool_fan[..n],
                "资产池余额 pool balance",
                Role::PoolBalance,
            ),
            fan(
                &mc.senior_fan[..n],
                "优先级余额 senior balance",
                Role::SeniorBalance,
            ),
        ],
        y_kind: ValueKind::Amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceedance_counts_strictly_greater() {
        // On the grid.
        let losses = [0.0, 0.0, 0.25, 0.5, 1.0];
        let pts = exceedance_points(&losses, None);
        assert_eq!(pts.len(), EXCEEDANCE_STEPS + 1);
        assert_eq!(pts[0], (0.0, 3.0 / 5.0));
        // x = 0.25: only 0.5 and 1.0 are strictly above.
        let at = |x: f64| pts[(x * EXCEEDANCE_STEPS as f64).round() as usize].1;
        assert_eq!(at(0.25), 2.0 / 5.0);
        assert_eq!(at(0.248), 3.0 / 5.0);
        assert_eq!(at(0.5), 1.0 / 5.0);
        assert_eq!(at(1.0), 0.0);
        // Non-increasing.
        assert!(pts.windows(2).all(|w| w[1].1 <= w[0].1));
        // Weighted (importance sampling): Σ w·1{loss > x} / paths.
        let weights = [1.0, 1.0, 0.5, 0.25, 0.125];
        let pts = exceedance_points(&losses, Some(&weights));
        let at = |x: f64| pts[(x * EXCEEDANCE_STEPS as f64).round() as usize].1;
        assert_eq!(at(0.0), 0.875 / 5.0);
        assert_eq!(at(0.25), 0.375 / 5.0);
        assert_eq!(at(0.5), 0.125 / 5.0);
    }

    #[test]
    fn exceedance_matches_brute_force() {
        let losses: Vec<f64> = (0..997).map(|k| ((k * 37) % 1000) as f64 / 999.0).collect();
        let pts = exceedance_points(&losses, None);
        for (x, p) in pts.iter().step_by(7) {
            let brute = losses.iter().filter(|v| **v > *x).count() as f64 / losses.len() as f64;
            assert_eq!(*p, brute, "x = {x}");
        }
    }

    #[test]
    fn per_period_sums_by_period() {
        let rows = [(1usize, 2.0), (2, 3.0), (2, 4.0), (9, 1.0)];
        assert_eq!(per_period(&rows, 3, |r| r.0, |r| r.1), vec![2.0, 7.0, 0.0]);
    }
}
