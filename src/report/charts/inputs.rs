//! Reading a run's saved files back for charts, report.html and results.xlsx.
//!
//! Everything here reads files of an output folder; nothing re-runs the deal. A missing or
//! unreadable file gives an [`InputError`] naming it.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::report::montecarlo::{PATHS_DESCRIPTOR, PATHS_FILE, PathsDescriptor};

/// A saved file that is missing or cannot be parsed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {message}", path.display())]
pub struct InputError {
    pub path: PathBuf,
    pub message: String,
}

impl InputError {
    fn new(path: &Path, message: impl ToString) -> Self {
        InputError {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }
}

/// Accepts a number or a string holding one (summary.json writes amounts as strings).
fn num<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        F(f64),
        S(String),
    }
    match N::deserialize(d)? {
        N::F(f) => Ok(f),
        N::S(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}

/// `summary.json`: run metadata.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub version: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
}

/// `summary.json`: one tranche's base-case measures.
#[derive(Debug, Clone, Deserialize)]
pub struct TrancheSummary {
    pub tranche: String,
    #[serde(deserialize_with = "num")]
    pub original_balance: f64,
    #[serde(deserialize_with = "num")]
    pub coupon: f64,
    #[serde(deserialize_with = "num")]
    pub total_interest: f64,
    #[serde(deserialize_with = "num")]
    pub total_principal: f64,
    #[serde(deserialize_with = "num")]
    pub principal_loss: f64,
    pub loss_rate: f64,
    pub wal_years: f64,
    pub yield_at_par: Option<f64>,
    pub modified_duration: f64,
    pub final_payment_date: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FiredTrigger {
    pub trigger: String,
    pub period: usize,
    pub date: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SupportDrawn {
    pub support: String,
    #[serde(deserialize_with = "num")]
    pub drawn: f64,
}

/// `summary.json` of the base case.
#[derive(Debug, Clone, Deserialize)]
pub struct Summary {
    pub metadata: Metadata,
    pub deal: String,
    pub currency: String,
    pub closing_date: String,
    pub legal_final_date: String,
    /// Assumptions as written (kept generic: shown as key/value pairs).
    pub assumptions: serde_json::Map<String, serde_json::Value>,
    /// Pool summary as written.
    pub pool: serde_json::Map<String, serde_json::Value>,
    pub periods_run: usize,
    pub tranches: Vec<TrancheSummary>,
    /// How `tranches[..].yield_at_par` is quoted (absent in folders of earlier versions).
    #[serde(default)]
    pub yield_convention: Option<crate::metrics::YieldConvention>,
    #[serde(default)]
    pub triggers_fired: Vec<FiredTrigger>,
    #[serde(default)]
    pub support_drawn: Vec<SupportDrawn>,
}

/// One row of `pool_cashflows.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct PoolRow {
    pub period: usize,
    pub date: String,
    pub opening_balance: f64,
    pub interest: f64,
    pub scheduled_principal: f64,
    pub prepayment: f64,
    pub sold_at_clean_up_call: f64,
    pub recovery: f64,
    pub closing_balance: f64,
}

/// One row of `tranche_cashflows.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct TrancheRow {
    pub period: usize,
    pub date: String,
    pub tranche: String,
    pub opening_balance: f64,
    pub interest_paid: f64,
    pub principal_paid: f64,
    pub subordinate_return: f64,
    pub residual: f64,
    pub closing_balance: f64,
}

/// One row of `fees.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct FeeRow {
    pub period: usize,
    pub fee: String,
    pub paid: f64,
}

/// One row of `accounts.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountRow {
    pub period: usize,
    pub account: String,
    pub movement: f64,
}

/// One row of `mc_tranches.csv`, as the Monte Carlo writes it.
pub use crate::report::montecarlo::McTrancheRow as McTranche;

/// One row of `mc_*_fan.csv`, as the Monte Carlo writes it.
pub use crate::montecarlo::fan::FanRow;

/// The columns of `paths.bin` the charts use, as `f32` (one value per path).
#[derive(Debug, Clone)]
pub struct PathColumns {
    pub rows: u64,
    pub seed: u64,
    /// `pool_cdr` per path.
    pub pool_cdr: Vec<f32>,
    /// `<tranche>_loss_rate` per path, in the deal's tranche order.
    pub tranche_loss: Vec<Vec<f32>>,
}

