//! Fuzzing the inputs: mutants of the shipped scenarios (`scenarios/*.toml`) and their tapes and
//! schedules (`scenarios/data/*.csv`), each written into a temporary folder with the layout the
//! scenario expects, then loaded and run as `ipabs cashflow` does.
//!
//! Mutations: type changes (number → string, string → number, int → float, bool), extreme
//! numbers (0, −1, 1e300, 1e−300, NaN, ±inf, i64::MAX, u64 overflow, Decimal overflow, huge
//! lags and terms), extreme and invalid dates (2999-12-31, 9999-12-31, 2019-02-30), deleted and
//! duplicated lines, duplicated array tables, duplicated and renamed names (tranches, fees,
//! accounts, supports, loans, obligors; waterfall steps naming a tranche twice or too many
//! tranches), CSV cells, columns and row widths, truncation, random byte flips, encodings
//! (GBK-style bytes, BOM, UTF-16, invalid UTF-8), line endings (CRLF, lone CR, mixed), empty
//! files, and (binary only) a FIFO or a folder in place of a data file.
//!
//! Every mutant must:
//! - never panic (in-process, `ipabs::scenario::load` + `ipabs::results::run_cashflow` inside
//!   `catch_unwind`; and through the real binary for a subset);
//! - either be accepted, or fail with a located message: every problem names one of the
//!   mutant's files and a byte span / line / cell inside it (or, for a whole-file problem, the
//!   field); an unreadable file names the file (but invalid UTF-8 must say where); the binary
//!   exits 2 and prints `--> FILE:LINE...`;
//! - report the same lines and columns when its files are rewritten with CRLF line endings;
//! - leave no output folder (nor a partial one) after an error;
//! - conserve cash to the fen when accepted (`tests/common/conservation.rs`; for binary-only
//!   cases, the ledger's in = out per period from `ledger.csv`);
//! - finish within `IPABS_FUZZ_TIMEOUT_SECS` (default 10) per case: each case runs in a thread
//!   (in-process) or a killable child with a 4 GB address-space limit (binary); the slowest case
//!   is reported. A kind of mutation that made the binary hang twice (today: a FIFO in place of
//!   the tape, a known bug) is not run again in that run, so a known hang costs two timeouts,
//!   not hundreds; the skipped cases are counted in the summary.
//!
//! Mutants that may allocate in proportion to a number (a count such as a lag, term or period
//! set to ≥ 100,000) and special files run only through the binary, so that a huge allocation
//! or a blocked read cannot take the test process down.
//!
//! Modes (deterministic: the same seed gives the same mutants):
//!
//! ```text
//! cargo test --test fuzz_inputs                                   # default: 2,000 mutants
//! IPABS_FUZZ_CASES=100000 cargo test --test fuzz_inputs -- --nocapture   # long mode
//! IPABS_FUZZ_SEED=42 cargo test --test fuzz_inputs                # other mutants
//! IPABS_FUZZ_SEED=42 IPABS_FUZZ_CASE=1234 cargo test --test fuzz_inputs -- --nocapture
//!                                                                 # replay one case
//! ```
//!
//! (README: "Fuzzing: `cargo test --test fuzz_inputs` runs 2,000 deterministic mutants of the
//! shipped scenarios; `IPABS_FUZZ_CASES=100000` runs the long mode, `IPABS_FUZZ_SEED` changes
//! the mutants, `IPABS_FUZZ_CASE` replays one.")
//!
//! A failure prints, per class, the seed and case, the mutations applied and the folder the
//! mutant was saved to (kept after the run) with the `ipabs cashflow` command that replays it.
//! One in 25 cases (and every binary-only case) also runs through the binary.

mod common;

use ipabs::cli::CashflowArgs;
use ipabs::scenario::{Location, ScenarioError};
use rust_decimal::Decimal;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DEFAULT_CASES: u64 = 2_000;
const DEFAULT_SEED: u64 = 20_240_808;
/// One case in this many also runs through the binary.
const BINARY_EVERY: u64 = 25;
/// Address-space limit of the binary runs (KiB).
const BINARY_MEMORY_KB: u64 = 4_000_000;
/// Binary cases of a kind of mutation after which that kind is no longer run (see below).
const HANGS_PER_KIND: usize = 2;
/// Examples kept per failure class.
const EXAMPLES: usize = 2;

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: expected a whole number")),
    )
}

struct Config {
    seed: u64,
    cases: std::ops::Range<u64>,
    timeout: Duration,
}

fn config() -> Config {
    let seed = env_u64("IPABS_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let cases = match env_u64("IPABS_FUZZ_CASE") {
        Some(c) => c..c + 1,
        None => 0..env_u64("IPABS_FUZZ_CASES").unwrap_or(DEFAULT_CASES),
    };
    let timeout = Duration::from_secs(env_u64("IPABS_FUZZ_TIMEOUT_SECS").unwrap_or(10));
    Config {
        seed,
        cases,
        timeout,
    }
}

// ---------------------------------------------------------------------------------------------
// Random numbers: SplitMix64, one stream per case so any case is replayed on its own.

struct Rng(u64);

impl Rng {
    fn for_case(seed: u64, case: u64) -> Self {
        let mut r = Rng(seed ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        assert!(n > 0);
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

// ---------------------------------------------------------------------------------------------
// The shipped inputs and their mutants.

/// A shipped scenario: its file name and its files (the scenario first), by relative path.
#[derive(Clone)]
struct Base {
    scenario: String,
    files: Vec<(String, Vec<u8>)>,
}

fn bases() -> &'static [Base] {
    static BASES: std::sync::OnceLock<Vec<Base>> = std::sync::OnceLock::new();
    BASES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        names.sort();
        let out: Vec<Base> = names
            .into_iter()
            .map(|name| {
                let text = std::fs::read_to_string(dir.join(&name)).unwrap();
                let value: toml::Table = toml::from_str(&text).unwrap();
                let mut files = vec![(name.clone(), text.into_bytes())];
                if let Some(pool) = value.get("pool").and_then(|p| p.as_table()) {
                    for key in ["loan_tape", "schedules"] {
                        if let Some(rel) = pool.get(key).and_then(|v| v.as_str()) {
                            files.push((rel.to_string(), std::fs::read(dir.join(rel)).unwrap()));
                        }
                    }
                }
                Base {
                    scenario: name,
                    files,
                }
            })
            .collect();
        assert!(out.len() >= 3, "expected the three shipped scenarios");
        out
    })
}

