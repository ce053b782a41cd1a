//! `ipabs validate SCENARIO...`: each file is checked and reported; the exit code is 2 if any
//! is invalid.

use chrono::NaiveDate;
use serde::Serialize;
use std::path::{Path, PathBuf};

use super::AppError;
use super::outcome::Outcome;
use crate::cli::ValidateArgs;
use crate::pool::PoolSummary;
use crate::report::table;
use crate::scenario::error::LocatedProblem;

/// One file's verdict, for `--json`.
#[derive(Serialize)]
struct Checked {
    scenario: PathBuf,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    deal: Option<Facts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<LocatedProblem>,
}

#[derive(Serialize)]
struct Facts {
    name: String,
    payment_dates: usize,
    first_payment_date: NaiveDate,
    legal_final_date: NaiveDate,
    tranches: usize,
    step_lists: usize,
    warnings: Vec<String>,
    pool: PoolSummary,
}

pub fn run(args: &ValidateArgs) -> Result<Outcome, AppError> {
    let mut text = String::new();
    let mut errors = String::new();
    let mut checked = Vec::new();
    for (k, scenario) in args.scenarios.iter().enumerate() {
        if k > 0 {
            text += "\n";
        }
        match check(scenario) {
            Ok((report, facts)) => {
                text += &report;
                checked.push(Checked {
                    scenario: scenario.clone(),
                    valid: true,
                    deal: Some(facts),
                    error: None,
                    problems: Vec::new(),
                });
            }
            Err(e) => {
                errors += &format!("{e}\n");
                let problems = match &e {
                    AppError::Scenario(s) => s.located(),
                    _ => Vec::new(),
                };
                checked.push(Checked {
                    scenario: scenario.clone(),
                    valid: false,
                    deal: None,
                    error: Some(e.to_string()),
                    problems,
                });
            }
        }
    }
    let invalid = checked.iter().filter(|c| !c.valid).count();
    if args.scenarios.len() > 1 {
        text += &format!(
            "\n{} of {} scenarios valid\n",
            checked.len() - invalid,
            checked.len()
        );
        if invalid > 0 {
            errors += &format!(
                "error: {invalid} of {} scenarios are invalid\n",
                checked.len()
            );
        }
    }
    let mut outcome = Outcome::of("validate", text, &checked);
    outcome.stderr = errors;
    if invalid > 0 {
        // Bad input, as for every command.
        outcome.summary.ok = false;
        outcome.summary.exit_code = 2;
    }
    Ok(outcome)
}

fn check(scenario: &Path) -> Result<(String, Facts), AppError> {
    // The structuring sections ([breakeven], [rating]) are checked too.
    let deal = crate::structuring::load(scenario)?.deal;
    super::print_warnings(&deal.warnings);
    // The base case (milliseconds): recoveries it would lose past the last date are reported.
    let base = crate::results::run_cashflow(&deal);
    let late = super::run_warnings(scenario, &base);
    super::print_warnings(&late);
    let summary = PoolSummary::of(&deal.pool, deal.closing);
    let mut out = format!(
        "{} is valid: {} payment dates from {} to {}, {} tranches, {} step lists\n\n",
        scenario.display(),
        deal.period_ends.len(),
        deal.first_payment,
        deal.legal_final,
        deal.structure.tranches.len(),
        deal.structure.waterfalls.len()
    );
    out += &table::pool_summary(&deal.name, &summary);
    let facts = Facts {
        name: deal.name.clone(),
        payment_dates: deal.period_ends.len(),
        first_payment_date: deal.first_payment,
        legal_final_date: deal.legal_final,
        tranches: deal.structure.tranches.len(),
        step_lists: deal.structure.waterfalls.len(),
        warnings: deal
            .warnings
            .iter()
            .chain(late.iter())
            .map(|w| w.to_string())
            .collect(),
        pool: summary,
    };
    Ok((out, facts))
}
