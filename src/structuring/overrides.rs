//! Scenario value overrides: a dotted key (`model.correlation.intra_sector`,
//! `tranches.A1.balance`) names one value of the scenario file, and a new value is set in the
//! file's parsed tree (a copy of the document's) before the usual validation. The attachments
//! were read once with the document; an invalid value is reported with the normal located
//! error, pointing at the value it replaces in the file and saying which key set it.

use rust_decimal::Decimal;
use std::borrow::Cow;
use std::ops::Range;
use std::str::FromStr;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::StructuringError;
use crate::deal::Deal;
use crate::scenario::document::Tree;
use crate::scenario::{Attachments, Document, Override, ScenarioError};

/// At most this many values in one `--vary` spec.
pub const MAX_SPEC_VALUES: usize = 10_000;

/// A dotted path to one value of the scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPath {
    /// As given (before aliases), for messages.
    pub text: String,
    segments: Vec<String>,
}

/// Keys that accept an alias (`pool.pd_multiplier` reads better in a sweep over the pool).
const ALIASES: [(&str, &str); 1] = [("pool.pd_multiplier", "model.pd_multiplier")];

/// Optional numeric keys that may be absent from the file and are then inserted. `*` stands
/// for the `name` of an element of an array of tables. Present keys need not be listed.
const OPTIONAL: [(&str, &[&str]); 9] = [
    (
        "assumptions",
        &["cdr", "cpr", "recovery_rate", "recovery_lag_months"],
    ),
    ("model", &["df", "pd_multiplier", "cpr"]),
    (
        "model.recovery",
        &[
            "rate",
            "volatility",
            "systematic_correlation",
            "haircut",
            "disposal_cost",
            "lag_months",
        ],
    ),
    ("simulation", &["paths", "seed"]),
    ("fees.*", &["rate", "amount", "annual_cap"]),
    ("tranches.*", &["coupon"]),
    (
        "accounts.*",
        &["initial_balance", "target", "target_rate", "target_floor"],
    ),
    ("support.*", &["cap", "annual_pd", "factor_loading"]),
    ("triggers.*", &["threshold"]),
];

impl KeyPath {
    /// Parses `a.b.c`; aliases are resolved.
    pub fn parse(text: &str) -> Result<Self, StructuringError> {
        let trimmed = text.trim();
        let resolved = ALIASES
            .iter()
            .find(|(alias, _)| *alias == trimmed)
            .map_or(trimmed, |(_, real)| *real);
        let segments: Vec<String> = resolved.split('.').map(|s| s.trim().to_string()).collect();
        if trimmed.is_empty() || segments.iter().any(String::is_empty) {
            return Err(StructuringError::KeyForm { key: text.into() });
        }
        Ok(KeyPath {
            text: trimmed.to_string(),
            segments,
        })
    }

    /// `tranches.<i>.<field>`: a field of the tranche at index `i`.
    pub fn tranche_field(i: usize, field: &str) -> Self {
        let text = format!("tranches.{i}.{field}");
        KeyPath {
            segments: text.split('.').map(str::to_string).collect(),
            text,
        }
    }

    /// The path after aliases, e.g. `model.pd_multiplier`.
    pub fn resolved(&self) -> String {
        self.segments.join(".")
    }
}

/// A value to set at a key: a number (kept exactly), or a list of numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(Decimal),
    /// A list of numbers, set over a list (e.g. a tranche's `target_balances`).
    Numbers(Vec<Decimal>),
}

