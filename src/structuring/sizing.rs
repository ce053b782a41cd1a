//! Sizing: the largest total senior balance S (smallest subordination) at which a tranche
//! meets a target, holding everything else fixed. The senior classes are scaled pro rata to
//! their balances in the scenario (rounded down to the fen, the last senior taking the rest),
//! and the last tranche absorbs the difference so the tranches still add up to the same total.
//! S is found by bisection on whole fen between 1 % of the scenario's senior total and the
//! total less one fen for the absorber; Monte Carlo targets reuse the seed at every step
//! (common random numbers), so the search is on one fixed set of paths.

use rust_decimal::Decimal;
use std::path::Path;
use toml_edit::{DocumentMut, Item, TableLike};

use super::error::StructuringError;
use super::overrides::{KeyPath, Literal, load_with};
use crate::deal::Deal;
use crate::scenario::{Attachments, Document};

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
    pub fn new(deal: &Deal) -> Result<Self, StructuringError> {
        let tr = &deal.structure.tranches;
        let absorber = tr.len() - 1;
        let seniors: Vec<(usize, Decimal)> = tr
            .iter()
            .enumerate()
            .filter(|(i, t)| t.senior && *i != absorber)
            .map(|(i, t)| (i, t.balance))
            .collect();
        if seniors.is_empty() {
            return Err(StructuringError::NoSenior);
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

    /// Each resized tranche (index), its balance for `s_fen`, and its target schedule scaled
    /// with it (empty when it has none).
    fn resized(&self, s_fen: i64) -> Vec<(usize, Decimal, Vec<Decimal>)> {
        self.balances(s_fen)
            .into_iter()
            .map(|(i, b)| {
                // A target schedule scales with the class: the same share of its balance after
                // each date, rounded down to the fen (so it still never increases nor exceeds
                // it).
                let scenario_balance = self
                    .seniors
                    .iter()
                    .find(|(k, _)| *k == i)
                    .map_or(self.shared_total - self.senior_total(), |(_, s)| *s);
                let scaled = if scenario_balance.is_zero() {
                    Vec::new()
                } else {
                    self.targets[i]
                        .iter()
                        .map(|t| {
                            (t * b / scenario_balance)
                                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero)
                                .min(b)
                        })
                        .collect()
                };
                (i, b, scaled)
            })
            .collect()
    }

    /// The scenario edits for `s_fen`: balances, and the target schedules scaled with them.
    pub fn edits(&self, s_fen: i64) -> Vec<(KeyPath, Literal)> {
        let mut edits = Vec::new();
        for (i, balance, targets) in self.resized(s_fen) {
            edits.push((
                KeyPath::tranche_field(i, "balance"),
                Literal::Number(balance),
            ));
            if !targets.is_empty() {
                edits.push((
                    KeyPath::tranche_field(i, "target_balances"),
                    Literal::Numbers(targets),
                ));
            }
        }
        edits
    }

    /// The deal for `s_fen`: the document's tree with the balances set, validated as any
    /// scenario (the attachments read once, with the document).
    pub fn deal(
        &self,
        doc: &Document<'_>,
        attachments: &Attachments,
        s_fen: i64,
    ) -> Result<Deal, StructuringError> {
        load_with(doc, attachments, &self.edits(s_fen))?.map_err(|error| {
            StructuringError::Invalid {
                with: format!("a senior size of {}", Decimal::new(s_fen, 2)),
                error,
            }
        })
    }

    /// The sized copy of the scenario: the user's file (`src`, read from `scenario`) with only
    /// the balances and target schedules for `s_fen` changed, comments and layout kept, and the
    /// loan tape and schedules named by absolute paths so it loads from any folder.
    pub fn sized_text(
        &self,
        src: &str,
        scenario: &Path,
        s_fen: i64,
    ) -> Result<String, StructuringError> {
        let mut doc: DocumentMut =
            src.parse()
                .map_err(|e: toml_edit::TomlError| StructuringError::Document {
                    what: "the tranches".into(),
                    reason: e.to_string(),
                })?;
        for (i, balance, targets) in self.resized(s_fen) {
            let tranche = tranche_mut(&mut doc, i).ok_or_else(|| StructuringError::Document {
                what: format!("tranches[{i}]"),
                reason: "no such tranche table".into(),
            })?;
            set_value(tranche, "balance", &Literal::Number(balance).to_toml())?;
            if !targets.is_empty() {
                set_value(
                    tranche,
                    "target_balances",
                    &Literal::Numbers(targets).to_toml(),
                )?;
            }
        }
        absolute_attachments(&mut doc, scenario)?;
        Ok(doc.to_string())
    }
}

/// The table of the tranche at index `i`, in `[[tranches]]` or an inline array.
fn tranche_mut(doc: &mut DocumentMut, i: usize) -> Option<&mut dyn TableLike> {
    match doc.get_mut("tranches")? {
        Item::ArrayOfTables(tables) => Some(tables.get_mut(i)? as &mut dyn TableLike),
        Item::Value(toml_edit::Value::Array(items)) => match items.get_mut(i)? {
            toml_edit::Value::InlineTable(t) => Some(t as &mut dyn TableLike),
            _ => None,
        },
        _ => None,
    }
}

