//! Collects problems while validating, and reads spanned values into domain types.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::bounds::parse_amount;
use super::document::Override;
use super::error::{Location, Problem};
use super::raw::{Date, Num, Text};

/// Validation context for one TOML file.
pub struct Ctx<'a> {
    pub file: PathBuf,
    pub src: &'a str,
    /// Values set from outside the file, told apart by their spans (past the end of `src`).
    overrides: &'a [Override],
    pub problems: Vec<Problem>,
}

impl<'a> Ctx<'a> {
    pub fn new(file: &Path, src: &'a str, overrides: &'a [Override]) -> Self {
        Ctx {
            file: file.to_path_buf(),
            src,
            overrides,
            problems: Vec::new(),
        }
    }

    pub fn err(
        &mut self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem {
            file: self.file.clone(),
            location: Location::Span(span),
            field: field.into(),
            message: message.into(),
        });
    }

    /// The literal as written in the file, or as given for a value set from outside it (quotes
    /// of a string removed).
    pub fn literal(&self, num: &Num) -> String {
        let span = num.span();
        match num.get_ref() {
            toml::Value::String(s) => s.clone(),
            _ if span.start > self.src.len() => self
                .overrides
                .iter()
                .find(|o| o.span == span)
                .map_or_else(String::new, |o| o.literal.clone()),
            _ => self.src.get(span).unwrap_or("").trim().to_string(),
        }
    }

    /// An exact decimal read from the source text of the value.
    pub fn decimal(&mut self, num: &Num, field: &str) -> Option<Decimal> {
        let text = self.literal(num).replace('_', "");
        let parsed = match num.get_ref() {
            toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::String(_) => {
                Decimal::from_str(&text)
                    .or_else(|_| Decimal::from_scientific(&text))
                    .ok()
            }
            _ => None,
        };
        if parsed.is_none() {
            self.err(
                num.span(),
                field,
                format!("expected a number, found `{}`", text),
            );
        }
        parsed
    }

    /// A money amount: exact, at most two decimal places (fen), `> 0` or `≥ 0`, and at most
    /// [`super::bounds::MAX_AMOUNT`].
    pub fn money(&mut self, num: &Num, field: &str, strictly_positive: bool) -> Option<Decimal> {
        let text = self.literal(num).replace('_', "");
        let numeric = match num.get_ref() {
            toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::String(_) => {
                Decimal::from_str(&text).is_ok() || Decimal::from_scientific(&text).is_ok()
            }
            _ => false,
        };
        if !numeric {
            // Not a number at all (or too long for any decimal: then the bound is the news).
            let long = text.chars().filter(char::is_ascii_digit).count() > 28;
            if !long {
                self.err(
                    num.span(),
                    field,
                    format!("expected a number, found `{text}`"),
                );
                return None;
            }
        }
        match parse_amount(&text, strictly_positive) {
            Ok(value) => Some(value),
            Err(expected) => {
                self.err(num.span(), field, format!("{expected}, found {text}"));
                None
            }
        }
    }

    /// A number within `[lo, hi]` (or `[lo, hi)` when `hi_open`).
    pub fn number_in(
        &mut self,
        num: &Num,
        field: &str,
        lo: f64,
        hi: f64,
        hi_open: bool,
    ) -> Option<f64> {
        let value: f64 = self.decimal(num, field)?.try_into().ok()?;
        let ok = value >= lo && if hi_open { value < hi } else { value <= hi };
        if !ok {
            let close = if hi_open { ")" } else { "]" };
            self.err(
                num.span(),
                field,
                format!("expected a value in [{lo}, {hi}{close}, found {value}"),
            );
            return None;
        }
        Some(value)
    }

    /// A rate in `[0, 1]` given as a decimal (0.03 for 3 %).
    pub fn rate(&mut self, num: &Num, field: &str) -> Option<f64> {
        self.number_in(num, field, 0.0, 1.0, false)
    }

    /// A whole number at least `min`.
    pub fn whole(&mut self, num: &Num, field: &str, min: u64) -> Option<u64> {
        match num.get_ref() {
            toml::Value::Integer(i) if u64::try_from(*i).is_ok_and(|i| i >= min) => {
                u64::try_from(*i).ok()
            }
            _ => {
                let text = self.literal(num);
                self.err(
                    num.span(),
                    field,
                    format!("expected a whole number of at least {min}, found `{text}`"),
                );
                None
            }
        }
    }

    /// A whole number in `min..=max` (read without truncation: larger values are errors).
    pub fn whole_in(&mut self, num: &Num, field: &str, min: u32, max: u32) -> Option<u32> {
        let value = match num.get_ref() {
            toml::Value::Integer(i) => u32::try_from(*i).ok().filter(|v| (min..=max).contains(v)),
            _ => None,
        };
        if value.is_none() {
            let text = self.literal(num);
            self.err(
                num.span(),
                field,
                format!("expected a whole number in {min}..={max}, found `{text}`"),
            );
        }
        value
    }

    /// A plain date (`2019-03-08`, no time).
    pub fn date(&mut self, date: &Date, field: &str) -> Option<NaiveDate> {
        let value = date.get_ref();
        let parsed = match (&value.date, &value.time) {
            (Some(d), None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            }
            _ => None,
        };
        if parsed.is_none() {
            self.err(
                date.span(),
                field,
                format!("expected a date like 2019-03-08, found `{value}`"),
            );
        }
        parsed
    }

    /// One of a fixed set of words.
    pub fn choice<T>(
        &mut self,
        text: &Text,
        field: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<T> {
        let parsed = parse(text.get_ref());
        if parsed.is_none() {
            self.err(
                text.span(),
                field,
                format!("expected {expected}, found \"{}\"", text.get_ref()),
            );
        }
        parsed
    }

    /// Resolves a name against a list, or reports which names exist.
    pub fn resolve(
        &mut self,
        text: &Text,
        field: &str,
        kind: &str,
        names: &[String],
    ) -> Option<usize> {
        let found = names.iter().position(|n| n == text.get_ref());
        if found.is_none() {
            let known = if names.is_empty() {
                "none is defined".to_string()
            } else {
                format!("expected one of: {}", names.join(", "))
            };
            self.err(
                text.span(),
                field,
                format!("no {kind} named \"{}\" ({known})", text.get_ref()),
            );
        }
        found
    }
}
