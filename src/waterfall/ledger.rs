//! Every cash movement of the plan, with a typed reason.

use serde::Serialize;

/// Why cash moved. Inflows fill the period's available funds; outflows empty them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    // Inflows.
    InterestCollection,
    PrincipalCollection,
    Prepayment,
    Recovery,
    /// The originator's purchase of the remaining pool (clean-up call).
    CleanUpCall,
    SupportDraw,
    ReserveDraw,
    /// A reserve account emptied into the last payment date's funds.
    AccountRelease,
    /// Cash left in the plan account last period.
    BroughtForward,
    // Outflows.
    Fee,
    TrancheInterest,
    TranchePrincipal,
    SubordinateReturn,
    Residual,
    ReserveDeposit,
    /// Cash nobody was entitled to this period, kept in the plan account.
    CarriedForward,
    // Transfers between the plan's own accounts (neither in nor out of the plan).
    /// Revenue moved to the principal account to cure the principal deficiency.
    PdlCure,
    /// Principal moved to the revenue account for senior interest (本金账补足).
    PrincipalToRevenue,
}

/// Which way a ledger line moves cash relative to the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
    /// From one of the plan's accounts to another: the plan's total cash does not change.
    Transfer,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Transfer => "transfer",
        }
    }
}

impl Reason {
    pub fn direction(self) -> Direction {
        if self.is_inflow() {
            Direction::In
        } else if matches!(self, Reason::PdlCure | Reason::PrincipalToRevenue) {
            Direction::Transfer
        } else {
            Direction::Out
        }
    }

    pub fn is_inflow(self) -> bool {
        matches!(
            self,
            Reason::InterestCollection
                | Reason::PrincipalCollection
                | Reason::Prepayment
                | Reason::Recovery
                | Reason::CleanUpCall
                | Reason::SupportDraw
                | Reason::ReserveDraw
                | Reason::AccountRelease
                | Reason::BroughtForward
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Reason::InterestCollection => "interest_collection",
            Reason::PrincipalCollection => "principal_collection",
            Reason::Prepayment => "prepayment",
            Reason::Recovery => "recovery",
            Reason::CleanUpCall => "clean_up_call",
            Reason::SupportDraw => "support_draw",
            Reason::ReserveDraw => "reserve_draw",
            Reason::AccountRelease => "account_release",
            Reason::BroughtForward => "brought_forward",
            Reason::Fee => "fee",
            Reason::TrancheInterest => "tranche_interest",
            Reason::TranchePrincipal => "tranche_principal",
            Reason::SubordinateReturn => "subordinate_return",
            Reason::Residual => "residual",
            Reason::ReserveDeposit => "reserve_deposit",
            Reason::CarriedForward => "carried_forward",
            Reason::PdlCure => "pdl_cure",
            Reason::PrincipalToRevenue => "principal_to_revenue",
        }
    }
}

/// Who paid or received the cash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "index")]
pub enum Party {
    Pool,
    Originator,
    Fee(usize),
    Tranche(usize),
    Account(usize),
    Support(usize),
    /// The one combined plan account.
    PlanAccount,
    /// 收益账 (separate accounts); a transfer names the account it goes to.
    RevenueAccount,
    /// 本金账 (separate accounts).
    PrincipalAccount,
}

/// One ledger line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Entry<N> {
    pub period: usize,
    pub reason: Reason,
    pub party: Party,
    pub amount: N,
}
