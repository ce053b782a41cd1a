//! What happens to the loans, as the engine asks for it. The model side (a deterministic
//! assumption set, or one Monte Carlo path's draws) answers; the engine decides who gets paid.

/// Credit events of one path. Implementations must be cheap: they are called per asset per
/// period inside the path loop.
pub trait CreditEvents {
    /// Share of the asset's performing balance that defaults at the start of `period` (0..=1).
    fn default_fraction(&self, asset: usize, period: usize) -> f64;
    /// Share of the performing balance prepaid at the end of `period` (single-period rate).
    fn prepayment_rate(&self, period: usize) -> f64;
    /// Share of a defaulted exposure (yuan, as `f64`) that will be recovered (0..=1).
    fn recovery_fraction(&self, asset: usize, period: usize, exposure: f64) -> f64;
    /// Periods between a default at `period` and its recovery cash.
    fn recovery_lag(&self, asset: usize, period: usize) -> usize;
    /// Whether the shortfall promisor has defaulted by `period` (its support stops).
    fn support_defaulted(&self, support: usize, period: usize) -> bool;
    /// Whether the support is part of this run at all: a standalone run (support switched off,
    /// as agencies rate without it) has no promisor, so no promisor can fail.
    fn support_exists(&self, _support: usize) -> bool {
        true
    }
    /// When every default is of a whole asset: the (period, asset) pairs, sorted, and the
    /// engine may apply them to the pool's default-free trajectory instead of asking
    /// [`default_fraction`] of every asset on every date.
    ///
    /// [`default_fraction`]: CreditEvents::default_fraction
    fn whole_defaults(&self) -> Option<&[(u32, u32)]> {
        None
    }
}
