//! Implied ratings by the TDR/BDR method: target default rates per grade from the Monte Carlo
//! pool cumulative default rate (CDR) distribution, against each tranche's lowest break-even
//! default rate; an expected-loss grade from an idealized loss table; a large-obligor check.

use crate::scenario::tape::shown;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::metrics::stats::percentile_sorted;

/// The shipped grade table (`data/rating-grades.csv`).
pub const DEFAULT_GRADES: &str = include_str!("../../data/rating-grades.csv");
/// The shipped idealized loss table (`data/idealized-loss-table.csv`).
pub const DEFAULT_LOSS_TABLE: &str = include_str!("../../data/idealized-loss-table.csv");

/// One rating grade, highest first in a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grade {
    pub grade: String,
    /// Target default probability p_g (None: judged by the multiplier method only).
    pub default_probability: Option<f64>,
    pub multiplier: Option<f64>,
    /// Largest obligors whose default (zero recovery) the tranche must survive.
    pub large_obligors: usize,
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
}

/// Parses a grade table CSV (`grade,default_probability,multiplier,large_obligors`).
pub fn parse_grades(text: &str, origin: &str) -> Result<Vec<Grade>, String> {
    let mut rdr = csv_reader(text);
    let headers = rdr.headers().map_err(|e| format!("{origin}: {e}"))?.clone();
    let expected = [
        "grade",
        "default_probability",
        "multiplier",
        "large_obligors",
    ];
    if headers.iter().collect::<Vec<_>>() != expected {
        return Err(format!(
            "{origin}: expected the header {}, found {}",
            expected.join(","),
            shown(&headers.iter().collect::<Vec<_>>().join(","))
        ));
    }
    let mut out = Vec::new();
    for (row, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("{origin}: {e}"))?;
        let at = |c: usize| rec.get(c).unwrap_or("");
        let opt = |c: usize, lo: f64, hi: f64| -> Result<Option<f64>, String> {
            let s = at(c);
            if s.is_empty() {
                return Ok(None);
            }
            match s.parse::<f64>() {
                Ok(v) if v >= lo && v <= hi => Ok(Some(v)),
                _ => Err(format!(
                    "{origin}: row {} column `{}`: expected a number in [{lo}, {hi}], found `{}`",
                    row + 1,
                    expected[c],
                    shown(s)
                )),
            }
        };
        let grade = at(0).to_string();
        if grade.is_empty() {
            return Err(format!("{origin}: row {}: empty grade", row + 1));
        }
        let k = at(3);
        out.push(Grade {
            grade,
            default_probability: opt(1, 0.0, 1.0)?.filter(|p| *p > 0.0),
            multiplier: opt(2, 0.0, 1e6)?,
            large_obligors: if k.is_empty() {
                0
            } else {
                k.parse().map_err(|_| {
                    format!(
                        "{origin}: row {} column `large_obligors`: expected a whole number, found `{}`",
                        row + 1,
                        shown(k)
                    )
                })?
            },
        });
    }
    if out.is_empty() {
        return Err(format!("{origin}: no grades"));
    }
    Ok(out)
}

/// Idealized cumulative expected loss by rating and horizon (fractions, highest rating first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LossTable {
    pub ratings: Vec<String>,
    pub years: Vec<f64>,
    /// `loss[rating][year]`, as a fraction of the original balance.
    pub loss: Vec<Vec<f64>>,
}

