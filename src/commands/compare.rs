//! `ipabs compare BASE_DIR STRESS_DIR [--out DIR] [--format png,svg] [--unit ...]`: a base run
//! and a stressed run of the same deal (folders of `ipabs run` or `ipabs cashflow`) side by
//! side: the difference table, the same per payment date, and charts overlaying balances,
//! losses and cash paid. Nothing is re-run; the output folder follows the rules of every
//! other command ([`crate::report::outdir`]).

use clap::Args;
use std::path::{Path, PathBuf};

use super::AppError;
use super::outcome::Outcome;
use crate::chart::{AmountUnit, ChartFormat};
use crate::money::Amount;
use crate::report::charts::compare::{Overlay, render};
use crate::report::charts::{ChartSettings, RunFiles};
use crate::report::compare::{
    all_dates, cash_paid_totals, check_same_deal, date_rows, date_series, difference_rows, report,
    write,
};
use crate::report::{ReportError, Request};

/// `ipabs compare` arguments.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Output folder of the base run (`ipabs run` or `ipabs cashflow`).
    pub base: PathBuf,
    /// Output folder of the stressed run of the same deal.
    pub stress: PathBuf,
    /// Output folder [default: <BASE>-vs-<STRESS> beside the stress folder].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Chart formats, comma-separated: png, svg.
    #[arg(long, value_delimiter = ',', default_value = "png,svg")]
    pub format: Vec<ChartFormat>,
    /// Unit for amounts on the charts: wan (万元), yi (亿元), million, yuan.
    #[arg(long, default_value = "wan")]
    pub unit: AmountUnit,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

fn folder_name(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `<base>-vs-<stress>` beside the stress folder.
fn default_target(args: &CompareArgs) -> PathBuf {
    let name = format!(
        "{}-vs-{}",
        folder_name(&args.base),
        folder_name(&args.stress)
    );
    args.stress
        .parent()
        .map_or_else(|| PathBuf::from(&name), |p| p.join(&name))
}

/// Refuses an output folder inside one of the compared folders: that folder would then hold a
/// file ipabs did not list there, and no later run could replace it.
fn check_outside(target: &Path, inputs: &[&Path]) -> Result<(), AppError> {
    let resolved = crate::report::outdir::resolve(target).map_err(|source| ReportError::Io {
        path: target.to_path_buf(),
        source,
    })?;
    for input in inputs {
        if let Ok(dir) = crate::report::outdir::resolve(input)
            && resolved.starts_with(&dir)
        {
            return Err(ReportError::Refused {
                target: resolved,
                reason: format!(
                    "it is inside {}, a folder being compared; choose --out elsewhere",
                    dir.display()
                ),
            }
            .into());
        }
    }
    Ok(())
}

fn load(dir: &Path) -> Result<RunFiles, AppError> {
    RunFiles::load(dir).map_err(|e| AppError::Usage(e.to_string()))
}

pub fn run(args: &CompareArgs) -> Result<Outcome, AppError> {
    let base = load(&args.base)?;
    let stress = load(&args.stress)?;
    check_same_deal(&base, &stress).map_err(|e| AppError::Usage(e.to_string()))?;
    let target = args.out.clone().unwrap_or_else(|| default_target(args));
    check_outside(&target, &[&args.base, &args.stress])?;
    crate::cancel::install();
    let inputs = [args.base.clone(), args.stress.clone()];
    let out = crate::report::OutputDir::create(
        &target,
        &Request {
            command: "compare",
            scenario_sha256: &base.summary.metadata.scenario_sha256,
            inputs: &inputs,
        },
    )?;
    let rows = difference_rows(&base, &stress);
    let dates = all_dates(&base, &stress);
    let (base_dates, stress_dates) = (date_series(&base, &dates), date_series(&stress, &dates));
    write(
        &out,
        &base,
        &stress,
        &rows,
        &date_rows(&base_dates, &stress_dates),
    )?;
    let (base_name, stress_name) = (folder_name(&base.dir), folder_name(&stress.dir));
    let paid: Vec<(String, f64, f64)> = cash_paid_totals(&base)
        .into_iter()
        .zip(cash_paid_totals(&stress))
        .map(|((r, a), (_, b))| (r, a.to_f64(), b.to_f64()))
        .collect();
    let mut formats = Vec::new();
    for f in &args.format {
        if !formats.contains(f) {
            formats.push(*f);
        }
    }
    let settings = ChartSettings {
        formats,
        unit: args.unit,
        ..ChartSettings::default()
    };
    crate::cancel::phase("charts")?;
    let tranches = base.tranche_names();
    let charts = render(
        &Overlay {
            base_name: &base_name,
            stress_name: &stress_name,
            base: &base_dates,
            stress: &stress_dates,
            tranches: &tranches,
            cash_paid: &paid,
        },
        out.staging(),
        &settings,
    )
    .map_err(|e| match crate::cancel::check() {
        Err(c) => AppError::Interrupted(c),
        Ok(()) => ReportError::Other(format!("drawing charts: {e}")).into(),
    })?;
    let written = out.commit()?;
    let files: usize = charts.iter().map(|c| c.files.len()).sum();
    let mut text = format!(
        "{} — {} (base) against {} (stress); difference = stress − base\n",
        base.summary.deal, base_name, stress_name
    );
    text += &report(&rows, &base_name, &stress_name);
    text += &format!(
        "difference.csv, difference_by_date.csv, compare.json and {} charts ({files} files)\nwritten to {}\n",
        charts.len(),
        written.path.display()
    );
    Ok(Outcome::folder("compare", text, written))
}
