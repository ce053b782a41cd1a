//! A small deal worked by hand: 3 loans, 2 tranches, 4 quarterly payment dates, one obligor
//! default and an acceleration trigger. Every expected figure is derived in the comments.

use ipabs::results::run_cashflow;
use rust_decimal::Decimal;
use rust_decimal::dec;
use std::path::Path;

const SCENARIO: &str = r#"
[deal]
name = "hand-worked"
closing_date = 2020-01-01
first_payment_date = 2020-04-01
payment_frequency = "quarterly"
day_count = "30/360"            # every quarter is exactly 90/360 = 0.25 years
legal_final_date = 2021-01-01   # 4 payment dates
tranches_equal_pool = true

[[pool.assets]]
id = "L1"
obligor = "X"
sector = "film_tv"
asset_type = "ip_lease"
ip_kind = "copyright"
appraised_value = 800000.00
balance = 400000.00
rate = 0.08
amortization = "equal_principal"
frequency = "quarterly"
term_months = 12
annual_pd = 0.03

[[pool.assets]]
id = "L2"
obligor = "Y"
sector = "film_tv"
asset_type = "ip_lease"
ip_kind = "copyright"
appraised_value = 800000.00
balance = 400000.00
rate = 0.08
amortization = "equal_principal"
frequency = "quarterly"
term_months = 12
annual_pd = 0.03

[[pool.assets]]
id = "L3"
obligor = "Z"
sector = "it_software"
asset_type = "patent_pledge_loan"
ip_kind = "invention_patent"
appraised_value = 400000.00
balance = 200000.00
rate = 0.08
amortization = "equal_principal"
frequency = "quarterly"
term_months = 12
annual_pd = 0.03

[assumptions]
cdr = 0.0
recovery_rate = 0.5
recovery_lag_months = 0
obligor_defaults = [{ obligor = "Y", period = 2 }]

[[fees]]
name = "admin"
basis = "fixed"
amount = 4000.00

[[tranches]]
name = "A"
balance = 900000.00
coupon = 0.04

[[tranches]]
name = "B"
balance = 100000.00

[[triggers]]
name = "acceleration"
condition = "cumulative_default_rate_above"
threshold = 0.10
effect = "switch_waterfall"
waterfall = "turbo"

[waterfall]
normal = [
  { step = "fee", fee = "admin" },
  { step = "interest", tranches = ["A"] },
  { step = "principal", tranches = ["A", "B"], order = "sequential", amount = "pass_through" },
  { step = "residual", tranche = "B" },
]
turbo = [
  { step = "fee", fee = "admin" },
  { step = "interest", tranches = ["A"] },
  { step = "principal", tranches = ["A", "B"], order = "sequential", amount = "turbo" },
  { step = "residual", tranche = "B" },
]
"#;

fn column(
    run: &ipabs::results::CashflowRun,
    tranche: &str,
    f: fn(&ipabs::results::cashflow::TrancheRow) -> Decimal,
) -> Vec<Decimal> {
    run.tranches
        .iter()
        .filter(|r| r.tranche == tranche)
        .map(f)
        .collect()
}