/// A file replaced by something that is not a regular file (binary runs only).
#[derive(Clone, Copy, Debug)]
enum Special {
    Fifo,
    Folder,
}

#[derive(Clone)]
struct Mutant {
    scenario: String,
    files: Vec<(String, Vec<u8>)>,
    special: Option<(usize, Special)>,
    /// What was done, in order.
    log: Vec<String>,
    /// Whether a number that may size an allocation was made huge (binary runs only).
    risky: bool,
    /// Whether line endings, encodings or bytes were changed (no CRLF twin comparison).
    raw_bytes: bool,
}

impl Mutant {
    fn binary_only(&self) -> bool {
        self.risky || self.special.is_some()
    }

    /// Writes the mutant's files under `dir`; returns the scenario's path.
    fn write(&self, dir: &Path) -> PathBuf {
        for (i, (rel, bytes)) in self.files.iter().enumerate() {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            match self.special {
                Some((j, Special::Fifo)) if j == i => {
                    let status = std::process::Command::new("mkfifo")
                        .arg(&path)
                        .status()
                        .expect("mkfifo");
                    assert!(status.success(), "mkfifo {}", path.display());
                }
                Some((j, Special::Folder)) if j == i => std::fs::create_dir_all(&path).unwrap(),
                _ => std::fs::write(&path, bytes).unwrap(),
            }
        }
        dir.join(&self.scenario)
    }

    /// The same files with every `\n` written as `\r\n`.
    fn crlf_twin(&self) -> Mutant {
        let mut twin = self.clone();
        for (_, bytes) in &mut twin.files {
            *bytes = crlf(bytes);
        }
        twin
    }
}

fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 20);
    for &b in bytes {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Case `case` of seed `seed`: a shipped scenario with one to three mutations.
fn mutant(seed: u64, case: u64) -> Mutant {
    let mut rng = Rng::for_case(seed, case);
    let base = rng.pick(bases()).clone();
    let mut m = Mutant {
        scenario: base.scenario.clone(),
        files: base.files,
        special: None,
        log: vec![format!("base {}", base.scenario)],
        risky: false,
        raw_bytes: false,
    };
    let count = match rng.below(10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    for _ in 0..count {
        mutate(&mut m, &mut rng);
    }
    m
}

const EXTREMES: [&str; 26] = [
    "0",
    "1e27",
    "9e27",
    "79228162514264337593543950335",
    "99999999999999999999999999.99",
    "-1",
    "1e300",
    "-1e300",
    "1e-300",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "79228162514264337593543950336",
    "0.0000000000000000000000000001",
    "1e20",
    "4294967295",
    "1000000000",
    "100000",
    "0.5",
    "1.0",
    "2",
    "12.5",
    "-0.0",
];

const DATES: [&str; 7] = [
    "2999-12-31",
    "9999-12-31",
    "1900-01-01",
    "0001-01-01",
    "2019-02-30",
    "2019-13-01",
    "1970-01-01",
];

/// Words naming a count that sizes an allocation (lags, terms, periods, ...).
fn names_a_count(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "lag",
        "month",
        "term",
        "period",
        "items",
        "df",
        "paths",
        "frequency",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// Whether `value` is a number of magnitude ≥ 100,000 (or not finite).
fn is_huge(value: &str) -> bool {
    let v = value.trim().trim_matches('"').replace('_', "");
    match v.to_ascii_lowercase().parse::<f64>() {
        Ok(x) => x.is_nan() || x.abs() >= 1e5,
        Err(_) => v.len() > 5 && v.bytes().all(|b| b.is_ascii_digit() || b == b'-'),
    }
}

fn mutate(m: &mut Mutant, rng: &mut Rng) {
    // The scenario half of the time, else one of its data files.
    let file = if m.files.len() == 1 || rng.chance(0.5) {
        0
    } else {
        1 + rng.below(m.files.len() - 1)
    };
    let is_toml = file == 0;
    let kinds_toml: &[&str] = &[
        "toml_type",
        "toml_number",
        "toml_date",
        "toml_name",
        "toml_block_dup",
        "toml_list",
        "delete_line",
        "duplicate_line",
        "truncate",
        "byte_flip",
        "encoding",
        "line_endings",
        "empty",
    ];
    let kinds_csv: &[&str] = &[
        "csv_cell",
        "csv_cell",
        "csv_name",
        "csv_columns",
        "delete_line",
        "duplicate_line",
        "truncate",
        "byte_flip",
        "encoding",
        "line_endings",
        "empty",
        "special",
    ];
    let kind = *rng.pick(if is_toml { kinds_toml } else { kinds_csv });
    let rel = m.files[file].0.clone();
    let done = match std::str::from_utf8(&m.files[file].1) {
        Ok(text) => {
            let text = text.to_string();
            let result = match kind {
                "toml_type" => toml_type(&text, rng),
                "toml_number" => toml_token(&text, rng, Token::Number, |rng, _| {
                    rng.pick(&EXTREMES).to_string()
                }),
                "toml_date" => toml_token(&text, rng, Token::Date, |rng, _| {
                    rng.pick(&DATES).to_string()
                }),
                "toml_name" => toml_name(&text, rng),
                "toml_block_dup" => toml_block_dup(&text, rng),
                "toml_list" => toml_list(&text, rng),
                "csv_cell" => csv_cell(&text, rng),
                "csv_name" => csv_name(&text, rng),
                "csv_columns" => csv_columns(&text, rng),
                _ => None,
            };
            result.map(|(new, what, risky)| {
                m.files[file].1 = new.into_bytes();
                m.risky |= risky;
                what
            })
        }
        Err(_) => None,
    };
    let what = match done {
        Some(what) => what,
        None => {
            let bytes = &mut m.files[file].1;
            match kind {
                "delete_line" | "duplicate_line" => {
                    let mut lines = split_lines(bytes);
                    if lines.is_empty() {
                        lines.push(Vec::new());
                    }
                    let i = rng.below(lines.len());
                    let what = format!("{kind} {}", i + 1);
                    if kind == "delete_line" {
                        lines.remove(i);
                    } else {
                        let l = lines[i].clone();
                        lines.insert(i, l);
                    }
                    *bytes = lines.concat();
                    what
                }
                "truncate" => {
                    let at = rng.below(bytes.len() + 1);
                    bytes.truncate(at);
                    format!("truncate at byte {at}")
                }
                "encoding" => {
                    m.raw_bytes = true;
                    encoding(bytes, rng)
                }
                "line_endings" => {
                    m.raw_bytes = true;
                    line_endings(bytes, rng)
                }
                "empty" => {
                    bytes.clear();
                    "empty file".into()
                }
                "special" => {
                    let s = if rng.chance(0.5) {
                        Special::Fifo
                    } else {
                        Special::Folder
                    };
                    m.special = Some((file, s));
                    format!("{s:?} in place of the file")
                }
                _ => {
                    m.raw_bytes = true;
                    let n = 1 + rng.below(4);
                    let mut at = Vec::new();
                    for _ in 0..n {
                        if bytes.is_empty() {
                            break;
                        }
                        let i = rng.below(bytes.len());
                        let b = (rng.next() & 0xff) as u8;
                        at.push(format!("{i}:{:02x}->{b:02x}", bytes[i]));
                        bytes[i] = b;
                    }
                    format!("byte flips {}", at.join(" "))
                }
            }
        }
    };
    m.log.push(format!("{rel}: {what}"));
}

fn split_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn encoding(bytes: &mut Vec<u8>, rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => {
            // GBK-style: every non-ASCII character as two bytes in 0x81..=0xFE.
            let text = String::from_utf8_lossy(bytes).into_owned();
            let mut out = Vec::new();
            for c in text.chars() {
                if c.is_ascii() {
                    out.push(c as u8);
                } else {
                    let v = c as u32;
                    out.push(0x81 + (v % 0x7e) as u8);
                    out.push(0x81 + ((v / 0x7e) % 0x7e) as u8);
                }
            }
            *bytes = out;
            "GBK-style bytes for non-ASCII text".into()
        }
        1 => {
            bytes.splice(0..0, [0xEF, 0xBB, 0xBF]);
            "UTF-8 BOM".into()
        }
        2 => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let mut out = vec![0xFF, 0xFE];
            for u in text.encode_utf16() {
                out.extend(u.to_le_bytes());
            }
            *bytes = out;
            "UTF-16LE with BOM".into()
        }
        3 => {
            let seqs: [&[u8]; 5] = [
                &[0xFF],
                &[0xC0, 0x80],
                &[0x80],
                &[0xE6, 0x97],
                &[0xED, 0xA0, 0x80],
            ];
            let s = rng.pick(&seqs);
            let at = rng.below(bytes.len() + 1);
            bytes.splice(at..at, s.iter().copied());
            format!("invalid UTF-8 {s:02x?} at byte {at}")
        }
        _ => {
            // A multi-byte character cut in half.
            // Lead bytes with a continuation byte after them (a lead byte may end the file).
            let starts: Vec<usize> = (0..bytes.len().saturating_sub(1))
                .filter(|&i| bytes[i] >= 0xC0)
                .collect();
            if starts.is_empty() {
                bytes.push(0xE4);
                return "lone lead byte at the end".into();
            }
            let i = *rng.pick(&starts);
            bytes.remove(i + 1);
            format!("UTF-8 character cut at byte {i}")
        }
    }
}

fn line_endings(bytes: &mut Vec<u8>, rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => {
            *bytes = crlf(bytes);
            "CRLF line endings".into()
        }
        1 => {
            for b in bytes.iter_mut() {
                if *b == b'\n' {
                    *b = b'\r';
                }
            }
            "lone CR line endings".into()
        }
        _ => {
            let mut out = Vec::new();
            for &b in bytes.iter() {
                if b == b'\n' && rng.chance(0.5) {
                    out.push(b'\r');
                }
                out.push(b);
            }
            *bytes = out;
            "mixed LF and CRLF".into()
        }
    }
}

