//! Cash conservation to the fen, every period, for every shipped scenario over a grid of default,
//! prepayment and recovery assumptions (0 % and 100 % defaults included).

mod common;

use common::conservation::check;
use ipabs::deal::Deal;
use ipabs::results::run_cashflow;
use rust_decimal::Decimal;
use std::path::PathBuf;

fn shipped() -> Vec<(PathBuf, Deal)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let deal =
                ipabs::scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((path, deal));
        }
    }
    assert!(out.len() >= 3, "expected the three shipped scenarios");
    out
}

#[test]
fn cash_is_conserved_on_every_shipped_scenario_over_a_grid() {
    let mut runs = 0;
    for (path, base) in shipped() {
        for cdr in [0.0, 0.02, 0.05, 0.15, 0.5, 1.0] {
            for cpr in [0.0, 0.2] {
                for recovery in [0.0, 0.3, 1.0] {
                    for lag in [vec![0], vec![18], vec![0, 6, 12]] {
                        let mut deal = base.clone();
                        deal.assumptions.cdr = vec![cdr];
                        deal.assumptions.cpr = vec![cpr];
                        deal.assumptions.recovery_rate = vec![recovery];
                        deal.assumptions.recovery_lag_months = lag.clone();
                        let run = run_cashflow(&deal);
                        let label = format!(
                            "{} cdr={cdr} cpr={cpr} rec={recovery} lag={lag:?}",
                            path.display()
                        );
                        check(&run, &deal, &label);
                        runs += 1;
                    }
                }
            }
        }
    }
    assert_eq!(runs, 3 * 6 * 2 * 3 * 3);
}

#[test]
fn full_default_leaves_only_recoveries() {
    for (path, mut deal) in shipped() {
        deal.assumptions.cdr = vec![1.0];
        let run = run_cashflow(&deal);
        // Everything defaults on the first payment date: no interest, no principal, only
        // recoveries of the defaulted balance.
        let collected: Decimal = run
            .pool
            .iter()
            .map(|p| p.interest + p.scheduled_principal + p.prepayment)
            .sum();
        assert_eq!(collected, Decimal::ZERO, "{}", path.display());
        assert_eq!(
            run.pool[0].defaulted,
            deal.pool.balance(),
            "{}",
            path.display()
        );
    }
}
