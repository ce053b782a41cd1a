//! The deal as the report describes it: tranches with their credit enhancement, supports,
//! reserves, fees, triggers and every priority of payments as numbered text, plus the base case
//! and the Monte Carlo model. Built from the validated deal, written as `deal.json` by `run` and
//! `cashflow`, and read back (the same type) when `chart` redraws the report, so the report
//! never needs the scenario file again.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::credit::model::{Copula, PdCurve, RecoveryModel, RecoverySource};
use crate::deal::Deal;
use crate::money::Amount;
use crate::waterfall::spec::{
    AccountTarget, Effective, FeeBasis, Order, Pot, PrincipalAmount, Step, Structure,
    TriggerCondition, TriggerEffect,
};

/// One class of securities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrancheDoc {
    pub name: String,
    #[serde(serialize_with = "crate::money::serialize_fen")]
    pub balance: Decimal,
    pub coupon: f64,
    pub senior: bool,
    pub rank: usize,
    /// Credit enhancement at closing: the share of the pool balance not needed by this class and
    /// those ranking at or above it (subordination plus over-collateralisation).
    pub credit_enhancement: f64,
    /// Whether the class amortises to a target schedule.
    pub target_schedule: bool,
    pub expected_maturity: Option<String>,
    pub stated_rating: Option<String>,
}

/// A named item with a one-line description (fees, accounts, supports, triggers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub name: String,
    pub text: String,
}

/// A trigger: what it watches and does, in full, and in short where it leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerDoc {
    pub name: String,
    pub text: String,
    /// E.g. "switches to the `accelerated` priority of payments".
    pub effect: String,
}

/// One priority of payments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaterfallDoc {
    pub name: String,
    /// When it is in force: at closing, or after the triggers that switch to it.
    pub in_force: String,
    pub separate_accounts: bool,
    /// The steps in order, as text.
    pub steps: Vec<String>,
}

/// Everything `deal.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealDocument {
    pub deal: String,
    pub currency: String,
    pub closing_date: String,
    pub first_payment_date: String,
    pub legal_final_date: String,
    pub payment_frequency: String,
    pub payment_dates: usize,
    #[serde(serialize_with = "crate::money::serialize_fen")]
    pub pool_balance: Decimal,
    pub pool_assets: usize,
    pub pool_obligors: usize,
    pub tranches: Vec<TrancheDoc>,
    pub fees: Vec<Item>,
    pub accounts: Vec<Item>,
    pub supports: Vec<Item>,
    pub triggers: Vec<TriggerDoc>,
    pub waterfalls: Vec<WaterfallDoc>,
    /// The deterministic base case, as (assumption, value) rows.
    pub base_case: Vec<Item>,
    /// The Monte Carlo credit model, as (parameter, value) rows.
    pub model: Vec<Item>,
    /// Paths and seed the scenario asks for (a run may override them: the Monte Carlo summary
    /// says what ran).
    pub paths: u64,
    pub seed: u64,
}