/// `mc-summary.json`: the fields the report shows.
#[derive(Debug, Clone, Deserialize)]
pub struct McSummary {
    pub paths: u64,
    pub seed: u64,
    #[serde(default)]
    pub generator: String,
    #[serde(default)]
    pub elapsed_seconds: f64,
    pub pool: McPool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct McPool {
    pub cumulative_default_rate: Dist,
    pub loss_rate: Dist,
    #[serde(default)]
    pub support_drawn_probability: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Dist {
    pub mean: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    #[serde(default)]
    pub p99_9: Option<f64>,
}

/// Everything a run saved that charts and reports use.
#[derive(Debug, Clone)]
pub struct RunFiles {
    pub dir: PathBuf,
    pub summary: Summary,
    pub pool: Vec<PoolRow>,
    pub tranches: Vec<TrancheRow>,
    pub fees: Vec<FeeRow>,
    pub accounts: Vec<AccountRow>,
    pub mc: McSummary,
    pub mc_tranches: Vec<McTranche>,
    pub pool_fan: Vec<FanRow>,
    pub senior_fan: Vec<FanRow>,
    pub paths: PathColumns,
    /// Per-tranche break-even cumulative default rates from `breakeven.json`, when present.
    pub breakeven: Vec<(String, f64)>,
    /// Per-tranche implied grades from `rating.json`, when present.
    pub ratings: BTreeMap<String, String>,
}

/// Files every chart run needs (besides the optional breakeven.json and rating.json).
pub const REQUIRED: [&str; 11] = [
    "summary.json",
    "pool_cashflows.csv",
    "tranche_cashflows.csv",
    "fees.csv",
    "accounts.csv",
    "mc-summary.json",
    "mc_tranches.csv",
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
                "file not found (is this an `ipabs run` output folder?)",
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
    /// Reads every file the charts and reports need from an output folder.
    pub fn load(dir: &Path) -> Result<Self, InputError> {
        if !dir.is_dir() {
            return Err(InputError::new(dir, "not a folder"));
        }
        let summary: Summary = read_json(&dir.join("summary.json"))?;
        let names: Vec<String> = summary.tranches.iter().map(|t| t.tranche.clone()).collect();
        if names.is_empty() {
            return Err(InputError::new(&dir.join("summary.json"), "no tranches"));
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
        let fees = read_csv(&dir.join("fees.csv"))?;
        let accounts = read_csv(&dir.join("accounts.csv"))?;
        let mc: McSummary = read_json(&dir.join("mc-summary.json"))?;
        let mc_tranches: Vec<McTranche> = read_csv(&dir.join("mc_tranches.csv"))?;
        let pool_fan: Vec<FanRow> = read_csv(&dir.join("mc_pool_balance_fan.csv"))?;
        let senior_fan: Vec<FanRow> = read_csv(&dir.join("mc_senior_balance_fan.csv"))?;
        let paths = read_path_columns(dir, &names)?;
        let breakeven = read_breakeven(&dir.join("breakeven.json"))?;
        let ratings = read_ratings(&dir.join("rating.json"))?;
        Ok(RunFiles {
            dir: dir.to_path_buf(),
            summary,
            pool,
            tranches,
            fees,
            accounts,
            mc,
            mc_tranches,
            pool_fan,
            senior_fan,
            paths,
            breakeven,
            ratings,
        })
    }

    /// Tranche names in the deal's order.
    pub fn tranche_names(&self) -> Vec<String> {
        self.summary
            .tranches
            .iter()
            .map(|t| t.tranche.clone())
            .collect()
    }

    /// Payment dates, one per period (from pool_cashflows.csv).
    pub fn dates(&self) -> Vec<String> {
        self.pool.iter().map(|r| r.date.clone()).collect()
    }
}

/// Reads `pool_cdr` and every `<tranche>_loss_rate` column of paths.bin in one pass.
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
    let loss: Vec<usize> = tranches
        .iter()
        .map(|t| find(&format!("{t}_loss_rate")))
        .collect::<Result<_, _>>()?;
    let bin = dir.join(PATHS_FILE);
    let bytes = std::fs::read(&bin).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            InputError::new(&bin, "file not found")
        } else {
            InputError::new(&bin, e)
        }
    })?;
    let row_bytes = width * 4;
    let expected = (desc.rows as usize).checked_mul(row_bytes);
    if expected != Some(bytes.len()) || desc.rows == 0 {
        return Err(InputError::new(
            &bin,
            format!(
                "expected {} rows of {width} f32 ({} bytes), found {} bytes",
                desc.rows,
                expected.map_or("?".into(), |e| e.to_string()),
                bytes.len()
            ),
        ));
    }
    let at = |row: &[u8], c: usize| {
        f32::from_le_bytes([row[4 * c], row[4 * c + 1], row[4 * c + 2], row[4 * c + 3]])
    };
    let n = desc.rows as usize;
    let mut pool_cdr = Vec::with_capacity(n);
    let mut tranche_loss: Vec<Vec<f32>> = loss.iter().map(|_| Vec::with_capacity(n)).collect();
    for row in bytes.chunks_exact(row_bytes) {
        pool_cdr.push(at(row, cdr));
        for (out, &c) in tranche_loss.iter_mut().zip(&loss) {
            out.push(at(row, c));
        }
    }
    Ok(PathColumns {
        rows: desc.rows,
        seed: desc.seed,
        pool_cdr,
        tranche_loss,
    })
}

