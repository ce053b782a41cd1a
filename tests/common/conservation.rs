//! Cash conservation to the fen of one deterministic run: every yuan collected is paid to
//! someone, held in an account, or reported as loss (used by `tests/conservation.rs` over a grid
//! of assumptions and by `tests/fuzz_inputs.rs` on every accepted mutant).

use ipabs::deal::Deal;
use ipabs::results::CashflowRun;
use rust_decimal::Decimal;

fn sum_where(run: &CashflowRun, period: usize, pred: impl Fn(&str, &str) -> bool) -> Decimal {
    run.ledger
        .iter()
        .filter(|l| l.period == period && pred(&l.direction, &l.reason))
        .map(|l| l.amount)
        .sum()
}

/// Checks one run; `label` names the scenario and assumptions in failures.
pub fn check(run: &CashflowRun, deal: &Deal, label: &str) {
    let tranche_count = deal.structure.tranches.len();
    for pool in &run.pool {
        let t = pool.period;
        // The pool's balance rolls: opening − defaults − scheduled principal − prepayments − sold
        // at a clean-up call = closing.
        assert_eq!(
            pool.opening_balance
                - pool.defaulted
                - pool.scheduled_principal
                - pool.prepayment
                - pool.sold_at_clean_up_call,
            pool.closing_balance,
            "{label}: pool balance roll, period {t}"
        );
        // Ledger: every yuan that came in this period went out (or into an account).
        let inflow = sum_where(run, t, |d, _| d == "in");
        let outflow = sum_where(run, t, |d, _| d == "out");
        assert_eq!(inflow, outflow, "{label}: ledger balance, period {t}");

        // Independently of the ledger, from the tables:
        // collections + support drawn + call proceeds = fees + tranche cash + Δ accounts.
        let collections =
            pool.interest + pool.scheduled_principal + pool.prepayment + pool.recovery;
        let call = sum_where(run, t, |_, r| r == "clean_up_call");
        let support: Decimal = run
            .accounts
            .iter()
            .filter(|a| a.period == t && a.account.starts_with("support_drawn:"))
            .map(|a| a.movement)
            .sum();
        let account_change: Decimal = run
            .accounts
            .iter()
            .filter(|a| a.period == t && !a.account.starts_with("support_drawn:"))
            .map(|a| a.movement)
            .sum();
        let fees: Decimal = run
            .fees
            .iter()
            .filter(|f| f.period == t)
            .map(|f| f.paid)
            .sum();
        let rows: Vec<_> = run.tranches.iter().filter(|r| r.period == t).collect();
        assert_eq!(rows.len(), tranche_count);
        let tranche_cash: Decimal = rows
            .iter()
            .map(|r| r.interest_paid + r.principal_paid + r.subordinate_return + r.residual)
            .sum();
        assert_eq!(
            collections + support + call,
            fees + tranche_cash + account_change,
            "{label}: conservation from the tables, period {t}"
        );
        for r in rows {
            assert!(
                r.closing_balance >= Decimal::ZERO,
                "{label}: {} negative in period {t}",
                r.tranche
            );
            assert_eq!(
                r.opening_balance - r.principal_paid - r.write_down,
                r.closing_balance,
                "{label}: {} roll",
                r.tranche
            );
            assert!(
                r.interest_paid <= r.interest_due,
                "{label}: {} overpaid interest",
                r.tranche
            );
        }
    }
    // The principal deficiency: at most each class's balance, allocated from the most junior
    // class up, zero on the last date, and — with defaults charged off at once (every shipped
    // scenario) — exactly what the tranches owe beyond the performing pool and the principal
    // account's cash.
    let last_period = run.periods_run;
    for pool in &run.pool {
        let t = pool.period;
        let rows: Vec<_> = run.tranches.iter().filter(|r| r.period == t).collect();
        let total: Decimal = rows.iter().map(|r| r.principal_deficiency).sum();
        let mut left = total;
        for r in rows.iter().rev() {
            assert_eq!(
                r.principal_deficiency,
                left.min(r.closing_balance),
                "{label}: {} deficiency allocation, period {t}",
                r.tranche
            );
            left -= r.principal_deficiency;
        }
        if t == last_period {
            assert_eq!(total, Decimal::ZERO, "{label}: deficiency at the end");
            continue;
        }
        if deal.structure.charge_off_months == 0 {
            let owed: Decimal = rows.iter().map(|r| r.closing_balance).sum();
            let principal_cash: Decimal = run
                .accounts
                .iter()
                .filter(|a| a.period == t && a.account == "principal_account")
                .map(|a| a.closing_balance)
                .sum();
            let expected = (owed - pool.closing_balance - principal_cash).max(Decimal::ZERO);
            assert_eq!(total, expected, "{label}: deficiency, period {t}");
        }
    }
    // Every tranche is settled at the end: repaid or written down.
    for (i, tranche) in deal.structure.tranches.iter().enumerate() {
        let last = run
            .tranches
            .iter()
            .rev()
            .find(|r| r.tranche == tranche.name)
            .unwrap();
        assert_eq!(
            last.closing_balance,
            Decimal::ZERO,
            "{label}: {} open at the end",
            tranche.name
        );
        let m = &run.metrics[i];
        assert_eq!(
            m.total_principal + m.total_write_down,
            tranche.balance,
            "{label}: {} principal",
            tranche.name
        );
    }
    // Write-downs equal the pool losses not covered by cash. The pool's principal at closing is
    // accounted for as principal cash + recoveries + realised losses + clean-up call proceeds +
    // what is left at the end; the tranches' as principal paid + write-downs. When both start
    // equal, write-downs = pool losses − (tranche principal paid − pool principal cash), the
    // second term being principal paid out of interest, support or reserves (negative when fees
    // or interest used principal cash).
    let written: Decimal = run.metrics.iter().map(|m| m.total_write_down).sum();
    let pool_losses: Decimal =
        run.pool.iter().map(|p| p.realized_loss).sum::<Decimal>() + run.pool_balance_at_end;
    let tranche_principal: Decimal = run.metrics.iter().map(|m| m.total_principal).sum();
    let pool_principal_cash: Decimal = run
        .pool
        .iter()
        .map(|p| p.scheduled_principal + p.prepayment + p.recovery)
        .sum::<Decimal>()
        + call_proceeds(run);
    let original: Decimal = deal.structure.tranches.iter().map(|t| t.balance).sum();
    if original == deal.pool.balance() {
        let covered = tranche_principal - pool_principal_cash;
        assert_eq!(
            written,
            pool_losses - covered,
            "{label}: write-downs vs uncovered losses"
        );
    }
}

fn call_proceeds(run: &CashflowRun) -> Decimal {
    run.ledger
        .iter()
        .filter(|l| l.reason == "clean_up_call")
        .map(|l| l.amount)
        .sum()
}
