//! Reading a run's saved files back for charts, report.html, results.xlsx and `compare`.
//!
//! Everything here reads files of an output folder; nothing re-runs the deal. Each file is read
//! into the very type that wrote it ([`crate::results::cashflow`], [`CashflowSummary`],
//! [`McSummaryFile`], ...), so a column renamed in the writer is renamed here too. A missing or
//! unreadable file gives an [`InputError`] naming it.

use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::pool::Stratification;
use crate::report::cashflow::CashflowSummary;
use crate::report::montecarlo::{
    CountRow, DistributionRow, McSummaryFile, PATHS_DESCRIPTOR, PATHS_FILE, PathsDescriptor,
};
use crate::report::outdir::read_marker;
use crate::report::structuring::{BreakevenDocument, RatingDocument};
pub use crate::results::cashflow::{AccountRow, FeeRow, LedgerRow, PoolRow, TrancheRow};

/// A saved file that is missing or cannot be parsed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {message}", path.display())]
pub struct InputError {
    pub path: PathBuf,
    pub message: String,
}

impl InputError {
    pub(crate) fn new(path: &Path, message: impl ToString) -> Self {
        InputError {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }
}

/// One row of `mc_tranches.csv`, as the Monte Carlo writes it.
pub use crate::report::montecarlo::McTrancheRow as McTranche;

/// One row of `mc_*_fan.csv`, as the Monte Carlo writes it.
pub use crate::montecarlo::fan::FanRow;

/// What the charts draw from `paths.bin`, gathered in one streaming pass (memory does not
/// grow with the number of paths). Each path counts with its weight: its likelihood ratio
/// under importance sampling, else 1.
#[derive(Debug, Clone)]
pub struct PathColumns {
    pub rows: u64,
    pub seed: u64,
    /// Largest finite `pool_cdr` (0 without one).
    pub pool_cdr_max: f64,
    /// Weight of the paths per pool CDR cell of [`CDR_GRID`] cells over [0, 1] (the last
    /// cell also takes a CDR of exactly 1), and the total weight of all paths.
    pub pool_cdr_cells: Vec<f64>,
    /// Paths per cell (for the count of paths beyond the chart's axis).
    pub pool_cdr_cell_paths: Vec<u64>,
    pub total_weight: f64,
    /// Per tranche in the deal's order, `(x, P(loss > x))` on the exceedance grid.
    pub exceedance: Vec<Vec<(f64, f64)>>,
    /// Whether any path weighs other than 1 (an importance-sampled run).
    pub weighted: bool,
}

/// Cells of the pool CDR over [0, 1]: 6,000, so that every histogram the chart draws (60 bins
/// up to a whole percent) is made of whole cells.
pub const CDR_GRID: usize = 6000;

/// The Monte Carlo files of an `ipabs run` folder.
#[derive(Debug, Clone)]
pub struct McFiles {
    pub summary: McSummaryFile<'static>,
    pub tranches: Vec<McTranche>,
    pub distributions: Vec<DistributionRow>,
    pub defaulted_obligors: Vec<CountRow>,
    pub pool_fan: Vec<FanRow>,
    pub senior_fan: Vec<FanRow>,
    pub paths: PathColumns,
}

/// Everything a run saved that charts, reports and `compare` use: the deterministic files of
/// `ipabs cashflow` and `ipabs run`, and the Monte Carlo and structuring files of `ipabs run`
/// when the folder has them.
#[derive(Debug, Clone)]
pub struct RunFiles {
    pub dir: PathBuf,
    pub summary: CashflowSummary<'static>,
    pub pool: Vec<PoolRow>,
    pub tranches: Vec<TrancheRow>,
    pub fees: Vec<FeeRow>,
    pub accounts: Vec<AccountRow>,
    pub ledger: Vec<LedgerRow>,
    /// `stratification.json`, when present.
    pub stratification: Option<Stratification>,
    /// The Monte Carlo files, when the folder has `mc-summary.json` (an `ipabs run` folder).
    pub mc: Option<McFiles>,
    /// `breakeven.json`, when present.
    pub breakeven: Option<BreakevenDocument<'static>>,
    /// `rating.json`, when present.
    pub rating: Option<RatingDocument<'static>>,
}

/// Files of the base case, in every `ipabs run` and `ipabs cashflow` folder.
pub const BASE_CASE_FILES: [&str; 6] = [
    "summary.json",
    "pool_cashflows.csv",
    "tranche_cashflows.csv",
    "fees.csv",
    "accounts.csv",
    "ledger.csv",
];

/// Files of the Monte Carlo, in every `ipabs run` folder (read when `mc-summary.json` is there).
pub const MONTE_CARLO_FILES: [&str; 8] = [
    "mc-summary.json",
    "mc_tranches.csv",
    "mc_distributions.csv",
    "mc_defaulted_obligors.csv",
    "mc_pool_balance_fan.csv",
    "mc_senior_balance_fan.csv",
    PATHS_DESCRIPTOR,
    PATHS_FILE,
];

fn read_text(path: &Path) -> Result<String, InputError> {
    // The one bounded reader of input files: regular files only, size-limited.
    crate::input::read_text(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            InputError::new(
                path,
                "file not found (is this an `ipabs run` or `ipabs cashflow` output folder?)",
            )
        } else {
            InputError::new(path, e)
        }
    })
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, InputError> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| InputError::new(path, e))
}

