//! `ipabs validate SCENARIO`.

use super::AppError;
use crate::cli::ValidateArgs;
use crate::pool::PoolSummary;
use crate::report::table;

pub fn run(args: &ValidateArgs) -> Result<String, AppError> {
    // The structuring sections ([breakeven], [rating]) are checked too.
    let deal = crate::structuring::load(&args.scenario)?.deal;
    super::print_warnings(&deal.warnings);
    // The base case (milliseconds): recoveries it would lose past the last date are reported.
    let base = crate::results::run_cashflow(&deal);
    super::print_warnings(&super::run_warnings(&args.scenario, &base));
    let summary = PoolSummary::of(&deal.pool, deal.closing);
    let mut out = format!(
        "{} is valid: {} payment dates from {} to {}, {} tranches, {} step lists\n\n",
        args.scenario.display(),
        deal.period_ends.len(),
        deal.first_payment,
        deal.legal_final,
        deal.structure.tranches.len(),
        deal.structure.waterfalls.len()
    );
    out += &table::pool_summary(&deal.name, &summary);
    Ok(out)
}