// ---- TOML mutations -------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Debug)]
enum Token {
    Str,
    Number,
    Date,
    Bool,
}

/// Value tokens of a TOML line, outside comments: byte ranges and kinds.
fn tokens(line: &str) -> Vec<(std::ops::Range<usize>, Token)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Skip a `key =` at the start (keys are not values).
    if let Some(eq) = line.find('=')
        && !line[..eq].contains(['"', '[', '{', '\''])
    {
        i = eq + 1;
    }
    while i < b.len() {
        let c = b[i];
        if c == b'#' {
            break;
        }
        if c == b'"' || c == b'\'' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != c {
                if c == b'"' && b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            while !line.is_char_boundary(i) {
                i += 1;
            }
            out.push((start..i, Token::Str));
            continue;
        }
        let starts_number = c.is_ascii_digit()
            || ((c == b'-' || c == b'+') && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        if starts_number {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b"_.:+-".contains(&b[i])) {
                i += 1;
            }
            let tok = &line[start..i];
            let kind = if tok.len() == 10 && tok.as_bytes()[4] == b'-' && tok.as_bytes()[7] == b'-'
            {
                Token::Date
            } else {
                Token::Number
            };
            out.push((start..i, kind));
            continue;
        }
        if line[i..].starts_with("true") || line[i..].starts_with("false") {
            let n = if line[i..].starts_with("true") { 4 } else { 5 };
            out.push((i..i + n, Token::Bool));
            i += n;
            continue;
        }
        // A key inside an inline table: skip to its `=`.
        if c.is_ascii_alphabetic()
            && let Some(eq) = line[i..].find('=')
        {
            i += eq + 1;
            continue;
        }
        i += line[i..].chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// Every (line index, token range, kind) of the text.
fn all_tokens(text: &str) -> Vec<(usize, std::ops::Range<usize>, Token)> {
    text.split('\n')
        .enumerate()
        .flat_map(|(n, line)| tokens(line).into_iter().map(move |(r, k)| (n, r, k)))
        .collect()
}

fn replace_token(text: &str, line: usize, range: std::ops::Range<usize>, with: &str) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    lines[line].replace_range(range, with);
    lines.join("\n")
}

type Mutation = Option<(String, String, bool)>;

