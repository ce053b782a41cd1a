//! The pool of IP-backed assets: assets, obligors, sectors, scheduled cash flows and a summary.

pub mod asset;
pub mod schedule;
pub mod strata;
pub mod summary;

pub use asset::{Amortization, Asset, AssetType, IpKind, Obligor, ScheduledPayment};
pub use schedule::{Projection, ScheduleOverflow, asset_payments, project, try_asset_payments};
pub use strata::Stratification;
pub use summary::PoolSummary;

use rust_decimal::Decimal;
use serde::Serialize;

/// A validated pool: every asset points at an existing obligor, every obligor at a sector.
#[derive(Debug, Clone, Serialize)]
pub struct Pool {
    pub assets: Vec<Asset>,
    pub obligors: Vec<Obligor>,
    pub sectors: Vec<String>,
}

impl Pool {
    /// Outstanding principal at the cut-off.
    pub fn balance(&self) -> Decimal {
        self.assets.iter().map(|a| a.balance).sum()
    }

    /// The obligor's assets' indices, for each obligor.
    pub fn assets_by_obligor(&self) -> Vec<Vec<usize>> {
        let mut by = vec![Vec::new(); self.obligors.len()];
        for (i, asset) in self.assets.iter().enumerate() {
            by[asset.obligor].push(i);
        }
        by
    }
}
