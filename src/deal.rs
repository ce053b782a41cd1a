//! A validated deal: the contract (pool, structure, calendar) kept apart from the assumptions
//! (what we believe about defaults, prepayments and recoveries).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::credit::CreditModel;
use crate::dates::Frequency;
use crate::pool::Pool;
use crate::scenario::Warning;
use crate::waterfall::spec::Structure;

/// Everything needed to run the deal; built only by `scenario::load`.
#[derive(Debug, Clone, Serialize)]
pub struct Deal {
    pub name: String,
    pub currency: String,
    pub closing: NaiveDate,
    pub first_payment: NaiveDate,
    pub frequency: Frequency,
    pub legal_final: NaiveDate,
    /// Payment dates; period `t` runs from the previous date (or closing) to `period_ends[t]`.
    pub period_ends: Vec<NaiveDate>,
    pub pool: Pool,
    pub structure: Structure,
    pub assumptions: Assumptions,
    pub credit: CreditModel,
    pub simulation: Simulation,
    /// What loading found questionable but valid; the commands print these to stderr.
    pub warnings: Vec<Warning>,
}

/// Deterministic assumptions (the base case and `ipabs cashflow`). Per-period vectors repeat
/// their last value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assumptions {
    /// Annual constant default rate on the performing balance.
    pub cdr: Vec<f64>,
    /// Annual constant prepayment rate.
    pub cpr: Vec<f64>,
    /// Share of a defaulted exposure recovered.
    pub recovery_rate: Vec<f64>,
    /// Months from default to recovery, by period of default (the last value repeats).
    pub recovery_lag_months: Vec<u32>,
    /// Obligors that default outright at a given period (index from 0), besides the CDR.
    pub obligor_defaults: Vec<ObligorDefault>,
    /// Period from which each support's promisor has defaulted, if ever.
    pub support_default_period: Vec<Option<usize>>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ObligorDefault {
    pub obligor: usize,
    pub period: usize,
}

/// Monte Carlo settings stored in the scenario (overridable on the command line).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Simulation {
    pub paths: u64,
    pub seed: u64,
}

/// Value of a per-period vector at `period` (last value repeats).
pub fn at_period(values: &[f64], period: usize) -> f64 {
    values.get(period).or(values.last()).copied().unwrap_or(0.0)
}

/// Converts an annual rate into the rate for a period of `months`: 1 − (1 − r)^(months / 12).
pub fn period_rate(annual: f64, months: u32) -> f64 {
    if annual >= 1.0 {
        return 1.0;
    }
    1.0 - (1.0 - annual).powf(f64::from(months) / 12.0)
}

/// Months rounded up to whole periods.
pub fn months_to_periods(months: u32, period_months: u32) -> usize {
    months.div_ceil(period_months.max(1)) as usize
}
