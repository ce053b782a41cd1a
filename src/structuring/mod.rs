//! Structuring tools: parameter sweeps, break-even default rates, implied ratings and tranche
//! sizing, all built on the one waterfall (`engine::run_path`) and the Monte Carlo driver.

pub mod overrides;
