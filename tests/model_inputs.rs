//! Inputs mean what they say (issue 10, item 5): `pd_multiplier` moves a term-structure
//! Monte Carlo, `model.recovery.source` chooses where the Monte Carlo's recoveries come from
//! (and its absence is warned about when it matters), and recoveries that fall after the last
//! payment date are reported with the amount forgone.

use assert_cmd::cargo::cargo_bin_cmd;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

use ipabs::credit::RecoverySource;
use ipabs::deal::Deal;
use ipabs::montecarlo::{McOptions, simulate};
use ipabs::scenario::{Document, WarningKind};
use ipabs::structuring::overrides::KeyPath;
use ipabs::structuring::sweep::Grid;

const POOL_CDR: usize = 0;
const POOL_LOSS_RATE: usize = 1;

fn shipped(file: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

/// `text` with `from` replaced by `to` (which must be there).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` not in the scenario");
    text.replacen(from, to, 1)
}

/// The deals of a one-key sweep, loaded as `ipabs sweep --vary KEY=v1,v2,...` loads them.
fn sweep(path: &Path, text: &str, key: &str, values: &[&str]) -> Vec<Deal> {
    let grid = Grid {
        keys: vec![KeyPath::parse(key).unwrap()],
        values: vec![values.iter().map(|v| v.parse().unwrap()).collect()],
    };
    let doc = Document::parse(path, text).unwrap();
    match grid.deals(&doc, &doc.attachments()) {
        Ok(deals) => deals.into_iter().map(|(_, d)| d).collect(),
        Err(_) => panic!("sweep over {key} did not load"),
    }
}

/// One column of the per-path rows of a Monte Carlo run.
fn per_path(deal: &Deal, paths: u64, column: usize) -> Vec<f64> {
    let width = ipabs::montecarlo::path::row_width(deal.structure.tranches.len());
    let mut out = Vec::with_capacity(paths as usize);
    let options = McOptions {
        paths,
        seed: 20240601,
        threads: 2,
        importance: None,
    };
    simulate(
        deal,
        options,
        |_, rows| out.extend(rows.chunks_exact(width).map(|r| r[column])),
        |_| {},
    )
    .unwrap();
    out
}

