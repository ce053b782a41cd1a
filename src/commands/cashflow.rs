//! `ipabs cashflow SCENARIO [--cdr X] [--cpr Y] [--recovery Z] [--lag N] [--out DIR]`.

use super::outcome::Outcome;
use super::{AppError, check_rate, open_output};
use crate::cli::{CashflowArgs, default_out};
use crate::report::{cashflow, table};
use crate::results::run_cashflow;
use crate::scenario::bounds::MAX_RECOVERY_LAG_MONTHS;

pub fn run(args: &CashflowArgs) -> Result<Outcome, AppError> {
    check_rate("cdr", args.cdr)?;
    check_rate("cpr", args.cpr)?;
    check_rate("recovery", args.recovery)?;
    if let Some(lag) = args.lag
        && lag > u64::from(MAX_RECOVERY_LAG_MONTHS)
    {
        return Err(AppError::Usage(format!(
            "--lag expects whole months in 0..={MAX_RECOVERY_LAG_MONTHS}, found {lag}"
        )));
    }
    // The same loading as every other command (the structuring sections are checked too).
    let loaded = crate::structuring::load(&args.scenario)?;
    super::print_warnings(&loaded.deal.warnings);
    let target = default_out(&args.scenario, &args.out);
    let (out, meta) = open_output("cashflow", &args.scenario, &loaded, &target, &[])?;
    let mut deal = loaded.deal;
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
        a.recovery_lag_months = vec![u32::try_from(lag).expect("checked above")];
    }
    let run = run_cashflow(&deal);
    // This run is the base case with the command line's overrides.
    super::print_warnings(&super::run_warnings(&args.scenario, &run));
    crate::cancel::check()?;
    cashflow::write(&out, &deal, &run, &meta)?;
    let written = out.commit()?;
    let mut text = format!(
        "{} — deterministic run, {} payment dates\n",
        deal.name, run.periods_run
    );
    text += &table::cashflow_report(&run);
    text += &format!("written to {}\n", written.path.display());
    Ok(Outcome::folder("cashflow", text, written))
}
