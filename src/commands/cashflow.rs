//! `ipabs cashflow SCENARIO [--cdr X] [--cpr Y] [--recovery Z] [--lag N] [--out DIR]`.

use super::{AppError, check_rate, open_output};
use crate::cli::{CashflowArgs, default_out};
use crate::report::{cashflow, table};
use crate::results::run_cashflow;

pub fn run(args: &CashflowArgs) -> Result<String, AppError> {
    check_rate("cdr", args.cdr)?;
    check_rate("cpr", args.cpr)?;
    check_rate("recovery", args.recovery)?;
    let mut deal = crate::scenario::load(&args.scenario)?;
    let a = &mut deal.assumptions;
    if let Some(cdr) = args.cdr {
        a.cdr = vec![cdr];
    }
    if let Some(cpr) = args.cpr {
        a.cpr = vec![cpr];
    }
    if let Some(r) = args.recovery {
        a.recovery_rate = vec![r];
    }
    if let Some(lag) = args.lag {
        a.recovery_lag_months = vec![lag];
    }
    let target = default_out(&args.scenario, &args.out);
    let (out, meta) = open_output("cashflow", &args.scenario, &target, &[])?;
    let run = run_cashflow(&deal);
    crate::cancel::check()?;
    cashflow::write(&out, &deal, &run, &meta)?;
    let written = out.commit()?;
    let mut text = format!(
        "{} — deterministic run, {} payment dates\n",
        deal.name, run.periods_run
    );
    text += &table::cashflow_report(&run);
    text += &format!("written to {}\n", written.display());
    Ok(text)
}
