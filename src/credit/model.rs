//! Validated parameters of the credit model (`[model]` in the scenario file).

use serde::Serialize;

/// Dependence between obligors' latent variables.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Copula {
    Gaussian,
    /// Student-t with `df` degrees of freedom: the same correlations, heavier joint tails.
    StudentT {
        df: f64,
    },
}

/// Factor loadings of one sector: X = a·Z_global + b·Z_sector + sqrt(1 − a² − b²)·ε.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SectorLoading {
    pub global: f64,
    pub sector: f64,
}

impl SectorLoading {
    /// Loadings that give correlation `intra` inside a sector and `inter` across sectors.
    pub fn from_correlations(intra: f64, inter: f64) -> Self {
        SectorLoading {
            global: inter.sqrt(),
            sector: (intra - inter).max(0.0).sqrt(),
        }
    }

    pub fn idiosyncratic(&self) -> f64 {
        (1.0 - self.global * self.global - self.sector * self.sector)
            .max(0.0)
            .sqrt()
    }
}

/// Cumulative default probability by time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PdCurve {
    /// Constant hazard from each obligor's annual PD: P(τ ≤ t) = 1 − (1 − PD)^t.
    ConstantHazard,
    /// Cumulative PD at the end of years 1, 2, ... (same for every obligor; scaled by its annual
    /// PD relative to the pool's weighted PD); linear in hazard between knots, flat after.
    /// `pd_multiplier` multiplies the resulting cumulative curve (capped at 1).
    TermStructure { cumulative: Vec<f64> },
}

/// Where the Monte Carlo takes each asset's recovery rate and lag from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoverySource {
    /// `[model.recovery]` for every asset; the loan tape's `recovery_rate` and
    /// `recovery_lag_months` apply to the deterministic run only.
    #[default]
    Model,
    /// The loan tape's `recovery_rate` / `recovery_lag_months` where an asset has them,
    /// `[model.recovery]` for the rest.
    Tape,
}

/// How much of a defaulted exposure comes back, and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RecoveryModel {
    /// A fixed share of the exposure.
    Rate { rate: f64 },
    /// Appraised value × lognormal value shock × (1 − haircut) − disposal cost, capped at the
    /// exposure. The shock has median 1 and log-volatility `volatility`; `systematic_correlation`
    /// ties its log to the global factor (positive: collateral is worth less when defaults
    /// cluster).
    Collateral {
        volatility: f64,
        systematic_correlation: f64,
        haircut: f64,
        disposal_cost: f64,
    },
}

impl RecoveryModel {
    /// Whether a default's recovery needs a random draw (a collateral value shock).
    pub fn is_stochastic(&self) -> bool {
        matches!(self, RecoveryModel::Collateral { volatility, .. } if *volatility > 0.0)
    }
}

/// The whole credit model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditModel {
    pub copula: Copula,
    /// Loadings per sector, indexed like `Pool::sectors`.
    pub sector_loadings: Vec<SectorLoading>,
    pub pd_curve: PdCurve,
    /// Multiplies every obligor's PD (a stress knob for sweeps): the annual PD under a constant
    /// hazard, the cumulative PD curve under a term structure (see `sampler::cumulative_pd`).
    pub pd_multiplier: f64,
    pub recovery: RecoveryModel,
    pub recovery_lag_months: u32,
    /// Whether the loan tape's recovery columns override `recovery` and `recovery_lag_months`.
    pub recovery_source: RecoverySource,
    /// Annual prepayment rate on every path.
    pub cpr: f64,
    /// Global-factor loading of each support promisor.
    pub support_loadings: Vec<f64>,
}