/// Replaces one token of kind `kind` by `with(rng, old)`.
fn toml_token(
    text: &str,
    rng: &mut Rng,
    kind: Token,
    with: impl Fn(&mut Rng, &str) -> String,
) -> Mutation {
    let toks: Vec<_> = all_tokens(text)
        .into_iter()
        .filter(|t| t.2 == kind)
        .collect();
    if toks.is_empty() {
        return None;
    }
    let (line, range, _) = rng.pick(&toks).clone();
    let source_line = text.split('\n').nth(line).unwrap().to_string();
    let old = source_line[range.clone()].to_string();
    let new = with(rng, &old);
    let risky = is_huge(&new) && names_a_count(&source_line);
    Some((
        replace_token(text, line, range, &new),
        format!("line {}: {old} -> {new}", line + 1),
        risky,
    ))
}

/// Changes the type of one value: number ↔ string, int → float, → bool, date → string.
fn toml_type(text: &str, rng: &mut Rng) -> Mutation {
    let toks = all_tokens(text);
    if toks.is_empty() {
        return None;
    }
    let (line, range, kind) = rng.pick(&toks).clone();
    let source_line = text.split('\n').nth(line).unwrap().to_string();
    let old = source_line[range.clone()].to_string();
    let new = match (kind, rng.below(4)) {
        (Token::Number, 0) | (Token::Date, 0) => format!("\"{old}\""),
        (Token::Number, 1) if !old.contains('.') => format!("{old}.0"),
        (Token::Number, 1) => old.split('.').next().unwrap_or("0").to_string(),
        (Token::Str, 0) => "42".into(),
        (Token::Str, 1) => "1.5".into(),
        (Token::Str, 2) => "[]".into(),
        (Token::Bool, 0) => "1".into(),
        (Token::Bool, 1) => "\"true\"".into(),
        (_, 2) => "true".into(),
        (_, 3) => "{ a = 1 }".into(),
        _ => "\"\"".into(),
    };
    Some((
        replace_token(text, line, range, &new),
        format!("line {}: {old} -> {new}", line + 1),
        false,
    ))
}

/// The names defined (`name = "X"`) in the scenario.
fn defined_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let rest = l.strip_prefix("name")?.trim_start().strip_prefix('=')?;
            let rest = rest.trim_start().strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_string())
        })
        .collect()
}

/// Duplicates, renames (consistently or only where defined) or empties a name.
fn toml_name(text: &str, rng: &mut Rng) -> Mutation {
    let names = defined_names(text);
    if names.len() < 2 {
        return None;
    }
    let name = rng.pick(&names).clone();
    let quoted = format!("\"{name}\"");
    let def = format!("name = {quoted}");
    let (new, what) = match rng.below(5) {
        0 => {
            let other = rng.pick(&names).clone();
            (
                text.replacen(&def, &format!("name = \"{other}\""), 1),
                format!("name {name} defined as {other} (duplicate)"),
            )
        }
        1 => (
            text.replace(&quoted, &format!("\"{name}_2\"")),
            format!("{name} renamed {name}_2 everywhere"),
        ),
        2 => (
            text.replacen(&def, &format!("name = \"{name}_2\""), 1),
            format!("{name} renamed {name}_2 where defined only"),
        ),
        3 => {
            let other = rng.pick(&names).clone();
            (
                text.replace(&quoted, &format!("\"{other}\"")),
                format!("{name} renamed {other} everywhere"),
            )
        }
        _ => (
            text.replacen(&def, "name = \"\"", 1),
            format!("{name} renamed to the empty name"),
        ),
    };
    Some((new, what, false))
}

/// Duplicates one `[[...]]` block (tranche, fee, account, ...).
fn toml_block_dup(text: &str, rng: &mut Rng) -> Mutation {
    let lines: Vec<&str> = text.split('\n').collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with("[["))
        .collect();
    if starts.is_empty() {
        return None;
    }
    let s = *rng.pick(&starts);
    let e = (s + 1..lines.len())
        .find(|&i| lines[i].trim_start().starts_with('['))
        .unwrap_or(lines.len());
    let mut out: Vec<&str> = lines[..e].to_vec();
    out.extend_from_slice(&lines[s..e]);
    out.extend_from_slice(&lines[e..]);
    Some((
        out.join("\n"),
        format!("block {} at line {} duplicated", lines[s].trim(), s + 1),
        false,
    ))
}

/// In a list of names (`tranches = [...]`, `covers`, `target_of`): repeats one, adds unknown or
/// more names than exist, or empties it.
fn toml_list(text: &str, rng: &mut Rng) -> Mutation {
    let lines: Vec<&str> = text.split('\n').collect();
    let cands: Vec<(usize, usize, usize)> = lines
        .iter()
        .enumerate()
        .flat_map(|(n, l)| {
            let mut v = Vec::new();
            for key in ["tranches = [", "covers = [", "target_of = ["] {
                let mut from = 0;
                while let Some(p) = l[from..].find(key) {
                    let open = from + p + key.len();
                    if let Some(close) = l[open..].find(']') {
                        v.push((n, open, open + close));
                    }
                    from = open;
                }
            }
            v
        })
        .collect();
    if cands.is_empty() {
        return None;
    }
    let (n, open, close) = *rng.pick(&cands);
    let inner = &lines[n][open..close];
    let items: Vec<&str> = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let names = defined_names(text);
    let new_inner = match rng.below(4) {
        0 if !items.is_empty() => {
            let mut v = items.clone();
            let i = rng.below(v.len());
            v.insert(i, items[i]);
            v.join(", ")
        }
        1 => {
            let mut v: Vec<String> = names.iter().map(|s| format!("\"{s}\"")).collect();
            v.push("\"X\"".into());
            v.join(", ")
        }
        2 => {
            let mut v = items.clone();
            v.extend(items.iter());
            v.extend(items.iter());
            v.join(", ")
        }
        _ => String::new(),
    };
    let mut line = lines[n].to_string();
    line.replace_range(open..close, &new_inner);
    let mut out: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    out[n] = line;
    Some((
        out.join("\n"),
        format!("line {}: [{inner}] -> [{new_inner}]", n + 1),
        false,
    ))
}

// ---- CSV mutations --------------------------------------------------------------------------

