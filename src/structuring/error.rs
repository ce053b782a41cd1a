//! Errors of the structuring layer: keys and values set on a scenario (`--vary`, sizing), and
//! scenarios those values make invalid. Commands render them once (`commands::AppError`).

use crate::scenario::ScenarioError;

/// Every way a structuring edit or search can fail.
#[derive(Debug, thiserror::Error)]
pub enum StructuringError {
    /// A key that is not a dotted path.
    #[error(
        "key `{key}`: expected a dotted path to a scenario value, e.g. \
         model.correlation.intra_sector or tranches.A1.balance"
    )]
    KeyForm { key: String },
    /// A key given more than once in one set of edits.
    #[error("key `{key}` is given twice")]
    KeyTwice { key: String },
    /// A key naming a table or value the scenario does not have (nor may have added).
    #[error("key `{key}`: no `{name}` in {table} of the scenario (found: {found})")]
    NoKey {
        key: String,
        name: String,
        /// "the top level" or the table's path in backticks.
        table: String,
        found: String,
    },
    /// A key naming an element of an array of tables that is not there.
    #[error("key `{key}`: no element of `{array}` named `{name}` (known: {known})")]
    NoElement {
        key: String,
        array: String,
        name: String,
        known: String,
    },
    /// A key that stops at an element of an array of tables.
    #[error("key `{key}`: names a whole element of `{array}`; add the field, e.g. {key}.balance")]
    WholeElement { key: String, array: String },
    /// A key that goes through a value as if it were a table.
    #[error("key `{key}`: `{path}` is a {kind}, not a table")]
    NotATable {
        key: String,
        path: String,
        kind: &'static str,
    },
    /// A key naming a value that is not a number (nor a list of numbers, for a list).
    #[error("key `{key}`: the value there is a {kind}, not {expected}")]
    NotANumber {
        key: String,
        kind: &'static str,
        expected: &'static str,
    },
    /// A `--vary` argument that is not `KEY=SPEC`.
    #[error("--vary `{arg}`: expected KEY=SPEC, e.g. model.pd_multiplier=0.5:2:0.5")]
    VaryForm { arg: String },
    /// A value list or range that cannot be read.
    #[error("spec `{spec}`: {reason}")]
    Spec { spec: String, reason: String },
    /// An error in what a command-line flag gave (`flag`: `--vary`, `--vary KEY`).
    #[error("{flag}: {source}")]
    Flag {
        flag: String,
        source: Box<StructuringError>,
    },
    /// A tranche name that is not in the deal.
    #[error("no tranche named \"{name}\" (expected one of: {known})")]
    NoTranche { name: String, known: String },
    /// Sizing needs a senior class to scale.
    #[error("sizing needs at least one senior tranche besides the last (subordinate) one")]
    NoSenior,
    /// The scenario with the values set (`with`: the sweep point, the sizing step) is invalid.
    #[error("the scenario with {with} is invalid:\n{error}")]
    Invalid { with: String, error: ScenarioError },
    /// A Monte Carlo run of an edited scenario failed or was interrupted.
    #[error(transparent)]
    Simulation(#[from] crate::montecarlo::McError),
    /// The scenario file cannot be edited as a document (for the sized copy).
    #[error("cannot edit {what} in the scenario: {reason}")]
    Document { what: String, reason: String },
}
