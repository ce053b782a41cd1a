//! `ipabs cashflow SCENARIO [--cdr X] [--cpr Y] [--recovery Z] [--lag N] [--out DIR]`.

use super::outcome::Outcome;
use super::{AppError, check_rate, open_output};
use crate::cli::{CashflowArgs, default_out};
use crate::report::{cashflow, table};
use crate::results::run_cashflow;
use crate::scenario::bounds::MAX_RECOVERY_LAG_MONTHS;

/// The deterministic assumptions set from outside the scenario (`--cdr` ... or the Python
/// package's arguments), checked and applied in one place.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    pub cdr: Option<f64>,
    pub cpr: Option<f64>,
    pub recovery: Option<f64>,
    pub lag: Option<u64>,
}

impl Overrides {
    /// Checks the values (rates in [0, 1], whole months of lag within bounds).
    pub fn check(&self) -> Result<(), AppError> {
        check_rate("cdr", self.cdr)?;
        check_rate("cpr", self.cpr)?;
        check_rate("recovery", self.recovery)?;
        if let Some(lag) = self.lag
            && lag > u64::from(MAX_RECOVERY_LAG_MONTHS)
        {
            return Err(AppError::Usage(format!(
                "--lag expects whole months in 0..={MAX_RECOVERY_LAG_MONTHS}, found {lag}"
            )));
        }
        Ok(())
    }

    /// Checks and sets them in the deal's `[assumptions]`.
    pub fn apply(&self, deal: &mut crate::deal::Deal) -> Result<(), AppError> {
        self.check()?;
        let a = &mut deal.assumptions;
        if let Some(cdr) = self.cdr {
            a.cdr = vec![cdr];
        }
        if let Some(cpr) = self.cpr {
            a.cpr = vec![cpr];
        }
        if let Some(r) = self.recovery {
            a.recovery_rate = vec![r];
        }
        if let Some(lag) = self.lag {
            a.recovery_lag_months = vec![u32::try_from(lag).expect("checked")];
        }
        Ok(())
    }
}

pub fn run(args: &CashflowArgs) -> Result<Outcome, AppError> {
    let overrides = Overrides {
        cdr: args.cdr,
        cpr: args.cpr,
        recovery: args.recovery,
        lag: args.lag,
    };
    // Bad flags are refused before the scenario is read.
    overrides.check()?;
    // The same loading as every other command (the structuring sections are checked too).
    let loaded = crate::structuring::load(&args.scenario)?;
    super::print_warnings(&loaded.deal.warnings);
    let target = default_out(&args.scenario, &args.out);
    let (out, meta) = open_output("cashflow", &args.scenario, &loaded, &target, &[])?;
    let mut deal = loaded.deal;
    overrides.apply(&mut deal)?;
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