const CELLS: [&str; 33] = [
    "",
    "1e27",
    "79228162514264337593543950335",
    "9999999999999999999999999.99",
    "abc",
    "0",
    "-1",
    "1e300",
    "1e-300",
    "NaN",
    "inf",
    "-inf",
    "9223372036854775807",
    "18446744073709551616",
    "79228162514264337593543950336",
    "1.5",
    "12.0",
    "true",
    "2999-12-31",
    "9999-12-31",
    "2019-02-30",
    "1000000000",
    "100000",
    " 7 ",
    "\"quoted\"",
    "\"a,b\"",
    "0.99999999999999999999999999",
    "-0.05",
    "1,000",
    "５０",
    "=1+1",
    "equal_principal",
    "quarterly",
];

fn csv_lines(text: &str) -> Vec<String> {
    text.split('\n').map(str::to_string).collect()
}

fn header_of(lines: &[String]) -> Vec<String> {
    lines
        .first()
        .map(|h| h.split(',').map(str::to_string).collect())
        .unwrap_or_default()
}

/// Replaces one cell of a data row.
fn csv_cell(text: &str, rng: &mut Rng) -> Mutation {
    let mut lines = csv_lines(text);
    let header = header_of(&lines);
    let rows: Vec<usize> = (1..lines.len()).filter(|&i| !lines[i].is_empty()).collect();
    if rows.is_empty() || header.is_empty() {
        return None;
    }
    let r = *rng.pick(&rows);
    let mut cells: Vec<String> = lines[r].split(',').map(str::to_string).collect();
    let c = rng.below(cells.len());
    let new = rng.pick(&CELLS).to_string();
    let column = header.get(c).cloned().unwrap_or_default();
    let risky = is_huge(&new) && names_a_count(&column);
    let what = format!("line {} column {column}: {} -> {new}", r + 1, cells[c]);
    cells[c] = new;
    lines[r] = cells.join(",");
    Some((lines.join("\n"), what, risky))
}

/// Duplicates an id or an obligor across rows, or renames an id (schedules then name a loan
/// that is not on the tape).
fn csv_name(text: &str, rng: &mut Rng) -> Mutation {
    let mut lines = csv_lines(text);
    let header = header_of(&lines);
    let rows: Vec<usize> = (1..lines.len()).filter(|&i| !lines[i].is_empty()).collect();
    if rows.len() < 2 {
        return None;
    }
    let col = header
        .iter()
        .position(|h| h == "obligor" || h == "id" || h == "asset_id")
        .filter(|_| rng.chance(0.5))
        .unwrap_or(0);
    let (a, b) = (*rng.pick(&rows), *rng.pick(&rows));
    let from: Vec<String> = lines[a].split(',').map(str::to_string).collect();
    let mut to: Vec<String> = lines[b].split(',').map(str::to_string).collect();
    if col >= from.len() || col >= to.len() {
        return None;
    }
    let what = if rng.chance(0.5) {
        let w = format!(
            "line {} {}: {} -> {} (as line {})",
            b + 1,
            header[col],
            to[col],
            from[col],
            a + 1
        );
        to[col] = from[col].clone();
        w
    } else {
        let w = format!(
            "line {} {}: {} renamed {}_X",
            b + 1,
            header[col],
            to[col],
            to[col]
        );
        to[col] = format!("{}_X", to[col]);
        w
    };
    lines[b] = to.join(",");
    Some((lines.join("\n"), what, false))
}

/// Deletes, duplicates, renames or swaps a column, or makes one row shorter or longer.
fn csv_columns(text: &str, rng: &mut Rng) -> Mutation {
    let mut lines = csv_lines(text);
    let header = header_of(&lines);
    if header.len() < 2 {
        return None;
    }
    let c = rng.below(header.len());
    let map_all = |lines: &mut Vec<String>, f: &dyn Fn(&mut Vec<String>)| {
        for l in lines.iter_mut().filter(|l| !l.is_empty()) {
            let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
            f(&mut cells);
            *l = cells.join(",");
        }
    };
    let what = match rng.below(5) {
        0 => {
            map_all(&mut lines, &|cells| {
                if c < cells.len() {
                    cells.remove(c);
                }
            });
            format!("column {} deleted", header[c])
        }
        1 => {
            map_all(&mut lines, &|cells| {
                if c < cells.len() {
                    let v = cells[c].clone();
                    cells.insert(c, v);
                }
            });
            format!("column {} duplicated", header[c])
        }
        2 => {
            let d = rng.below(header.len());
            let mut h = header.clone();
            h.swap(c, d);
            lines[0] = h.join(",");
            format!("header {} and {} swapped", header[c], header[d])
        }
        3 => {
            let mut h = header.clone();
            h[c] = format!("{}_x", h[c]);
            lines[0] = h.join(",");
            format!("header {} renamed", header[c])
        }
        _ => {
            if lines.len() < 2 {
                return None;
            }
            let r = 1 + rng.below(lines.len() - 1);
            if rng.chance(0.5) {
                lines[r].push_str(",extra");
                format!("line {}: an extra cell", r + 1)
            } else {
                if let Some(p) = lines[r].rfind(',') {
                    lines[r].truncate(p);
                }
                format!("line {}: the last cell missing", r + 1)
            }
        }
    };
    Some((lines.join("\n"), what, false))
}

// ---------------------------------------------------------------------------------------------
// Running a mutant and checking the outcome.

thread_local! {
    /// Set on the threads running cases: their panics are recorded, not printed.
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(Cell::get) {
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg} (at {at})")));
            } else {
                default(info);
            }
        }));
    });
}

/// Runs `f` on a thread of its own, panics recorded; `None` when it did not finish in time.
fn bounded<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<Result<T, String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        CAPTURING.with(|c| c.set(true));
        let r = catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
            PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "panic".into())
        });
        let _ = tx.send(r);
    });
    rx.recv_timeout(timeout).ok()
}

/// What the library did with a mutant.
enum LibOutcome {
    Accepted {
        /// A failed conservation check.
        conservation: Option<String>,
    },
    Rejected {
        message: String,
        located: Result<(), String>,
        arrows: Vec<String>,
        /// Problems left after the command's error: an output folder, or a success.
        command: Result<(), String>,
    },
    /// The library panicked (while loading or running).
    Panicked(String),
}

