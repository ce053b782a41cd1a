//! `breakeven.json` and `rating.json`: the structuring results with the run's identity.
//!
//! One type per file, written by `run`, `breakeven` and `rate` (borrowing the result) and read
//! back by `chart` and `compare` (owned, `'static`).

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

use super::{ReportError, RunMetadata};
use crate::structuring::breakeven::BreakevenResult;
use crate::structuring::rating::RatingResult;

/// What a BDR is, as `breakeven.json` states it.
pub const BDR_DEFINITION: &str = "BDR = largest cumulative default rate (defaulted principal / original pool balance) at which the tranche receives all interest when due and all principal by the last payment date";

/// `breakeven.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BreakevenDocument<'a> {
    pub deal: Cow<'a, str>,
    pub metadata: Cow<'a, RunMetadata>,
    pub definition: Cow<'a, str>,
    pub result: Cow<'a, BreakevenResult>,
}

/// `rating.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RatingDocument<'a> {
    pub deal: Cow<'a, str>,
    pub metadata: Cow<'a, RunMetadata>,
    pub result: Cow<'a, RatingResult>,
}

/// The JSON these files are written as: every object's keys in alphabetical order at every
/// depth (the order of a `serde_json::Value`, which the files have always had), so a reader
/// diffing two versions of the file sees the same layout.
pub fn sorted_json<T: Serialize>(document: &T) -> Result<serde_json::Value, ReportError> {
    serde_json::to_value(document).map_err(|e| ReportError::Other(format!("JSON: {e}")))
}
