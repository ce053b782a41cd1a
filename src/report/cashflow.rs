//! Files of a deterministic run: pool, tranche, fee, account and ledger CSVs, the deal in
//! words (deal.json), the pool's stratification and summary.json.

use serde::Serialize;

use super::{OutputDir, ReportError, RunMetadata};
use crate::deal::{Assumptions, Deal};
use crate::pool::PoolSummary;
use crate::results::CashflowRun;
use crate::results::cashflow::{FiredTrigger, TrancheMetrics};

/// `summary.json` of `ipabs cashflow`. Amounts are strings to keep them exact.
#[derive(Debug, Serialize)]
pub struct CashflowSummary<'a> {
    pub metadata: &'a RunMetadata,
    pub deal: &'a str,
    pub currency: &'a str,
    pub closing_date: chrono::NaiveDate,
    pub legal_final_date: chrono::NaiveDate,
    pub assumptions: &'a Assumptions,
    pub pool: &'a PoolSummary,
    pub periods_run: usize,
    pub tranches: &'a [TrancheMetrics],
    /// How `tranches[..].yield_at_par` is quoted.
    pub yield_convention: &'a crate::metrics::YieldConvention,
    pub triggers_fired: &'a [FiredTrigger],
    pub support_drawn: Vec<SupportDrawn>,
    #[serde(serialize_with = "crate::money::serialize_fen")]
    pub pool_balance_at_end: rust_decimal::Decimal,
}

#[derive(Debug, Serialize)]
pub struct SupportDrawn {
    pub support: String,
    #[serde(serialize_with = "crate::money::serialize_fen")]
    pub drawn: rust_decimal::Decimal,
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
    let pool = PoolSummary::of(&deal.pool, deal.closing);
    let summary = CashflowSummary {
        metadata: meta,
        deal: &deal.name,
        currency: &deal.currency,
        closing_date: deal.closing,
        legal_final_date: deal.legal_final,
        assumptions: &deal.assumptions,
        pool: &pool,
        periods_run: run.periods_run,
        tranches: &run.metrics,
        yield_convention: &run.yield_convention,
        triggers_fired: &run.triggers,
        support_drawn: run
            .support_drawn
            .iter()
            .map(|(s, d)| SupportDrawn {
                support: s.clone(),
                drawn: *d,
            })
            .collect(),
        pool_balance_at_end: run.pool_balance_at_end,
    };
    out.json("summary.json", &summary)
}