impl LossTable {
    /// Parses `rating,1,2,...` with values in percent.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let mut rdr = csv_reader(text);
        let headers = rdr.headers().map_err(|e| format!("{origin}: {e}"))?.clone();
        let years: Vec<f64> = headers
            .iter()
            .skip(1)
            .map(|h| {
                h.parse::<f64>().ok().filter(|y| *y > 0.0).ok_or_else(|| {
                    format!("{origin}: header `{}` is not a number of years", shown(h))
                })
            })
            .collect::<Result<_, _>>()?;
        if years.is_empty() || years.windows(2).any(|w| w[1] <= w[0]) {
            return Err(format!(
                "{origin}: expected the header rating,1,2,... with increasing years"
            ));
        }
        let mut ratings = Vec::new();
        let mut loss = Vec::new();
        for (row, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| format!("{origin}: {e}"))?;
            ratings.push(rec.get(0).unwrap_or("").to_string());
            let values: Vec<f64> = rec
                .iter()
                .skip(1)
                .map(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| (0.0..=100.0).contains(x))
                        .map(|x| x / 100.0)
                        .ok_or_else(|| {
                            format!(
                                "{origin}: row {}: `{}` is not a percentage in [0, 100]",
                                row + 1,
                                shown(v)
                            )
                        })
                })
                .collect::<Result<_, _>>()?;
            if values.len() != years.len() {
                return Err(format!(
                    "{origin}: row {}: expected {} values",
                    row + 1,
                    years.len()
                ));
            }
            loss.push(values);
        }
        if ratings.is_empty() {
            return Err(format!("{origin}: no ratings"));
        }
        Ok(LossTable {
            ratings,
            years,
            loss,
        })
    }

    /// Idealized loss of rating `r` at `wal` years (linear between years, flat outside).
    pub fn at(&self, r: usize, wal: f64) -> f64 {
        let ys = &self.years;
        let row = &self.loss[r];
        if wal <= ys[0] {
            return row[0];
        }
        for k in 1..ys.len() {
            if wal <= ys[k] {
                let w = (wal - ys[k - 1]) / (ys[k] - ys[k - 1]);
                return row[k - 1] + w * (row[k] - row[k - 1]);
            }
        }
        row[row.len() - 1]
    }

    /// The highest rating whose idealized loss at `wal` is at least `el`.
    pub fn grade(&self, el: f64, wal: f64) -> Option<&str> {
        (0..self.ratings.len())
            .find(|&r| el <= self.at(r, wal))
            .map(|r| self.ratings[r].as_str())
    }
}

/// How a grade's target default rate is derived from the pool CDR distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The (1 − p_g) quantile of the simulated pool CDR.
    Empirical,
    /// exp(μ + σ·Φ⁻¹(1 − p_g)) for a lognormal with the simulated mean and variance.
    Lognormal,
    /// multiplier_g × the expected pool CDR.
    Multiplier,
}

pub const METHODS: [Method; 3] = [Method::Empirical, Method::Lognormal, Method::Multiplier];

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Empirical => "empirical",
            Method::Lognormal => "lognormal",
            Method::Multiplier => "multiplier",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        METHODS.into_iter().find(|m| m.name() == s)
    }
}

/// The simulated pool cumulative default rates, summarised for the TDR methods.
#[derive(Debug, Clone)]
pub struct CdrDistribution {
    sorted: Vec<f64>,
    pub mean: f64,
    pub variance: f64,
}

impl CdrDistribution {
    pub fn new(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        CdrDistribution {
            sorted: values,
            mean,
            variance,
        }
    }

    /// The `q` quantile (0..1) of the simulated CDR.
    pub fn quantile(&self, q: f64) -> f64 {
        percentile_sorted(&self.sorted, q * 100.0)
    }

    /// Lognormal fitted by moments (μ, σ): the simulated CDR has mass at zero, where a fit of
    /// the logs is undefined, so the lognormal with the same mean and variance is used.
    pub fn lognormal(&self) -> Option<(f64, f64)> {
        if self.mean <= 0.0 {
            return None;
        }
        let s2 = (1.0 + self.variance / (self.mean * self.mean)).ln();
        Some((self.mean.ln() - 0.5 * s2, s2.sqrt()))
    }

    /// TDR of `grade` by `method`; None when the grade lacks the method's parameter.
    pub fn tdr(&self, grade: &Grade, method: Method) -> Option<f64> {
        match method {
            Method::Empirical => grade.default_probability.map(|p| self.quantile(1.0 - p)),
            Method::Lognormal => {
                let p = grade.default_probability?;
                Some(match self.lognormal() {
                    Some((mu, sigma)) => (mu + sigma * inverse_normal(1.0 - p)).exp(),
                    None => 0.0,
                })
            }
            Method::Multiplier => grade.multiplier.map(|k| k * self.mean),
        }
    }
}

/// Φ⁻¹(q).
pub fn inverse_normal(q: f64) -> f64 {
    Normal::standard().inverse_cdf(q)
}

/// Vasicek large-pool quantile of the default rate: Φ((Φ⁻¹(p) + √ρ·Φ⁻¹(q)) / √(1 − ρ)).
pub fn vasicek_quantile(pd: f64, rho: f64, q: f64) -> f64 {
    let n = Normal::standard();
    n.cdf((n.inverse_cdf(pd) + rho.sqrt() * n.inverse_cdf(q)) / (1.0 - rho).sqrt())
}

