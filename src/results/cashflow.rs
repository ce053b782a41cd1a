//! The deterministic run in exact decimal: every row of every table, the ledger, and the
//! per-tranche measures.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

use crate::dates::years_between;
use crate::deal::Deal;
use crate::engine::deterministic::AssumptionEvents;
use crate::engine::{PoolPeriod, Prepared, Recorder, Scratch, run_path};
use crate::metrics;
use crate::money::Amount;
use crate::waterfall::spec::Effective;
use crate::waterfall::{DealState, Entry, Party, Reason};

/// Pool cash flows for one period, yuan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolRow {
    pub period: usize,
    pub date: NaiveDate,
    #[serde(with = "crate::money::fen")]
    pub opening_balance: Decimal,
    #[serde(with = "crate::money::fen")]
    pub defaulted: Decimal,
    #[serde(with = "crate::money::fen")]
    pub interest: Decimal,
    #[serde(with = "crate::money::fen")]
    pub scheduled_principal: Decimal,
    #[serde(with = "crate::money::fen")]
    pub prepayment: Decimal,
    /// Performing balance bought back under a clean-up call (at par).
    #[serde(with = "crate::money::fen")]
    pub sold_at_clean_up_call: Decimal,
    #[serde(with = "crate::money::fen")]
    pub recovery: Decimal,
    #[serde(with = "crate::money::fen")]
    pub realized_loss: Decimal,
    #[serde(with = "crate::money::fen")]
    pub closing_balance: Decimal,
    #[serde(with = "crate::money::fen")]
    pub pending_recovery_exposure: Decimal,
    /// Defaulted balance charged off to the principal deficiency this period.
    #[serde(with = "crate::money::fen")]
    pub charged_off: Decimal,
    /// Cumulative defaulted principal / original pool balance.
    pub cumulative_default_rate: f64,
}

/// One tranche on one payment date, yuan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrancheRow {
    pub period: usize,
    pub date: NaiveDate,
    pub tranche: String,
    #[serde(with = "crate::money::fen")]
    pub opening_balance: Decimal,
    #[serde(with = "crate::money::fen")]
    pub interest_due: Decimal,
    #[serde(with = "crate::money::fen")]
    pub interest_paid: Decimal,
    #[serde(with = "crate::money::fen")]
    pub interest_shortfall: Decimal,
    #[serde(with = "crate::money::fen")]
    pub principal_paid: Decimal,
    #[serde(with = "crate::money::fen")]
    pub subordinate_return: Decimal,
    #[serde(with = "crate::money::fen")]
    pub residual: Decimal,
    #[serde(with = "crate::money::fen")]
    pub write_down: Decimal,
    #[serde(with = "crate::money::fen")]
    pub closing_balance: Decimal,
    /// Principal deficiency (本金亏损) standing against the class after the date: the part of
    /// its balance the collateral and principal cash no longer back (junior classes first).
    #[serde(with = "crate::money::fen")]
    pub principal_deficiency: Decimal,
}

/// A fee or tax on one payment date, yuan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeeRow {
    pub period: usize,
    pub date: NaiveDate,
    pub fee: String,
    #[serde(with = "crate::money::fen")]
    pub accrued: Decimal,
    #[serde(with = "crate::money::fen")]
    pub paid: Decimal,
    #[serde(with = "crate::money::fen")]
    pub arrears: Decimal,
}

/// Balances held after a payment date: reserve accounts, the plan account (or the revenue and
/// principal accounts when a step list keeps them apart), support drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRow {
    pub period: usize,
    pub date: NaiveDate,
    pub account: String,
    #[serde(with = "crate::money::fen")]
    pub movement: Decimal,
    #[serde(with = "crate::money::fen")]
    pub closing_balance: Decimal,
}

/// One ledger line with names resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerRow {
    pub period: usize,
    pub date: NaiveDate,
    /// `in`, `out` or `transfer` (the name of the reason's direction).
    pub direction: Cow<'static, str>,
    /// The typed reason's name ([`Reason::name`]).
    pub reason: Cow<'static, str>,
    pub party: String,
    #[serde(with = "crate::money::fen")]
    pub amount: Decimal,
}