/// Checks that every problem of `err` names one of the mutant's files and a place in it.
fn check_located(err: &ScenarioError, dir: &Path, m: &Mutant) -> Result<(), String> {
    let paths: Vec<PathBuf> = m.files.iter().map(|(rel, _)| dir.join(rel)).collect();
    let message = err.to_string();
    match err {
        ScenarioError::Io { path, source } => {
            if !paths.contains(path) {
                return Err(format!("I/O error names {} (not an input)", path.display()));
            }
            if source.kind() == std::io::ErrorKind::InvalidData {
                return Err(format!(
                    "unreadable file without a position: {}",
                    first_line(&message)
                ));
            }
            Ok(())
        }
        ScenarioError::Invalid { problems, .. } => {
            if problems.is_empty() {
                return Err("an error without problems".into());
            }
            for p in problems {
                let Some(i) = paths.iter().position(|f| *f == p.file) else {
                    return Err(format!("problem names {} (not an input)", p.file.display()));
                };
                let bytes = &m.files[i].1;
                let line_count = bytes.split(|&b| b == b'\n').count() as u64;
                match &p.location {
                    Location::Span(r) => {
                        if r.start > bytes.len() || r.end > bytes.len() || r.start > r.end {
                            return Err(format!(
                                "span {r:?} outside {} ({} bytes): {}",
                                p.file.display(),
                                bytes.len(),
                                first_line(&message)
                            ));
                        }
                    }
                    Location::Cell { line, column, .. } => {
                        if *line == 0 || *line > line_count || *column == 0 {
                            return Err(format!(
                                "cell {line}:{column} outside {} ({line_count} lines): {}",
                                p.file.display(),
                                first_line(&message)
                            ));
                        }
                    }
                    Location::Line(line) => {
                        if *line == 0 || *line > line_count {
                            return Err(format!(
                                "line {line} outside {} ({line_count} lines): {}",
                                p.file.display(),
                                first_line(&message)
                            ));
                        }
                    }
                    // Workbooks are not among the mutants' files; a sheet location still needs
                    // a row.
                    Location::SheetCell { row, .. } | Location::SheetRow { row, .. } => {
                        if *row == 0 {
                            return Err(format!("sheet row 0: {}", first_line(&message)));
                        }
                    }
                    Location::File => {
                        if p.field.trim().is_empty() {
                            return Err(format!(
                                "whole-file problem without a field: {}",
                                first_line(&message)
                            ));
                        }
                    }
                }
            }
            Ok(())
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(200).collect()
}

/// The `--> FILE:LINE:COL` lines of an error message, the folder replaced by `DIR`.
fn arrows(message: &str, dir: &Path) -> Vec<String> {
    let d = dir.display().to_string();
    message
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> "))
        .map(|l| l.replace(&d, "DIR"))
        .collect()
}

/// Loads and runs the mutant written at `dir` as `ipabs cashflow` does.
fn run_lib(dir: &Path, scenario: &Path, m: &Mutant) -> LibOutcome {
    let loaded = catch_unwind(AssertUnwindSafe(|| ipabs::scenario::load(scenario)));
    let loaded = match loaded {
        Ok(l) => l,
        Err(_) => return LibOutcome::Panicked(take_panic()),
    };
    match loaded {
        Ok(deal) => {
            let run = match catch_unwind(AssertUnwindSafe(|| ipabs::results::run_cashflow(&deal))) {
                Ok(run) => run,
                Err(_) => return LibOutcome::Panicked(take_panic()),
            };
            let conservation = catch_unwind(AssertUnwindSafe(|| {
                common::conservation::check(&run, &deal, "mutant")
            }))
            .err()
            .map(|_| take_panic());
            LibOutcome::Accepted { conservation }
        }
        Err(err) => {
            let message = err.to_string();
            let located = check_located(&err, dir, m);
            // The command itself: an error too, and no output folder (nor a partial one).
            let out = dir.join("out");
            let args = CashflowArgs {
                scenario: scenario.to_path_buf(),
                cdr: None,
                cpr: None,
                recovery: None,
                lag: None,
                out: Some(out.clone()),
                quiet: true,
            };
            let command =
                match catch_unwind(AssertUnwindSafe(|| ipabs::commands::cashflow::run(&args))) {
                    Err(_) => Err(format!("the command panicked: {}", take_panic())),
                    Ok(Ok(_)) => Err("the command succeeded where loading failed".into()),
                    Ok(Err(e)) if e.exit_code() != 2 => {
                        Err(format!("exit code {} for bad input", e.exit_code()))
                    }
                    Ok(Err(_)) => leftover_output(dir),
                };
            LibOutcome::Rejected {
                arrows: arrows(&message, dir),
                message,
                located,
                command,
            }
        }
    }
}

fn take_panic() -> String {
    PANIC
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| "panic".into())
}

/// An error if an output folder (or a partial one) was left in `dir`.
fn leftover_output(dir: &Path) -> Result<(), String> {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name == "out" || name.starts_with(".out.") {
            return Err(format!("output left after an error: {name}"));
        }
    }
    Ok(())
}

/// Failures by class, with the first examples.
#[derive(Default)]
struct Failures {
    classes: BTreeMap<String, (usize, Vec<String>)>,
}

impl Failures {
    fn add(&mut self, class: &str, seed: u64, case: u64, m: &Mutant, detail: &str) {
        let class = normalise(class);
        let entry = self.classes.entry(class).or_default();
        entry.0 += 1;
        if entry.1.len() < EXAMPLES {
            let saved = save(seed, case, m);
            entry.1.push(format!(
                "    case {case} (IPABS_FUZZ_SEED={seed} IPABS_FUZZ_CASE={case}): {}\n      {}\n      saved to {} (replay: ipabs cashflow {} --out /tmp/replay)",
                m.log.join("; "),
                detail.lines().take(6).collect::<Vec<_>>().join("\n      "),
                saved.display(),
                saved.join(&m.scenario).display()
            ));
        }
    }

    fn report(&self, header: &str) -> String {
        let mut s = format!("{header}\n{} failure classes:\n", self.classes.len());
        for (class, (n, examples)) in &self.classes {
            s += &format!("  [{n}×] {class}\n");
            for e in examples {
                s += e;
                s += "\n";
            }
        }
        s
    }
}