/// TDRs of one grade by every method.
#[derive(Debug, Clone, Serialize)]
pub struct TdrRow {
    pub grade: String,
    pub default_probability: Option<f64>,
    pub multiplier: Option<f64>,
    pub large_obligors: usize,
    pub empirical: Option<f64>,
    pub lognormal: Option<f64>,
    pub multiplier_tdr: Option<f64>,
}

impl TdrRow {
    pub fn get(&self, method: Method) -> Option<f64> {
        match method {
            Method::Empirical => self.empirical,
            Method::Lognormal => self.lognormal,
            Method::Multiplier => self.multiplier_tdr,
        }
    }
}

/// TDRs of every grade.
pub fn tdr_table(dist: &CdrDistribution, grades: &[Grade]) -> Vec<TdrRow> {
    grades
        .iter()
        .map(|g| TdrRow {
            grade: g.grade.clone(),
            default_probability: g.default_probability,
            multiplier: g.multiplier,
            large_obligors: g.large_obligors,
            empirical: dist.tdr(g, Method::Empirical),
            lognormal: dist.tdr(g, Method::Lognormal),
            multiplier_tdr: dist.tdr(g, Method::Multiplier),
        })
        .collect()
}

/// A grade awarded by one method: the highest grade with TDR ≤ BDR (and the large-obligor
/// check passed), with the margin BDR − TDR.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Awarded {
    pub method: Method,
    pub grade: Option<String>,
    pub tdr: Option<f64>,
    pub margin: Option<f64>,
}

/// The highest grade of `tdrs` (highest first) met by `bdr` under `method`; `survives(k)`
/// says whether the tranche survives the default of the k largest obligors.
pub fn implied_grade(
    tdrs: &[TdrRow],
    method: Method,
    bdr: f64,
    survives: impl Fn(usize) -> bool,
) -> Awarded {
    for row in tdrs {
        let Some(tdr) = row.get(method) else {
            continue;
        };
        if tdr <= bdr && survives(row.large_obligors) {
            return Awarded {
                method,
                grade: Some(row.grade.clone()),
                tdr: Some(tdr),
                margin: Some(bdr - tdr),
            };
        }
    }
    Awarded {
        method,
        grade: None,
        tdr: None,
        margin: None,
    }
}

/// Everything `ipabs rate` reports for one tranche.
#[derive(Debug, Clone, Serialize)]
pub struct TrancheRating {
    pub tranche: String,
    pub min_bdr: f64,
    pub min_bdr_without_support: f64,
    /// With the shortfall support, one per method.
    pub implied: Vec<Awarded>,
    /// Without the support (standalone), one per method.
    pub standalone: Vec<Awarded>,
    pub expected_loss: f64,
    pub wal_years: Option<f64>,
    pub expected_loss_grade: Option<String>,
    /// (k, survives the default of the k largest obligors with zero recovery).
    pub large_obligor_check: Vec<(usize, bool)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_tables_parse() {
        let g = parse_grades(DEFAULT_GRADES, "grades").unwrap();
        assert_eq!(g[0].grade, "AAA");
        assert_eq!(g[0].default_probability, Some(0.0002));
        assert_eq!(g[4].default_probability, None);
        assert_eq!(g[0].large_obligors, 3);
        let t = LossTable::parse(DEFAULT_LOSS_TABLE, "loss").unwrap();
        assert_eq!(t.years.len(), 10);
        assert!((t.at(0, 1.0) - 0.00000028).abs() < 1e-15);
        assert_eq!(t.grade(0.0, 3.0), Some("Aaa"));
        assert_eq!(t.grade(0.001, 2.0), Some("Baa1"));
        assert_eq!(t.grade(0.5, 2.0), None);
    }

    #[test]
    fn tdr_methods() {
        let d = CdrDistribution::new((0..10_000).map(|i| i as f64 / 10_000.0).collect());
        let g = Grade {
            grade: "X".into(),
            default_probability: Some(0.01),
            multiplier: Some(2.0),
            large_obligors: 0,
        };
        assert!((d.tdr(&g, Method::Empirical).unwrap() - 0.99).abs() < 1e-3);
        assert!((d.tdr(&g, Method::Multiplier).unwrap() - 2.0 * d.mean).abs() < 1e-12);
        let tdrs = tdr_table(&d, &[g]);
        let a = implied_grade(&tdrs, Method::Multiplier, 1.5, |_| true);
        assert_eq!(a.grade.as_deref(), Some("X"));
        assert!(
            implied_grade(&tdrs, Method::Multiplier, 0.5, |_| true)
                .grade
                .is_none()
        );
        assert!(
            implied_grade(&tdrs, Method::Multiplier, 1.5, |_| false)
                .grade
                .is_none()
        );
    }
}

