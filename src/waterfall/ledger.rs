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
}

impl Reason {
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
    PlanAccount,
}

/// One ledger line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Entry<N> {
    pub period: usize,
    pub reason: Reason,
    pub party: Party,
    pub amount: N,
}