#[test]
fn hand_worked_deal_matches_the_derivation() {
    let deal = ipabs::scenario::load_text(Path::new("hand-worked.toml"), SCENARIO)
        .expect("valid scenario");
    let run = run_cashflow(&deal);
    assert_eq!(run.periods_run, 4);

    // Pool. Each loan pays a quarter of its balance plus 8 %/4 = 2 % interest on the balance.
    // P1: interest 8,000 + 8,000 + 4,000 = 20,000; principal 100,000 + 100,000 + 50,000.
    // P2: Y (L2, 300,000 outstanding) defaults at the start; 50 % recovered with no lag =
    //     150,000; L1 pays 6,000 + 100,000, L3 3,000 + 50,000.
    // P3: L1 4,000 + 100,000, L3 2,000 + 50,000.  P4: L1 2,000 + 100,000, L3 1,000 + 50,000.
    let p = &run.pool;
    let interest: Vec<Decimal> = p.iter().map(|r| r.interest).collect();
    assert_eq!(
        interest,
        vec![dec!(20000), dec!(9000), dec!(6000), dec!(3000)]
    );
    let principal: Vec<Decimal> = p.iter().map(|r| r.scheduled_principal).collect();
    assert_eq!(
        principal,
        vec![dec!(250000), dec!(150000), dec!(150000), dec!(150000)]
    );
    assert_eq!(p[1].defaulted, dec!(300000));
    assert_eq!(p[1].recovery, dec!(150000));
    assert_eq!(p[1].realized_loss, dec!(150000));
    assert_eq!(p[3].closing_balance, Decimal::ZERO);

    // A's interest: 1 % a quarter (4 % × 90/360) on its opening balance.
    // P1: available 270,000 − fee 1,000 − interest 9,000 = 260,000; principal distribution =
    //     collateral decline 1,000,000 → 750,000 = 250,000, all to A (sequential) → A 650,000;
    //     10,000 left is B's residual.
    // P2: available 309,000 − 1,000 − 6,500 = 301,500; the collateral fell 750,000 → 300,000
    //     (450,000 of principal due) but only 301,500 is there → A 348,500. Cumulative
    //     defaults 300,000 / 1,000,000 = 30 % > 10 % on P2's determination date: the trigger
    //     fires and turbo applies on P2 itself (turbo pays the same 301,500 here). Tranches
    //     448,500 against collateral 300,000: a principal deficiency of 148,500, junior first:
    //     B 100,000, A 48,500. Nothing is written down before the last date.
    // P3 (turbo): 156,000 − 1,000 − 3,485 = 151,515 all to A → A 196,985; collateral 150,000,
    //     deficiency 296,985 − 150,000 = 146,985 (B 100,000, A 46,985).
    // P4 (last): 153,000 − 1,000 − 1,969.85 = 150,030.15 to A → A 46,954.85 and B 100,000
    //     written off.
    assert_eq!(
        column(&run, "A", |r| r.interest_paid),
        vec![dec!(9000), dec!(6500), dec!(3485), dec!(1969.85)]
    );
    assert_eq!(
        column(&run, "A", |r| r.principal_paid),
        vec![dec!(250000), dec!(301500), dec!(151515), dec!(150030.15)]
    );
    assert_eq!(
        column(&run, "A", |r| r.write_down),
        vec![dec!(0), dec!(0), dec!(0), dec!(46954.85)]
    );
    assert_eq!(
        column(&run, "B", |r| r.residual),
        vec![dec!(10000), dec!(0), dec!(0), dec!(0)]
    );
    assert_eq!(
        column(&run, "B", |r| r.write_down),
        vec![dec!(0), dec!(0), dec!(0), dec!(100000)]
    );
    assert_eq!(
        column(&run, "B", |r| r.principal_deficiency),
        vec![dec!(0), dec!(100000), dec!(100000), dec!(0)]
    );
    assert_eq!(
        column(&run, "A", |r| r.principal_deficiency),
        vec![dec!(0), dec!(48500), dec!(46985), dec!(0)]
    );
    assert_eq!(column(&run, "A", |r| r.closing_balance)[3], Decimal::ZERO);

    assert_eq!(run.triggers.len(), 1);
    assert_eq!(run.triggers[0].period, 2);
    assert_eq!(run.triggers[0].applies_from, Some(run.triggers[0].date));

    // Cash in (888,000 collected) equals cash out: fees 4,000 + A interest 20,954.85 +
    // A principal 853,045.15 + B residual 10,000.
    let a = &run.metrics[0];
    assert_eq!(a.total_interest, dec!(20954.85));
    assert_eq!(a.total_principal, dec!(853045.15));
    assert_eq!(a.principal_loss, dec!(46954.85));
    let fees: Decimal = run.fees.iter().map(|f| f.paid).sum();
    assert_eq!(fees, dec!(4000));
}

#[test]
fn recovery_lag_can_vary_by_period_of_default() {
    // Lags of 0 months for defaults in period 1 and 3 months (one quarter) from period 2 on:
    // Y defaults in period 2, so its 150,000 recovery arrives in period 3, not period 2.
    let text = SCENARIO.replace("recovery_lag_months = 0", "recovery_lag_months = [0, 3]");
    let deal =
        ipabs::scenario::load_text(Path::new("hand-worked.toml"), &text).expect("valid scenario");
    assert_eq!(deal.assumptions.recovery_lag_months, vec![0, 3]);
    let run = run_cashflow(&deal);
    assert_eq!(run.pool[1].recovery, Decimal::ZERO);
    assert_eq!(run.pool[1].pending_recovery_exposure, dec!(300000));
    assert_eq!(run.pool[2].recovery, dec!(150000));
    assert_eq!(run.pool[2].realized_loss, dec!(150000));

    let bad = SCENARIO.replace("recovery_lag_months = 0", "recovery_lag_months = [0, -3]");
    let err = ipabs::scenario::load_text(Path::new("hand-worked.toml"), &bad).unwrap_err();
    assert_eq!(err.problems()[0].field, "assumptions.recovery_lag_months");
}

