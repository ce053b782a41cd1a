//! ipabs: a simulator for intellectual-property asset-backed securities.
//!
//! The data flows one way: scenario file → validated [`deal::Deal`] → pool schedules →
//! [`engine`] (deterministic or Monte Carlo paths, one waterfall) → [`results`] → reports and
//! charts.

pub mod cancel;
pub mod chart;
pub mod cli;
pub mod commands;
pub mod credit;
pub mod dates;
pub mod deal;
pub mod engine;
pub mod input;
pub mod metrics;
pub mod money;
pub mod montecarlo;
pub mod pool;
pub mod report;
pub mod results;
pub mod scenario;
pub mod structuring;
pub mod waterfall;
