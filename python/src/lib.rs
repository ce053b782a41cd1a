//! `ipabs._native`: the ipabs library for Python. Every computation is the library's own (the
//! functions the CLI's commands call); this module only converts: scenarios in, tables out as
//! column dicts (`{column: list}`, in the CLI's CSV column order), JSON documents as text and
//! per-path rows as little-endian `f64` bytes. `ipabs/__init__.py` turns them into DataFrames.

use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use serde::Serialize;

use ipabs::commands::AppError;
use ipabs::montecarlo::McOptions;
use ipabs::report::RunMetadata;
use ipabs::scenario::ScenarioError as LibScenarioError;
use ipabs::structuring::overrides::{KeyPath, Literal, load_with, parse_number};
use ipabs::structuring::{Loaded, StructuringError};

create_exception!(
    ipabs,
    ScenarioError,
    PyValueError,
    "An invalid scenario (or override): the located message the CLI prints."
);
create_exception!(
    ipabs,
    IpabsError,
    PyException,
    "Any other failure of ipabs (an argument out of range, a run that cannot start)."
);

fn scenario_err(e: LibScenarioError) -> PyErr {
    ScenarioError::new_err(e.to_string())
}

fn structuring_err(e: StructuringError) -> PyErr {
    ScenarioError::new_err(format!("error: {e}"))
}

fn app_err(e: AppError) -> PyErr {
    match e {
        AppError::Scenario(e) => scenario_err(e),
        other => IpabsError::new_err(other.to_string()),
    }
}

/// One column of a table, typed as pandas would read the CLI's CSV.
enum Column {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bool(Vec<bool>),
    Text(Vec<Option<String>>),
}

/// The rows as the CLI writes them to CSV (the library's own serialisation: amounts are
/// decimal strings to the fen), read back into typed columns in the CSV's column order:
/// integers, floats (an empty cell is NaN), booleans, else text (empty = None).
fn columns<T: Serialize>(rows: &[T], header: &[&str]) -> PyResult<Vec<(String, Column)>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)
            .map_err(|e| IpabsError::new_err(e.to_string()))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| IpabsError::new_err(e.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice());
    let names: Vec<String> = if rows.is_empty() {
        header.iter().map(|s| s.to_string()).collect()
    } else {
        reader
            .headers()
            .map_err(|e| IpabsError::new_err(e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect()
    };
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); names.len()];
    for record in reader.records() {
        let record = record.map_err(|e| IpabsError::new_err(e.to_string()))?;
        for (k, v) in record.iter().enumerate() {
            cells[k].push(v.to_string());
        }
    }
    Ok(names
        .into_iter()
        .zip(cells)
        .map(|(name, col)| (name, typed(col)))
        .collect())
}

fn typed(col: Vec<String>) -> Column {
    if !col.is_empty() && col.iter().all(|s| s.parse::<i64>().is_ok()) {
        return Column::Int(col.iter().map(|s| s.parse().unwrap()).collect());
    }
    if !col.is_empty() && col.iter().all(|s| s == "true" || s == "false") {
        return Column::Bool(col.iter().map(|s| s == "true").collect());
    }
    let float = |s: &str| -> Option<f64> {
        if s.is_empty() {
            Some(f64::NAN)
        } else if s.chars().any(|c| c.is_ascii_digit()) || s.eq_ignore_ascii_case("nan") {
            s.parse::<f64>().ok()
        } else {
            None
        }
    };
    if !col.is_empty()
        && col.iter().any(|s| !s.is_empty())
        && col.iter().all(|s| float(s).is_some())
    {
        return Column::Float(col.iter().map(|s| float(s).unwrap()).collect());
    }
    Column::Text(
        col.into_iter()
            .map(|s| if s.is_empty() { None } else { Some(s) })
            .collect(),
    )
}

fn table<'py, T: Serialize>(
    py: Python<'py>,
    rows: &[T],
    header: &[&str],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, col) in columns(rows, header)? {
        match col {
            Column::Int(v) => d.set_item(name, PyList::new(py, v)?)?,
            Column::Float(v) => d.set_item(name, PyList::new(py, v)?)?,
            Column::Bool(v) => d.set_item(name, PyList::new(py, v)?)?,
            Column::Text(v) => d.set_item(name, PyList::new(py, v)?)?,
        }
    }
    Ok(d)
}

fn json_text<T: Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| IpabsError::new_err(e.to_string()))
}

/// A loaded, validated scenario (overrides applied), ready to run.
#[pyclass(frozen, module = "ipabs._native")]
struct Scenario {
    /// Where it was read from (as given: the CLI's `metadata.scenario_file`).
    path: PathBuf,
    loaded: Loaded,
}