/// A failure's class: digits and paths out, so that one bug is one class.
fn normalise(class: &str) -> String {
    let mut s = String::new();
    let mut last_digit = false;
    for c in first_line(class).chars() {
        if c.is_ascii_digit() {
            if !last_digit {
                s.push('N');
            }
            last_digit = true;
        } else {
            s.push(c);
            last_digit = false;
        }
    }
    // Folder names of the temporary cases.
    let tmp = std::env::temp_dir().display().to_string();
    let s = s.replace(&tmp, "TMP");
    s.chars().take(160).collect()
}

/// Writes the mutant to a folder that outlives the run; returns it.
fn save(seed: u64, case: u64, m: &Mutant) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipabs-fuzz-{seed}-{case}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    m.write(&dir);
    std::fs::write(dir.join("MUTATIONS.txt"), m.log.join("\n") + "\n").unwrap();
    dir
}

/// The run's measures for the report.
#[derive(Default)]
struct Stats {
    cases: u64,
    accepted: u64,
    rejected: u64,
    panicked: u64,
    skipped: u64,
    slowest: (Duration, u64),
}

impl Stats {
    fn time(&mut self, d: Duration, case: u64) {
        if d > self.slowest.0 {
            self.slowest = (d, case);
        }
    }
    fn line(&self, name: &str, seed: u64, elapsed: Duration) -> String {
        format!(
            "{name}: seed {seed}, {} cases ({} accepted, {} rejected, {} panicked, {} left to the other test) in {:.1} s; slowest case {} ({:.3} s)",
            self.cases,
            self.accepted,
            self.rejected,
            self.panicked,
            self.skipped,
            elapsed.as_secs_f64(),
            self.slowest.1,
            self.slowest.0.as_secs_f64()
        )
    }
}

