//! IP-backed assets as the deal documents describe them.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::dates::Frequency;

/// What kind of receivable an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetType {
    /// Rent on an IP sale-and-leaseback (融资租赁).
    IpLease,
    /// Loan secured by a pledge of patents (专利质押贷款).
    PatentPledgeLoan,
    /// Loan secured by a pledge of copyrights (版权质押贷款).
    CopyrightPledgeLoan,
    /// Royalties under a patent licence (专利许可费).
    Royalty,
}

impl AssetType {
    pub const NAMES: &'static str =
        "ip_lease, patent_pledge_loan, copyright_pledge_loan or royalty";
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "ip_lease" => AssetType::IpLease,
            "patent_pledge_loan" => AssetType::PatentPledgeLoan,
            "copyright_pledge_loan" => AssetType::CopyrightPledgeLoan,
            "royalty" => AssetType::Royalty,
            _ => return None,
        })
    }
}

/// The kind of IP securing (or underlying) an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IpKind {
    InventionPatent,
    UtilityModel,
    Design,
    Copyright,
    Trademark,
    /// A bundle of several kinds.
    Mixed,
}

impl IpKind {
    pub const NAMES: &'static str =
        "invention_patent, utility_model, design, copyright, trademark or mixed";
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "invention_patent" => IpKind::InventionPatent,
            "utility_model" => IpKind::UtilityModel,
            "design" => IpKind::Design,
            "copyright" => IpKind::Copyright,
            "trademark" => IpKind::Trademark,
            "mixed" => IpKind::Mixed,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            IpKind::InventionPatent => "invention_patent",
            IpKind::UtilityModel => "utility_model",
            IpKind::Design => "design",
            IpKind::Copyright => "copyright",
            IpKind::Trademark => "trademark",
            IpKind::Mixed => "mixed",
        }
    }
}

/// How an asset's principal is repaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Amortization {
    /// Level annuity payments (等额本息).
    Level,
    /// Equal principal each period plus interest on the balance (等额本金).
    EqualPrincipal,
    /// Principal and all interest in one payment at maturity.
    Bullet,
    /// Periodic interest, all principal at maturity (先息后本).
    InterestOnly,
    /// An explicit schedule of principal and interest (rent or royalty tables).
    Schedule,
}

impl Amortization {
    pub const NAMES: &'static str = "level, equal_principal, bullet, interest_only or schedule";
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "level" => Amortization::Level,
            "equal_principal" => Amortization::EqualPrincipal,
            "bullet" => Amortization::Bullet,
            "interest_only" => Amortization::InterestOnly,
            "schedule" => Amortization::Schedule,
            _ => return None,
        })
    }
}

/// One payment of an explicit rent or royalty schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduledPayment {
    pub date: NaiveDate,
    pub principal: Decimal,
    pub interest: Decimal,
}

/// One asset of the pool, validated.
#[derive(Debug, Clone, Serialize)]
pub struct Asset {
    pub id: String,
    /// Index into [`super::Pool::obligors`].
    pub obligor: usize,
    pub asset_type: AssetType,
    pub ip_kind: IpKind,
    /// Number of IP items (patents, copyrights, ...) behind the asset.
    pub ip_items: u32,
    /// Appraised value of the IP collateral, yuan.
    pub appraised_value: Decimal,
    /// Outstanding principal at the cut-off (the closing date), yuan.
    pub balance: Decimal,
    /// Annual interest (lease) rate; asset interest accrues at rate / payments per year.
    pub rate: Decimal,
    pub amortization: Amortization,
    pub frequency: Frequency,
    pub first_payment: NaiveDate,
    pub maturity: NaiveDate,
    /// Annual probability of default of the asset's obligor.
    pub annual_pd: f64,
    /// Asset-specific recovery rate (share of the defaulted exposure), if the tape gives one.
    pub recovery_rate: Option<f64>,
    /// Asset-specific recovery lag in months, if the tape gives one.
    pub recovery_lag_months: Option<u32>,
    /// Explicit payments, for `Amortization::Schedule`.
    pub schedule: Vec<ScheduledPayment>,
}

/// A borrower, lessee or licensee; all of its assets default together.
#[derive(Debug, Clone, Serialize)]
pub struct Obligor {
    pub name: String,
    /// Index into [`super::Pool::sectors`].
    pub sector: usize,
}
