//! `ipabs compare`: a base run and a stressed run of the same deal side by side, from their
//! saved files: the difference table (`difference.csv`), the same per payment date
//! (`difference_by_date.csv`) and `compare.json` naming the two runs.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::path::Path;

use super::cashflow::CashflowSummary;
use super::charts::RunFiles;
use super::{OutputDir, ReportError};

/// Decimal places kept for rates and years in the difference table (from `f64` measures).
pub const MEASURE_DP: u32 = 8;

/// Why two folders cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(
        "compare needs two runs of the same deal: {} is {base_deal:?} (tranches {base_tranches}), {} is {stress_deal:?} (tranches {stress_tranches})",
        base.display(), stress.display()
    )]
    DifferentDeals {
        base: std::path::PathBuf,
        base_deal: String,
        base_tranches: String,
        stress: std::path::PathBuf,
        stress_deal: String,
        stress_tranches: String,
    },
    #[error(
        "the payment dates differ at period {period}: {base_date} in {}, {stress_date} in {}; compare needs two runs of the same deal's dates",
        base.display(), stress.display()
    )]
    DifferentDates {
        period: usize,
        base: std::path::PathBuf,
        base_date: NaiveDate,
        stress: std::path::PathBuf,
        stress_date: NaiveDate,
    },
}

/// One measure of the base run and the stressed run; `difference` = stress − base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DifferenceRow {
    /// `pool`, `fees`, `support:<name>` or a tranche's name.
    pub item: String,
    pub measure: String,
    /// `yuan` (exact, to the fen), `rate` (a fraction), `years` or `dates`.
    pub unit: String,
    /// Empty when not defined (a yield of a class without a balance).
    pub base: Option<Decimal>,
    pub stress: Option<Decimal>,
    pub difference: Option<Decimal>,
}

/// One amount per payment date of both runs; `difference` = stress − base. After a run's
/// last date its balances are zero, its cumulative losses stay and it pays nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DateDifferenceRow {
    pub period: usize,
    pub date: NaiveDate,
    /// `pool` or a tranche's name.
    pub item: String,
    /// `closing_balance`, `cumulative_loss` (pool: realized loss; tranche: write-downs plus
    /// principal deficiency) or `cash_paid` (tranche: interest, principal, subordinate return
    /// and residual; pool: collections).
    pub measure: String,
    #[serde(with = "crate::money::fen")]
    pub base: Decimal,
    #[serde(with = "crate::money::fen")]
    pub stress: Decimal,
    #[serde(with = "crate::money::fen")]
    pub difference: Decimal,
}

/// `compare.json`: which runs were compared.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareDocument<'a> {
    pub deal: Cow<'a, str>,
    pub base_folder: String,
    pub stress_folder: String,
    pub base: Cow<'a, CashflowSummary<'a>>,
    pub stress: Cow<'a, CashflowSummary<'a>>,
    pub definition: Cow<'a, str>,
}

/// Checks that `base` and `stress` are runs of one deal: the same name, tranches and dates
/// (one run may stop earlier).
pub fn check_same_deal(base: &RunFiles, stress: &RunFiles) -> Result<(), Box<CompareError>> {
    let (a, b) = (base.tranche_names(), stress.tranche_names());
    if base.summary.deal != stress.summary.deal || a != b {
        return Err(Box::new(CompareError::DifferentDeals {
            base: base.dir.clone(),
            base_deal: base.summary.deal.to_string(),
            base_tranches: a.join(", "),
            stress: stress.dir.clone(),
            stress_deal: stress.summary.deal.to_string(),
            stress_tranches: b.join(", "),
        }));
    }
    if let Some((k, (x, y))) = base
        .pool
        .iter()
        .zip(&stress.pool)
        .enumerate()
        .find(|(_, (x, y))| x.date != y.date)
    {
        return Err(Box::new(CompareError::DifferentDates {
            period: k + 1,
            base: base.dir.clone(),
            base_date: x.date,
            stress: stress.dir.clone(),
            stress_date: y.date,
        }));
    }
    Ok(())
}

fn rate(v: f64) -> Option<Decimal> {
    Decimal::from_f64(v).map(|d| d.round_dp(MEASURE_DP).normalize())
}

struct Rows(Vec<DifferenceRow>);

impl Rows {
    fn push(
        &mut self,
        item: &str,
        measure: &str,
        unit: &str,
        base: Option<Decimal>,
        stress: Option<Decimal>,
    ) {
        let difference = base.zip(stress).map(|(a, b)| b - a);
        self.0.push(DifferenceRow {
            item: item.into(),
            measure: measure.into(),
            unit: unit.into(),
            base,
            stress,
            difference,
        });
    }
    fn amount(&mut self, item: &str, measure: &str, base: Decimal, stress: Decimal) {
        self.push(item, measure, "yuan", Some(base), Some(stress));
    }
}

fn pool_sum(run: &RunFiles, f: impl Fn(&crate::results::cashflow::PoolRow) -> Decimal) -> Decimal {
    run.pool.iter().map(f).sum()
}

