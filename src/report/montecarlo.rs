//! Files of a Monte Carlo run: mc-summary.json, tidy CSVs and the compact per-path file.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use super::{OutputDir, ReportError, RunMetadata};
use crate::metrics::stats::Distribution;
use crate::montecarlo::McResults;

/// Name of the per-path file and of its descriptor.
pub const PATHS_FILE: &str = "paths.bin";
pub const PATHS_DESCRIPTOR: &str = "paths.json";
/// Per tranche and payment date: mean and standard error of cumulative loss and balance
/// (rows of [`crate::montecarlo::summary::TrancheDateStats`]).
pub const TRANCHE_BY_DATE_FILE: &str = "mc_tranche_by_date.csv";

/// Describes `paths.bin`: `rows × columns` little-endian `f64`, row-major, in path order —
/// the run's own values, so statistics recomputed from the file are the run's, and the files
/// of shards, concatenated in path order, are the file of a single run. Read back by
/// [`read_rows`].
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct PathsDescriptor {
    pub format: String,
    pub rows: u64,
    pub columns: Vec<String>,
    pub seed: u64,
}

/// The layout of `paths.bin`, as `paths.json` states it.
pub const PATHS_FORMAT: &str = "f64 little-endian, row-major, one row per path in path order; NaN = not defined (WAL without principal repaid, missed interest of a class without a coupon)";

/// Bytes of one value in `paths.bin`.
pub const PATHS_VALUE_BYTES: usize = 8;

/// A `paths.bin` of `rows` rows of `width` values, read in batches of about 1 MB (memory: one
/// batch, however many paths), as often as the summaries need.
#[derive(Debug, Clone)]
pub struct PathsFile {
    pub path: PathBuf,
    pub width: usize,
    pub rows: u64,
}

impl crate::montecarlo::RowSource for PathsFile {
    fn width(&self) -> usize {
        self.width
    }

    fn read(&self, each: &mut dyn FnMut(&[f64])) -> std::io::Result<()> {
        use std::io::Read;
        let named = |e: std::io::Error| {
            std::io::Error::new(e.kind(), format!("{}: {e}", self.path.display()))
        };
        let file = std::fs::File::open(&self.path).map_err(named)?;
        let row_bytes = (self.width * PATHS_VALUE_BYTES) as u64;
        let found = file.metadata().map_err(named)?.len();
        if self.rows.checked_mul(row_bytes) != Some(found) || self.width == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{}: expected {} rows of {} f64 ({} bytes), found {found} bytes",
                    self.path.display(),
                    self.rows,
                    self.width,
                    self.rows.saturating_mul(row_bytes)
                ),
            ));
        }
        let batch_rows = (1 << 20) / (self.width * PATHS_VALUE_BYTES) + 1;
        let width = self.width;
        // A reader thread decodes the next batch while `each` works on this one (the
        // summaries run on every core; reading alone would leave all but one idle). Two
        // batches in flight, their buffers handed back: memory stays two batches.
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<f64>>(1);
        let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<f64>>();
        for _ in 0..2 {
            empty_tx
                .send(Vec::with_capacity(batch_rows * width))
                .expect("receiver alive");
        }
        let total_rows = self.rows;
        // Moved into the scope: if `each` panics, unwinding drops the channels' ends, so the
        // reader stops instead of waiting for a buffer forever.
        std::thread::scope(move |scope| {
            let reader = scope.spawn(move || -> std::io::Result<()> {
                let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
                let mut bytes = vec![0u8; batch_rows * width * PATHS_VALUE_BYTES];
                let mut left = total_rows;
                while left > 0 {
                    let Ok(mut values) = empty_rx.recv() else {
                        // The consumer stopped: nothing more is wanted.
                        return Ok(());
                    };
                    let n = left.min(batch_rows as u64) as usize;
                    let buf = &mut bytes[..n * width * PATHS_VALUE_BYTES];
                    reader.read_exact(buf)?;
                    values.clear();
                    values.extend(
                        buf.chunks_exact(PATHS_VALUE_BYTES)
                            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))),
                    );
                    if full_tx.send(values).is_err() {
                        return Ok(());
                    }
                    left -= n as u64;
                }
                Ok(())
            });
            for values in full_rx.iter() {
                each(&values);
                // The reader may have finished: a buffer it no longer needs is dropped.
                let _ = empty_tx.send(values);
            }
            reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                .map_err(named)
        })
    }
}