/// An override value from Python: a number as text, or a list of them.
#[derive(FromPyObject)]
enum OverrideValue {
    One(String),
    Many(Vec<String>),
}

fn literal(key: &str, v: &OverrideValue) -> PyResult<Literal> {
    let num = |s: &String| {
        parse_number(s).ok_or_else(|| {
            ScenarioError::new_err(format!("error: override {key}: `{s}` is not a number"))
        })
    };
    Ok(match v {
        OverrideValue::One(s) => Literal::Number(num(s)?),
        OverrideValue::Many(v) => Literal::Numbers(v.iter().map(num).collect::<Result<_, _>>()?),
    })
}

fn load_scenario(
    path: PathBuf,
    text: Option<String>,
    overrides: Vec<(String, OverrideValue)>,
) -> PyResult<Scenario> {
    let mut loaded = match text {
        Some(text) => ipabs::structuring::load_text(&path, text),
        None => ipabs::structuring::load(&path),
    }
    .map_err(scenario_err)?;
    if !overrides.is_empty() {
        let edits: Vec<(KeyPath, Literal)> = overrides
            .iter()
            .map(|(k, v)| Ok((KeyPath::parse(k).map_err(structuring_err)?, literal(k, v)?)))
            .collect::<PyResult<_>>()?;
        let doc = loaded.document(&path).map_err(scenario_err)?;
        let deal = load_with(&doc, &loaded.attachments, &edits)
            .map_err(structuring_err)?
            .map_err(scenario_err)?;
        drop(doc);
        loaded.deal = deal;
    }
    Ok(Scenario { path, loaded })
}

/// Loads a scenario file (`text` None) or scenario `text` as if read from `path`, with
/// `overrides` (dotted keys as `ipabs sweep --vary` takes, values as decimal text).
#[pyfunction]
#[pyo3(signature = (path, text=None, overrides=Vec::new()))]
fn load(
    py: Python<'_>,
    path: PathBuf,
    text: Option<String>,
    overrides: Vec<(String, OverrideValue)>,
) -> PyResult<Scenario> {
    py.detach(|| load_scenario(path, text, overrides))
}

impl Scenario {
    fn meta(&self) -> RunMetadata {
        RunMetadata::new(&self.path, &self.loaded.text)
    }

    fn mc_options(
        &self,
        paths: Option<u64>,
        seed: Option<u64>,
        threads: Option<usize>,
        importance_sampling: Option<&str>,
    ) -> Result<McOptions, AppError> {
        let deal = &self.loaded.deal;
        let importance = ipabs::commands::rate::importance_target(deal, importance_sampling)?;
        let mut options =
            ipabs::commands::rate::mc_options(deal, paths, seed, importance, None, false)?;
        options.threads = ipabs::commands::run::threads(threads)?;
        Ok(options)
    }
}

#[pymethods]
impl Scenario {
    /// The deal's name.
    #[getter]
    fn name(&self) -> &str {
        &self.loaded.deal.name
    }

    /// The scenario file's path as given (`metadata.scenario_file` of the CLI's files).
    #[getter]
    fn path(&self) -> String {
        self.path.display().to_string()
    }

    #[getter]
    fn currency(&self) -> &str {
        &self.loaded.deal.currency
    }

    /// Tranche names, most senior first (the deal's order).
    #[getter]
    fn tranche_names(&self) -> Vec<String> {
        self.loaded
            .deal
            .structure
            .tranches
            .iter()
            .map(|t| t.name.clone())
            .collect()
    }

    /// Each tranche's original balance, yuan, as decimal text (exact).
    #[getter]
    fn tranche_balances(&self) -> Vec<(String, String)> {
        self.loaded
            .deal
            .structure
            .tranches
            .iter()
            .map(|t| (t.name.clone(), t.balance.to_string()))
            .collect()
    }