/// The difference table: the pool's collections and losses, fees, support drawn, then each
/// tranche's cash received, losses and measures.
pub fn difference_rows(base: &RunFiles, stress: &RunFiles) -> Vec<DifferenceRow> {
    let mut rows = Rows(Vec::new());
    let both = |f: &dyn Fn(&RunFiles) -> Decimal| (f(base), f(stress));
    let dates = |r: &RunFiles| Decimal::from(r.summary.periods_run);
    let (a, b) = both(&dates);
    rows.push("pool", "payment_dates_run", "dates", Some(a), Some(b));
    for (measure, f) in [
        (
            "defaulted",
            (|r| r.defaulted) as fn(&crate::results::cashflow::PoolRow) -> Decimal,
        ),
        ("recovery", |r| r.recovery),
        ("realized_loss", |r| r.realized_loss),
        ("interest", |r| r.interest),
        ("scheduled_principal", |r| r.scheduled_principal),
        ("prepayment", |r| r.prepayment),
        ("sold_at_clean_up_call", |r| r.sold_at_clean_up_call),
    ] {
        let (a, b) = both(&|r| pool_sum(r, f));
        rows.amount("pool", measure, a, b);
    }
    let (a, b) = both(&|r| r.summary.pool_balance_at_end);
    rows.amount("pool", "balance_at_end", a, b);
    let cdr = |r: &RunFiles| r.pool.last().and_then(|p| rate(p.cumulative_default_rate));
    rows.push(
        "pool",
        "cumulative_default_rate",
        "rate",
        cdr(base),
        cdr(stress),
    );
    let (a, b) = both(&|r| r.fees.iter().map(|f| f.paid).sum());
    rows.amount("fees", "paid", a, b);
    for s in &base.summary.support_drawn {
        let drawn = |r: &RunFiles| {
            r.summary
                .support_drawn
                .iter()
                .find(|d| d.support == s.support)
                .map_or(Decimal::ZERO, |d| d.drawn)
        };
        rows.amount(
            &format!("support:{}", s.support),
            "drawn",
            drawn(base),
            drawn(stress),
        );
    }
    for (t, u) in base
        .summary
        .tranches
        .iter()
        .zip(stress.summary.tranches.iter())
    {
        let name = t.tranche.as_str();
        for (measure, a, b) in [
            ("total_interest", t.total_interest, u.total_interest),
            ("total_principal", t.total_principal, u.total_principal),
            (
                "total_subordinate_return",
                t.total_subordinate_return,
                u.total_subordinate_return,
            ),
            ("total_residual", t.total_residual, u.total_residual),
            ("total_write_down", t.total_write_down, u.total_write_down),
            ("unpaid_interest", t.unpaid_interest, u.unpaid_interest),
            ("principal_loss", t.principal_loss, u.principal_loss),
        ] {
            rows.amount(name, measure, a, b);
        }
        rows.push(
            name,
            "loss_rate",
            "rate",
            rate(t.loss_rate),
            rate(u.loss_rate),
        );
        rows.push(
            name,
            "wal_years",
            "years",
            rate(t.wal_years),
            rate(u.wal_years),
        );
        rows.push(
            name,
            "yield_at_par",
            "rate",
            t.yield_at_par.and_then(rate),
            u.yield_at_par.and_then(rate),
        );
        rows.push(
            name,
            "modified_duration",
            "years",
            rate(t.modified_duration),
            rate(u.modified_duration),
        );
    }
    rows.0
}

