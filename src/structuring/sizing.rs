//! Sizing: the largest total senior balance S (smallest subordination) at which a tranche
//! meets a target, holding everything else fixed. The senior classes are scaled pro rata to
//! their balances in the scenario (rounded down to the fen, the last senior taking the rest),
//! and the last tranche absorbs the difference so the tranches still add up to the same total.
//! S is found by bisection on whole fen between 1 % of the scenario's senior total and the
//! total less one fen for the absorber; Monte Carlo targets reuse the seed at every step
//! (common random numbers), so the search is on one fixed set of paths.

use rust_decimal::Decimal;
use std::path::Path;

use super::overrides::{KeyPath, Literal, apply};
use crate::deal::Deal;

/// Which balances move.
#[derive(Debug, Clone)]
pub struct Resizer {
    /// Indices of the senior classes and their scenario balances.
    pub seniors: Vec<(usize, Decimal)>,
    /// The last tranche: absorbs the difference.
    pub absorber: usize,
    /// Senior total + absorber balance in the scenario (what S and the absorber share).
    pub shared_total: Decimal,
    pub names: Vec<String>,
    /// Each tranche's target balances in the scenario (scaled with its balance).
    pub targets: Vec<Vec<Decimal>>,
}

impl Resizer {
    pub fn new(deal: &Deal) -> Result<Self, String> {
        let tr = &deal.structure.tranches;
        let absorber = tr.len() - 1;
        let seniors: Vec<(usize, Decimal)> = tr
            .iter()
            .enumerate()
            .filter(|(i, t)| t.senior && *i != absorber)
            .map(|(i, t)| (i, t.balance))
            .collect();
        if seniors.is_empty() {
            return Err(
                "sizing needs at least one senior tranche besides the last (subordinate) one"
                    .into(),
            );
        }
        let senior_total: Decimal = seniors.iter().map(|(_, b)| *b).sum();
        Ok(Resizer {
            shared_total: senior_total + tr[absorber].balance,
            seniors,
            absorber,
            names: tr.iter().map(|t| t.name.clone()).collect(),
            targets: tr.iter().map(|t| t.target_balances.clone()).collect(),
        })
    }

    pub fn senior_total(&self) -> Decimal {
        self.seniors.iter().map(|(_, b)| *b).sum()
    }

    /// Search range of S in fen.
    pub fn range_fen(&self) -> (i64, i64) {
        let total = fen(self.shared_total);
        let lo = (fen(self.senior_total()) / 100).max(self.seniors.len() as i64);
        (lo, total - 1)
    }

    /// Balances (tranche index, balance) for a total senior size of `s_fen` fen.
    pub fn balances(&self, s_fen: i64) -> Vec<(usize, Decimal)> {
        let s = Decimal::new(s_fen, 2);
        let base = self.senior_total();
        let mut out = Vec::new();
        let mut given = Decimal::ZERO;
        for (k, (i, b)) in self.seniors.iter().enumerate() {
            let v = if k + 1 == self.seniors.len() {
                s - given
            } else {
                (s * b / base).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero)
            };
            given += v;
            out.push((*i, v));
        }
        out.push((self.absorber, self.shared_total - s));
        out
    }

    /// The scenario text with the balances for `s_fen`.
    pub fn text(&self, src: &str, s_fen: i64) -> Result<String, String> {
        let mut edits: Vec<(KeyPath, Literal)> = Vec::new();
        for (i, b) in self.balances(s_fen) {
            edits.push((
                KeyPath::parse(&format!("tranches.{i}.balance"))?,
                Literal::Number(b),
            ));
            // A target schedule scales with the class: the same share of its balance after each
            // date, rounded down to the fen (so it still never increases nor exceeds it).
            let scenario_balance = self
                .seniors
                .iter()
                .find(|(k, _)| *k == i)
                .map_or(self.shared_total - self.senior_total(), |(_, s)| *s);
            if !self.targets[i].is_empty() && !scenario_balance.is_zero() {
                let scaled = self.targets[i]
                    .iter()
                    .map(|t| {
                        (t * b / scenario_balance)
                            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero)
                            .min(b)
                    })
                    .collect();
                edits.push((
                    KeyPath::parse(&format!("tranches.{i}.target_balances"))?,
                    Literal::Numbers(scaled),
                ));
            }
        }
        apply(src, &edits)
    }

    /// The deal for `s_fen`.
    pub fn deal(&self, path: &Path, src: &str, s_fen: i64) -> Result<Deal, String> {
        let text = self.text(src, s_fen)?;
        crate::scenario::load_text(path, &text).map_err(|e| e.to_string())
    }
}