pub fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, InputError> {
    let text = read_text(path)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| InputError::new(path, e))?
        .clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        // Cells neutralised against spreadsheet formulas on writing get their text back.
        let record =
            crate::report::csv_safe::restore_record(&record.map_err(|e| InputError::new(path, e))?);
        rows.push(
            record
                .deserialize(Some(&headers))
                .map_err(|e| InputError::new(path, e))?,
        );
    }
    Ok(rows)
}

impl RunFiles {
    /// Reads the files of an `ipabs run` or `ipabs cashflow` output folder; the Monte Carlo,
    /// break-even, rating and stratification files are read when present.
    pub fn load(dir: &Path) -> Result<Self, InputError> {
        if !dir.is_dir() {
            return Err(InputError::new(dir, "not a folder"));
        }
        let summary_path = dir.join("summary.json");
        if !summary_path.exists() {
            return Err(not_a_run_folder(dir));
        }
        let summary: CashflowSummary<'static> = read_json(&summary_path)?;
        let names = summary.tranche_names();
        if names.is_empty() {
            return Err(InputError::new(&summary_path, "no tranches"));
        }
        let pool: Vec<PoolRow> = read_csv(&dir.join("pool_cashflows.csv"))?;
        if pool.is_empty() {
            return Err(InputError::new(&dir.join("pool_cashflows.csv"), "no rows"));
        }
        let tranches: Vec<TrancheRow> = read_csv(&dir.join("tranche_cashflows.csv"))?;
        if let Some(t) = tranches.iter().find(|t| !names.contains(&t.tranche)) {
            return Err(InputError::new(
                &dir.join("tranche_cashflows.csv"),
                format!("tranche {:?} is not in summary.json", t.tranche),
            ));
        }
        let mc = if dir.join("mc-summary.json").exists() {
            Some(McFiles::load(dir, &names)?)
        } else {
            None
        };
        // A part the run did not compute (`--mc-only`) is absent, whatever file has that name.
        let skipped = |part: &str| mc.as_ref().is_some_and(|m| m.skipped(part));
        let breakeven = if skipped("breakeven") {
            None
        } else {
            read_optional_json(&dir.join("breakeven.json"))?
        };
        let rating = if skipped("rating") {
            None
        } else {
            read_optional_json(&dir.join("rating.json"))?
        };
        Ok(RunFiles {
            dir: dir.to_path_buf(),
            fees: read_csv(&dir.join("fees.csv"))?,
            accounts: read_csv(&dir.join("accounts.csv"))?,
            ledger: read_csv(&dir.join("ledger.csv"))?,
            stratification: read_optional_json(&dir.join("stratification.json"))?,
            breakeven,
            rating,
            summary,
            pool,
            tranches,
            mc,
        })
    }

    /// Whether the run did not compute `part` (`breakeven`, `rating`, `sensitivity`: what
    /// `ipabs run --mc-only` skips, listed in `mc-summary.json`).
    pub fn skipped(&self, part: &str) -> bool {
        self.mc.as_ref().is_some_and(|m| m.skipped(part))
    }

    /// Tranche names in the deal's order.
    pub fn tranche_names(&self) -> Vec<String> {
        self.summary.tranche_names()
    }

    /// Payment dates, one per period (from pool_cashflows.csv), as `YYYY-MM-DD`.
    pub fn dates(&self) -> Vec<String> {
        self.pool.iter().map(|r| r.date.to_string()).collect()
    }

    /// Each tranche's lowest break-even cumulative default rate with the support
    /// (`breakeven.json`'s `result.minimum`); empty without the file.
    pub fn break_even_rates(&self) -> Vec<(String, f64)> {
        self.breakeven.as_ref().map_or_else(Vec::new, |b| {
            b.result
                .minimum
                .iter()
                .map(|m| (m.tranche.clone(), m.min_with_support))
                .collect()
        })
    }

    /// Each tranche's implied grade by TDR method (`rating.json`), as
    /// "AAA (empirical) · AA+ (lognormal) · AAA (multiplier)"; empty without the file.
    pub fn implied_grades(&self) -> BTreeMap<String, String> {
        let Some(rating) = &self.rating else {
            return BTreeMap::new();
        };
        rating
            .result
            .tranches
            .iter()
            .map(|t| {
                let grades: Vec<String> = t
                    .implied
                    .iter()
                    .map(|g| {
                        format!(
                            "{} ({})",
                            g.grade.as_deref().unwrap_or("below scale"),
                            g.method.name()
                        )
                    })
                    .collect();
                (t.tranche.clone(), grades.join(" · "))
            })
            .collect()
    }
}