/// Mean and its standard error.
fn mean_se(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

// ---- 1. pd_multiplier with a cumulative_pd term structure ----------------------------------

/// The royalty deal with a term structure (cumulative PD 2 % after one year ... 11 % after five)
/// swept over `pool.pd_multiplier` = 1, 2. The multiplier scales the cumulative curve, and a
/// pool's expected CDR is linear in its obligors' period default probabilities (loan-level,
/// no clean-up call in this deal), so E[CDR(2)] = 2 E[CDR(1)] exactly while the curve stays
/// below 1. With common random numbers the per-path difference CDR(2) − 2 CDR(1) has mean 0;
/// its standard error from the paths sets the tolerance (4 SE).
#[test]
fn pd_multiplier_moves_a_term_structure_monte_carlo() {
    let (path, text) = shipped("patent-royalty-300m.toml");
    let text = edit(
        &text,
        "[model]\n",
        "[model]\ncumulative_pd = [0.02, 0.045, 0.07, 0.09, 0.11]\n",
    );
    let deals = sweep(&path, &text, "pool.pd_multiplier", &["1", "2"]);
    assert_eq!(deals[1].credit.pd_multiplier, 2.0);
    let paths = 40_000;
    let one = per_path(&deals[0], paths, POOL_CDR);
    let two = per_path(&deals[1], paths, POOL_CDR);
    let (m1, se1) = mean_se(&one);
    let (m2, se2) = mean_se(&two);
    let diff: Vec<f64> = one.iter().zip(&two).map(|(a, b)| b - 2.0 * a).collect();
    let (md, sed) = mean_se(&diff);
    eprintln!(
        "term structure: mean CDR {m1:.5} ± {se1:.5} at pd_multiplier 1, {m2:.5} ± {se2:.5} at 2 \
         (ratio {:.3}); CDR(2) − 2 CDR(1) = {md:.6} ± {sed:.6}",
        m2 / m1
    );
    // The defect: both points were the same.
    assert!(m2 - m1 > 10.0 * se1.max(se2), "{m1} vs {m2}");
    assert!(md.abs() <= 4.0 * sed, "CDR(2) − 2·CDR(1) = {md} ± {sed}");
    // Each path defaults at least as much under the doubled curve.
    assert!(one.iter().zip(&two).all(|(a, b)| b >= a));
}

/// pd_multiplier = 1 leaves a term-structure model as it was, and 0 removes every default.
#[test]
fn pd_multiplier_one_and_zero_on_a_term_structure() {
    let (path, text) = shipped("patent-royalty-300m.toml");
    let text = edit(
        &text,
        "[model]\n",
        "[model]\ncumulative_pd = [0.02, 0.045, 0.07, 0.09, 0.11]\n",
    );
    let plain = ipabs::scenario::load_text(&path, &text).unwrap();
    let deals = sweep(&path, &text, "pool.pd_multiplier", &["1", "0"]);
    assert_eq!(
        per_path(&plain, 4_000, POOL_CDR),
        per_path(&deals[0], 4_000, POOL_CDR)
    );
    assert!(
        per_path(&deals[1], 4_000, POOL_CDR)
            .iter()
            .all(|c| *c == 0.0)
    );
}

// ---- 2. the Monte Carlo's recovery source -------------------------------------------------

/// The royalty deal's tape gives every asset `recovery_rate = 0.15`. With `source = "model"` a
/// sweep of `model.recovery.rate` over 0, 0.5, 1 moves the mean pool loss rate (it used to
/// give identical rows: the tape won); with `source = "tape"` the model's rate is not used
/// for assets with a tape value, so the run equals the model run at the tape's 0.15.
#[test]
fn recovery_source_chooses_the_monte_carlo_recoveries() {
    let (path, text) = shipped("patent-royalty-300m.toml");
    assert!(text.contains("source = \"model\""));
    let paths = 20_000;
    let deals = sweep(
        &path,
        &text,
        "model.recovery.rate",
        &["0", "0.5", "1", "0.15"],
    );
    assert!(
        deals
            .iter()
            .all(|d| d.credit.recovery_source == RecoverySource::Model)
    );
    let loss: Vec<(f64, f64)> = deals
        .iter()
        .map(|d| mean_se(&per_path(d, paths, POOL_LOSS_RATE)))
        .collect();
    for (rate, (m, se)) in ["0", "0.5", "1", "0.15"].iter().zip(&loss) {
        eprintln!("source = \"model\", rate {rate}: mean pool loss rate {m:.6} ± {se:.6}");
    }
    let (l0, se0) = loss[0];
    let (l_half, _) = loss[1];
    let (l1, _) = loss[2];
    assert!(l0 > 20.0 * se0, "{l0} ± {se0}");
    // Same paths (common random numbers): the loss scales with 1 − rate, to the fen.
    assert!((l_half - 0.5 * l0).abs() <= 1e-6 * l0, "{l_half} vs {l0}");
    // Full recovery: nothing lost (up to the summation's rounding).
    assert!(l1.abs() < 1e-12, "{l1}");

    // source = "tape": the model's rate 0 is overridden by the tape's 0.15 on every asset.
    let tape_text = edit(&text, "source = \"model\"", "source = \"tape\"");
    let tape = sweep(&path, &tape_text, "model.recovery.rate", &["0"]);
    assert_eq!(tape[0].credit.recovery_source, RecoverySource::Tape);
    let tape_loss = per_path(&tape[0], paths, POOL_LOSS_RATE);
    let (lt, set) = mean_se(&tape_loss);
    eprintln!("source = \"tape\", model rate 0: mean pool loss rate {lt:.6} ± {set:.6}");
    assert!(l0 - lt > 10.0 * se0, "model {l0} vs tape {lt}");
    assert_eq!(tape_loss, per_path(&deals[3], paths, POOL_LOSS_RATE));
    assert!(tape.iter().chain(&deals).all(|d| d.warnings.is_empty()));
}

/// Without the key, the Monte Carlo uses `[model.recovery]`, and the loaded deal carries a
/// warning naming the tape and its column; a bad value is a located error.
#[test]
fn recovery_source_defaults_to_the_model_with_a_warning() {
    let (path, text) = shipped("patent-royalty-300m.toml");
    let unset = edit(&text, "source = \"model\"", "");
    let deal = ipabs::scenario::load_text(&path, &unset).unwrap();
    assert_eq!(deal.credit.recovery_source, RecoverySource::Model);
    assert_eq!(deal.warnings.len(), 1);
    let w = &deal.warnings[0];
    assert!(w.file.ends_with("data/patent-royalty-300m-tape.csv"), "{w}");
    assert_eq!(
        w.kind,
        WarningKind::RecoverySourceUnset {
            columns: vec!["recovery_rate"],
            assets: 11,
            used: RecoverySource::Model,
        }
    );
    // Same Monte Carlo as source = "model".
    let model = ipabs::scenario::load_text(&path, &text).unwrap();
    assert_eq!(
        per_path(&deal, 2_000, POOL_LOSS_RATE),
        per_path(&model, 2_000, POOL_LOSS_RATE)
    );
    // No [model.recovery] table: nothing to choose between, no warning.
    let start = unset.find("[model.recovery]").unwrap();
    let end = unset[start..].find("[simulation]").unwrap() + start;
    let no_table = format!("{}{}", &unset[..start], &unset[end..]);
    let deal = ipabs::scenario::load_text(&path, &no_table).unwrap();
    assert!(deal.warnings.is_empty());

    let bad = edit(&text, "source = \"model\"", "source = \"loan_tape\"");
    let problems = match ipabs::scenario::load_text(&path, &bad) {
        Err(e) => e.problems().to_vec(),
        Ok(_) => panic!("accepted source = \"loan_tape\""),
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "model.recovery.source");
    assert!(
        problems[0]
            .message
            .contains("expected \"model\" or \"tape\""),
        "{}",
        problems[0].message
    );
}

/// Inline assets with recovery keys are warned about under the scenario file itself.
#[test]
fn inline_recovery_keys_are_warned_about_under_the_scenario() {
    let (path, text) = shipped("patent-pledge-200m.toml");
    let text = edit(
        &text,
        "[pool]\n",
        "[pool]\nassets = [{ id = \"X1\", obligor = \"X\", sector = \"biomedicine\", \
         asset_type = \"patent_pledge_loan\", ip_kind = \"invention_patent\", \
         appraised_value = 1000000.00, balance = 500000.00, rate = 0.04, amortization = \
         \"bullet\", frequency = \"quarterly\", term_months = 12, annual_pd = 0.03, \
         recovery_lag_months = 6 }]\n",
    );
    let text = edit(
        &text,
        "tranches_equal_pool = true",
        "tranches_equal_pool = false",
    );
    let deal = ipabs::scenario::load_text(&path, &text).unwrap();
    assert_eq!(deal.warnings.len(), 1, "{:?}", deal.warnings);
    assert_eq!(deal.warnings[0].file, path);
    assert_eq!(
        deal.warnings[0].kind,
        WarningKind::RecoverySourceUnset {
            columns: vec!["recovery_lag_months"],
            assets: 1,
            used: RecoverySource::Model,
        }
    );
}

// ---- CLI: the warnings are printed --------------------------------------------------------

/// The royalty scenario with `edits`, written into `dir` (its tape and schedules named by
/// absolute path, so the copy reads the shipped files).
fn royalty_copy(dir: &Path, edits: &[(&str, &str)]) -> (PathBuf, PathBuf) {
    let (path, text) = shipped("patent-royalty-300m.toml");
    let data = path.parent().unwrap().join("data");
    let mut text = text.replace("\"data/", &format!("\"{}/", data.display()));
    for (from, to) in edits {
        text = edit(&text, from, to);
    }
    let copy = dir.join("royalty.toml");
    std::fs::write(&copy, text).unwrap();
    (copy, data.join("patent-royalty-300m-tape.csv"))
}

fn stderr_of(args: &[&std::ffi::OsStr]) -> (String, String) {
    let out = cargo_bin_cmd!("ipabs").args(args).assert().success();
    let o = out.get_output();
    (
        String::from_utf8(o.stdout.clone()).unwrap(),
        String::from_utf8(o.stderr.clone()).unwrap(),
    )
}

#[test]
fn validate_warns_when_the_recovery_source_is_not_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let (copy, tape) = royalty_copy(dir.path(), &[("source = \"model\"", "")]);
    let (stdout, stderr) = stderr_of(&["validate".as_ref(), copy.as_os_str()]);
    assert!(stdout.contains("is valid"), "{stdout}");
    assert_eq!(
        stderr,
        format!(
            "warning: {}: column `recovery_rate` gives recoveries for 11 assets and the \
             scenario also has [model.recovery]; the Monte Carlo uses [model.recovery] (the \
             tape's recoveries apply to the deterministic base case only). Set \
             model.recovery.source = \"model\" or \"tape\" to choose\n",
            tape.display()
        )
    );
    // Either choice silences it.
    for source in ["model", "tape"] {
        let (copy, _) = royalty_copy(
            dir.path(),
            &[("source = \"model\"", &format!("source = \"{source}\""))],
        );
        let (_, stderr) = stderr_of(&["validate".as_ref(), copy.as_os_str()]);
        assert_eq!(stderr, "", "source = {source}");
    }
}

