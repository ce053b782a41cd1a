//! The pool summary an analyst checks before anything else (`ipabs validate`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{Pool, asset_payments};
use crate::dates::years_between;
use crate::money::Amount;
use chrono::NaiveDate;

/// Balance-weighted statistics of the pool at the cut-off.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolSummary {
    pub assets: usize,
    pub obligors: usize,
    pub ip_items: u32,
    /// yuan, exact.
    #[serde(with = "crate::money::fen")]
    pub balance: Decimal,
    #[serde(with = "crate::money::fen")]
    pub appraised_value: Decimal,
    /// Weighted average coupon (annual rate), weights = balance.
    pub wac: f64,
    /// Weighted average remaining term to maturity, months.
    pub wam_months: f64,
    /// Weighted average life of scheduled principal, years from the cut-off.
    pub wal_years: f64,
    /// Largest obligor's share of the balance.
    pub top1_share: f64,
    /// Five largest obligors' share of the balance.
    pub top5_share: f64,
    /// Balance-weighted loan-to-appraised-value.
    pub weighted_ltv: f64,
    /// Balance-weighted annual PD.
    pub weighted_pd: f64,
    /// Share of balance by sector.
    pub sector_mix: BTreeMap<String, f64>,
    /// Share of balance by IP kind.
    pub ip_kind_mix: BTreeMap<String, f64>,
}

impl PoolSummary {
    pub fn of(pool: &Pool, cutoff: NaiveDate) -> Self {
        let balance = pool.balance();
        let total = balance.to_f64().max(f64::MIN_POSITIVE);
        let mut wac = 0.0;
        let mut wam = 0.0;
        let mut wal_numerator = 0.0;
        let mut ltv = 0.0;
        let mut pd = 0.0;
        let mut by_obligor = vec![0.0; pool.obligors.len()];
        let mut sector_mix = BTreeMap::new();
        let mut ip_kind_mix = BTreeMap::new();
        for asset in &pool.assets {
            let b = asset.balance.to_f64();
            let w = b / total;
            wac += w * asset.rate.to_f64();
            wam += w * years_between(cutoff, asset.maturity) * 12.0;
            for pay in asset_payments(asset) {
                wal_numerator += pay.principal.to_f64() * years_between(cutoff, pay.date);
            }
            if asset.appraised_value.gt_zero() {
                ltv += w * b / asset.appraised_value.to_f64();
            }
            pd += w * asset.annual_pd;
            by_obligor[asset.obligor] += b;
            let sector = &pool.sectors[pool.obligors[asset.obligor].sector];
            *sector_mix.entry(sector.clone()).or_insert(0.0) += w;
            *ip_kind_mix
                .entry(asset.ip_kind.name().to_string())
                .or_insert(0.0) += w;
        }
        by_obligor.sort_by(|a, b| b.total_cmp(a));
        PoolSummary {
            assets: pool.assets.len(),
            obligors: pool.obligors.len(),
            ip_items: pool.assets.iter().map(|a| a.ip_items).sum(),
            balance,
            appraised_value: pool.assets.iter().map(|a| a.appraised_value).sum(),
            wac,
            wam_months: wam,
            wal_years: wal_numerator / total,
            top1_share: by_obligor.first().copied().unwrap_or(0.0) / total,
            top5_share: by_obligor.iter().take(5).sum::<f64>() / total,
            weighted_ltv: ltv,
            weighted_pd: pd,
            sector_mix,
            ip_kind_mix,
        }
    }
}