/// Sets an existing `key` of `table` to the TOML `literal`, keeping the comments and layout
/// around the old value (and around each item of a list of the same length).
fn set_value(table: &mut dyn TableLike, key: &str, literal: &str) -> Result<(), StructuringError> {
    let what = || key.to_string();
    let old = table
        .get_mut(key)
        .and_then(Item::as_value_mut)
        .ok_or_else(|| StructuringError::Document {
            what: what(),
            reason: "no such value".into(),
        })?;
    let new: toml_edit::Value =
        literal
            .parse()
            .map_err(|e: toml_edit::TomlError| StructuringError::Document {
                what: what(),
                reason: e.to_string(),
            })?;
    replace_keeping_decor(old, new);
    Ok(())
}

fn replace_keeping_decor(old: &mut toml_edit::Value, new: toml_edit::Value) {
    match (old, new) {
        (toml_edit::Value::Array(items), toml_edit::Value::Array(new_items))
            if items.len() == new_items.len() =>
        {
            for (item, new_item) in items.iter_mut().zip(new_items) {
                replace_keeping_decor(item, new_item);
            }
        }
        (old, mut new) => {
            *new.decor_mut() = old.decor().clone();
            *old = new;
        }
    }
}

/// Names `pool.loan_tape` / `pool.schedules` by absolute paths, so a copy of the scenario loads
/// from any folder.
fn absolute_attachments(doc: &mut DocumentMut, scenario: &Path) -> Result<(), StructuringError> {
    let dir = scenario
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(pool) = doc.get_mut("pool").and_then(Item::as_table_like_mut) else {
        return Ok(());
    };
    for key in ["loan_tape", "schedules"] {
        let Some(name) = pool.get(key).and_then(Item::as_str) else {
            continue;
        };
        let full = dir.join(name);
        let full = full.canonicalize().unwrap_or(full);
        let quoted = toml::Value::String(full.display().to_string()).to_string();
        set_value(pool, key, &quoted)?;
    }
    Ok(())
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
pub fn bisect_fen<E>(
    lo: i64,
    hi: i64,
    mut meets: impl FnMut(i64) -> Result<bool, E>,
) -> Result<Outcome, E> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;
    use std::convert::Infallible;

    #[test]
    fn bisection_keeps_its_invariant() {
        let r = bisect_fen(0, 1000, |s| Ok::<_, Infallible>(s <= 437)).unwrap();
        assert_eq!(r, Outcome::Found { s_fen: 437 });
        assert_eq!(
            bisect_fen(5, 10, |_| Ok::<_, Infallible>(false)).unwrap(),
            Outcome::Infeasible { s_fen: 5 }
        );
        assert_eq!(
            bisect_fen(5, 10, |_| Ok::<_, Infallible>(true)).unwrap(),
            Outcome::AllMeet { s_fen: 10 }
        );
    }

    #[test]
    fn bisection_is_bounded() {
        let mut calls = 0;
        let r = bisect_fen(0, i64::MAX, |s| {
            calls += 1;
            Ok::<_, Infallible>(s <= 1 << 40)
        })
        .unwrap();
        assert_eq!(r, Outcome::Found { s_fen: 1 << 40 });
        assert!(calls <= 66, "{calls} evaluations");
    }

    #[test]
    fn a_sizing_step_sets_balances_and_scaled_targets_without_reading_the_tape() {
        let (_dir, copy, tape, text) = crate::structuring::shipped::lease_copy();
        let doc = Document::parse(&copy, &text).unwrap();
        let attachments = doc.attachments();
        let deal = doc.validate_as_written(&attachments).unwrap();
        let resizer = Resizer::new(&deal).unwrap();
        std::fs::remove_file(&tape).unwrap();
        // Seniors 696 M → 600 M: A1 250/696 of it (rounded down), A2 240/696, A3 the rest;
        // Sub 133 M, so the tranches still add up to the pool (tranches_equal_pool).
        let sized = resizer.deal(&doc, &attachments, 60_000_000_000).unwrap();
        let balances: Vec<Decimal> = sized.structure.tranches.iter().map(|t| t.balance).collect();
        assert_eq!(
            balances,
            [
                dec!(215_517_241.37),
                dec!(206_896_551.72),
                dec!(177_586_206.91),
                dec!(133_000_000.00)
            ]
        );
        // A1's first target, 187.5 M of 250 M, scales to 3/4 of its new balance (to the fen).
        assert_eq!(
            sized.structure.tranches[0].target_balances[0],
            dec!(161_637_931.02)
        );
    }

    #[test]
    fn the_sized_copy_changes_only_balances_targets_and_attachment_paths() {
        let (path, text) = crate::structuring::shipped::lease();
        let deal = crate::scenario::load(&path).unwrap();
        let resizer = Resizer::new(&deal).unwrap();
        let out = resizer.sized_text(&text, &path, 60_000_000_000).unwrap();
        let changed: Vec<(&str, &str)> = text
            .lines()
            .zip(out.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(text.lines().count(), out.lines().count());
        assert!(
            changed.iter().all(|(a, _)| a.starts_with("balance = ")
                || a.starts_with("target_balances = [")
                || a.starts_with("  ") // the items of a list over several lines
                || a.starts_with("loan_tape = ")),
            "{changed:#?}"
        );
        // Comments after a value are kept; the sized copy loads as a scenario.
        assert!(
            out.contains("balance = 215517241.37     # assumed split"),
            "{out}"
        );
        let copy = crate::scenario::load_text(&path, &out).unwrap();
        assert_eq!(copy.structure.tranches[3].balance, dec!(133_000_000.00));
    }
}
