//! Scenario value overrides: a dotted key (`model.correlation.intra_sector`,
//! `tranches.A1.balance`) names one value of the scenario file, and a new literal is spliced
//! into the file's text before the usual validation. Everything else in the file (comments,
//! positions) stays as written, so an invalid value is reported with the normal located error,
//! pointing at the replaced value.

use rust_decimal::Decimal;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::deal::Deal;
use crate::scenario::ScenarioError;

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
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let resolved = ALIASES
            .iter()
            .find(|(alias, _)| *alias == trimmed)
            .map_or(trimmed, |(_, real)| *real);
        let segments: Vec<String> = resolved.split('.').map(|s| s.trim().to_string()).collect();
        if trimmed.is_empty() || segments.iter().any(String::is_empty) {
            return Err(format!(
                "key `{text}`: expected a dotted path to a scenario value, e.g. \
                 model.correlation.intra_sector or tranches.A1.balance"
            ));
        }
        Ok(KeyPath {
            text: trimmed.to_string(),
            segments,
        })
    }

    /// The path after aliases, e.g. `model.pd_multiplier`.
    pub fn resolved(&self) -> String {
        self.segments.join(".")
    }
}

/// A value to write at a key: a number (written exactly) or a string (quoted).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(Decimal),
    Text(String),
    /// A list of numbers, written over a list (e.g. a tranche's `target_balances`).
    Numbers(Vec<Decimal>),
}