/// Measures of one tranche over the whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrancheMetrics {
    pub tranche: String,
    #[serde(with = "crate::money::fen")]
    pub original_balance: Decimal,
    /// Annual coupon rate (not an amount).
    pub coupon: Decimal,
    #[serde(with = "crate::money::fen")]
    pub total_interest: Decimal,
    #[serde(with = "crate::money::fen")]
    pub total_principal: Decimal,
    #[serde(with = "crate::money::fen")]
    pub total_subordinate_return: Decimal,
    #[serde(with = "crate::money::fen")]
    pub total_residual: Decimal,
    #[serde(with = "crate::money::fen")]
    pub total_write_down: Decimal,
    /// Interest still unpaid after the last payment date.
    #[serde(with = "crate::money::fen")]
    pub unpaid_interest: Decimal,
    /// Principal not repaid (written down or outstanding at the end): original − principal paid.
    #[serde(with = "crate::money::fen")]
    pub principal_loss: Decimal,
    pub loss_rate: f64,
    pub wal_years: f64,
    /// IRR of the holder's cash flows bought at par, nominal p.a. compounded at the deal's
    /// payment frequency ([`metrics::YieldConvention`]); a total loss is the floor −m.
    /// `None` only for a class without a balance.
    pub yield_at_par: Option<f64>,
    /// At `yield_at_par`: Macaulay duration / (1 + y/m).
    pub modified_duration: f64,
    pub final_payment_date: Option<NaiveDate>,
}

/// A trigger that fired: the payment date whose determination date found it breached, and
/// the payment date its consequence first applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiredTrigger {
    pub trigger: String,
    pub period: usize,
    pub date: NaiveDate,
    /// The same date for `effective = "this_date"`, the next one for `"next_date"` (`None` if
    /// the deal ended first).
    pub applies_from: Option<NaiveDate>,
}

/// Everything a deterministic run produced.
#[derive(Debug, Clone, Serialize)]
pub struct CashflowRun {
    pub periods_run: usize,
    pub pool: Vec<PoolRow>,
    pub tranches: Vec<TrancheRow>,
    pub fees: Vec<FeeRow>,
    pub accounts: Vec<AccountRow>,
    pub ledger: Vec<LedgerRow>,
    pub triggers: Vec<FiredTrigger>,
    pub metrics: Vec<TrancheMetrics>,
    /// How `metrics[..].yield_at_par` is quoted.
    pub yield_convention: metrics::YieldConvention,
    pub support_drawn: Vec<(String, Decimal)>,
    /// Pool principal still outstanding or awaiting recovery after the last payment date.
    #[serde(with = "crate::money::fen")]
    pub pool_balance_at_end: Decimal,
    /// Recovery cash that falls due after the deal's last payment date and is never received
    /// (recovery lags reaching past the end).
    #[serde(with = "crate::money::fen")]
    pub recovery_after_last_date: Decimal,
}

impl CashflowRun {
    /// The deal's last payment date in this run.
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.pool.last().map(|p| p.date)
    }
}

struct FullRecorder<'a> {
    deal: &'a Deal,
    entries: Vec<Entry<Decimal>>,
    pool: Vec<PoolRow>,
    tranches: Vec<TrancheRow>,
    fees: Vec<FeeRow>,
    accounts: Vec<AccountRow>,
    triggers: Vec<FiredTrigger>,
    last_account: Vec<Decimal>,
    last_pots: [Decimal; 2],
    support_total: Vec<Decimal>,
    pool_balance_at_end: Decimal,
}