/// Recovery cash due after the last date: `validate` and `cashflow` report the amount the
/// base case forgoes, which equals the defaults of the dates whose recovery would come too late
/// times the recovery rate (to the fen per asset).
#[test]
fn recoveries_after_the_last_date_are_reported_with_the_amount() {
    let dir = tempfile::tempdir().unwrap();
    // 48 months = 16 quarters: defaults on the last 16 dates would recover after the end.
    let (copy, _) = royalty_copy(
        dir.path(),
        &[("recovery_lag_months = 12", "recovery_lag_months = 48")],
    );
    let (_, stderr) = stderr_of(&["validate".as_ref(), copy.as_os_str()]);
    let prefix = format!("warning: {}: ", copy.display());
    let line = stderr
        .lines()
        .find(|l| l.contains("of recoveries fall due after the last payment date"))
        .unwrap_or_else(|| panic!("no warning: {stderr}"));
    assert!(
        line.starts_with(&prefix) && line.contains("2026-09-27"),
        "{line}"
    );
    let amount: Decimal = line[prefix.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap();

    // The same figure from cashflow, checked against its pool cash flows.
    let out = dir.path().join("cf");
    let (_, cf_stderr) = stderr_of(&[
        "cashflow".as_ref(),
        copy.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(cf_stderr.contains(line), "{cf_stderr}");
    let mut rows = csv::Reader::from_path(out.join("pool_cashflows.csv")).unwrap();
    let headers = rows.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (period, defaulted) = (col("period"), col("defaulted"));
    let rows: Vec<(usize, Decimal)> = rows
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[period].parse().unwrap(), r[defaulted].parse().unwrap())
        })
        .collect();
    let last = rows.len();
    let late: Decimal = rows
        .iter()
        .filter(|(p, _)| p + 16 > last)
        .map(|(_, d)| *d)
        .sum();
    let expected = late * Decimal::new(15, 2);
    // Each asset's recovery is rounded to the fen: at most 11 × half a fen per date.
    let slack = Decimal::new(5, 3) * Decimal::from(11 * 16);
    assert!(
        (amount - expected).abs() <= slack && amount > Decimal::ZERO,
        "warned {amount}, expected about {expected}"
    );

    // A command-line lag does the same; the shipped lag (12 months) loses nothing.
    let shipped = shipped("patent-royalty-300m.toml").0;
    let (_, stderr) = stderr_of(&[
        "cashflow".as_ref(),
        shipped.as_os_str(),
        "--lag".as_ref(),
        "48".as_ref(),
        "--out".as_ref(),
        dir.path().join("cf2").as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(stderr.contains(&format!("warning: {}: ", shipped.display())));
    assert!(stderr.contains(&line[prefix.len()..]), "{stderr}");
    let (_, stderr) = stderr_of(&[
        "cashflow".as_ref(),
        shipped.as_os_str(),
        "--out".as_ref(),
        dir.path().join("cf3").as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert_eq!(stderr, "");
    let (_, stderr) = stderr_of(&["validate".as_ref(), shipped.as_os_str()]);
    assert_eq!(stderr, "");
}

/// `run` prints both warnings (even with --quiet).
#[test]
fn run_prints_the_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let (copy, tape) = royalty_copy(
        dir.path(),
        &[
            ("source = \"model\"", ""),
            ("recovery_lag_months = 12", "recovery_lag_months = 48"),
        ],
    );
    let (_, stderr) = stderr_of(&[
        "run".as_ref(),
        copy.as_os_str(),
        "--paths".as_ref(),
        "500".as_ref(),
        "--out".as_ref(),
        dir.path().join("run").as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(
        stderr.contains(&format!(
            "warning: {}: column `recovery_rate` gives recoveries",
            tape.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("warning: {}: ", copy.display()))
            && stderr.contains("of recoveries fall due after the last payment date 2026-09-27"),
        "{stderr}"
    );
}