/// The hand-worked deal without its default, with a reserve funded with 20,000 at closing whose
/// target is 2 % of A's balance at the start of each period (`account_extra` adds keys),
/// topped up after A's interest.
fn reserve_scenario(account_extra: &str) -> String {
    SCENARIO
        .replace(
            "obligor_defaults = [{ obligor = \"Y\", period = 2 }]",
            "obligor_defaults = []",
        )
        .replace(
            "[[triggers]]",
            &format!("[[accounts]]\nname = \"reserve\"\ninitial_balance = 20000.00\ntarget_rate = 0.02\ntarget_of = [\"A\"]\n{account_extra}\n[[triggers]]"),
        )
        .replace(
            "  { step = \"interest\", tranches = [\"A\"] },\n  { step = \"principal\", tranches = [\"A\", \"B\"], order = \"sequential\", amount = \"pass_through\" },",
            "  { step = \"interest\", tranches = [\"A\"] },\n  { step = \"reserve_fund\", account = \"reserve\" },\n  { step = \"principal\", tranches = [\"A\", \"B\"], order = \"sequential\", amount = \"pass_through\" },",
        )
}

fn reserve_movements(run: &ipabs::results::CashflowRun) -> Vec<(Decimal, Decimal)> {
    run.accounts
        .iter()
        .filter(|a| a.account == "reserve")
        .map(|a| (a.movement, a.closing_balance))
        .collect()
}

#[test]
fn reserve_releases_what_stands_above_its_falling_target() {
    let text = reserve_scenario("");
    let deal =
        ipabs::scenario::load_text(Path::new("hand-worked.toml"), &text).expect("valid scenario");
    let run = run_cashflow(&deal);
    assert_eq!(run.periods_run, 4);
    // Pool (no default): interest 20,000 / 15,000 / 10,000 / 5,000, principal 250,000 each.
    // P1: A opens at 900,000, target 18,000: 2,000 released before the steps → available
    //     272,000 − fee 1,000 − A interest 9,000 = 262,000; the reserve is at target (no
    //     deposit); A gets the 250,000 decline → 650,000; B's residual 12,000.
    // P2: target 2 % × 650,000 = 13,000: 5,000 released → 270,000 − 1,000 − 6,500 − 250,000 =
    //     12,500 residual; A 400,000.
    // P3: target 8,000: 5,000 released → 265,000 − 1,000 − 4,000 − 250,000 = 10,000; A 150,000.
    // P4 (last date): the whole 8,000 is released → 263,000 − 1,000 − 1,500 − A 150,000 −
    //     B 100,000 = 10,500 residual.
    assert_eq!(
        reserve_movements(&run),
        vec![
            (dec!(-2000), dec!(18000)),
            (dec!(-5000), dec!(13000)),
            (dec!(-5000), dec!(8000)),
            (dec!(-8000), dec!(0)),
        ]
    );
    assert_eq!(
        column(&run, "B", |r| r.residual),
        vec![dec!(12000), dec!(12500), dec!(10000), dec!(10500)]
    );
    assert_eq!(
        column(&run, "A", |r| r.principal_paid),
        vec![dec!(250000), dec!(250000), dec!(250000), dec!(150000)]
    );
    assert_eq!(column(&run, "B", |r| r.principal_paid)[3], dec!(100000));
}

#[test]
fn reserve_target_floor_holds_until_the_last_date() {
    // As above with a 10,000 floor: the target is max(2 % of A, 10,000), never above A.
    // P1 18,000 and P2 13,000 as before; P3 max(8,000, 10,000) = 10,000: only 3,000 released →
    //     260,000 + 3,000 − 1,000 − 4,000 − 250,000 = 8,000 residual.
    // P4 (last): the whole 10,000 → 255,000 + 10,000 − 1,000 − 1,500 − 250,000 = 12,500.
    let text = reserve_scenario("target_floor = 10000.00");
    let deal =
        ipabs::scenario::load_text(Path::new("hand-worked.toml"), &text).expect("valid scenario");
    let run = run_cashflow(&deal);
    assert_eq!(
        reserve_movements(&run),
        vec![
            (dec!(-2000), dec!(18000)),
            (dec!(-5000), dec!(13000)),
            (dec!(-3000), dec!(10000)),
            (dec!(-10000), dec!(0)),
        ]
    );
    assert_eq!(
        column(&run, "B", |r| r.residual),
        vec![dec!(12000), dec!(12500), dec!(8000), dec!(12500)]
    );
    // A floor without a rate target is a located error.
    let bad = SCENARIO.replace(
        "[[triggers]]",
        "[[accounts]]\nname = \"r\"\ntarget = 5.00\ntarget_floor = 1.00\n\n[[triggers]]",
    );
    let err = ipabs::scenario::load_text(Path::new("hand-worked.toml"), &bad).unwrap_err();
    assert_eq!(err.problems()[0].field, "accounts[0].target_floor");
}
