//! The scenario file as written: serde types with source spans, checked by `validate`.
//! Numbers that become money or rates are kept as spanned TOML values and re-read from the
//! source text, so `250_000_000.10` is exact (TOML numbers otherwise pass through f64).

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;
use toml::value::Datetime;

pub type Num = Spanned<toml::Value>;
pub type Text = Spanned<String>;
pub type Date = Spanned<Datetime>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub deal: RawDeal,
    pub pool: RawPool,
    #[serde(default)]
    pub assumptions: Option<RawAssumptions>,
    #[serde(default)]
    pub model: Option<RawModel>,
    #[serde(default)]
    pub simulation: Option<RawSimulation>,
    #[serde(default)]
    pub fees: Vec<RawFee>,
    pub tranches: Spanned<Vec<RawTranche>>,
    #[serde(default)]
    pub accounts: Vec<RawAccount>,
    #[serde(default)]
    pub support: Vec<RawSupport>,
    #[serde(default)]
    pub triggers: Vec<RawTrigger>,
    pub waterfall: Spanned<BTreeMap<String, Spanned<Vec<RawStep>>>>,
    /// `[breakeven]` and `[rating]`: read and checked by the structuring commands
    /// (`crate::structuring::config`).
    #[serde(default)]
    pub breakeven: Option<toml::Value>,
    #[serde(default)]
    pub rating: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeal {
    pub name: Text,
    #[serde(default)]
    pub currency: Option<Text>,
    pub closing_date: Date,
    pub first_payment_date: Date,
    pub payment_frequency: Text,
    #[serde(default)]
    pub day_count: Option<Text>,
    pub legal_final_date: Date,
    /// When true, the tranches must add up to the pool balance to the fen.
    #[serde(default)]
    pub tranches_equal_pool: Option<Spanned<bool>>,
    /// Months after default at which a defaulted balance is charged off to the principal
    /// deficiency (0, the default: at default).
    #[serde(default)]
    pub charge_off_months: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    #[serde(default)]
    pub loan_tape: Option<Text>,
    #[serde(default)]
    pub schedules: Option<Text>,
    /// The worksheet of an `.xlsx` loan tape or schedules file (default: the first); read with
    /// the files (`document.rs`).
    #[serde(default)]
    pub loan_tape_sheet: Option<Text>,
    #[serde(default)]
    pub schedules_sheet: Option<Text>,
    /// The encoding of CSV files (`utf-8`, `gbk`, `gb18030`; default: detected).
    #[serde(default)]
    pub encoding: Option<Text>,
    #[serde(default)]
    pub assets: Vec<BTreeMap<String, Num>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAssumptions {
    #[serde(default)]
    pub cdr: Option<Num>,
    #[serde(default)]
    pub cpr: Option<Num>,
    #[serde(default)]
    pub recovery_rate: Option<Num>,
    #[serde(default)]
    pub recovery_lag_months: Option<Num>,
    #[serde(default)]
    pub obligor_defaults: Vec<RawObligorDefault>,
    #[serde(default)]
    pub support_defaults: Vec<RawSupportDefault>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObligorDefault {
    pub obligor: Text,
    pub period: Num,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSupportDefault {
    pub support: Text,
    pub period: Num,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    #[serde(default)]
    pub copula: Option<Text>,
    #[serde(default)]
    pub df: Option<Num>,
    #[serde(default)]
    pub correlation: Option<RawCorrelation>,
    #[serde(default)]
    pub sector_loadings: Option<Spanned<BTreeMap<String, RawLoading>>>,
    #[serde(default)]
    pub cumulative_pd: Option<Spanned<Vec<Num>>>,
    #[serde(default)]
    pub pd_multiplier: Option<Num>,
    #[serde(default)]
    pub cpr: Option<Num>,
    #[serde(default)]
    pub recovery: Option<RawRecovery>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    pub intra_sector: Num,
    pub inter_sector: Num,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoading {
    pub global: Num,
    pub sector: Num,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecovery {
    pub mode: Text,
    /// `"model"` or `"tape"`: whether the Monte Carlo takes the loan tape's recovery columns.
    #[serde(default)]
    pub source: Option<Text>,
    #[serde(default)]
    pub rate: Option<Num>,
    #[serde(default)]
    pub volatility: Option<Num>,
    #[serde(default)]
    pub systematic_correlation: Option<Num>,
    #[serde(default)]
    pub haircut: Option<Num>,
    #[serde(default)]
    pub disposal_cost: Option<Num>,
    #[serde(default)]
    pub lag_months: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    #[serde(default)]
    pub paths: Option<Num>,
    #[serde(default)]
    pub seed: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFee {
    pub name: Text,
    pub basis: Text,
    #[serde(default)]
    pub rate: Option<Num>,
    #[serde(default)]
    pub amount: Option<Num>,
    #[serde(default)]
    pub annual_cap: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTranche {
    pub name: Text,
    pub balance: Num,
    #[serde(default)]
    pub coupon: Option<Num>,
    #[serde(default)]
    pub senior: Option<bool>,
    #[serde(default)]
    pub rating: Option<Text>,
    #[serde(default)]
    pub expected_maturity: Option<Date>,
    #[serde(default)]
    pub target_balances: Option<Spanned<Vec<Num>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    pub name: Text,
    #[serde(default)]
    pub initial_balance: Option<Num>,
    #[serde(default)]
    pub target: Option<Num>,
    #[serde(default)]
    pub target_rate: Option<Num>,
    #[serde(default)]
    pub target_of: Option<Vec<Text>>,
    #[serde(default)]
    pub target_floor: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSupport {
    pub name: Text,
    #[serde(default)]
    pub cap: Option<Num>,
    #[serde(default)]
    pub annual_pd: Option<Num>,
    #[serde(default)]
    pub factor_loading: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrigger {
    pub name: Text,
    pub condition: Text,
    #[serde(default)]
    pub threshold: Option<Num>,
    #[serde(default)]
    pub tranches: Option<Vec<Text>>,
    pub effect: Text,
    #[serde(default)]
    pub waterfall: Option<Text>,
    #[serde(default)]
    pub support: Option<Text>,
    #[serde(default)]
    pub effective: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub step: Text,
    #[serde(default)]
    pub fee: Option<Text>,
    #[serde(default)]
    pub tranches: Option<Vec<Text>>,
    #[serde(default)]
    pub tranche: Option<Text>,
    #[serde(default)]
    pub order: Option<Text>,
    #[serde(default)]
    pub amount: Option<Text>,
    #[serde(default)]
    pub support: Option<Text>,
    #[serde(default)]
    pub account: Option<Text>,
    #[serde(default)]
    pub covers: Option<Vec<Text>>,
    #[serde(default)]
    pub rate: Option<Num>,
    /// The account the step pays from in a separate-accounts waterfall.
    #[serde(default)]
    pub from: Option<Text>,
}