impl McFiles {
    /// Whether the run did not compute `part` (see [`RunFiles::skipped`]).
    pub fn skipped(&self, part: &str) -> bool {
        self.summary.skipped.iter().any(|s| s == part)
    }

    fn load(dir: &Path, names: &[String]) -> Result<Self, InputError> {
        Ok(McFiles {
            summary: read_json(&dir.join("mc-summary.json"))?,
            tranches: read_csv(&dir.join("mc_tranches.csv"))?,
            distributions: read_csv(&dir.join("mc_distributions.csv"))?,
            defaulted_obligors: read_csv(&dir.join("mc_defaulted_obligors.csv"))?,
            pool_fan: read_csv(&dir.join("mc_pool_balance_fan.csv"))?,
            senior_fan: read_csv(&dir.join("mc_senior_balance_fan.csv"))?,
            paths: read_path_columns(dir, names)?,
        })
    }
}

/// The error for a folder without `summary.json`: which command wrote it, if ipabs did.
fn not_a_run_folder(dir: &Path) -> InputError {
    let path = dir.join("summary.json");
    match read_marker(dir) {
        Some(m) if m.command != "run" && m.command != "cashflow" => InputError::new(
            &path,
            format!(
                "file not found: this folder was written by `ipabs {}`, which saves no cash flows; give the output folder of `ipabs run` or `ipabs cashflow`",
                m.command
            ),
        ),
        Some(_) => InputError::new(&path, "file not found (the folder is incomplete)"),
        None => InputError::new(
            &path,
            "file not found: this is not the output folder of `ipabs run` or `ipabs cashflow`",
        ),
    }
}

fn read_optional_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, InputError> {
    if path.exists() {
        read_json(path).map(Some)
    } else {
        Ok(None)
    }
}

/// Reads `pool_cdr`, `likelihood_ratio` and every `<tranche>_loss_rate` column of paths.bin
/// in one streaming pass.
pub fn read_path_columns(dir: &Path, tranches: &[String]) -> Result<PathColumns, InputError> {
    let desc_path = dir.join(PATHS_DESCRIPTOR);
    let desc: PathsDescriptor = read_json(&desc_path)?;
    let width = desc.columns.len();
    let find = |name: &str| {
        desc.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| InputError::new(&desc_path, format!("no column {name:?}")))
    };
    let cdr = find("pool_cdr")?;
    let weight_column = desc.columns.iter().position(|c| c == "likelihood_ratio");
    let loss: Vec<usize> = tranches
        .iter()
        .map(|t| find(&format!("{t}_loss_rate")))
        .collect::<Result<_, _>>()?;
    let bin = dir.join(PATHS_FILE);
    if !bin.is_file() {
        return Err(InputError::new(&bin, "file not found"));
    }
    if desc.rows == 0 {
        return Err(InputError::new(&bin, "no paths"));
    }
    let mut cells = vec![0.0; CDR_GRID];
    let mut cell_paths = vec![0u64; CDR_GRID];
    let (mut max, mut total, mut weighted) = (0.0f64, 0.0, false);
    let mut exceedance: Vec<super::Exceedance> =
        loss.iter().map(|_| super::Exceedance::default()).collect();
    crate::report::montecarlo::read_rows(&bin, width, desc.rows, |rows| {
        for row in rows.chunks_exact(width) {
            let w = weight_column.map_or(1.0, |c| row[c]);
            weighted |= w != 1.0;
            total += w;
            let cdr = row[cdr];
            if cdr.is_finite() {
                max = max.max(cdr);
                let cell = ((cdr.max(0.0) * CDR_GRID as f64) as usize).min(CDR_GRID - 1);
                cells[cell] += w;
                cell_paths[cell] += 1;
            }
            for (e, &c) in exceedance.iter_mut().zip(&loss) {
                e.push(row[c], w);
            }
        }
    })
    .map_err(|e| InputError::new(&bin, e.to_string()))?;
    Ok(PathColumns {
        rows: desc.rows,
        seed: desc.seed,
        pool_cdr_max: max,
        pool_cdr_cells: cells,
        pool_cdr_cell_paths: cell_paths,
        total_weight: total,
        exceedance: exceedance.iter().map(|e| e.points(desc.rows)).collect(),
        weighted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_folder_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = RunFiles::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("summary.json") && err.contains("not the output folder"),
            "{err}"
        );
    }

    #[test]
    fn a_folder_of_another_command_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(crate::report::outdir::MARKER),
            r#"{"program":"ipabs","version":"0","command":"breakeven","scenario_sha256":"","created_unix":0}"#,
        )
        .unwrap();
        let err = RunFiles::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("`ipabs breakeven`"), "{err}");
    }

    #[test]
    fn an_amount_with_more_than_two_decimals_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fees.csv");
        std::fs::write(
            &p,
            "period,date,fee,accrued,paid,arrears\n1,2024-03-31,trustee,1.005,1.00,0.00\n",
        )
        .unwrap();
        let err = read_csv::<FeeRow>(&p).unwrap_err().to_string();
        assert!(err.contains("fees.csv") && err.contains("fen"), "{err}");
    }
}
