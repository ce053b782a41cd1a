//! Credit events from a deterministic assumption set.

use super::events::CreditEvents;
use crate::deal::{Deal, at_period, months_to_periods, period_rate};

/// Periodic default, prepayment and recovery rates from [`crate::deal::Assumptions`].
#[derive(Debug, Clone)]
pub struct AssumptionEvents {
    /// Periodic default rate of the performing balance, per period.
    period_default_rate: Vec<f64>,
    period_prepayment_rate: Vec<f64>,
    recovery_rate: Vec<f64>,
    /// Asset-specific recovery rates from the loan tape override the assumption.
    asset_recovery_rate: Vec<Option<f64>>,
    /// Asset-specific recovery lag (periods) from the loan tape, overriding `period_lag`.
    asset_lag: Vec<Option<usize>>,
    /// Recovery lag in periods by period of default.
    period_lag: Vec<usize>,
    /// Period at which each asset's obligor defaults outright, if ever.
    asset_default_period: Vec<Option<usize>>,
    support_default_period: Vec<Option<usize>>,
    support_removed: bool,
}

impl AssumptionEvents {
    pub fn new(deal: &Deal) -> Self {
        let a = &deal.assumptions;
        let months = deal.frequency.months();
        let periods = deal.period_ends.len();
        let mut obligor_default = vec![None; deal.pool.obligors.len()];
        for d in &a.obligor_defaults {
            obligor_default[d.obligor] = Some(d.period);
        }
        AssumptionEvents {
            period_default_rate: (0..periods)
                .map(|t| period_rate(at_period(&a.cdr, t), months))
                .collect(),
            period_prepayment_rate: (0..periods)
                .map(|t| period_rate(at_period(&a.cpr, t), months))
                .collect(),
            recovery_rate: (0..periods)
                .map(|t| at_period(&a.recovery_rate, t))
                .collect(),
            asset_recovery_rate: deal.pool.assets.iter().map(|x| x.recovery_rate).collect(),
            asset_lag: deal
                .pool
                .assets
                .iter()
                .map(|x| x.recovery_lag_months.map(|m| months_to_periods(m, months)))
                .collect(),
            period_lag: (0..periods)
                .map(|t| {
                    let k = t.min(a.recovery_lag_months.len().saturating_sub(1));
                    months_to_periods(a.recovery_lag_months.get(k).copied().unwrap_or(0), months)
                })
                .collect(),
            asset_default_period: deal
                .pool
                .assets
                .iter()
                .map(|x| obligor_default[x.obligor])
                .collect(),
            support_default_period: a.support_default_period.clone(),
            support_removed: false,
        }
    }

    /// Longest recovery lag in periods (sizes the engine's pending-recovery buffer).
    pub fn max_lag(&self) -> usize {
        let assets = self.asset_lag.iter().flatten().copied().max().unwrap_or(0);
        assets.max(self.period_lag.iter().copied().max().unwrap_or(0))
    }

    /// Replaces the CDR path, for break-even searches (annual CDR per period).
    pub fn with_period_default_rates(mut self, rates: Vec<f64>) -> Self {
        self.period_default_rate = rates;
        self
    }

    /// [`AssumptionEvents::with_period_default_rates`] in place (a search re-runs one stress at
    /// many default paths without copying the per-asset tables each time).
    pub fn set_period_default_rates(&mut self, rates: Vec<f64>) {
        self.period_default_rate = rates;
    }

    /// The same events for a pool whose asset `k` behaves as asset `assets[k]` of this one
    /// (its recovery rate, recovery lag and default date): for a pool of representative
    /// assets standing for classes of identical ones.
    pub fn for_assets(&self, assets: &[usize]) -> Self {
        AssumptionEvents {
            asset_recovery_rate: assets
                .iter()
                .map(|&a| self.asset_recovery_rate[a])
                .collect(),
            asset_lag: assets.iter().map(|&a| self.asset_lag[a]).collect(),
            asset_default_period: assets
                .iter()
                .map(|&a| self.asset_default_period[a])
                .collect(),
            ..self.clone()
        }
    }

    /// Scales recoveries, for stress sets.
    pub fn scale_recovery(mut self, factor: f64) -> Self {
        self.recovery_rate
            .iter_mut()
            .for_each(|r| *r = (*r * factor).clamp(0.0, 1.0));
        self.asset_recovery_rate
            .iter_mut()
            .flatten()
            .for_each(|r| *r = (*r * factor).clamp(0.0, 1.0));
        self
    }

    /// Scales prepayments, for stress sets.
    pub fn scale_prepayment(mut self, factor: f64) -> Self {
        self.period_prepayment_rate
            .iter_mut()
            .for_each(|r| *r = (*r * factor).clamp(0.0, 1.0));
        self
    }

    /// Turns off all shortfall support: no promisor pays, and none can trigger a supporter
    /// failure (the deal is run as if it had no support).
    pub fn without_support(mut self) -> Self {
        self.support_default_period
            .iter_mut()
            .for_each(|p| *p = Some(0));
        self.support_removed = true;
        self
    }
}

impl CreditEvents for AssumptionEvents {
    fn default_fraction(&self, asset: usize, period: usize) -> f64 {
        if self.asset_default_period[asset] == Some(period) {
            return 1.0;
        }
        self.period_default_rate.get(period).copied().unwrap_or(0.0)
    }
    fn prepayment_rate(&self, period: usize) -> f64 {
        self.period_prepayment_rate
            .get(period)
            .copied()
            .unwrap_or(0.0)
    }
    fn recovery_fraction(&self, asset: usize, period: usize, _exposure: f64) -> f64 {
        self.asset_recovery_rate[asset].unwrap_or_else(|| at_period(&self.recovery_rate, period))
    }
    fn recovery_lag(&self, asset: usize, period: usize) -> usize {
        self.asset_lag[asset].unwrap_or_else(|| self.period_lag.get(period).copied().unwrap_or(0))
    }
    fn support_exists(&self, _support: usize) -> bool {
        !self.support_removed
    }
    fn support_defaulted(&self, support: usize, period: usize) -> bool {
        self.support_default_period
            .get(support)
            .copied()
            .flatten()
            .is_some_and(|p| period >= p)
    }
}