impl Recorder<Decimal> for FullRecorder<'_> {
    fn cash(&mut self, period: usize, reason: Reason, party: Party, amount: Decimal) {
        self.entries.push(Entry {
            period,
            reason,
            party,
            amount,
        });
    }

    fn period_end(&mut self, flows: &PoolPeriod<Decimal>, state: &DealState<Decimal>) {
        let t = flows.period;
        let date = self.deal.period_ends[t];
        let original = self.deal.pool.balance().to_f64();
        self.pool.push(PoolRow {
            period: t + 1,
            date,
            opening_balance: flows.opening_balance,
            defaulted: flows.defaulted,
            interest: flows.interest,
            scheduled_principal: flows.scheduled_principal,
            prepayment: flows.prepayment,
            sold_at_clean_up_call: flows.sold_at_call,
            recovery: flows.recovery,
            realized_loss: flows.realized_loss,
            closing_balance: flows.closing_balance,
            pending_recovery_exposure: flows.pending_exposure,
            charged_off: flows.charged_off,
            cumulative_default_rate: flows.cumulative_defaulted.to_f64() / original,
        });
        self.pool_balance_at_end = flows.closing_balance + flows.pending_exposure;
        for (i, s) in state.tranches.iter().enumerate() {
            self.tranches.push(TrancheRow {
                period: t + 1,
                date,
                tranche: self.deal.structure.tranches[i].name.clone(),
                opening_balance: s.opening_balance,
                interest_due: s.interest_due,
                interest_paid: s.interest_paid,
                interest_shortfall: s.interest_shortfall,
                principal_paid: s.principal_paid,
                subordinate_return: s.subordinate_return_paid,
                residual: s.residual_paid,
                write_down: s.write_down,
                closing_balance: s.balance,
                principal_deficiency: s.deficiency,
            });
        }
        for (f, fee) in self.deal.structure.fees.iter().enumerate() {
            self.fees.push(FeeRow {
                period: t + 1,
                date,
                fee: fee.name.clone(),
                accrued: state.fee_due[f],
                paid: state.fee_paid[f],
                arrears: state.fee_arrears[f],
            });
        }
        for (a, account) in self.deal.structure.accounts.iter().enumerate() {
            let balance = state.account_balance[a];
            self.accounts.push(AccountRow {
                period: t + 1,
                date,
                account: account.name.clone(),
                movement: balance - self.last_account[a],
                closing_balance: balance,
            });
            self.last_account[a] = balance;
        }
        let pots: &[(&str, usize)] = if self.deal.structure.has_separate_accounts() {
            &[("revenue_account", 0), ("principal_account", 1)]
        } else {
            &[("plan_account", 0)]
        };
        for &(name, pot) in pots {
            self.accounts.push(AccountRow {
                period: t + 1,
                date,
                account: name.into(),
                movement: state.pots[pot] - self.last_pots[pot],
                closing_balance: state.pots[pot],
            });
            self.last_pots[pot] = state.pots[pot];
        }
        for (s, support) in self.deal.structure.supports.iter().enumerate() {
            self.support_total[s] = state.support_drawn_total[s];
            self.accounts.push(AccountRow {
                period: t + 1,
                date,
                account: format!("support_drawn:{}", support.name),
                movement: state.support_drawn[s],
                closing_balance: state.support_drawn_total[s],
            });
        }
    }

    fn trigger_fired(&mut self, period: usize, trigger: usize) {
        let spec = &self.deal.structure.triggers[trigger];
        let applies = match spec.effective {
            Effective::ThisDate => period,
            Effective::NextDate => period + 1,
        };
        self.triggers.push(FiredTrigger {
            trigger: spec.name.clone(),
            period: period + 1,
            date: self.deal.period_ends[period],
            applies_from: self.deal.period_ends.get(applies).copied(),
        });
    }
}

impl FullRecorder<'_> {
    fn party_name(&self, party: Party) -> String {
        let s = &self.deal.structure;
        match party {
            Party::Pool => "pool".into(),
            Party::Originator => "originator".into(),
            Party::Fee(i) => s.fees[i].name.clone(),
            Party::Tranche(i) => s.tranches[i].name.clone(),
            Party::Account(i) => s.accounts[i].name.clone(),
            Party::Support(i) => s.supports[i].name.clone(),
            Party::PlanAccount => "plan_account".into(),
            Party::RevenueAccount => "revenue_account".into(),
            Party::PrincipalAccount => "principal_account".into(),
        }
    }
}

/// Runs the deal under its deterministic assumptions in exact decimal.
pub fn run_cashflow(deal: &Deal) -> CashflowRun {
    run_cashflow_with(deal, &AssumptionEvents::new(deal))
}

/// Runs the deal in exact decimal under the given events.
pub fn run_cashflow_with(deal: &Deal, events: &AssumptionEvents) -> CashflowRun {
    run_cashflow_prepared(deal, &Prepared::for_deal(deal), events)
}