/// `breakeven.json` (written by `ipabs run` and `ipabs breakeven`), if present: each tranche's
/// lowest break-even cumulative default rate with the support, `result.minimum[]`.
pub fn read_breakeven(path: &Path) -> Result<Vec<(String, f64)>, InputError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let v: serde_json::Value = read_json(path)?;
    let rows = v["result"]["minimum"]
        .as_array()
        .ok_or_else(|| InputError::new(path, "no `result.minimum` list of break-even rates"))?;
    rows.iter()
        .map(
            |row| match (row["tranche"].as_str(), row["min_with_support"].as_f64()) {
                (Some(t), Some(bdr)) => Ok((t.to_string(), bdr)),
                _ => Err(InputError::new(
                    path,
                    "a `result.minimum` entry lacks `tranche` or `min_with_support`",
                )),
            },
        )
        .collect()
}

/// `rating.json` (written by `ipabs run` and `ipabs rate`), if present: each tranche's implied
/// grade by TDR method, as "AAA (empirical) · AA+ (lognormal) · AAA (multiplier)".
pub fn read_ratings(path: &Path) -> Result<BTreeMap<String, String>, InputError> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let v: serde_json::Value = read_json(path)?;
    let rows = v["result"]["tranches"]
        .as_array()
        .ok_or_else(|| InputError::new(path, "no `result.tranches` list"))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (Some(tranche), Some(implied)) = (row["tranche"].as_str(), row["implied"].as_array())
        else {
            return Err(InputError::new(
                path,
                "a `result.tranches` entry lacks `tranche` or `implied`",
            ));
        };
        let grades: Vec<String> = implied
            .iter()
            .map(|g| {
                format!(
                    "{} ({})",
                    g["grade"].as_str().unwrap_or("below scale"),
                    g["method"].as_str().unwrap_or("?")
                )
            })
            .collect();
        out.insert(tranche.to_string(), grades.join(" · "));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakeven_file_as_written_by_the_commands() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("breakeven.json");
        assert!(read_breakeven(&p).unwrap().is_empty());
        std::fs::write(
            &p,
            r#"{"result":{"minimum":[{"tranche":"A1","min_with_support":0.4},{"tranche":"A2","min_with_support":0.2}]}}"#,
        )
        .unwrap();
        assert_eq!(
            read_breakeven(&p).unwrap(),
            vec![("A1".to_string(), 0.4), ("A2".to_string(), 0.2)]
        );
        std::fs::write(&p, "not json").unwrap();
        let err = read_breakeven(&p).unwrap_err().to_string();
        assert!(err.contains("breakeven.json"), "{err}");
    }

    #[test]
    fn rating_file_as_written_by_the_commands() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rating.json");
        std::fs::write(
            &p,
            r#"{"result":{"tranches":[{"tranche":"A1","implied":[{"method":"empirical","grade":"AAA"},{"method":"lognormal","grade":null}]}]}}"#,
        )
        .unwrap();
        assert_eq!(
            read_ratings(&p).unwrap()["A1"],
            "AAA (empirical) · below scale (lognormal)"
        );
    }

    #[test]
    fn missing_folder_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = RunFiles::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("summary.json"), "{err}");
    }
}
