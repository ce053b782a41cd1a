//! The default model for Monte Carlo: a factor copula over obligors, default times from PD
//! curves, and recoveries from IP collateral.

pub mod importance;
pub mod model;
pub mod sampler;

pub use importance::FactorShift;
pub use model::{Copula, CreditModel, PdCurve, RecoveryModel, RecoverySource, SectorLoading};
pub use sampler::{CreditSampler, NO_DEFAULT, PathDraws, PathEvents};