impl Literal {
    /// The value as TOML: `0.45`, `2`, `[100.5, 50]`.
    pub fn to_toml(&self) -> String {
        match self {
            Literal::Number(d) => {
                let text = d.normalize().to_string();
                if text == "-0" { "0".into() } else { text }
            }
            Literal::Numbers(v) => {
                let items: Vec<String> = v.iter().map(|d| Literal::Number(*d).to_toml()).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }
}

/// Parses a number as given on the command line (`0.25`, `1e-3`, `250_000_000`).
pub fn parse_number(text: &str) -> Option<Decimal> {
    let t = text.trim().replace('_', "");
    if t.is_empty() {
        return None;
    }
    Decimal::from_str(&t)
        .or_else(|_| Decimal::from_scientific(&t))
        .ok()
}

/// Parses a sweep spec: a list `0.1,0.2,0.4` or an inclusive range `start:end:step`.
pub fn parse_spec(spec: &str) -> Result<Vec<Decimal>, StructuringError> {
    let bad = |reason: String| StructuringError::Spec {
        spec: spec.into(),
        reason,
    };
    if spec.contains(':') {
        let parts: Vec<&str> = spec.split(':').collect();
        if parts.len() != 3 {
            return Err(bad("a range is start:end:step, e.g. 0.1:0.5:0.1".into()));
        }
        let num = |s: &str, what: &str| {
            parse_number(s).ok_or_else(|| bad(format!("{what} `{s}` is not a number")))
        };
        let (start, end, step) = (
            num(parts[0], "start")?,
            num(parts[1], "end")?,
            num(parts[2], "step")?,
        );
        if step.is_zero() {
            return Err(bad("the step must not be zero".into()));
        }
        let dir = if step > Decimal::ZERO {
            Decimal::ONE
        } else {
            -Decimal::ONE
        };
        if (end - start) * dir < Decimal::ZERO {
            return Err(bad(format!(
                "empty range: stepping by {step} from {start} never reaches {end}"
            )));
        }
        // Inclusive end, within a tolerance of a millionth of the step.
        let tolerance = step.abs() / Decimal::from(1_000_000);
        let mut values = Vec::new();
        let mut k = 0i64;
        loop {
            let v = start + step * Decimal::from(k);
            if (v - end) * dir > tolerance {
                break;
            }
            values.push(v);
            if values.len() > MAX_SPEC_VALUES {
                return Err(bad(format!("more than {MAX_SPEC_VALUES} values")));
            }
            k += 1;
        }
        Ok(values)
    } else {
        let values: Vec<Decimal> = spec
            .split(',')
            .map(|s| parse_number(s).ok_or_else(|| bad(format!("`{}` is not a number", s.trim()))))
            .collect::<Result<_, _>>()?;
        if values.len() > MAX_SPEC_VALUES {
            return Err(bad(format!("more than {MAX_SPEC_VALUES} values")));
        }
        Ok(values)
    }
}

/// Parses `KEY=SPEC`.
pub fn parse_vary(arg: &str) -> Result<(KeyPath, Vec<Decimal>), StructuringError> {
    let (key, spec) = arg
        .split_once('=')
        .ok_or_else(|| StructuringError::VaryForm { arg: arg.into() })?;
    let key = KeyPath::parse(key)?;
    let vary = |source| StructuringError::Flag {
        flag: format!("--vary {}", key.text),
        source: Box::new(source),
    };
    let values = parse_spec(spec.trim()).map_err(vary)?;
    if values.is_empty() {
        return Err(vary(StructuringError::Spec {
            spec: spec.into(),
            reason: "gives no values".into(),
        }));
    }
    Ok((key, values))
}

/// Loads the deal with each key set to its value: a copy of the document's tree, edited, then
/// validated with the attachments read once. The outer error is an edit that cannot be made;
/// the inner one, the scenario the edits make invalid.
pub fn load_with(
    doc: &Document<'_>,
    attachments: &Attachments,
    edits: &[(KeyPath, Literal)],
) -> Result<Result<Deal, ScenarioError>, StructuringError> {
    let literals: Vec<String> = edits.iter().map(|(_, l)| l.to_toml()).collect();
    let mut tree = doc.tree().clone();
    let overrides = set_all(doc, &mut tree, edits, &literals)?;
    Ok(doc.validate(tree, &overrides, attachments))
}

/// Sets each key of `tree` (a copy of `doc`'s) to its value, `literals[i]` being edit `i` as
/// TOML. Returns what was set, each value (and each item of a list) with a span of its own, for
/// validation to read it exactly and to locate its problems.
fn set_all<'i>(
    doc: &Document<'_>,
    tree: &mut Tree<'i>,
    edits: &[(KeyPath, Literal)],
    literals: &'i [String],
) -> Result<Vec<Override>, StructuringError> {
    let mut overrides: Vec<Override> = Vec::new();
    for (i, ((key, _), literal)) in edits.iter().zip(literals).enumerate() {
        if edits[..i]
            .iter()
            .any(|(k, _)| k.resolved() == key.resolved())
        {
            return Err(StructuringError::KeyTwice {
                key: key.text.clone(),
            });
        }
        let mut value = DeValue::parse(literal)
            .expect("a literal is written as valid TOML")
            .into_inner();
        // The value's span, then its items' (for a list).
        let first = overrides.len();
        let mut item_spans = Vec::new();
        if let DeValue::Array(items) = &mut value {
            for (k, item) in items.iter_mut().enumerate() {
                let span = doc.override_span(first + 1 + k);
                let inner = std::mem::replace(item.get_mut(), DeValue::Boolean(false));
                *item = Spanned::new(span.clone(), inner);
                item_spans.push(span);
            }
        }
        let items: Vec<String> = match &value {
            DeValue::Array(items) => items.iter().map(|v| item_text(v.get_ref())).collect(),
            _ => Vec::new(),
        };
        let placed = place(
            tree,
            key,
            Spanned::new(doc.override_span(first), value),
            doc.text().len(),
        )?;
        let text_at = |span: &Range<usize>| doc.text().get(span.clone()).map(str::to_string);
        overrides.push(Override {
            span: doc.override_span(first),
            literal: literal.clone(),
            at: placed.at.clone(),
            replaced: placed
                .replaced
                .as_ref()
                .and_then(|old| text_at(&old.span())),
            origin: format!("{}={literal}", key.text),
        });
        let old_items = match placed.replaced.as_ref().map(|v| v.get_ref()) {
            Some(DeValue::Array(old)) => old.iter().map(|v| v.span()).collect(),
            _ => Vec::new(),
        };
        for (k, (span, item)) in item_spans.into_iter().zip(items).enumerate() {
            // An item points at the item it replaces, or at the list.
            let at = old_items.get(k).cloned().unwrap_or(placed.at.clone());
            overrides.push(Override {
                span,
                origin: format!("{}[{k}]={item}", key.text),
                literal: item,
                replaced: placed
                    .replaced
                    .as_ref()
                    .and(old_items.get(k))
                    .and_then(text_at),
                at,
            });
        }
    }
    Ok(overrides)
}

fn item_text(value: &DeValue<'_>) -> String {
    match value {
        DeValue::Integer(i) => i.to_string(),
        DeValue::Float(f) => f.to_string(),
        other => other.type_str().to_string(),
    }
}

/// Where a value was set: the span in the file to point at (the value replaced, or the table
/// it was added to) and the value it replaced.
struct Placed<'i> {
    at: Range<usize>,
    replaced: Option<Spanned<DeValue<'i>>>,
}