fn pct(x: f64) -> String {
    let s = format!("{:.4}", x * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

fn dec_pct(x: Decimal) -> String {
    pct(x.to_f64())
}

fn yuan(x: Decimal) -> String {
    format!("{} yuan", crate::report::table::thousands(x))
}

fn names(s: &Structure, tranches: &[usize]) -> String {
    let list: Vec<&str> = tranches
        .iter()
        .map(|&i| s.tranches[i].name.as_str())
        .collect();
    list.join(", ")
}

fn series(values: &[f64], show: impl Fn(f64) -> String) -> String {
    match values {
        [] => "-".into(),
        [one] => show(*one),
        many => {
            let all: Vec<String> = many.iter().map(|v| show(*v)).collect();
            format!("{} by period (the last repeats)", all.join(", "))
        }
    }
}

/// A step of the priority of payments in words.
pub fn step_text(s: &Structure, step: &Step, separate: bool) -> String {
    match step {
        Step::Fee { fee } => {
            let f = &s.fees[*fee];
            format!(
                "Pay {}: the amount due plus arrears{}",
                f.name,
                f.annual_cap
                    .map_or(String::new(), |c| format!(", at most {} a year", yuan(c)))
            )
        }
        Step::Interest { tranches } => format!(
            "Interest due to {} pro rata, with unpaid interest carried forward",
            names(s, tranches)
        ),
        Step::Principal {
            tranches,
            order,
            amount,
        } => {
            let who = match order {
                Order::Sequential => {
                    let list: Vec<&str> = tranches
                        .iter()
                        .map(|&i| s.tranches[i].name.as_str())
                        .collect();
                    format!("{} sequentially", list.join(" → "))
                }
                Order::ProRata => format!("{} pro rata", names(s, tranches)),
            };
            let how = match amount {
                PrincipalAmount::Scheduled => "down to their target balances".to_string(),
                PrincipalAmount::Turbo => "everything available (turbo)".to_string(),
                PrincipalAmount::PassThrough if separate => {
                    "everything the principal account holds".to_string()
                }
                PrincipalAmount::PassThrough => {
                    "the principal collected, or more while the tranches exceed the collateral (curing the principal deficiency)".to_string()
                }
            };
            format!("Principal to {who}: {how}")
        }
        Step::Support { support, covers } => {
            let p = &s.supports[*support];
            format!(
                "Draw on {}'s shortfall undertaking (差额支付) for what {} still lack of interest and scheduled principal{}",
                p.name,
                names(s, covers),
                p.cap
                    .map_or(" (no cap)".to_string(), |c| format!(" (cap {})", yuan(c)))
            )
        }
        Step::ReserveFund { account } => {
            format!("Top up {} to its target", s.accounts[*account].name)
        }
        Step::ReserveDraw { account, covers } => format!(
            "Release from {} what {} still lack",
            s.accounts[*account].name,
            names(s, covers)
        ),
        Step::SubordinateReturn { tranche, rate } => format!(
            "Period return to {}, at most {} a year on its balance",
            s.tranches[*tranche].name,
            dec_pct(*rate)
        ),
        Step::Residual { tranche } => {
            format!(
                "Everything left to {} (residual)",
                s.tranches[*tranche].name
            )
        }
        Step::PdlCure { tranches } => format!(
            "Cure the principal deficiency (本金亏损) standing against {}: revenue moved to the principal account",
            names(s, tranches)
        ),
        Step::PrincipalToRevenue { covers } => format!(
            "Principal account pays revenue what it lacks for {}'s interest (本金账补足; the deficiency grows by it)",
            names(s, covers)
        ),
    }
}

fn fee_text(basis: &FeeBasis, cap: Option<Decimal>) -> String {
    let base = match basis {
        FeeBasis::FixedPerYear { amount } => format!("{} a year", yuan(*amount)),
        FeeBasis::PoolBalance { rate } => {
            format!("{} a year of the performing pool balance", dec_pct(*rate))
        }
        FeeBasis::TrancheBalance { rate } => {
            format!("{} a year of the tranches' balance", dec_pct(*rate))
        }
        FeeBasis::InterestCollections { rate } => {
            format!("{} of interest collections", dec_pct(*rate))
        }
    };
    match cap {
        Some(c) => format!("{base}, at most {} a year", yuan(c)),
        None => base,
    }
}

fn trigger_text(s: &Structure, t: &crate::waterfall::spec::Trigger) -> String {
    let when = match &t.condition {
        TriggerCondition::CumulativeDefaultRateAbove { threshold } => {
            format!("the cumulative default rate is above {}", pct(*threshold))
        }
        TriggerCondition::InterestShortfall { tranches } => {
            format!("interest is left unpaid on {}", names(s, tranches))
        }
        TriggerCondition::PoolFactorBelow { threshold } => {
            format!(
                "the performing pool falls below {} of its original balance",
                pct(*threshold)
            )
        }
        TriggerCondition::SupportFailure { support } => {
            format!("{} defaults", s.supports[*support].name)
        }
    };
    let then = match &t.effect {
        TriggerEffect::SwitchWaterfall { waterfall } => format!(
            "the `{}` priority of payments applies",
            s.waterfalls[*waterfall].name
        ),
        TriggerEffect::CleanUpCall => {
            "clean-up call: the originator buys the performing pool at par and the deal ends"
                .to_string()
        }
    };
    let from = match t.effective {
        Effective::ThisDate => "on the payment date following the determination date",
        Effective::NextDate => "from the payment date after that",
    };
    format!("When {when} (tested on each determination date), {then} {from}; it stays fired")
}

impl DealDocument {
    pub fn of(deal: &Deal) -> Self {
        let s = &deal.structure;
        let pool = deal.pool.balance();
        let pool_f = pool.to_f64().max(f64::MIN_POSITIVE);
        let tranches = s
            .tranches
            .iter()
            .map(|t| {
                let at_or_above: Decimal = s
                    .tranches
                    .iter()
                    .filter(|u| u.rank <= t.rank)
                    .map(|u| u.balance)
                    .sum();
                TrancheDoc {
                    name: t.name.clone(),
                    balance: t.balance,
                    coupon: t.coupon.to_f64(),
                    senior: t.senior,
                    rank: t.rank,
                    credit_enhancement: ((pool - at_or_above).to_f64() / pool_f).max(0.0),
                    target_schedule: !t.target_balances.is_empty(),
                    expected_maturity: t.expected_maturity.map(|d| d.to_string()),
                    stated_rating: t.rating.clone(),
                }
            })
            .collect();
        let supports = s
            .supports
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let covered: Vec<usize> = s
                    .waterfalls
                    .iter()
                    .flat_map(|w| &w.steps)
                    .filter_map(|step| match step {
                        Step::Support { support, covers } if *support == k => Some(covers),
                        _ => None,
                    })
                    .flatten()
                    .copied()
                    .fold(Vec::new(), |mut v, i| {
                        if !v.contains(&i) {
                            v.push(i);
                        }
                        v
                    });
                let loading = deal.credit.support_loadings.get(k).copied().unwrap_or(0.0);
                Item {
                    name: p.name.clone(),
                    text: format!(
                        "shortfall undertaking (差额支付承诺) for {}; {}; promisor PD {} a year, global-factor loading {loading}",
                        if covered.is_empty() {
                            "no tranche".to_string()
                        } else {
                            names(s, &covered)
                        },
                        p.cap.map_or("no cap".to_string(), |c| format!("cap {}", yuan(c))),
                        pct(p.annual_pd)
                    ),
                }
            })
            .collect();
        let accounts = s
            .accounts
            .iter()
            .map(|a| Item {
                name: a.name.clone(),
                text: format!(
                    "reserve, {} at closing; target {}",
                    yuan(a.initial_balance),
                    match &a.target {
                        AccountTarget::Fixed { amount } => yuan(*amount),
                        AccountTarget::ShareOfTranches {
                            rate,
                            tranches,
                            floor,
                        } => format!(
                            "{} of {}'s balance, at least {} while they are outstanding",
                            dec_pct(*rate),
                            names(s, tranches),
                            yuan(*floor)
                        ),
                    }
                ),
            })
            .collect();
        let waterfalls = s
            .waterfalls
            .iter()
            .enumerate()
            .map(|(k, w)| {
                let by: Vec<&str> = s
                    .triggers
                    .iter()
                    .filter(|t| {
                        matches!(t.effect, TriggerEffect::SwitchWaterfall { waterfall } if waterfall == k)
                    })
                    .map(|t| t.name.as_str())
                    .collect();
                WaterfallDoc {
                    name: w.name.clone(),
                    in_force: if k == 0 {
                        "at closing, until a trigger switches it".to_string()
                    } else if by.is_empty() {
                        "no trigger switches to it".to_string()
                    } else {
                        format!("after {} fires", by.join(" or "))
                    },
                    separate_accounts: w.separate_accounts,
                    steps: w
                        .steps
                        .iter()
                        .zip(&w.from)
                        .map(|(step, from)| {
                            let text = step_text(s, step, w.separate_accounts);
                            if w.separate_accounts {
                                let pot = match from {
                                    Pot::Revenue => "Revenue account 收益账",
                                    Pot::Principal => "Principal account 本金账",
                                };
                                format!("[{pot}] {text}")
                            } else {
                                text
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        let a = &deal.assumptions;
        let base_case = vec![
            Item {
                name: "Annual default rate (CDR) 年违约率".into(),
                text: series(&a.cdr, pct),
            },
            Item {
                name: "Annual prepayment rate (CPR) 年提前还款率".into(),
                text: series(&a.cpr, pct),
            },
            Item {
                name: "Recovery rate 回收率".into(),
                text: series(&a.recovery_rate, pct),
            },
            Item {
                name: "Recovery lag 回收滞后".into(),
                text: format!(
                    "{} months",
                    a.recovery_lag_months
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            Item {
                name: "Named obligor defaults 指定违约".into(),
                text: if a.obligor_defaults.is_empty() {
                    "none".into()
                } else {
                    a.obligor_defaults
                        .iter()
                        .map(|d| {
                            format!(
                                "{} at payment date {}",
                                deal.pool.obligors[d.obligor].name,
                                d.period + 1
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            },
        ];
        let m = &deal.credit;
        let correlation = match deal.pool.sectors.len() {
            0 => String::new(),
            _ => m
                .sector_loadings
                .iter()
                .zip(&deal.pool.sectors)
                .map(|(l, name)| {
                    format!(
                        "{name}: within {:.2}, across {:.2}",
                        l.global * l.global + l.sector * l.sector,
                        l.global * l.global
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        };
        let model = vec![
            Item {
                name: "Copula 相关结构".into(),
                text: match m.copula {
                    Copula::Gaussian => "Gaussian, global and sector factors".into(),
                    Copula::StudentT { df } => {
                        format!("Student-t with {df} degrees of freedom, global and sector factors")
                    }
                },
            },
            Item {
                name: "Asset correlation 资产相关性".into(),
                text: correlation,
            },
            Item {
                name: "Default probability 违约概率".into(),
                text: match &m.pd_curve {
                    PdCurve::ConstantHazard => format!(
                        "each obligor's annual PD at a constant hazard, × {}",
                        m.pd_multiplier
                    ),
                    PdCurve::TermStructure { cumulative } => format!(
                        "cumulative PD by year {} (scaled by each obligor's PD), × {}",
                        cumulative
                            .iter()
                            .map(|p| pct(*p))
                            .collect::<Vec<_>>()
                            .join(", "),
                        m.pd_multiplier
                    ),
                },
            },
            Item {
                name: "Recovery 回收".into(),
                text: format!(
                    "{}, {} months after default{}",
                    match &m.recovery {
                        RecoveryModel::Rate { rate } => format!("{} of the exposure", pct(*rate)),
                        RecoveryModel::Collateral {
                            volatility,
                            systematic_correlation,
                            haircut,
                            disposal_cost,
                        } => format!(
                            "IP collateral sold: appraised value × lognormal shock (volatility {}, correlation with the global factor {systematic_correlation}) × (1 − haircut {}) − disposal cost {}, capped at the exposure",
                            pct(*volatility),
                            pct(*haircut),
                            pct(*disposal_cost)
                        ),
                    },
                    m.recovery_lag_months,
                    match m.recovery_source {
                        RecoverySource::Model => "",
                        RecoverySource::Tape => "; the loan tape's recovery where it gives one",
                    }
                ),
            },
            Item {
                name: "Prepayment 提前还款".into(),
                text: format!("{} a year on every path", pct(m.cpr)),
            },
        ];
        DealDocument {
            deal: deal.name.clone(),
            currency: deal.currency.clone(),
            closing_date: deal.closing.to_string(),
            first_payment_date: deal.first_payment.to_string(),
            legal_final_date: deal.legal_final.to_string(),
            payment_frequency: format!("{:?}", deal.frequency).to_lowercase(),
            payment_dates: deal.period_ends.len(),
            pool_balance: pool,
            pool_assets: deal.pool.assets.len(),
            pool_obligors: deal.pool.obligors.len(),
            tranches,
            fees: s
                .fees
                .iter()
                .map(|f| Item {
                    name: f.name.clone(),
                    text: fee_text(&f.basis, f.annual_cap),
                })
                .collect(),
            accounts,
            supports,
            triggers: s
                .triggers
                .iter()
                .map(|t| TriggerDoc {
                    name: t.name.clone(),
                    text: trigger_text(s, t),
                    effect: match &t.effect {
                        TriggerEffect::SwitchWaterfall { waterfall } => format!(
                            "switches to the `{}` priority of payments",
                            s.waterfalls[*waterfall].name
                        ),
                        TriggerEffect::CleanUpCall => "clean-up call".to_string(),
                    },
                })
                .collect(),
            waterfalls,
            base_case,
            model,
            paths: deal.simulation.paths,
            seed: deal.simulation.seed,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The description of a shipped scenario (`scenarios/<name>`).
    pub(crate) fn doc(name: &str) -> DealDocument {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name);
        DealDocument::of(&crate::scenario::load(&path).unwrap())
    }

    #[test]
    fn the_reference_deal_in_words() {
        let d = doc("ip-lease-733m.toml");
        assert_eq!(d.tranches.len(), 4);
        // Sub's credit enhancement is the over-collateralisation alone (none here: 733 M of
        // tranches on a 733 M pool); each senior class has at least the one below it.
        let ce: Vec<f64> = d.tranches.iter().map(|t| t.credit_enhancement).collect();
        assert!(ce.windows(2).all(|w| w[0] >= w[1]), "{ce:?}");
        assert!(ce[3].abs() < 1e-12);
        assert!((ce[2] - 37.0 / 733.0).abs() < 1e-9, "{ce:?}");
        let normal = &d.waterfalls[0];
        assert!(normal.in_force.starts_with("at closing"));
        assert!(normal.separate_accounts);
        assert!(
            normal
                .steps
                .iter()
                .any(|s| s.contains("A1 → A2 → A3 sequentially"))
        );
        assert!(
            normal
                .steps
                .iter()
                .any(|s| s.contains("principal deficiency"))
        );
        assert!(
            d.waterfalls[1..]
                .iter()
                .all(|w| w.in_force.starts_with("after"))
        );
        assert!(d.supports[0].text.contains("no cap"));
        assert!(
            d.triggers
                .iter()
                .any(|t| t.text.contains("cumulative default rate is above 8%"))
        );
        let back: DealDocument = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn two_deals_read_differently() {
        let (a, b) = (doc("ip-lease-733m.toml"), doc("patent-pledge-200m.toml"));
        assert_ne!(a.waterfalls[0].steps, b.waterfalls[0].steps);
        assert_ne!(a.tranches.len() + a.supports.len(), 0);
        assert_ne!(
            a.tranches.iter().map(|t| &t.name).collect::<Vec<_>>(),
            b.tranches.iter().map(|t| &t.name).collect::<Vec<_>>()
        );
    }
}
