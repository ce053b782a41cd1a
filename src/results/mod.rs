//! Results of runs as plain, documented serde structs that reports and charts read.

pub mod cashflow;

pub use cashflow::{CashflowRun, run_cashflow};