fn element_name<'a>(value: &'a DeValue<'_>) -> Option<&'a str> {
    value.as_table()?.get("name")?.get_ref().as_str()
}

fn key_name<'i>(name: &str, span: Range<usize>) -> Spanned<Cow<'i, str>> {
    Spanned::new(span, Cow::Owned(name.to_string()))
}

/// Puts `value` at `key` in the tree: over the value there, or added where an optional key may
/// be (a whole optional top-level table is added at the end of the file, `end`).
fn place<'i>(
    root: &mut Tree<'i>,
    key: &KeyPath,
    value: Spanned<DeValue<'i>>,
    end: usize,
) -> Result<Placed<'i>, StructuringError> {
    use StructuringError::*;
    let segs = &key.segments;
    let at_key = || key.text.clone();
    let mut table_span = root.span();
    let mut table: &mut DeTable<'i> = root.get_mut();
    // The table's pattern (`fees.*`) for the optional-key list.
    let mut pattern: Vec<&str> = Vec::new();
    let mut i = 0;
    while i + 1 < segs.len() {
        let seg = segs[i].as_str();
        if !table.contains_key(seg) {
            let table_path = segs[..segs.len() - 1].join(".");
            if i == 0 && segs.len() == 2 && allowed_missing(&table_path, &segs[1]) {
                let mut added = DeTable::new();
                added.insert(key_name(&segs[1], value.span()), value);
                table.insert(
                    key_name(seg, end..end),
                    Spanned::new(end..end, DeValue::Table(added)),
                );
                return Ok(Placed {
                    at: end..end,
                    replaced: None,
                });
            }
            return Err(NoKey {
                key: at_key(),
                name: seg.into(),
                table: table_named(segs, i),
                found: names(table),
            });
        }
        let entry = table.get_mut(seg).expect("checked above");
        let span = entry.span();
        let kind = entry.get_ref().type_str();
        let of_tables = matches!(entry.get_ref(), DeValue::Array(items)
            if items.iter().all(|v| v.get_ref().is_table()));
        match entry.get_mut() {
            DeValue::Table(t) => {
                table = t;
                table_span = span;
                pattern.push(seg);
                i += 1;
            }
            DeValue::Array(items) if of_tables => {
                let which = segs[i + 1].as_str();
                let found = items
                    .iter()
                    .position(|v| element_name(v.get_ref()) == Some(which))
                    .or_else(|| which.parse::<usize>().ok().filter(|&k| k < items.len()));
                let array = segs[..=i].join(".");
                let Some(k) = found else {
                    let known: Vec<&str> = items
                        .iter()
                        .filter_map(|v| element_name(v.get_ref()))
                        .collect();
                    return Err(NoElement {
                        key: at_key(),
                        array,
                        name: which.into(),
                        known: if known.is_empty() {
                            "none".into()
                        } else {
                            known.join(", ")
                        },
                    });
                };
                if i + 2 >= segs.len() {
                    return Err(WholeElement {
                        key: at_key(),
                        array: seg.into(),
                    });
                }
                let item = &mut items.as_mut()[k];
                table_span = item.span();
                let DeValue::Table(t) = item.get_mut() else {
                    unreachable!("every element is a table: checked above")
                };
                table = t;
                pattern.push(seg);
                pattern.push("*");
                i += 2;
            }
            _ => {
                return Err(NotATable {
                    key: at_key(),
                    path: segs[..=i].join("."),
                    kind,
                });
            }
        }
    }
    let last = segs[segs.len() - 1].as_str();
    let list = value.get_ref().is_array();
    match table.get_mut(last) {
        Some(old) => {
            let fits = match old.get_ref() {
                DeValue::Integer(_) | DeValue::Float(_) => !list,
                // A number written as a string (`balance = "250000000.10"`).
                DeValue::String(s) => !list && parse_number(s).is_some(),
                DeValue::Array(_) => list,
                _ => false,
            };
            if !fits {
                return Err(NotANumber {
                    key: at_key(),
                    kind: old.get_ref().type_str(),
                    expected: if list { "a list" } else { "a number" },
                });
            }
            let replaced = std::mem::replace(old, value);
            Ok(Placed {
                at: replaced.span(),
                replaced: Some(replaced),
            })
        }
        None => {
            if !allowed_missing(&pattern.join("."), last) {
                return Err(NoKey {
                    key: at_key(),
                    name: last.into(),
                    table: table_named(segs, segs.len() - 1),
                    found: names(table),
                });
            }
            table.insert(key_name(last, value.span()), value);
            Ok(Placed {
                at: table_span,
                replaced: None,
            })
        }
    }
}

