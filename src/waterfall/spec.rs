//! The deal's contract as data: tranches, fees, accounts, support, triggers and step lists.
//! Everything here is validated; names are already resolved to indices.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::dates::DayCount;

/// A class of securities.
#[derive(Debug, Clone, Serialize)]
pub struct Tranche {
    pub name: String,
    pub balance: Decimal,
    /// Annual coupon; the subordinate class usually has none (0).
    pub coupon: Decimal,
    /// Rank for write-downs: 0 is most senior; losses hit the highest rank first.
    pub rank: usize,
    /// Senior classes are the ones triggers and support refer to by default.
    pub senior: bool,
    /// Target balance after each payment date (scheduled amortisation), if any; its last
    /// entry applies to later periods.
    pub target_balances: Vec<Decimal>,
    /// Expected maturity as stated in the offering documents (for reports only).
    pub expected_maturity: Option<NaiveDate>,
    /// Rating stated in the offering documents (for reports only).
    pub rating: Option<String>,
}

/// What a fee or tax is charged on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FeeBasis {
    /// A fixed amount per year, accrued over each period's day count.
    FixedPerYear { amount: Decimal },
    /// A rate per year of the pool's performing balance at the start of the period.
    PoolBalance { rate: Decimal },
    /// A rate per year of the tranches' total balance at the start of the period.
    TrancheBalance { rate: Decimal },
    /// A rate of the period's interest collections (e.g. VAT on interest income).
    InterestCollections { rate: Decimal },
}

/// A tax or fee of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct Fee {
    pub name: String,
    pub basis: FeeBasis,
    /// Most that can be paid per year (pro rata per period); unpaid amounts carry forward.
    pub annual_cap: Option<Decimal>,
}

/// A cash reserve held by the plan.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub name: String,
    pub initial_balance: Decimal,
    pub target: AccountTarget,
}

/// How much a reserve account should hold.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AccountTarget {
    Fixed {
        amount: Decimal,
    },
    /// A share of the named tranches' balance at the start of the period, but at least
    /// `floor` while that balance is larger (never more than the balance itself).
    ShareOfTranches {
        rate: Decimal,
        tranches: Vec<usize>,
        floor: Decimal,
    },
}

/// A shortfall undertaking (差额支付承诺): a promisor pays the gap to what the covered tranches
/// are due, up to a cap, while it has not defaulted.
#[derive(Debug, Clone, Serialize)]
pub struct Support {
    pub name: String,
    /// Total the promisor will ever pay; `None` is unlimited.
    pub cap: Option<Decimal>,
    pub annual_pd: f64,
}

/// What a trigger watches.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TriggerCondition {
    /// Cumulative defaulted principal / original pool balance above the threshold (加速清偿).
    CumulativeDefaultRateAbove { threshold: f64 },
    /// Any of the tranches was not paid its full interest on the last payment date (违约事件).
    InterestShortfall { tranches: Vec<usize> },
    /// Performing pool balance / original pool balance below the threshold (clean-up call).
    PoolFactorBelow { threshold: f64 },
    /// The shortfall promisor has defaulted (差额支付承诺人违约): from then on it pays no
    /// demanded amount, so documents treat it as an acceleration event.
    SupportFailure { support: usize },
}

/// When a fired trigger's consequence applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effective {
    /// On the payment date that follows the determination date it was tested on (the
    /// documents' usual wording, and the default).
    ThisDate,
    /// From the payment date after that (for deals whose documents say so).
    NextDate,
}

/// What a trigger does once it fires; triggers stay fired.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TriggerEffect {
    /// Use another step list from the payment date it applies to.
    SwitchWaterfall { waterfall: usize },
    /// The originator buys the performing pool at par on the payment date it applies to; the
    /// deal ends there.
    CleanUpCall,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trigger {
    pub name: String,
    pub condition: TriggerCondition,
    pub effect: TriggerEffect,
    pub effective: Effective,
}

/// How a principal step sizes what it pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalAmount {
    /// Pass-through. In a separate-accounts waterfall: everything the principal account holds.
    /// In a combined waterfall: the period's principal collections, or more while the tranches
    /// exceed the collateral (the principal deficiency), so excess spread cures losses before
    /// anything reaches a junior step.
    PassThrough,
    /// Pay each tranche down to its target balance for the period.
    Scheduled,
    /// Turbo: everything available.
    Turbo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    Sequential,
    ProRata,
}

/// One step of the priority of payments.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum Step {
    /// Pay a tax or fee (due this period plus arrears, up to its cap).
    Fee { fee: usize },
    /// Pay the tranches' interest due plus carried-forward shortfalls, pro rata.
    Interest { tranches: Vec<usize> },
    Principal {
        tranches: Vec<usize>,
        order: Order,
        amount: PrincipalAmount,
    },
    /// Draw on a shortfall undertaking for the gap to the covered tranches' interest due plus
    /// scheduled principal (the whole balance on the final date).
    Support { support: usize, covers: Vec<usize> },
    /// Top the reserve account up to its target.
    ReserveFund { account: usize },
    /// Release from the reserve account what the covered tranches' dues still need.
    ReserveDraw { account: usize, covers: Vec<usize> },
    /// Pay the subordinate class a period return at most `rate` per year on its balance.
    SubordinateReturn { tranche: usize, rate: Decimal },
    /// Everything left to the tranche (the subordinate's residual).
    Residual { tranche: usize },
    /// Revenue cures the principal deficiency standing against the tranches (senior first):
    /// the amount moves from the revenue to the principal account (separate accounts only).
    PdlCure { tranches: Vec<usize> },
    /// 本金账补足: the principal account pays into the revenue account what the revenue still
    /// lacks for the covered tranches' interest (separate accounts only); what it takes is
    /// principal the tranches no longer receive, so the deficiency grows by it.
    PrincipalToRevenue { covers: Vec<usize> },
}

/// One of the plan's two collection accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pot {
    /// 收益账: interest collections, reserve releases, support drawn for interest.
    Revenue = 0,
    /// 本金账: scheduled and prepaid principal, recoveries, the call price, deficiency cures.
    Principal = 1,
}

/// A named priority of payments.
#[derive(Debug, Clone, Serialize)]
pub struct Waterfall {
    pub name: String,
    /// Whether the steps pay from a revenue and a principal account (each step names its
    /// account) or from one combined plan account.
    pub separate_accounts: bool,
    pub steps: Vec<Step>,
    /// The account each step pays from (all `Revenue` in a combined waterfall, where the one
    /// plan account holds everything).
    pub from: Vec<Pot>,
}

/// Everything the contract says about who is paid what.
#[derive(Debug, Clone, Serialize)]
pub struct Structure {
    pub day_count: DayCount,
    pub tranches: Vec<Tranche>,
    pub fees: Vec<Fee>,
    pub accounts: Vec<Account>,
    pub supports: Vec<Support>,
    pub triggers: Vec<Trigger>,
    /// `waterfalls[0]` is the normal priority of payments.
    pub waterfalls: Vec<Waterfall>,
    /// Months after its default at which a defaulted asset's balance is charged off to the
    /// principal deficiency (0: at default); a recovery that comes first charges it off then.
    pub charge_off_months: u32,
}

impl Structure {
    /// Whether any step list keeps revenue and principal apart (the outputs then report the
    /// two accounts instead of one plan account).
    pub fn has_separate_accounts(&self) -> bool {
        self.waterfalls.iter().any(|w| w.separate_accounts)
    }
}