impl Literal {
    fn to_toml(&self) -> String {
        match self {
            Literal::Number(d) => {
                let text = d.normalize().to_string();
                if text == "-0" { "0".into() } else { text }
            }
            Literal::Text(s) => toml::Value::String(s.clone()).to_string(),
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
pub fn parse_spec(spec: &str) -> Result<Vec<Decimal>, String> {
    let bad = |what: String| format!("spec `{spec}`: {what}");
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
pub fn parse_vary(arg: &str) -> Result<(KeyPath, Vec<Decimal>), String> {
    let (key, spec) = arg.split_once('=').ok_or_else(|| {
        format!("--vary `{arg}`: expected KEY=SPEC, e.g. model.pd_multiplier=0.5:2:0.5")
    })?;
    let key = KeyPath::parse(key)?;
    let values = parse_spec(spec.trim()).map_err(|e| format!("--vary {}: {e}", key.text))?;
    if values.is_empty() {
        return Err(format!(
            "--vary {}: spec `{spec}` gives no values",
            key.text
        ));
    }
    Ok((key, values))
}

/// One text edit: replace `range` of the source with `text`.
#[derive(Debug, Clone)]
struct Splice {
    range: Range<usize>,
    text: String,
}

/// Returns `src` with each key set to its literal. Errors name the key.
pub fn apply(src: &str, edits: &[(KeyPath, Literal)]) -> Result<String, String> {
    let doc = DeTable::parse(src).map_err(|e| format!("the scenario is not valid TOML: {e}"))?;
    let mut splices = Vec::with_capacity(edits.len());
    for (i, (key, literal)) in edits.iter().enumerate() {
        if edits[..i]
            .iter()
            .any(|(k, _)| k.resolved() == key.resolved())
        {
            return Err(format!("key `{}` is given twice", key.text));
        }
        splices.push(locate(doc.get_ref(), src, key, &literal.to_toml())?);
    }
    // Apply from the end so earlier ranges stay valid; insertions at the same place keep their
    // order.
    let mut order: Vec<usize> = (0..splices.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((splices[i].range.start, i)));
    let mut out = src.to_string();
    for i in order {
        out.replace_range(splices[i].range.clone(), &splices[i].text);
    }
    Ok(out)
}

fn find<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

fn element_name(value: &DeValue<'_>) -> Option<String> {
    let table = value.as_table()?;
    find(table, "name")?
        .get_ref()
        .as_str()
        .map(|s| s.to_string())
}

/// Finds where `key` is (or where to insert it) in the parsed document.
fn locate(doc: &DeTable<'_>, src: &str, key: &KeyPath, literal: &str) -> Result<Splice, String> {
    let segs = &key.segments;
    let mut table = doc;
    // The table's own span, and its pattern (`fees.*`) for the optional-key list.
    let mut table_span: Option<Range<usize>> = None;
    let mut pattern: Vec<String> = Vec::new();
    let mut i = 0;
    while i + 1 < segs.len() {
        let seg = &segs[i];
        let here = if pattern.is_empty() {
            "the top level".to_string()
        } else {
            format!("`{}`", segs[..i].join("."))
        };
        let Some(value) = find(table, seg) else {
            // A whole optional top-level table may be missing: append it.
            let table_path = segs[..segs.len() - 1].join(".");
            if i == 0 && segs.len() == 2 && allowed_missing(&table_path, &segs[1]) {
                let sep = if src.ends_with('\n') || src.is_empty() {
                    ""
                } else {
                    "\n"
                };
                return Ok(Splice {
                    range: src.len()..src.len(),
                    text: format!("{sep}\n[{table_path}]\n{} = {literal}\n", segs[1]),
                });
            }
            return Err(format!(
                "key `{}`: no `{seg}` in {here} of the scenario (found: {})",
                key.text,
                names(table)
            ));
        };
        match value.get_ref() {
            DeValue::Table(t) => {
                table = t;
                table_span = Some(value.span());
                pattern.push(seg.clone());
                i += 1;
            }
            DeValue::Array(items) if items.iter().all(|v| v.get_ref().is_table()) => {
                let which = &segs[i + 1];
                let found = items
                    .iter()
                    .find(|v| element_name(v.get_ref()).as_deref() == Some(which.as_str()))
                    .or_else(|| which.parse::<usize>().ok().and_then(|k| items.get(k)));
                let Some(item) = found else {
                    let known: Vec<String> = items
                        .iter()
                        .filter_map(|v| element_name(v.get_ref()))
                        .collect();
                    return Err(format!(
                        "key `{}`: no element of `{}` named `{which}` (known: {})",
                        key.text,
                        segs[..=i].join("."),
                        if known.is_empty() {
                            "none".into()
                        } else {
                            known.join(", ")
                        }
                    ));
                };
                if i + 2 >= segs.len() {
                    return Err(format!(
                        "key `{}`: names a whole element of `{seg}`; add the field, e.g. {}.balance",
                        key.text, key.text
                    ));
                }
                table = item.get_ref().as_table().expect("checked above");
                table_span = Some(item.span());
                pattern.push(seg.clone());
                pattern.push("*".into());
                i += 2;
            }
            other => {
                return Err(format!(
                    "key `{}`: `{}` is a {}, not a table",
                    key.text,
                    segs[..=i].join("."),
                    other.type_str()
                ));
            }
        }
    }
    let last = &segs[segs.len() - 1];
    match find(table, last) {
        Some(value) => match value.get_ref() {
            DeValue::Integer(_) | DeValue::Float(_) => Ok(Splice {
                range: value.span(),
                text: literal.to_string(),
            }),
            DeValue::String(s) if parse_number(s).is_some() || literal.starts_with('"') => {
                Ok(Splice {
                    range: value.span(),
                    text: literal.to_string(),
                })
            }
            DeValue::Array(_) if literal.starts_with('[') => Ok(Splice {
                range: value.span(),
                text: literal.to_string(),
            }),
            other => Err(format!(
                "key `{}`: the value there is a {}, not a number",
                key.text,
                other.type_str()
            )),
        },
        None => {
            let table_path = pattern.join(".");
            if !allowed_missing(&table_path, last) {
                return Err(format!(
                    "key `{}`: no `{last}` in `{}` of the scenario (found: {})",
                    key.text,
                    segs[..segs.len() - 1].join("."),
                    names(table)
                ));
            }
            let span = table_span.unwrap_or(0..0);
            insert_into(src, span, last, literal, &segs[..segs.len() - 1].join("."))
        }
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

/// Inserts `key = literal` into the table whose value starts at `span.start`: after its
/// `[header]` line, or inside its `{ inline }` braces; otherwise (a table only implied by a
/// sub-table) a `[path]` header is appended at the end.
fn insert_into(
    src: &str,
    span: Range<usize>,
    key: &str,
    literal: &str,
    path: &str,
) -> Result<Splice, String> {
    let start = span.start.min(src.len());
    // The header may start a little before the span (spans can point at the key).
    let line_start = src[..start].rfind('\n').map_or(0, |p| p + 1);
    let line_end = src[start..].find('\n').map_or(src.len(), |p| start + p);
    let line = &src[line_start..line_end];
    if line.trim_start().starts_with('[') {
        let at = if line_end < src.len() {
            line_end + 1
        } else {
            line_end
        };
        let pre = if line_end < src.len() { "" } else { "\n" };
        return Ok(Splice {
            range: at..at,
            text: format!("{pre}{key} = {literal}\n"),
        });
    }
    if let Some(brace) = src[start..span.end.min(src.len())].find('{') {
        let at = start + brace + 1;
        return Ok(Splice {
            range: at..at,
            text: format!(" {key} = {literal},"),
        });
    }
    let sep = if src.ends_with('\n') { "" } else { "\n" };
    Ok(Splice {
        range: src.len()..src.len(),
        text: format!("{sep}\n[{path}]\n{key} = {literal}\n"),
    })
}

/// Loads a scenario with values overridden (the text is edited, then validated as usual).
pub fn load_with(
    path: &Path,
    text: &str,
    edits: &[(KeyPath, Literal)],
) -> Result<Result<Deal, ScenarioError>, String> {
    let edited = apply(text, edits)?;
    Ok(crate::scenario::load_text(path, &edited))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    const SRC: &str = "[deal]\nname = \"x\"\n\n[model]\ncorrelation = { intra_sector = 0.30, inter_sector = 0.15 }\npd_multiplier = 1.0\n\n[[fees]]\nname = \"manager\"\nrate = 0.001\n\n[[tranches]]\nname = \"A1\"\nbalance = 100.00\n\n[[tranches]]\nname = \"Sub\"\nbalance = 10.00\n";

    fn set(key: &str, v: Decimal) -> Result<String, String> {
        apply(SRC, &[(KeyPath::parse(key).unwrap(), Literal::Number(v))])
    }

    fn parse(text: &str) -> toml::Table {
        text.parse().unwrap()
    }

    #[test]
    fn replaces_values_by_path() {
        let out = set("model.correlation.intra_sector", dec!(0.45)).unwrap();
        assert!(out.contains("intra_sector = 0.45,"));
        let out = set("tranches.A1.balance", dec!(90.50)).unwrap();
        let t = parse(&out);
        assert_eq!(t["tranches"][0]["balance"].as_float(), Some(90.5), "{out}");
        assert_eq!(t["tranches"][1]["balance"].as_float(), Some(10.0));
        let out = set("fees.manager.rate", dec!(0.002)).unwrap();
        assert_eq!(parse(&out)["fees"][0]["rate"].as_float(), Some(0.002));
        let out = set("pool.pd_multiplier", dec!(2)).unwrap();
        assert_eq!(parse(&out)["model"]["pd_multiplier"].as_integer(), Some(2));
    }

    #[test]
    fn inserts_optional_keys() {
        let out = set("tranches.Sub.coupon", dec!(0.01)).unwrap();
        assert_eq!(parse(&out)["tranches"][1]["coupon"].as_float(), Some(0.01));
        let out = set("assumptions.recovery_rate", dec!(0.3)).unwrap();
        assert_eq!(
            parse(&out)["assumptions"]["recovery_rate"].as_float(),
            Some(0.3)
        );
        let out = set("model.cpr", dec!(0.05)).unwrap();
        assert_eq!(parse(&out)["model"]["cpr"].as_float(), Some(0.05));
    }

    #[test]
    fn bad_keys_are_named() {
        let e = set("model.nonsense", dec!(1)).unwrap_err();
        assert!(
            e.contains("model.nonsense") && e.contains("pd_multiplier"),
            "{e}"
        );
        let e = set("tranches.B.balance", dec!(1)).unwrap_err();
        assert!(e.contains("named `B`") && e.contains("A1, Sub"), "{e}");
        let e = set("deal.name", dec!(1)).unwrap_err();
        assert!(e.contains("not a number"), "{e}");
        assert!(KeyPath::parse("a..b").is_err());
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
        assert!(
            parse_spec("0.5:0.1:0.1")
                .unwrap_err()
                .contains("empty range")
        );
        assert!(
            parse_spec("a,b")
                .unwrap_err()
                .contains("`a` is not a number")
        );
        assert!(parse_spec("0:1:0").is_err());
        assert!(parse_vary("model.pd_multiplier").is_err());
    }
}