/// Everything `ipabs rate` reports.
#[derive(Debug, Clone, Serialize)]
pub struct RatingResult {
    pub paths: u64,
    pub seed: u64,
    pub pool_cdr_mean: f64,
    pub pool_cdr_std: f64,
    /// (μ, σ) of the moment-fitted lognormal.
    pub lognormal_fit: Option<(f64, f64)>,
    pub tdr: Vec<TdrRow>,
    pub tranches: Vec<TrancheRating>,
    pub grades: Vec<Grade>,
    pub loss_table: LossTable,
}

/// Simulates the pool CDR distribution (column `pool_cdr`) and the tranche statistics.
pub fn simulate_cdr(
    deal: &crate::deal::Deal,
    options: crate::montecarlo::McOptions,
    progress: impl FnMut(u64),
) -> Result<(CdrDistribution, crate::montecarlo::McResults), crate::montecarlo::McError> {
    let mut cdr = Vec::with_capacity(options.paths as usize);
    let mut width = 0;
    let results = crate::montecarlo::simulate(
        deal,
        options,
        |_, rows| {
            if width == 0 {
                width = crate::montecarlo::path::column_names(&[]).len()
                    + crate::montecarlo::path::TRANCHE_COLUMNS.len()
                        * deal.structure.tranches.len();
            }
            cdr.extend(rows.chunks_exact(width).map(|r| r[0]));
        },
        progress,
    )?;
    Ok((CdrDistribution::new(cdr), results))
}

/// Large-obligor survival per tranche for every k in the grade table: `[k] -> per tranche`.
pub fn large_obligor_checks(
    deal: &crate::deal::Deal,
    grades: &[Grade],
) -> std::collections::BTreeMap<usize, Vec<bool>> {
    let order = super::breakeven::largest_obligors(deal);
    let mut out = std::collections::BTreeMap::new();
    for g in grades {
        let k = g.large_obligors.min(order.len());
        out.entry(g.large_obligors).or_insert_with(|| {
            if k == 0 {
                vec![true; deal.structure.tranches.len()]
            } else {
                super::breakeven::survives_obligor_defaults(deal, &order[..k])
            }
        });
    }
    out
}

/// Rates every tranche: TDRs from the simulated CDR against the BDRs `be` of the stress set
/// (from [`super::breakeven::breakeven`] over all tranches).
pub fn rate(
    deal: &crate::deal::Deal,
    be: &super::breakeven::BreakevenResult,
    grades: Vec<Grade>,
    loss_table: LossTable,
    dist: &CdrDistribution,
    mc: &crate::montecarlo::McResults,
) -> RatingResult {
    let tdr = tdr_table(dist, &grades);
    let checks = large_obligor_checks(deal, &grades);
    let tranches = be
        .minimum
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let survives = |k: usize| checks.get(&k).is_none_or(|v| v[i]);
            let stats = &mc.tranches[i];
            let wal = stats.wal_years.as_ref().map(|d| d.mean);
            TrancheRating {
                tranche: m.tranche.clone(),
                min_bdr: m.min_with_support,
                min_bdr_without_support: m.min_without_support,
                implied: METHODS
                    .iter()
                    .map(|&me| implied_grade(&tdr, me, m.min_with_support, survives))
                    .collect(),
                standalone: METHODS
                    .iter()
                    .map(|&me| implied_grade(&tdr, me, m.min_without_support, survives))
                    .collect(),
                expected_loss: stats.expected_loss,
                wal_years: wal,
                expected_loss_grade: loss_table
                    .grade(stats.expected_loss, wal.unwrap_or(0.0))
                    .map(str::to_string),
                large_obligor_check: checks.iter().map(|(k, v)| (*k, v[i])).collect(),
            }
        })
        .collect();
    RatingResult {
        paths: mc.paths,
        seed: mc.seed,
        pool_cdr_mean: dist.mean,
        pool_cdr_std: dist.variance.sqrt(),
        lognormal_fit: dist.lognormal(),
        tdr,
        tranches,
        grades,
        loss_table,
    }
}