/// Reads the rows of a `paths.bin` (see [`PathsFile`]) into `each`, batch by batch.
pub fn read_rows(
    path: &std::path::Path,
    width: usize,
    rows: u64,
    mut each: impl FnMut(&[f64]),
) -> Result<(), ReportError> {
    use crate::montecarlo::RowSource;
    PathsFile {
        path: path.to_path_buf(),
        width,
        rows,
    }
    .read(&mut each)
    .map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Streams per-path rows to `paths.bin` as chunks finish.
pub struct PathsWriter {
    path: PathBuf,
    out: BufWriter<std::fs::File>,
    rows: u64,
    width: usize,
}

impl PathsWriter {
    pub fn create(dir: &OutputDir, width: usize) -> Result<Self, ReportError> {
        let path = dir.path(PATHS_FILE)?;
        let file = std::fs::File::create(&path).map_err(|source| ReportError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(PathsWriter {
            path,
            out: BufWriter::with_capacity(1 << 20, file),
            rows: 0,
            width,
        })
    }

    pub fn write_rows(&mut self, rows: &[f64]) -> Result<(), ReportError> {
        let mut bytes = Vec::with_capacity(rows.len() * 8);
        for v in rows {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        self.out
            .write_all(&bytes)
            .map_err(|source| ReportError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.rows += (rows.len() / self.width) as u64;
        Ok(())
    }

    /// Writes out what is buffered; returns the rows written.
    pub fn flush(mut self) -> Result<u64, ReportError> {
        self.out.flush().map_err(|source| ReportError::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok(self.rows)
    }

    /// Flushes and writes the descriptor `paths.json`.
    pub fn finish(
        self,
        dir: &OutputDir,
        columns: &[String],
        seed: u64,
    ) -> Result<u64, ReportError> {
        let rows = self.flush()?;
        let descriptor = PathsDescriptor {
            format: PATHS_FORMAT.into(),
            rows,
            columns: columns.to_vec(),
            seed,
        };
        dir.json(PATHS_DESCRIPTOR, &descriptor)?;
        Ok(rows)
    }
}

/// `mc-summary.json`: the run's identity and every Monte Carlo statistic ([`McResults`]).
///
/// One type for the writer (borrowing the results) and the readers (`McSummaryFile<'static>`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct McSummaryFile<'a> {
    pub metadata: Cow<'a, RunMetadata>,
    pub deal: Cow<'a, str>,
    /// The parts of `ipabs run` this run did not compute ([`MC_ONLY_SKIPS`] under
    /// `--mc-only`); absent when it computed everything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Cow<'a, str>>,
    #[serde(flatten)]
    pub results: Cow<'a, McResults>,
}

/// One row of `mc_tranches.csv` (written here, read back by the charts, the report and the
/// workbook: one type for both). Rates are decimals; empty = not defined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McTrancheRow {
    pub tranche: String,
    pub original_balance: f64,
    pub expected_loss: f64,
    pub expected_loss_std_error: f64,
    pub probability_of_loss: f64,
    /// Its Monte Carlo standard error (absent from folders written before it existed).
    #[serde(default)]
    pub probability_of_loss_std_error: f64,
    /// Empty for a class without a coupon (owed no interest).
    pub probability_of_missed_interest: Option<f64>,
    /// P(missed interest or principal loss).
    pub probability_of_default: f64,
    pub loss_given_loss: Option<f64>,
    pub loss_p50: f64,
    pub loss_p95: f64,
    pub loss_p99: f64,
    pub loss_p99_9: f64,
    pub wal_mean_years: Option<f64>,
    pub wal_p5_years: Option<f64>,
    pub wal_p95_years: Option<f64>,
    /// IRR at par over every path, quoted as `yield_convention` says.
    pub yield_mean: Option<f64>,
    pub yield_p5: Option<f64>,
    pub yield_p50: Option<f64>,
    /// Mean of the same yields restated annual effective (a total loss is −100 %).
    pub yield_annual_effective_mean: Option<f64>,
    /// E.g. "nominal p.a., compounded quarterly".
    pub yield_convention: String,
}

/// The rows of `mc_tranches.csv`.
pub fn tranche_rows(results: &McResults) -> Vec<McTrancheRow> {
    results
        .tranches
        .iter()
        .map(|t| McTrancheRow {
            tranche: t.tranche.clone(),
            original_balance: t.original_balance,
            expected_loss: t.expected_loss,
            expected_loss_std_error: t.expected_loss_std_error,
            probability_of_loss: t.probability_of_loss,
            probability_of_loss_std_error: t.probability_of_loss_std_error,
            probability_of_missed_interest: t.probability_of_missed_interest,
            probability_of_default: t.probability_of_default,
            loss_given_loss: t.loss_given_loss,
            loss_p50: t.loss_rate.p50,
            loss_p95: t.loss_rate.p95,
            loss_p99: t.loss_rate.p99,
            loss_p99_9: t.loss_rate.p99_9,
            wal_mean_years: t.wal_years.as_ref().map(|d| d.mean),
            wal_p5_years: t.wal_years.as_ref().map(|d| d.p5),
            wal_p95_years: t.wal_years.as_ref().map(|d| d.p95),
            yield_mean: t.yield_at_par.as_ref().map(|d| d.mean),
            yield_p5: t.yield_at_par.as_ref().map(|d| d.p5),
            yield_p50: t.yield_at_par.as_ref().map(|d| d.p50),
            yield_annual_effective_mean: t.yield_annual_effective.as_ref().map(|d| d.mean),
            yield_convention: results.yield_convention.label.clone(),
        })
        .collect()
}

/// One row of `mc_distributions.csv`: a loss or default rate's distribution over paths
/// (fractions of the original balance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistributionRow {
    /// `pool_cumulative_default_rate`, `pool_loss_rate` or `<tranche>_loss_rate`.
    pub measure: String,
    pub mean: f64,
    pub std: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub p99_9: f64,
}

fn distribution_row(measure: String, d: &Distribution) -> DistributionRow {
    DistributionRow {
        measure,
        mean: d.mean,
        std: d.std,
        p5: d.p5,
        p50: d.p50,
        p95: d.p95,
        p99: d.p99,
        p99_9: d.p99_9,
    }
}

/// One row of `mc_defaulted_obligors.csv`: the share of paths with exactly this many obligors
/// in default by the path's last payment date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountRow {
    pub defaulted_obligors: usize,
    pub share_of_paths: f64,
}

/// The rows of `mc_distributions.csv`: the pool's CDR and loss rate, then each tranche's loss.
pub fn distribution_rows(results: &McResults) -> Vec<DistributionRow> {
    let mut rows = vec![
        distribution_row(
            "pool_cumulative_default_rate".into(),
            &results.pool.cumulative_default_rate,
        ),
        distribution_row("pool_loss_rate".into(), &results.pool.loss_rate),
    ];
    for t in &results.tranches {
        rows.push(distribution_row(
            format!("{}_loss_rate", t.tranche),
            &t.loss_rate,
        ));
    }
    rows
}

/// The rows of `mc_defaulted_obligors.csv`.
pub fn count_rows(results: &McResults) -> Vec<CountRow> {
    results
        .pool
        .defaulted_obligors_histogram
        .iter()
        .enumerate()
        .map(|(k, s)| CountRow {
            defaulted_obligors: k,
            share_of_paths: *s,
        })
        .collect()
}

/// Writes the summary files of a Monte Carlo run.
pub fn write(
    out: &OutputDir,
    deal: &str,
    results: &McResults,
    meta: &RunMetadata,
) -> Result<(), ReportError> {
    write_noting(out, deal, results, meta, &[])
}

/// What `ipabs run --mc-only` does not compute, as `mc-summary.json` lists it (`skipped`).
pub const MC_ONLY_SKIPS: [&str; 3] = ["breakeven", "rating", "sensitivity"];

/// [`write`], recording in `mc-summary.json` the parts of the run that were `skipped`.
pub fn write_noting(
    out: &OutputDir,
    deal: &str,
    results: &McResults,
    meta: &RunMetadata,
    skipped: &[&'static str],
) -> Result<(), ReportError> {
    out.json(
        "mc-summary.json",
        &McSummaryFile {
            metadata: Cow::Borrowed(meta),
            deal: Cow::Borrowed(deal),
            skipped: skipped.iter().map(|s| Cow::Borrowed(*s)).collect(),
            results: Cow::Borrowed(results),
        },
    )?;
    out.csv("mc_tranches.csv", &tranche_rows(results))?;
    out.csv(TRANCHE_BY_DATE_FILE, &results.tranche_by_date)?;
    out.csv("mc_distributions.csv", &distribution_rows(results))?;
    out.csv("mc_defaulted_obligors.csv", &count_rows(results))?;
    out.csv("mc_pool_balance_fan.csv", &results.pool_balance_fan)?;
    out.csv("mc_senior_balance_fan.csv", &results.senior_balance_fan)
}
