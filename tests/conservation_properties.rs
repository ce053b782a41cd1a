//! Property tests: on randomly generated small deals (pools of every amortisation type, random
//! tranche splits, fees, reserve, support, triggers) under random assumptions, cash is conserved
//! to the fen on every payment date, no balance goes negative, and every tranche is settled.

use ipabs::results::run_cashflow;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::path::Path;

#[derive(Debug, Clone)]
struct AssetSpec {
    balance_wan: u32,
    rate_bp: u32,
    amortization: &'static str,
    months: u32,
    obligor: u8,
}

fn asset_spec() -> impl Strategy<Value = AssetSpec> {
    (
        1u32..5000,
        0u32..1200,
        prop::sample::select(vec!["level", "equal_principal", "bullet", "interest_only"]),
        prop::sample::select(vec![3u32, 6, 12, 24, 36]),
        0u8..4,
    )
        .prop_map(
            |(balance_wan, rate_bp, amortization, months, obligor)| AssetSpec {
                balance_wan,
                rate_bp,
                amortization,
                months,
                obligor,
            },
        )
}

/// A scenario whose tranches add up to the pool: senior share `senior_pct` % split into two
/// classes, the rest subordinate.
fn scenario(
    assets: &[AssetSpec],
    senior_pct: u32,
    coupon_bp: u32,
    with_support: bool,
    default_obligor: Option<(u8, u8)>,
) -> String {
    let mut s = String::from(
        "[deal]\nname = \"prop\"\nclosing_date = 2020-01-15\nfirst_payment_date = 2020-04-15\npayment_frequency = \"quarterly\"\nlegal_final_date = 2023-10-15\ntranches_equal_pool = true\n\n",
    );
    let mut pool_fen: u64 = 0;
    for (k, a) in assets.iter().enumerate() {
        // Balances in fen with odd digits so rounding is exercised.
        let fen = u64::from(a.balance_wan) * 1_000_000 + 37 * k as u64 + 1;
        pool_fen += fen;
        s += &format!(
            "[[pool.assets]]\nid = \"L{k}\"\nobligor = \"O{}\"\nsector = \"s{}\"\nasset_type = \"ip_lease\"\nip_kind = \"copyright\"\nappraised_value = 1000000.00\nbalance = {}.{:02}\nrate = {}\namortization = \"{}\"\nfrequency = \"quarterly\"\nterm_months = {}\nannual_pd = 0.03\n\n",
            a.obligor,
            a.obligor % 2,
            fen / 100,
            fen % 100,
            f64::from(a.rate_bp) / 10000.0,
            a.amortization,
            a.months
        );
    }
    let senior = pool_fen * u64::from(senior_pct) / 100;
    let a1 = senior / 2;
    let a2 = senior - a1;
    let sub = pool_fen - senior;
    let money = |f: u64| format!("{}.{:02}", f / 100, f % 100);
    s += "[[fees]]\nname = \"manager\"\nbasis = \"tranche_balance\"\nrate = 0.002\n\n[[fees]]\nname = \"tax\"\nbasis = \"interest_collections\"\nrate = 0.03\nannual_cap = 50000.00\n\n[[fees]]\nname = \"fixed\"\nbasis = \"fixed\"\namount = 12345.67\n\n";
    for (name, bal, coupon) in [
        ("A1", a1, coupon_bp),
        ("A2", a2, coupon_bp + 30),
        ("B", sub, 0),
    ] {
        if bal > 0 {
            s += &format!(
                "[[tranches]]\nname = \"{name}\"\nbalance = {}\ncoupon = {}\n\n",
                money(bal),
                f64::from(coupon) / 10000.0
            );
        }
    }
    let seniors: Vec<&str> = [("A1", a1), ("A2", a2)]
        .iter()
        .filter(|(_, b)| *b > 0)
        .map(|(n, _)| *n)
        .collect();
    let list = seniors
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut all = seniors.clone();
    if sub > 0 {
        all.push("B");
    }
    let all_list = all
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let last = all.last().unwrap();
    s += &format!(
        "[[accounts]]\nname = \"reserve\"\ninitial_balance = 10000.00\ntarget_rate = 0.01\ntarget_of = [{list}]\n\n"
    );
    if with_support {
        s += "[[support]]\nname = \"parent\"\ncap = 1000000.00\n\n";
    }
    s += &format!(
        "[[triggers]]\nname = \"acc\"\ncondition = \"cumulative_default_rate_above\"\nthreshold = 0.1\neffect = \"switch_waterfall\"\nwaterfall = \"turbo\"\n\n[[triggers]]\nname = \"eod\"\ncondition = \"interest_shortfall\"\ntranches = [{list}]\neffect = \"switch_waterfall\"\nwaterfall = \"turbo\"\n\n[[triggers]]\nname = \"call\"\ncondition = \"pool_factor_below\"\nthreshold = 0.1\neffect = \"clean_up_call\"\n\n"
    );
    if let Some((obligor, period)) = default_obligor {
        s += &format!(
            "[assumptions]\nobligor_defaults = [{{ obligor = \"O{obligor}\", period = {period} }}]\n\n"
        );
    }
    let support = if with_support {
        format!("  {{ step = \"support\", support = \"parent\", covers = [{list}] }},\n")
    } else {
        String::new()
    };
    s += &format!(
        "[waterfall]\nnormal = [\n  {{ step = \"fee\", fee = \"tax\" }},\n  {{ step = \"fee\", fee = \"manager\" }},\n  {{ step = \"fee\", fee = \"fixed\" }},\n  {{ step = \"reserve_draw\", account = \"reserve\", covers = [{list}] }},\n{support}  {{ step = \"interest\", tranches = [{list}] }},\n  {{ step = \"principal\", tranches = [{all_list}], order = \"sequential\", amount = \"pass_through\" }},\n  {{ step = \"reserve_fund\", account = \"reserve\" }},\n  {{ step = \"subordinate_return\", tranche = \"{last}\", rate = 0.1 }},\n  {{ step = \"residual\", tranche = \"{last}\" }},\n]\nturbo = [\n  {{ step = \"fee\", fee = \"tax\" }},\n{support}  {{ step = \"interest\", tranches = [{list}] }},\n  {{ step = \"principal\", tranches = [{all_list}], order = \"pro_rata\", amount = \"turbo\" }},\n  {{ step = \"residual\", tranche = \"{last}\" }},\n]\n"
    );
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn cash_is_conserved_on_random_deals(
        assets in prop::collection::vec(asset_spec(), 1..7),
        senior_pct in 50u32..100,
        coupon_bp in 100u32..900,
        with_support in any::<bool>(),
        default_obligor in prop::option::of((0u8..4, 1u8..8)),
        cdr in 0.0f64..1.0,
        cpr in 0.0f64..0.5,
        recovery in 0.0f64..1.0,
        lag in 0u32..24,
    ) {
        // The defaulting obligor is one of the drawn assets' obligors.
        let default_obligor = default_obligor.map(|(k, period)| (assets[k as usize % assets.len()].obligor, period));
        let text = scenario(&assets, senior_pct, coupon_bp, with_support, default_obligor);
        let mut deal = ipabs::scenario::load_text(Path::new("prop.toml"), &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        deal.assumptions.cdr = vec![cdr];
        deal.assumptions.cpr = vec![cpr];
        deal.assumptions.recovery_rate = vec![recovery];
        deal.assumptions.recovery_lag_months = vec![lag];
        let run = run_cashflow(&deal);
        for t in 1..=run.periods_run {
            let inflow: Decimal = run.ledger.iter().filter(|l| l.period == t && l.direction == "in").map(|l| l.amount).sum();
            let outflow: Decimal = run.ledger.iter().filter(|l| l.period == t && l.direction == "out").map(|l| l.amount).sum();
            prop_assert_eq!(inflow, outflow, "period {}", t);
            prop_assert!(run.ledger.iter().all(|l| l.amount > Decimal::ZERO && l.amount.scale() <= 2));
        }
        for r in &run.tranches {
            prop_assert!(r.closing_balance >= Decimal::ZERO);
            prop_assert!(r.interest_paid <= r.interest_due);
            prop_assert_eq!(r.opening_balance - r.principal_paid - r.write_down, r.closing_balance);
        }
        for (m, t) in run.metrics.iter().zip(&deal.structure.tranches) {
            prop_assert_eq!(m.total_principal + m.total_write_down, t.balance);
        }
        for f in &run.fees {
            prop_assert!(f.arrears >= Decimal::ZERO);
        }
    }
}