#[test]
fn mutants_in_process_never_panic_fail_located_and_conserve_cash() {
    install_panic_hook();
    let cfg = config();
    let started = Instant::now();
    let mut stats = Stats::default();
    let mut failures = Failures::default();
    let root = tempfile::tempdir().unwrap();
    let mut hangs = 0;
    for case in cfg.cases.clone() {
        let m = mutant(cfg.seed, case);
        if m.binary_only() {
            stats.skipped += 1;
            continue;
        }
        stats.cases += 1;
        let dir = root.path().join(format!("case-{case}"));
        let scenario = m.write(&dir);
        let t0 = Instant::now();
        let (d, s, mm) = (dir.clone(), scenario.clone(), m.clone());
        let outcome = bounded(cfg.timeout, move || run_lib(&d, &s, &mm));
        stats.time(t0.elapsed(), case);
        let kinds: Vec<String> = m.log.iter().skip(1).map(|l| kind_of(l)).collect();
        match outcome {
            None => {
                hangs += 1;
                failures.add(
                    &format!(
                        "hang: no result within {:?} ({})",
                        cfg.timeout,
                        kinds.join(", ")
                    ),
                    cfg.seed,
                    case,
                    &m,
                    "the case's thread is still running",
                );
                if hangs >= 3 {
                    // Hung threads keep their cores: stop rather than time every case out.
                    failures.add("stopped after 3 hangs", cfg.seed, case, &m, "");
                    break;
                }
            }
            Some(Err(p)) | Some(Ok(LibOutcome::Panicked(p))) => {
                stats.panicked += 1;
                failures.add(&format!("panic: {p}"), cfg.seed, case, &m, &p);
            }
            Some(Ok(LibOutcome::Accepted { conservation })) => {
                stats.accepted += 1;
                if let Some(c) = conservation {
                    failures.add(
                        &format!("cash not conserved: {}", c.replace("mutant: ", "")),
                        cfg.seed,
                        case,
                        &m,
                        &c,
                    );
                }
            }
            Some(Ok(LibOutcome::Rejected {
                message,
                located,
                arrows,
                command,
            })) => {
                stats.rejected += 1;
                if let Err(e) = located {
                    failures.add(&format!("not located: {e}"), cfg.seed, case, &m, &message);
                }
                if let Err(e) = command {
                    failures.add(&format!("command: {e}"), cfg.seed, case, &m, &message);
                }
                if !m.raw_bytes && !m.files.iter().any(|(_, b)| b.contains(&b'\r')) {
                    crlf_twin(&cfg, &root, case, &m, &arrows, &mut failures);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let summary = stats.line("in-process", cfg.seed, started.elapsed());
    eprintln!("{summary}");
    assert!(failures.classes.is_empty(), "{}", failures.report(&summary));
}

/// The mutant's CRLF twin must be reported at the same lines and columns.
fn crlf_twin(
    cfg: &Config,
    root: &tempfile::TempDir,
    case: u64,
    m: &Mutant,
    arrows_lf: &[String],
    failures: &mut Failures,
) {
    let twin = m.crlf_twin();
    let dir = root.path().join(format!("case-{case}-crlf"));
    let scenario = twin.write(&dir);
    let (d, s, t) = (dir.clone(), scenario, twin.clone());
    let outcome = bounded(cfg.timeout, move || run_lib(&d, &s, &t));
    let mut twin_log = twin.clone();
    twin_log
        .log
        .push("every file with CRLF line endings".into());
    match outcome {
        Some(Ok(LibOutcome::Rejected { arrows, .. })) if arrows == arrows_lf => {}
        Some(Ok(LibOutcome::Rejected { arrows, .. })) => failures.add(
            "CRLF: located differently from LF",
            cfg.seed,
            case,
            &twin_log,
            &format!("LF: {arrows_lf:?}\nCRLF: {arrows:?}"),
        ),
        Some(Ok(LibOutcome::Accepted { .. })) => failures.add(
            "CRLF: accepted where LF was rejected",
            cfg.seed,
            case,
            &twin_log,
            &format!("LF: {arrows_lf:?}"),
        ),
        Some(Ok(LibOutcome::Panicked(p))) | Some(Err(p)) => {
            failures.add(&format!("panic: {p}"), cfg.seed, case, &twin_log, &p)
        }
        None => failures.add("hang: CRLF twin", cfg.seed, case, &twin_log, ""),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The mutation's kind from its log line (`FILE: WHAT`), for naming hang classes.
fn kind_of(log: &str) -> String {
    let what = log.split_once(": ").map_or(log, |(_, w)| w);
    what.split([' ', ':']).next().unwrap_or("").to_string()
}

#[test]
fn mutants_through_the_binary_exit_0_or_2_and_leave_nothing_on_error() {
    let cfg = config();
    let started = Instant::now();
    let mut stats = Stats::default();
    let mut failures = Failures::default();
    let root = tempfile::tempdir().unwrap();
    let mut hung: BTreeMap<String, usize> = BTreeMap::new();
    for case in cfg.cases.clone() {
        let m = mutant(cfg.seed, case);
        let single = cfg.cases.end - cfg.cases.start == 1;
        if !(m.binary_only() || case % BINARY_EVERY == 0 || single) {
            continue;
        }
        let kinds: Vec<String> = m.log.iter().skip(1).map(|l| kind_of(l)).collect();
        if kinds
            .iter()
            .any(|k| hung.get(k).is_some_and(|&n| n >= HANGS_PER_KIND))
        {
            // A kind of mutation that hung twice already (a known hang, e.g. a FIFO as the
            // tape) is not timed out again and again: reported once, the rest skipped.
            stats.skipped += 1;
            continue;
        }
        stats.cases += 1;
        let dir = root.path().join(format!("case-{case}"));
        let scenario = m.write(&dir);
        let out = dir.join("out");
        let t0 = Instant::now();
        let output = assert_cmd::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v {BINARY_MEMORY_KB}; exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_ipabs"))
            .arg("cashflow")
            .arg(&scenario)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .timeout(cfg.timeout)
            .output()
            .expect("run ipabs");
        let elapsed = t0.elapsed();
        stats.time(elapsed, case);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        match output.status.code() {
            Some(0) => {
                stats.accepted += 1;
                if let Err(e) = ledger_balances(&out) {
                    failures.add(&format!("binary: {e}"), cfg.seed, case, &m, &e);
                }
            }
            Some(2) => {
                stats.rejected += 1;
                if let Err(e) = binary_located(&stderr, &dir, &m) {
                    failures.add(
                        &format!("binary: not located: {e}"),
                        cfg.seed,
                        case,
                        &m,
                        &stderr,
                    );
                }
                if let Err(e) = leftover_output(&dir) {
                    failures.add(&format!("binary: {e}"), cfg.seed, case, &m, &stderr);
                }
            }
            Some(101) => {
                stats.panicked += 1;
                let msg = stderr
                    .lines()
                    .skip_while(|l| !l.contains("panicked at"))
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ");
                failures.add(
                    &format!("binary: panic: {msg}"),
                    cfg.seed,
                    case,
                    &m,
                    &stderr,
                );
            }
            code => {
                let what = if elapsed >= cfg.timeout {
                    for k in &kinds {
                        *hung.entry(k.clone()).or_default() += 1;
                    }
                    format!("hang: killed after {:?}", cfg.timeout)
                } else if code.is_none() {
                    "killed by a signal (memory limit?)".to_string()
                } else {
                    format!("exit code {code:?}")
                };
                failures.add(
                    &format!("binary: {what} ({})", kinds.join(", ")),
                    cfg.seed,
                    case,
                    &m,
                    &format!("{what}\n{}", stderr.chars().take(400).collect::<String>()),
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let summary = stats.line("binary", cfg.seed, started.elapsed());
    eprintln!("{summary}");
    assert!(failures.classes.is_empty(), "{}", failures.report(&summary));
}

/// The binary's error names a file of the mutant with a line (or is an I/O error on a file
/// that cannot be opened).
fn binary_located(stderr: &str, dir: &Path, m: &Mutant) -> Result<(), String> {
    let paths: Vec<String> = m
        .files
        .iter()
        .map(|(rel, _)| dir.join(rel).display().to_string())
        .collect();
    if let Some(rest) = stderr.strip_prefix("cannot read ") {
        return if paths.iter().any(|p| rest.starts_with(p.as_str())) {
            if rest.contains("valid UTF-8") {
                Err(format!(
                    "unreadable file without a position: {}",
                    first_line(stderr)
                ))
            } else {
                Ok(())
            }
        } else {
            Err(format!(
                "I/O error on an unknown file: {}",
                first_line(stderr)
            ))
        };
    }
    let arrows: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> "))
        .collect();
    if arrows.is_empty() {
        return Err(format!("no `--> FILE:LINE`: {}", first_line(stderr)));
    }
    for a in arrows {
        let Some(p) = paths.iter().find(|p| a.starts_with(p.as_str())) else {
            return Err(format!("names no input file: --> {a}"));
        };
        let rest = &a[p.len()..];
        let has_line = rest.starts_with(':') && rest[1..].starts_with(|c: char| c.is_ascii_digit());
        if !has_line && !stderr.contains("error: ") {
            return Err(format!("neither a line nor a field: --> {a}"));
        }
    }
    Ok(())
}

/// In `ledger.csv` of an output folder, what came in each period went out.
fn ledger_balances(out: &Path) -> Result<(), String> {
    let path = out.join("ledger.csv");
    let mut r = csv::Reader::from_path(&path).map_err(|e| format!("ledger.csv: {e}"))?;
    let h = r.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| h.iter().position(|c| c == name).ok_or(format!("no {name}"));
    let (p, d, a) = (col("period")?, col("direction")?, col("amount")?);
    let mut by_period: BTreeMap<u64, Decimal> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        let period: u64 = rec[p].parse().map_err(|_| format!("period {}", &rec[p]))?;
        let amount: Decimal = rec[a].parse().map_err(|_| format!("amount {}", &rec[a]))?;
        let e = by_period.entry(period).or_default();
        match &rec[d] {
            "in" => *e += amount,
            "out" => *e -= amount,
            // Between the plan's own accounts: the plan's cash does not change.
            "transfer" => {}
            other => return Err(format!("direction {other}")),
        }
    }
    match by_period.iter().find(|(_, v)| !v.is_zero()) {
        Some((period, v)) => Err(format!(
            "cash not conserved: ledger in − out = {v} in period {period}"
        )),
        None => Ok(()),
    }
}