    /// What loading found questionable but valid (the CLI prints these to stderr).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.loaded
            .deal
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The pool summary (summary.json's `pool`) as JSON text.
    fn pool_summary_json(&self) -> PyResult<String> {
        let deal = &self.loaded.deal;
        json_text(&ipabs::pool::PoolSummary::of(&deal.pool, deal.closing))
    }

    /// The deterministic run (`ipabs cashflow`): a dict of tables (column dicts).
    #[pyo3(signature = (cdr=None, cpr=None, recovery=None, lag=None))]
    fn cashflow<'py>(
        &self,
        py: Python<'py>,
        cdr: Option<f64>,
        cpr: Option<f64>,
        recovery: Option<f64>,
        lag: Option<u64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut deal = self.loaded.deal.clone();
        let overrides = ipabs::commands::cashflow::Overrides {
            cdr,
            cpr,
            recovery,
            lag,
        };
        overrides.apply(&mut deal).map_err(app_err)?;
        let run = py.detach(|| ipabs::results::run_cashflow(&deal));
        let warning = ipabs::commands::run_warnings(&self.path, &run).map(|w| w.to_string());
        let d = PyDict::new(py);
        d.set_item("pool", table(py, &run.pool, &[])?)?;
        d.set_item("tranches", table(py, &run.tranches, &[])?)?;
        d.set_item("fees", table(py, &run.fees, &[])?)?;
        d.set_item("accounts", table(py, &run.accounts, &[])?)?;
        d.set_item("ledger", table(py, &run.ledger, &[])?)?;
        d.set_item("metrics", table(py, &run.metrics, &[])?)?;
        d.set_item(
            "triggers",
            table(
                py,
                &run.triggers,
                &["trigger", "period", "date", "applies_from"],
            )?,
        )?;
        d.set_item("periods_run", run.periods_run)?;
        d.set_item("pool_balance_at_end", run.pool_balance_at_end.to_string())?;
        d.set_item("yield_convention", run.yield_convention.label.clone())?;
        d.set_item("warning", warning)?;
        let meta = self.meta();
        let summary = ipabs::report::cashflow::summary(&deal, &run, &meta);
        d.set_item("summary_json", json_text(&summary)?)?;
        Ok(d)
    }

    /// The Monte Carlo (`ipabs run --mc-only`'s): the tables of its CSVs, mc-summary.json as
    /// text, and the per-path rows (`paths.bin`) as little-endian f64 bytes with their columns.
    /// The GIL is released while the paths run.
    #[pyo3(signature = (paths=None, seed=None, threads=None, importance_sampling=None))]
    fn monte_carlo<'py>(
        &self,
        py: Python<'py>,
        paths: Option<u64>,
        seed: Option<u64>,
        threads: Option<usize>,
        importance_sampling: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        use ipabs::report::montecarlo as mc;
        let options = self
            .mc_options(paths, seed, threads, importance_sampling.as_deref())
            .map_err(app_err)?;
        let deal = &self.loaded.deal;
        let (results, rows) = py
            .detach(|| {
                let mut rows: Vec<f64> = Vec::new();
                ipabs::montecarlo::simulate(
                    deal,
                    options,
                    |_, chunk| rows.extend_from_slice(chunk),
                    |_| {},
                )
                .map(|r| (r, rows))
            })
            .map_err(|e| app_err(e.into()))?;
        let meta = self.meta();
        let summary = mc::McSummaryFile {
            metadata: std::borrow::Cow::Borrowed(&meta),
            deal: std::borrow::Cow::Borrowed(&deal.name),
            skipped: mc::MC_ONLY_SKIPS
                .iter()
                .map(|s| std::borrow::Cow::Borrowed(*s))
                .collect(),
            results: std::borrow::Cow::Borrowed(&results),
        };
        let d = PyDict::new(py);
        d.set_item("summary_json", json_text(&summary)?)?;
        d.set_item("tranches", table(py, &mc::tranche_rows(&results), &[])?)?;
        d.set_item(
            "distributions",
            table(py, &mc::distribution_rows(&results), &[])?,
        )?;
        d.set_item(
            "defaulted_obligors",
            table(py, &mc::count_rows(&results), &[])?,
        )?;
        d.set_item("tranche_by_date", table(py, &results.tranche_by_date, &[])?)?;
        d.set_item(
            "pool_balance_fan",
            table(py, &results.pool_balance_fan, &[])?,
        )?;
        d.set_item(
            "senior_balance_fan",
            table(py, &results.senior_balance_fan, &[])?,
        )?;
        let mut bytes = Vec::with_capacity(rows.len() * 8);
        for v in &rows {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        d.set_item("paths_bytes", PyBytes::new(py, &bytes))?;
        d.set_item("paths_columns", results.columns.clone())?;
        d.set_item("threads", options.threads_used())?;
        Ok(d)
    }