/// The table holding `segs[i]`, for messages.
fn table_named(segs: &[String], i: usize) -> String {
    if i == 0 {
        "the top level".into()
    } else {
        format!("`{}`", segs[..i].join("."))
    }
}

fn allowed_missing(table_pattern: &str, key: &str) -> bool {
    OPTIONAL
        .iter()
        .any(|(t, keys)| *t == table_pattern && keys.contains(&key))
}

fn names(table: &DeTable<'_>) -> String {
    let n: Vec<String> = table.iter().map(|(k, _)| k.get_ref().to_string()).collect();
    if n.is_empty() {
        "nothing".into()
    } else {
        n.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Location;
    use rust_decimal::dec;
    use serde::Deserialize;
    use std::path::Path;

    const SRC: &str = "[deal]\nname = \"x\"\n\n[model]\ncorrelation = { intra_sector = 0.30, inter_sector = 0.15 }\npd_multiplier = 1.0\n\n[[fees]]\nname = \"manager\"\nrate = 0.001\n\n[[tranches]]\nname = \"A1\"\nbalance = 100.00\n\n[[tranches]]\nname = \"Sub\"\nbalance = 10.00\n";

    fn key(text: &str) -> KeyPath {
        KeyPath::parse(text).unwrap()
    }

    /// SRC's tree with `edits` set, read back as plain TOML.
    fn edited(edits: &[(KeyPath, Literal)]) -> Result<toml::Table, StructuringError> {
        let doc = Document::parse(Path::new("s.toml"), SRC).unwrap();
        let literals: Vec<String> = edits.iter().map(|(_, l)| l.to_toml()).collect();
        let mut tree = doc.tree().clone();
        set_all(&doc, &mut tree, edits, &literals)?;
        Ok(toml::Table::deserialize(toml::de::Deserializer::from(tree)).unwrap())
    }

    fn set(text: &str, v: Decimal) -> Result<toml::Table, StructuringError> {
        edited(&[(key(text), Literal::Number(v))])
    }

    #[test]
    fn replaces_values_by_path() {
        let t = set("model.correlation.intra_sector", dec!(0.45)).unwrap();
        assert_eq!(
            t["model"]["correlation"]["intra_sector"].as_float(),
            Some(0.45)
        );
        assert_eq!(
            t["model"]["correlation"]["inter_sector"].as_float(),
            Some(0.15)
        );
        let t = set("tranches.A1.balance", dec!(90.50)).unwrap();
        assert_eq!(t["tranches"][0]["balance"].as_float(), Some(90.5));
        assert_eq!(t["tranches"][1]["balance"].as_float(), Some(10.0));
        // By index as well as by name.
        let t = set("tranches.1.balance", dec!(12)).unwrap();
        assert_eq!(t["tranches"][1]["balance"].as_integer(), Some(12));
        let t = set("fees.manager.rate", dec!(0.002)).unwrap();
        assert_eq!(t["fees"][0]["rate"].as_float(), Some(0.002));
        let t = set("pool.pd_multiplier", dec!(2)).unwrap();
        assert_eq!(t["model"]["pd_multiplier"].as_integer(), Some(2));
        let t = edited(&[(
            key("tranches.A1.balance"),
            Literal::Numbers(vec![dec!(1), dec!(0.5)]),
        )]);
        assert!(t.is_err(), "a list is not set over a number");
    }

    #[test]
    fn inserts_optional_keys() {
        let t = set("tranches.Sub.coupon", dec!(0.01)).unwrap();
        assert_eq!(t["tranches"][1]["coupon"].as_float(), Some(0.01));
        assert!(t["tranches"][0].get("coupon").is_none());
        // A whole optional table that is missing is added.
        let t = set("assumptions.recovery_rate", dec!(0.3)).unwrap();
        assert_eq!(t["assumptions"]["recovery_rate"].as_float(), Some(0.3));
        let t = set("model.cpr", dec!(0.05)).unwrap();
        assert_eq!(t["model"]["cpr"].as_float(), Some(0.05));
        assert_eq!(t["model"]["pd_multiplier"].as_float(), Some(1.0));
        // Two keys added to the same table.
        let t = edited(&[
            (key("model.cpr"), Literal::Number(dec!(0.05))),
            (key("model.df"), Literal::Number(dec!(4))),
        ])
        .unwrap();
        assert_eq!(t["model"]["cpr"].as_float(), Some(0.05));
        assert_eq!(t["model"]["df"].as_integer(), Some(4));
    }

    #[test]
    fn bad_keys_are_named() {
        let e = set("model.nonsense", dec!(1)).unwrap_err().to_string();
        assert!(
            e.contains("model.nonsense") && e.contains("pd_multiplier"),
            "{e}"
        );
        let e = set("tranches.B.balance", dec!(1)).unwrap_err().to_string();
        assert!(e.contains("named `B`") && e.contains("A1, Sub"), "{e}");
        let e = set("deal.name", dec!(1)).unwrap_err().to_string();
        assert!(e.contains("not a number"), "{e}");
        let e = set("tranches.A1", dec!(1)).unwrap_err().to_string();
        assert!(e.contains("whole element"), "{e}");
        let e = set("deal.name.x", dec!(1)).unwrap_err().to_string();
        assert!(e.contains("`deal.name` is a string, not a table"), "{e}");
        let e = set("nowhere.rate", dec!(1)).unwrap_err().to_string();
        assert!(e.contains("no `nowhere` in the top level"), "{e}");
        assert!(KeyPath::parse("a..b").is_err());
    }

    #[test]
    fn a_key_given_twice_is_an_error_aliases_included() {
        let e = edited(&[
            (key("model.pd_multiplier"), Literal::Number(dec!(1))),
            (key("pool.pd_multiplier"), Literal::Number(dec!(2))),
        ])
        .unwrap_err();
        assert!(
            matches!(&e, StructuringError::KeyTwice { key } if key == "pool.pd_multiplier"),
            "{e}"
        );
    }

    fn load(path: &Path, text: &str, edits: &[(&str, Decimal)]) -> Result<Deal, ScenarioError> {
        let doc = Document::parse(path, text).unwrap();
        let attachments = doc.attachments();
        let edits: Vec<(KeyPath, Literal)> = edits
            .iter()
            .map(|(k, v)| (key(k), Literal::Number(*v)))
            .collect();
        load_with(&doc, &attachments, &edits).unwrap()
    }

    #[test]
    fn set_values_are_read_exactly() {
        let (path, text) = crate::structuring::shipped::lease();
        // 17 significant digits: more than an f64 holds.
        let deal = load(
            &path,
            &text,
            &[
                ("tranches.A1.balance", dec!(250_000_000.01)),
                ("tranches.Sub.balance", dec!(36_999_999.99)),
            ],
        )
        .unwrap();
        assert_eq!(deal.structure.tranches[0].balance, dec!(250_000_000.01));
        assert_eq!(deal.structure.tranches[3].balance, dec!(36_999_999.99));
    }

    #[test]
    fn a_bad_value_is_located_at_the_value_it_replaces() {
        let (path, text) = crate::structuring::shipped::lease();
        let e = load(&path, &text, &[("assumptions.recovery_rate", dec!(1.5))]).unwrap_err();
        let [p] = e.problems() else {
            panic!("one problem expected: {e}");
        };
        let original = text.find("0.20     # share").unwrap();
        assert_eq!(p.location, Location::Span(original..original + 4), "{e}");
        assert_eq!(p.field, "assumptions.recovery_rate");
        assert!(
            p.message.contains("expected a rate in [0, 1]")
                && p.message.contains("set by assumptions.recovery_rate=1.5")
                && p.message.contains("the file has 0.20"),
            "{}",
            p.message
        );
        // The rendered error shows the line in the file.
        let shown = e.to_string();
        assert!(shown.contains("ip-lease-733m.toml:") && shown.contains("recovery_rate = 0.20"));
    }

    #[test]
    fn a_bad_added_value_is_located_at_its_table() {
        let (path, text) = crate::structuring::shipped::lease();
        let e = load(&path, &text, &[("tranches.Sub.coupon", dec!(2))]).unwrap_err();
        let [p] = e.problems() else {
            panic!("one problem expected: {e}");
        };
        let Location::Span(span) = &p.location else {
            panic!("{e}");
        };
        let sub = text.rfind("[[tranches]]").unwrap();
        assert!(
            span.start >= sub && span.start < text.len(),
            "{span:?}: {e}"
        );
        assert!(
            p.message
                .contains("set by tranches.Sub.coupon=2; not in the file"),
            "{}",
            p.message
        );
    }

    #[test]
    fn edits_do_not_read_the_attachments_again() {
        let (_dir, copy, tape, text) = crate::structuring::shipped::lease_copy();
        let doc = Document::parse(&copy, &text).unwrap();
        let attachments = doc.attachments();
        let before = doc.validate_as_written(&attachments).unwrap();
        // The tape is gone: the edited deal is built from the one read with the document.
        std::fs::remove_file(&tape).unwrap();
        let edits = [(key("model.pd_multiplier"), Literal::Number(dec!(2)))];
        let after = load_with(&doc, &attachments, &edits).unwrap().unwrap();
        assert_eq!(after.pool.assets.len(), before.pool.assets.len());
        assert_eq!(after.pool.balance(), before.pool.balance());
        assert!(crate::scenario::load_text(&copy, &text).is_err());
    }

    #[test]
    fn specs() {
        assert_eq!(
            parse_spec("0.1:0.5:0.1").unwrap(),
            vec![dec!(0.1), dec!(0.2), dec!(0.3), dec!(0.4), dec!(0.5)]
        );
        assert_eq!(parse_spec("0.5:0.1:-0.2").unwrap().len(), 3);
        assert_eq!(
            parse_spec("1, 2,4").unwrap(),
            vec![dec!(1), dec!(2), dec!(4)]
        );
        let e = parse_spec("0.5:0.1:0.1").unwrap_err().to_string();
        assert!(e.contains("empty range"), "{e}");
        let e = parse_spec("a,b").unwrap_err().to_string();
        assert!(e.contains("`a` is not a number"), "{e}");
        assert!(parse_spec("0:1:0").is_err());
        assert!(parse_vary("model.pd_multiplier").is_err());
    }
}