/// Per payment date of a run: the pool's and each tranche's balance, cumulative loss and cash.
pub struct DateSeries {
    pub dates: Vec<NaiveDate>,
    /// `(item, measure) → value per date`, in the order of [`DateDifferenceRow`].
    pub series: Vec<(String, &'static str, Vec<Decimal>)>,
}

/// The date series of `run` over `dates` (a run that stopped earlier is carried on: balances
/// zero, losses as they stood, nothing paid).
pub fn date_series(run: &RunFiles, dates: &[NaiveDate]) -> DateSeries {
    let n = dates.len();
    let mut series = Vec::new();
    let per_date = |f: &dyn Fn(usize) -> Option<Decimal>, carry: bool| {
        let mut out = Vec::with_capacity(n);
        let mut last = Decimal::ZERO;
        for k in 0..n {
            let v = f(k).unwrap_or(if carry { last } else { Decimal::ZERO });
            last = v;
            out.push(v);
        }
        out
    };
    let pool = |k: usize| run.pool.get(k);
    series.push((
        "pool".to_string(),
        "closing_balance",
        per_date(&|k| pool(k).map(|p| p.closing_balance), false),
    ));
    let mut cum = Decimal::ZERO;
    let losses: Vec<Decimal> = (0..n)
        .map(|k| {
            cum += pool(k).map_or(Decimal::ZERO, |p| p.realized_loss);
            cum
        })
        .collect();
    series.push(("pool".to_string(), "cumulative_loss", losses));
    series.push((
        "pool".to_string(),
        "cash_paid",
        per_date(
            &|k| {
                pool(k).map(|p| {
                    p.interest
                        + p.scheduled_principal
                        + p.prepayment
                        + p.recovery
                        + p.sold_at_clean_up_call
                })
            },
            false,
        ),
    ));
    for name in run.tranche_names() {
        let row = |k: usize| {
            run.tranches
                .iter()
                .find(|r| r.tranche == name && r.period == k + 1)
        };
        series.push((
            name.clone(),
            "closing_balance",
            per_date(&|k| row(k).map(|r| r.closing_balance), false),
        ));
        let mut written_down = Decimal::ZERO;
        let mut deficiency = Decimal::ZERO;
        let losses: Vec<Decimal> = (0..n)
            .map(|k| {
                if let Some(r) = row(k) {
                    written_down += r.write_down;
                    deficiency = r.principal_deficiency;
                }
                written_down + deficiency
            })
            .collect();
        series.push((name.clone(), "cumulative_loss", losses));
        series.push((
            name.clone(),
            "cash_paid",
            per_date(
                &|k| {
                    row(k).map(|r| {
                        r.interest_paid + r.principal_paid + r.subordinate_return + r.residual
                    })
                },
                false,
            ),
        ));
    }
    DateSeries {
        dates: dates.to_vec(),
        series,
    }
}

/// The payment dates of the longer of the two runs (they share a prefix: checked).
pub fn all_dates(base: &RunFiles, stress: &RunFiles) -> Vec<NaiveDate> {
    let longer = if base.pool.len() >= stress.pool.len() {
        base
    } else {
        stress
    };
    longer.pool.iter().map(|p| p.date).collect()
}

/// The per-date difference rows, date-major.
pub fn date_rows(base: &DateSeries, stress: &DateSeries) -> Vec<DateDifferenceRow> {
    let mut out = Vec::new();
    for (k, date) in base.dates.iter().enumerate() {
        for ((item, measure, a), (_, _, b)) in base.series.iter().zip(&stress.series) {
            out.push(DateDifferenceRow {
                period: k + 1,
                date: *date,
                item: item.clone(),
                measure: (*measure).into(),
                base: a[k],
                stress: b[k],
                difference: b[k] - a[k],
            });
        }
    }
    out
}

/// The terminal table: the rows a committee looks at first (every tranche measure, the pool's
/// losses and the fees), aligned.
pub fn report(rows: &[DifferenceRow], base_name: &str, stress_name: &str) -> String {
    let cell = |v: &Option<Decimal>, unit: &str| match v {
        None => "-".to_string(),
        Some(d) if unit == "rate" => format!("{:.4}%", d * Decimal::ONE_HUNDRED),
        Some(d) if unit == "yuan" => super::table::thousands(*d),
        Some(d) if unit == "dates" => d.to_string(),
        Some(d) => format!("{:.4}", d),
    };
    let mut text = format!(
        "{:<10} {:<26} {:>20} {:>20} {:>20}\n",
        "item", "measure", base_name, stress_name, "stress − base"
    );
    for r in rows {
        text += &format!(
            "{:<10} {:<26} {:>20} {:>20} {:>20}\n",
            r.item,
            r.measure,
            cell(&r.base, &r.unit),
            cell(&r.stress, &r.unit),
            cell(&r.difference, &r.unit)
        );
    }
    text
}

/// What `difference.csv` means, as `compare.json` states it.
pub const DEFINITION: &str = "difference = stress − base, from each folder's saved deterministic results (summary.json and the cash-flow CSVs); amounts in yuan to the fen, rates as fractions, WAL and duration in years";

/// Writes the comparison's files into `out`.
pub fn write(
    out: &OutputDir,
    base: &RunFiles,
    stress: &RunFiles,
    rows: &[DifferenceRow],
    by_date: &[DateDifferenceRow],
) -> Result<(), ReportError> {
    out.csv("difference.csv", rows)?;
    out.csv("difference_by_date.csv", by_date)?;
    let folder = |p: &Path| p.display().to_string();
    out.json(
        "compare.json",
        &CompareDocument {
            deal: Cow::Borrowed(&base.summary.deal),
            base_folder: folder(&base.dir),
            stress_folder: folder(&stress.dir),
            base: Cow::Borrowed(&base.summary),
            stress: Cow::Borrowed(&stress.summary),
            definition: Cow::Borrowed(DEFINITION),
        },
    )
}

/// Cash paid over the whole run per recipient, as the payments chart groups it: fees and
/// taxes, each tranche's interest and principal, the subordinate return and residual.
pub fn cash_paid_totals(run: &RunFiles) -> Vec<(String, Decimal)> {
    let mut out = vec![(
        "税费 fees & taxes".to_string(),
        run.fees.iter().map(|f| f.paid).sum(),
    )];
    let mut sub = Decimal::ZERO;
    for name in run.tranche_names() {
        let mine = || run.tranches.iter().filter(|r| r.tranche == name);
        out.push((
            format!("{name} 利息 interest"),
            mine().map(|r| r.interest_paid).sum(),
        ));
        out.push((
            format!("{name} 本金 principal"),
            mine().map(|r| r.principal_paid).sum(),
        ));
        sub += mine()
            .map(|r| r.subordinate_return + r.residual)
            .sum::<Decimal>();
    }
    out.push(("次级收益 sub return + residual".to_string(), sub));
    out
}
