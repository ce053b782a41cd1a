//! Files of a deterministic run: pool, tranche, fee, account and ledger CSVs, the deal in
//! words (deal.json), the pool's stratification and summary.json.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

use super::{OutputDir, ReportError, RunMetadata};
use crate::deal::{Assumptions, Deal};
use crate::metrics::YieldConvention;
use crate::pool::PoolSummary;
use crate::results::CashflowRun;
use crate::results::cashflow::{FiredTrigger, TrancheMetrics};

/// `summary.json` of `ipabs cashflow` and `ipabs run`. Amounts are strings to keep them exact.
///
/// One type for the writer and the reader: the run writes a view borrowing its results
/// (`Cow::Borrowed`), `chart` and `compare` read an owned one (`CashflowSummary<'static>`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CashflowSummary<'a> {
    pub metadata: Cow<'a, RunMetadata>,
    pub deal: Cow<'a, str>,
    pub currency: Cow<'a, str>,
    pub closing_date: NaiveDate,
    pub legal_final_date: NaiveDate,
    pub assumptions: Cow<'a, Assumptions>,
    pub pool: Cow<'a, PoolSummary>,
    pub periods_run: usize,
    pub tranches: Cow<'a, [TrancheMetrics]>,
    /// How `tranches[..].yield_at_par` is quoted.
    pub yield_convention: Cow<'a, YieldConvention>,
    pub triggers_fired: Cow<'a, [FiredTrigger]>,
    pub support_drawn: Vec<SupportDrawn>,
    /// Pool principal still outstanding or awaiting recovery after the last payment date.
    #[serde(with = "crate::money::fen")]
    pub pool_balance_at_end: Decimal,
}

/// Support drawn over the whole run, per support (差额支付承诺 and the like).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupportDrawn {
    pub support: String,
    #[serde(with = "crate::money::fen")]
    pub drawn: Decimal,
}

impl CashflowSummary<'_> {
    /// Tranche names in the deal's order.
    pub fn tranche_names(&self) -> Vec<String> {
        self.tranches.iter().map(|t| t.tranche.clone()).collect()
    }
}

/// Writes every file of a deterministic run into `out`.
pub fn write(
    out: &OutputDir,
    deal: &Deal,
    run: &CashflowRun,
    meta: &RunMetadata,
) -> Result<(), ReportError> {
    out.csv("pool_cashflows.csv", &run.pool)?;
    out.csv("tranche_cashflows.csv", &run.tranches)?;
    out.csv("fees.csv", &run.fees)?;
    out.csv("accounts.csv", &run.accounts)?;
    out.csv("ledger.csv", &run.ledger)?;
    out.json("deal.json", &super::deal_doc::DealDocument::of(deal))?;
    out.json(
        "stratification.json",
        &crate::pool::Stratification::of(&deal.pool, deal.closing),
    )?;
    out.json("summary.json", &summary(deal, run, meta))
}

/// The content of `summary.json`: the deal, its assumptions, the pool and each tranche's
/// metrics of the run (also what the Python package's `cashflow().summary_json` is).
pub fn summary<'a>(
    deal: &'a Deal,
    run: &'a CashflowRun,
    meta: &'a RunMetadata,
) -> CashflowSummary<'a> {
    CashflowSummary {
        metadata: Cow::Borrowed(meta),
        deal: Cow::Borrowed(&deal.name),
        currency: Cow::Borrowed(&deal.currency),
        closing_date: deal.closing,
        legal_final_date: deal.legal_final,
        assumptions: Cow::Borrowed(&deal.assumptions),
        pool: Cow::Owned(PoolSummary::of(&deal.pool, deal.closing)),
        periods_run: run.periods_run,
        tranches: Cow::Borrowed(&run.metrics),
        yield_convention: Cow::Borrowed(&run.yield_convention),
        triggers_fired: Cow::Borrowed(&run.triggers),
        support_drawn: run
            .support_drawn
            .iter()
            .map(|(s, d)| SupportDrawn {
                support: s.clone(),
                drawn: *d,
            })
            .collect(),
        pool_balance_at_end: run.pool_balance_at_end,
    }
}