/// [`run_cashflow_with`] on the deal's numbers already prepared (`Prepared::new(deal, ..)`
/// from its projection, which `ipabs run` computes once for the base case, the break-even
/// runs and the rating).
pub fn run_cashflow_prepared(
    deal: &Deal,
    prep: &Prepared<Decimal>,
    events: &AssumptionEvents,
) -> CashflowRun {
    let mut scratch = Scratch::new(prep, events.max_lag());
    let s = &deal.structure;
    let mut rec = FullRecorder {
        deal,
        entries: Vec::new(),
        pool: Vec::new(),
        tranches: Vec::new(),
        fees: Vec::new(),
        accounts: Vec::new(),
        triggers: Vec::new(),
        last_account: s.accounts.iter().map(|a| a.initial_balance).collect(),
        last_pots: [Decimal::ZERO; 2],
        support_total: vec![Decimal::ZERO; s.supports.len()],
        pool_balance_at_end: Decimal::ZERO,
    };
    let periods_run = run_path(prep, events, &mut scratch, &mut rec);
    let metrics = tranche_metrics(deal, &rec.tranches, &scratch.state);
    let ledger = rec
        .entries
        .iter()
        .map(|e| LedgerRow {
            period: e.period + 1,
            date: deal.period_ends[e.period],
            direction: e.reason.direction().name().into(),
            reason: e.reason.name().into(),
            party: rec.party_name(e.party),
            amount: e.amount,
        })
        .collect();
    CashflowRun {
        periods_run,
        yield_convention: metrics::YieldConvention::of(deal.frequency),
        support_drawn: s
            .supports
            .iter()
            .map(|x| x.name.clone())
            .zip(rec.support_total.iter().copied())
            .collect(),
        pool: rec.pool,
        tranches: rec.tranches,
        fees: rec.fees,
        accounts: rec.accounts,
        ledger,
        triggers: rec.triggers,
        metrics,
        pool_balance_at_end: rec.pool_balance_at_end,
        recovery_after_last_date: scratch
            .pool
            .pending_cash_after(periods_run.saturating_sub(1)),
    }
}

fn tranche_metrics(
    deal: &Deal,
    rows: &[TrancheRow],
    state: &DealState<Decimal>,
) -> Vec<TrancheMetrics> {
    deal.structure
        .tranches
        .iter()
        .enumerate()
        .map(|(i, tranche)| {
            let mine: Vec<&TrancheRow> =
                rows.iter().filter(|r| r.tranche == tranche.name).collect();
            let sum = |f: fn(&TrancheRow) -> Decimal| mine.iter().map(|r| f(r)).sum::<Decimal>();
            let total_principal = sum(|r| r.principal_paid);
            let years = |r: &TrancheRow| years_between(deal.closing, r.date);
            let cash: Vec<(f64, f64)> = mine
                .iter()
                .map(|r| {
                    (
                        years(r),
                        (r.interest_paid + r.principal_paid + r.subordinate_return + r.residual)
                            .to_f64(),
                    )
                })
                .collect();
            let price = tranche.balance.to_f64();
            let per_year = deal.frequency.per_year();
            let yield_at_par = metrics::yield_at_price(price, &cash, per_year);
            let principal_loss = tranche.balance - total_principal;
            TrancheMetrics {
                tranche: tranche.name.clone(),
                original_balance: tranche.balance,
                coupon: tranche.coupon,
                total_interest: sum(|r| r.interest_paid),
                total_principal,
                total_subordinate_return: sum(|r| r.subordinate_return),
                total_residual: sum(|r| r.residual),
                total_write_down: sum(|r| r.write_down),
                unpaid_interest: state.tranches[i].interest_shortfall,
                principal_loss,
                loss_rate: if tranche.balance.gt_zero() {
                    (principal_loss / tranche.balance).to_f64()
                } else {
                    0.0
                },
                wal_years: metrics::wal(mine.iter().map(|r| (years(r), r.principal_paid.to_f64()))),
                yield_at_par,
                modified_duration: yield_at_par
                    .map_or(0.0, |y| metrics::modified_duration(&cash, y, per_year)),
                final_payment_date: mine
                    .iter()
                    .rev()
                    .find(|r| {
                        (r.interest_paid + r.principal_paid + r.subordinate_return + r.residual)
                            .gt_zero()
                    })
                    .map(|r| r.date),
            }
        })
        .collect()
}