    /// Break-even default rates (`ipabs breakeven`): breakeven.csv's rows and breakeven.json
    /// as text.
    #[pyo3(signature = (tranches=None))]
    fn breakeven<'py>(
        &self,
        py: Python<'py>,
        tranches: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let deal = &self.loaded.deal;
        let chosen: Option<Vec<usize>> = tranches
            .map(|names| {
                names
                    .iter()
                    .map(|n| ipabs::structuring::tranche_index(deal, n))
                    .collect::<Result<_, _>>()
            })
            .transpose()
            .map_err(|e| IpabsError::new_err(format!("error: {e}")))?;
        let config = &self.loaded.config.breakeven;
        let result =
            py.detach(|| ipabs::structuring::breakeven::breakeven(deal, config, chosen.as_deref()));
        let doc = ipabs::commands::breakeven::document(deal, &self.meta(), &result)
            .map_err(|e| app_err(e.into()))?;
        let d = PyDict::new(py);
        d.set_item("rows", table(py, &result.rows, &[])?)?;
        d.set_item("minimum", table(py, &result.minimum, &[])?)?;
        d.set_item("json", json_text(&doc)?)?;
        Ok(d)
    }

    /// The implied rating (`ipabs rate`): rating.json as text and one row per tranche.
    #[pyo3(signature = (paths=None, seed=None, threads=None, importance_sampling=None))]
    fn rate<'py>(
        &self,
        py: Python<'py>,
        paths: Option<u64>,
        seed: Option<u64>,
        threads: Option<usize>,
        importance_sampling: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        use ipabs::structuring::rating;
        let loaded = &self.loaded;
        let deal = &loaded.deal;
        let grades = ipabs::commands::rate::grades_for(&None, &loaded.config).map_err(app_err)?;
        let loss_table =
            ipabs::commands::rate::loss_table_for(&None, &loaded.config).map_err(app_err)?;
        let options = self
            .mc_options(paths, seed, threads, importance_sampling.as_deref())
            .map_err(app_err)?;
        let result = py
            .detach(|| {
                let prep: ipabs::engine::Prepared<f64> = ipabs::engine::Prepared::for_deal(deal);
                let breakeven = ipabs::structuring::breakeven::breakeven_prepared(
                    deal,
                    &prep,
                    &loaded.config.breakeven,
                    None,
                );
                let (dist, mc) = rating::simulate_cdr(deal, options, |_| {})?;
                Ok::<_, ipabs::montecarlo::McError>(rating::rate_prepared(
                    deal, &prep, &breakeven, grades, loss_table, &dist, &mc,
                ))
            })
            .map_err(|e| app_err(e.into()))?;
        let doc = ipabs::commands::rate::document(deal, &self.meta(), &result)
            .map_err(|e| app_err(e.into()))?;
        // Per tranche: its measures and each method's grade as the CLI's table cell.
        #[derive(Serialize)]
        struct Row {
            tranche: String,
            target_horizon_years: f64,
            min_bdr: f64,
            min_bdr_without_support: f64,
            expected_loss: f64,
            expected_loss_std_error: f64,
            expected_pv_loss: f64,
            expected_pv_loss_std_error: f64,
            wal_years: Option<f64>,
            expected_loss_grade: Option<String>,
            /// P(fail) with the promisor priced as an obligor, and its standard error.
            priced_failure_probability: f64,
            priced_failure_std_error: f64,
        }
        let rows: Vec<Row> = result
            .tranches
            .iter()
            .map(|t| Row {
                tranche: t.tranche.clone(),
                target_horizon_years: t.target_horizon_years,
                min_bdr: t.min_bdr,
                min_bdr_without_support: t.min_bdr_without_support,
                expected_loss: t.expected_loss,
                expected_loss_std_error: t.expected_loss_std_error,
                expected_pv_loss: t.expected_pv_loss,
                expected_pv_loss_std_error: t.expected_pv_loss_std_error,
                wal_years: t.wal_years,
                expected_loss_grade: t.expected_loss_grade.clone(),
                priced_failure_probability: t.supported_joint.failure_probability,
                priced_failure_std_error: t.supported_joint.std_error,
            })
            .collect();
        let grades = PyList::empty(py);
        for t in &result.tranches {
            for (basis, list) in [("with_support", &t.implied), ("standalone", &t.standalone)] {
                for a in list {
                    grades.append((
                        t.tranche.clone(),
                        basis,
                        a.method.name(),
                        a.cell(),
                        a.binding.clone(),
                    ))?;
                }
            }
            // The joint grade's cell (its P(fail) is in the tranche's row).
            let j = &t.supported_joint;
            let cell = j.cell();
            grades.append((
                t.tranche.clone(),
                "with_support",
                "priced",
                cell,
                j.binding.clone(),
            ))?;
        }
        let d = PyDict::new(py);
        d.set_item("tranches", table(py, &rows, &[])?)?;
        d.set_item("grades", grades)?;
        d.set_item("json", json_text(&doc)?)?;
        Ok(d)
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ScenarioError", py.get_type::<ScenarioError>())?;
    m.add("IpabsError", py.get_type::<IpabsError>())?;
    m.add_class::<Scenario>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
