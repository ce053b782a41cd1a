//! Sweeps: the deal run at every point of a grid of scenario values, with the same seed at
//! every point (common random numbers: each path's draws do not depend on the parameters, so
//! differences between points are the parameters' effect, not noise).

use rust_decimal::Decimal;
use serde::Serialize;

use super::error::StructuringError;
use super::overrides::{KeyPath, Literal, load_with};
use crate::deal::Deal;
use crate::money::Amount;
use crate::montecarlo::{McError, McOptions, simulate};
use crate::results::run_cashflow;
use crate::scenario::{Attachments, Document};

/// The keys and their values; points are the Cartesian product, first key outermost.
#[derive(Debug, Clone)]
pub struct Grid {
    pub keys: Vec<KeyPath>,
    pub values: Vec<Vec<Decimal>>,
}

impl Grid {
    pub fn points(&self) -> Vec<Vec<usize>> {
        let mut out = vec![vec![]];
        for vals in &self.values {
            out = out
                .into_iter()
                .flat_map(|p| {
                    (0..vals.len()).map(move |k| {
                        let mut q = p.clone();
                        q.push(k);
                        q
                    })
                })
                .collect();
        }
        out
    }

    pub fn describe(&self, point: &[usize]) -> String {
        self.keys
            .iter()
            .zip(&self.values)
            .zip(point)
            .map(|((k, values), &i)| format!("{}={}", k.text, values[i].normalize()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Loads the deal at every point (all validated before anything runs), each from the
    /// document's tree with the point's values set and the attachments read once.
    pub fn deals(
        &self,
        doc: &Document<'_>,
        attachments: &Attachments,
    ) -> Result<Vec<(Vec<usize>, Deal)>, StructuringError> {
        self.points()
            .into_iter()
            .map(|p| {
                let edits: Vec<(KeyPath, Literal)> = self
                    .keys
                    .iter()
                    .zip(&p)
                    .enumerate()
                    .map(|(k, (key, &i))| (key.clone(), Literal::Number(self.values[k][i])))
                    .collect();
                let deal = load_with(doc, attachments, &edits)
                    .map_err(|source| StructuringError::Flag {
                        flag: "--vary".into(),
                        source: Box::new(source),
                    })?
                    .map_err(|error| StructuringError::Invalid {
                        with: self.describe(&p),
                        error,
                    })?;
                Ok((p, deal))
            })
            .collect()
    }
}

/// One grid point and tranche (a row of `sweep.csv`; kept in a sweep shard's file).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct SweepRow {
    pub point: usize,
    /// The keys' values at this point, in key order.
    pub values: Vec<f64>,
    pub tranche: String,
    #[serde(deserialize_with = "nan_if_null")]
    pub expected_loss: f64,
    /// Monte Carlo standard errors of the two (NaN for a deterministic sweep: no noise).
    #[serde(deserialize_with = "nan_if_null")]
    pub expected_loss_std_error: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub probability_of_loss: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub probability_of_loss_std_error: f64,
    /// Under `--importance-sampling`, on the target tranche's rows: the variance-reduction
    /// factor of its P(loss) at this point (NaN otherwise).
    #[serde(deserialize_with = "nan_if_null")]
    pub variance_reduction: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub wal_years: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub yield_at_par: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub pool_cdr_p50: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub pool_cdr_p95: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub pool_cdr_p99: f64,
}

/// An `f64` written as JSON: NaN (not defined at this point) is written as `null` and read
/// back as NaN.
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(<Option<f64> as serde::Deserialize>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// Runs one deal: the Monte Carlo (`options`) or the deterministic case.
pub fn run_point(
    deal: &Deal,
    options: Option<McOptions>,
    point: usize,
    values: &[f64],
    progress: impl FnMut(u64),
) -> Result<Vec<SweepRow>, McError> {
    let nan_or = |x: Option<f64>| x.unwrap_or(f64::NAN);
    match options {
        Some(options) => {
            let r = simulate(deal, options, |_, _| {}, progress)?;
            let cdr = &r.pool.cumulative_default_rate;
            let is = r.importance_sampling.as_ref();
            Ok(r.tranches
                .iter()
                .map(|t| SweepRow {
                    point,
                    values: values.to_vec(),
                    tranche: t.tranche.clone(),
                    expected_loss: t.expected_loss,
                    expected_loss_std_error: t.expected_loss_std_error,
                    probability_of_loss: t.probability_of_loss,
                    probability_of_loss_std_error: t.probability_of_loss_std_error,
                    variance_reduction: nan_or(
                        is.filter(|is| is.tranche == t.tranche)
                            .and_then(|is| is.variance_reduction_probability_of_loss),
                    ),
                    wal_years: nan_or(t.wal_years.as_ref().map(|d| d.mean)),
                    yield_at_par: nan_or(t.yield_at_par.as_ref().map(|d| d.mean)),
                    pool_cdr_p50: cdr.p50,
                    pool_cdr_p95: cdr.p95,
                    pool_cdr_p99: cdr.p99,
                })
                .collect())
        }
        None => {
            let run = run_cashflow(deal);
            let cdr = run.pool.last().map_or(0.0, |p| p.cumulative_default_rate);
            Ok(run
                .metrics
                .iter()
                .map(|m| SweepRow {
                    point,
                    values: values.to_vec(),
                    tranche: m.tranche.clone(),
                    expected_loss: m.loss_rate,
                    expected_loss_std_error: f64::NAN,
                    probability_of_loss_std_error: f64::NAN,
                    variance_reduction: f64::NAN,
                    probability_of_loss: if m.principal_loss.to_f64() > 0.005 {
                        1.0
                    } else {
                        0.0
                    },
                    wal_years: m.wal_years,
                    yield_at_par: nan_or(m.yield_at_par),
                    pool_cdr_p50: cdr,
                    pool_cdr_p95: cdr,
                    pool_cdr_p99: cdr,
                })
                .collect())
        }
    }
}

/// The tranche metrics a sweep reports (CSV column, chart title).
pub const METRICS: [(&str, &str); 4] = [
    ("expected_loss", "expected loss"),
    ("probability_of_loss", "probability of loss"),
    ("wal_years", "WAL (years)"),
    ("yield_at_par", "yield at par"),
];

impl SweepRow {
    pub fn metric(&self, name: &str) -> f64 {
        match name {
            "expected_loss" => self.expected_loss,
            "probability_of_loss" => self.probability_of_loss,
            "wal_years" => self.wal_years,
            "yield_at_par" => self.yield_at_par,
            _ => f64::NAN,
        }
    }
}

/// `z[row = value of key 2][column = value of key 1]` of a metric for one tranche.
pub fn heatmap_matrix(
    grid: &Grid,
    rows: &[SweepRow],
    tranche: &str,
    metric: &str,
) -> Vec<Vec<f64>> {
    let (nx, ny) = (grid.values[0].len(), grid.values[1].len());
    let mut z = vec![vec![f64::NAN; nx]; ny];
    for r in rows.iter().filter(|r| r.tranche == tranche) {
        // Points are in order: key 1 outermost.
        let (ix, iy) = (r.point / ny, r.point % ny);
        z[iy][ix] = r.metric(metric);
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn every_point_is_built_from_the_attachments_read_once() {
        let (_dir, copy, tape, text) = crate::structuring::shipped::lease_copy();
        let doc = Document::parse(&copy, &text).unwrap();
        let attachments = doc.attachments();
        // Gone before the first point is loaded.
        std::fs::remove_file(&tape).unwrap();
        let grid = Grid {
            keys: vec![KeyPath::parse("pool.pd_multiplier").unwrap()],
            values: vec![vec![dec!(0.5), dec!(2)]],
        };
        let deals = grid.deals(&doc, &attachments).unwrap();
        let multipliers: Vec<f64> = deals.iter().map(|(_, d)| d.credit.pd_multiplier).collect();
        assert_eq!(multipliers, [0.5, 2.0]);
        assert!(deals.iter().all(|(_, d)| d.pool.assets.len() == 10));
        assert_eq!(grid.describe(&[1]), "pool.pd_multiplier=2");
    }
}