fn fen(d: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    (d * Decimal::from(100))
        .round()
        .to_i64()
        .unwrap_or(i64::MAX)
}

/// How the search ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `s_fen` meets the target and one fen more does not.
    Found { s_fen: i64 },
    /// Even the largest senior size meets the target.
    AllMeet { s_fen: i64 },
    /// Even the smallest senior size fails: `s_fen` is that size.
    Infeasible { s_fen: i64 },
}

impl Outcome {
    /// The size found, in fen.
    pub fn s_fen(&self) -> i64 {
        match *self {
            Outcome::Found { s_fen }
            | Outcome::AllMeet { s_fen }
            | Outcome::Infeasible { s_fen } => s_fen,
        }
    }

    /// The same outcome with the size multiplied by `factor` (a search in whole units).
    pub fn scaled(self, factor: i64) -> Self {
        match self {
            Outcome::Found { s_fen } => Outcome::Found {
                s_fen: s_fen * factor,
            },
            Outcome::AllMeet { s_fen } => Outcome::AllMeet {
                s_fen: s_fen * factor,
            },
            Outcome::Infeasible { s_fen } => Outcome::Infeasible {
                s_fen: s_fen * factor,
            },
        }
    }
}

/// Bisection on whole fen: `meets(lo)` and not `meets(hi)` kept as the invariant; at most 64
/// halvings plus the two end checks.
pub fn bisect_fen(
    lo: i64,
    hi: i64,
    mut meets: impl FnMut(i64) -> Result<bool, String>,
) -> Result<Outcome, String> {
    if !meets(lo)? {
        return Ok(Outcome::Infeasible { s_fen: lo });
    }
    if meets(hi)? {
        return Ok(Outcome::AllMeet { s_fen: hi });
    }
    let (mut lo, mut hi) = (lo, hi);
    // The bracket halves each time: 64 halvings cover any i64 range.
    for _ in 0..64 {
        if hi.saturating_sub(lo) <= 1 {
            break;
        }
        let mid = lo + (hi - lo) / 2;
        if meets(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(Outcome::Found { s_fen: lo })
}

/// Replaces `pool.loan_tape` / `pool.schedules` with absolute paths, so a copy of the scenario
/// loads from any folder.
pub fn absolute_attachments(src: &str, scenario: &Path) -> Result<String, String> {
    let dir = scenario
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let doc: toml::Table = src.parse().map_err(|e| format!("{e}"))?;
    let mut edits = Vec::new();
    for key in ["loan_tape", "schedules"] {
        if let Some(name) = doc
            .get("pool")
            .and_then(|p| p.get(key))
            .and_then(|v| v.as_str())
        {
            let full = dir.join(name);
            let full = full.canonicalize().unwrap_or(full);
            edits.push((
                KeyPath::parse(&format!("pool.{key}"))?,
                Literal::Text(full.display().to_string()),
            ));
        }
    }
    apply(src, &edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisection_keeps_its_invariant() {
        let r = bisect_fen(0, 1000, |s| Ok(s <= 437)).unwrap();
        assert_eq!(r, Outcome::Found { s_fen: 437 });
        assert_eq!(
            bisect_fen(5, 10, |_| Ok(false)).unwrap(),
            Outcome::Infeasible { s_fen: 5 }
        );
        assert_eq!(
            bisect_fen(5, 10, |_| Ok(true)).unwrap(),
            Outcome::AllMeet { s_fen: 10 }
        );
    }

    #[test]
    fn bisection_is_bounded() {
        let mut calls = 0;
        let r = bisect_fen(0, i64::MAX, |s| {
            calls += 1;
            Ok(s <= 1 << 40)
        })
        .unwrap();
        assert_eq!(r, Outcome::Found { s_fen: 1 << 40 });
        assert!(calls <= 66, "{calls} evaluations");
    }
}
