//! End-to-end checks of input hardening: every class of bad input is a located error with exit
//! code 2 (never a panic, a hang or an unbounded allocation), the same for every command.
//! Each test writes a small scenario (or a broken copy of the shipped `ip-lease-733m`) into a
//! temporary folder.

use assert_cmd::cargo::cargo_bin_cmd;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One level loan, two tranches, monthly; `{asset}` lines are added to the asset table and
/// `{extra}` at the end of the file.
const SMALL: &str = r#"[deal]
name = "Bounds"
closing_date = 2024-01-01
first_payment_date = 2024-02-01
payment_frequency = "monthly"
legal_final_date = 2074-01-01

[[pool.assets]]
id = "L1"
obligor = "Studio A"
sector = "film_tv"
asset_type = "ip_lease"
ip_kind = "copyright"
appraised_value = 2_000_000.00
amortization = "level"
frequency = "monthly"
annual_pd = 0.03
ASSET

[[tranches]]
name = "A"
balance = 900_000.00
coupon = 0.04

[[tranches]]
name = "Sub"
balance = 100_000.00

[waterfall]
normal = [
  { step = "interest", tranches = ["A"] },
  { step = "principal", tranches = ["A", "Sub"] },
  { step = "residual", tranche = "Sub" },
]
EXTRA
"#;

const ASSET: &str = "balance = 1_000_000.00\nrate = 0.06\nterm_months = 12";

fn small(asset: &str, extra: &str) -> String {
    SMALL.replace("ASSET", asset).replace("EXTRA", extra)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

/// Runs `ipabs ARGS`; returns (exit code, stdout, stderr). Fails the test if it takes longer
/// than 60 s (a hang).
fn ipabs(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = cargo_bin_cmd!("ipabs")
        .args(args)
        .current_dir(dir)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `validate` and `cashflow` both exit 2 with the same stderr, which is returned.
fn rejected(dir: &Path, scenario: &Path) -> String {
    let s = scenario.to_str().unwrap();
    let (code, stdout, validate) = ipabs(&["validate", s], dir);
    assert_eq!(code, 2, "validate: {validate}");
    assert_eq!(stdout, "");
    let out = dir.join("out");
    let (code, _, cashflow) = ipabs(&["cashflow", s, "--out", out.to_str().unwrap()], dir);
    assert_eq!(code, 2, "cashflow: {cashflow}");
    assert!(!out.exists(), "cashflow wrote output");
    assert_eq!(validate, cashflow, "validate and cashflow differ");
    assert!(!validate.contains("panicked"), "{validate}");
    validate
}

fn accepted(dir: &Path, scenario: &Path) {
    let s = scenario.to_str().unwrap();
    let (code, _, err) = ipabs(&["validate", s], dir);
    assert_eq!(code, 0, "validate: {err}");
    let out = dir.join("out");
    let (code, _, err) = ipabs(&["cashflow", s, "--out", out.to_str().unwrap()], dir);
    assert_eq!(code, 0, "cashflow: {err}");
}

fn has(stderr: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            stderr.contains(part),
            "stderr lacks {part:?}; stderr was:\n{stderr}"
        );
    }
}

/// `path:line:col` of the first occurrence of `needle` in `text`.
fn at(path: &Path, text: &str, needle: &str) -> String {
    let i = text.find(needle).unwrap_or_else(|| panic!("no {needle}"));
    let line = text[..i].matches('\n').count() + 1;
    let col = text[..i].rsplit('\n').next().unwrap().chars().count() + 1;
    format!("{}:{line}:{col}", path.display())
}

/// A copy of the shipped scenario and its tape in a temporary folder.
fn shipped(dir: &Path) -> (String, String) {
    let toml = fs::read_to_string(repo().join("scenarios/ip-lease-733m.toml")).unwrap();
    let tape = fs::read_to_string(repo().join("scenarios/data/ip-lease-733m-tape.csv")).unwrap();
    fs::create_dir_all(dir.join("data")).unwrap();
    (toml, tape)
}

// ---------------------------------------------------------------------------------------------
// 1, 2: names given twice in one step, and steps naming more tranches than exist

#[test]
fn a_tranche_named_twice_in_a_step_is_located() {
    let dir = TempDir::new().unwrap();
    for (from, to, needle) in [
        (
            r#"{ step = "interest", tranches = ["A"] }"#,
            r#"{ step = "interest", tranches = ["A", "A"] }"#,
            r#""A"] }"#,
        ),
        (
            r#"{ step = "principal", tranches = ["A", "Sub"] }"#,
            r#"{ step = "principal", tranches = ["A", "Sub", "A"] }"#,
            r#""A"] }"#,
        ),
    ] {
        let text = small(ASSET, "").replace(from, to);
        let path = write(dir.path(), "dup.toml", &text);
        let err = rejected(dir.path(), &path);
        let step = if from.contains("interest") { 0 } else { 1 };
        // The second "A" of the edited step.
        let i = text.find(to).unwrap() + to.rfind(needle).unwrap();
        let line = text[..i].matches('\n').count() + 1;
        let col = text[..i].rsplit('\n').next().unwrap().chars().count() + 1;
        has(
            &err,
            &[
                &format!(
                    "error: waterfall.normal[{step}].tranches: tranche \"A\" is named more than once"
                ),
                &format!("  --> {}:{line}:{col}\n", path.display()),
            ],
        );
    }
}

#[test]
fn covers_and_reserve_targets_naming_a_tranche_twice_are_located() {
    let dir = TempDir::new().unwrap();
    let extra = r#"
[[accounts]]
name = "reserve"
target_rate = 0.01
target_of = ["A", "A"]

[[support]]
name = "parent"
"#;
    let text = small(ASSET, extra).replace(
        r#"  { step = "interest", tranches = ["A"] },"#,
        r#"  { step = "support", support = "parent", covers = ["Sub", "Sub"] },
  { step = "reserve_draw", account = "reserve", covers = ["A", "Sub", "A"] },
  { step = "interest", tranches = ["A"] },"#,
    );
    let path = write(dir.path(), "dup.toml", &text);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &[
            "error: accounts[0].target_of: tranche \"A\" is named more than once",
            "error: waterfall.normal[0].covers: tranche \"Sub\" is named more than once",
            "error: waterfall.normal[1].covers: tranche \"A\" is named more than once",
            "3 problems found",
        ],
    );
}

#[test]
fn a_step_naming_more_tranches_than_exist_is_rejected_not_a_panic() {
    let dir = TempDir::new().unwrap();
    let (toml, tape) = shipped(dir.path());
    fs::write(dir.path().join("data/ip-lease-733m-tape.csv"), tape).unwrap();
    let text = toml.replacen(
        r#"{ step = "interest", tranches = ["A1", "A2", "A3"] }"#,
        r#"{ step = "interest", tranches = ["A1", "A2", "A3", "Sub", "A1"] }"#,
        1,
    );
    let path = write(dir.path(), "ip-lease-733m.toml", &text);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &[
            "error: waterfall.accelerated[5].tranches: tranche \"A1\" is named more than once",
            &format!("  --> {}", at(&path, &text, r#""A1"] }"#)),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// 3: amounts, rates and terms at the bounds compute exactly; beyond them they are rejected

#[test]
fn a_ten_billion_level_loan_at_99_percent_over_600_months_runs() {
    let dir = TempDir::new().unwrap();
    let text = small(
        "balance = 10_000_000_000.00\nrate = 0.99\nterm_months = 600",
        "",
    )
    .replace("balance = 900_000.00", "balance = 9_000_000_000.00")
    .replace("balance = 100_000.00", "balance = 1_000_000_000.00");
    let path = write(dir.path(), "big.toml", &text);
    accepted(dir.path(), &path);
}

#[test]
fn a_maturity_beyond_600_months_is_rejected_with_the_bound() {
    let dir = TempDir::new().unwrap();
    let text = small(
        "balance = 1_000_000.00\nrate = 0.99\nmaturity_date = \"2999-12-31\"",
        "",
    );
    let path = write(dir.path(), "long.toml", &text);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &[
            "error: pool.assets[0].maturity_date: the last payment of `L1` falls on 2999-12-31; \
             expected at most 600 months after the closing date, i.e. not after 2074-01-01",
            &format!("  --> {}", at(&path, &text, "\"2999-12-31\"")),
        ],
    );
    let text = small(ASSET, "").replace(
        "legal_final_date = 2074-01-01",
        "legal_final_date = 2999-12-31",
    );
    let path = write(dir.path(), "long.toml", &text);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &[
            "error: deal.legal_final_date: must be at most 600 months after the closing date",
            &format!("  --> {}", at(&path, &text, "2999-12-31")),
        ],
    );
}

#[test]
fn amounts_beyond_the_exact_range_are_rejected_with_the_bound() {
    let dir = TempDir::new().unwrap();
    // Beyond the bound by one fen, and far beyond (where the fen would be lost).
    for balance in [
        "1_000_000_000_000.01",
        "\"100000000000000000000000000000.01\"",
    ] {
        let text =
            small(ASSET, "").replace("balance = 900_000.00", &format!("balance = {balance}"));
        let path = write(dir.path(), "amount.toml", &text);
        let err = rejected(dir.path(), &path);
        has(
            &err,
            &[
                "error: tranches[0].balance: expected an amount of at most 1000000000000 yuan",
                &format!("  --> {}", at(&path, &text, balance)),
            ],
        );
    }
    // Each asset within the bound, the pool beyond it.
    let second = "\n[[pool.assets]]\nid = \"L2\"\nobligor = \"Studio B\"\nsector = \"film_tv\"\n\
        asset_type = \"ip_lease\"\nip_kind = \"copyright\"\nappraised_value = 1.00\n\
        amortization = \"level\"\nfrequency = \"monthly\"\nannual_pd = 0.03\n\
        balance = 600_000_000_000.00\nrate = 0.06\nterm_months = 12\n";
    let text = small(
        "balance = 600_000_000_000.00\nrate = 0.06\nterm_months = 12",
        "",
    )
    .replace(
        "\n[[tranches]]\nname = \"A\"",
        &format!("{second}\n[[tranches]]\nname = \"A\""),
    );
    let path = write(dir.path(), "pool.toml", &text);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &["error: pool: the pool balance is 1200000000000.00; expected at most 1000000000000 yuan"],
    );
    // Each tranche within the bound, their total beyond it.
    let text = small(ASSET, "")
        .replace("balance = 900_000.00", "balance = 600_000_000_000.00")
        .replace("balance = 100_000.00", "balance = 600_000_000_000.00");
    let path = write(dir.path(), "tranches.toml", &text);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &[
            "error: tranches: tranche balances add up to 1200000000000.00; expected at most 1000000000000 yuan",
        ],
    );
}

#[test]
fn tape_amounts_beyond_the_bound_are_located() {
    let dir = TempDir::new().unwrap();
    let (toml, tape) = shipped(dir.path());
    let tape = tape.replacen("120000000.00", "1000000000000000", 1);
    fs::write(dir.path().join("data/ip-lease-733m-tape.csv"), tape).unwrap();
    let path = write(dir.path(), "ip-lease-733m.toml", &toml);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &[
            "error: balance: expected an amount of at most 1000000000000 yuan",
            "ip-lease-733m-tape.csv:2:",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// 4: recovery lags have one bound everywhere, checked before anything is allocated

#[test]
fn recovery_lags_beyond_the_bound_are_rejected_everywhere() {
    let dir = TempDir::new().unwrap();
    let (toml, tape) = shipped(dir.path());
    let header = tape.lines().next().unwrap();
    let lag_column = header
        .split(',')
        .position(|h| h == "recovery_lag_months")
        .unwrap();
    let tape: String = tape
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 1 {
                let mut cells: Vec<&str> = l.split(',').collect();
                cells[lag_column] = "601";
                cells.join(",")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    fs::write(dir.path().join("data/ip-lease-733m-tape.csv"), tape).unwrap();
    let text = toml
        .replacen(
            "recovery_lag_months = 18",
            "recovery_lag_months = [0, 601]",
            1,
        )
        .replacen("lag_months = 18", "lag_months = 4294967296", 1);
    let path = write(dir.path(), "ip-lease-733m.toml", &text);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &[
            "error: recovery_lag_months: expected a whole number of months in 0..=600, found `601`",
            &format!("ip-lease-733m-tape.csv:2:{}", lag_column + 1),
            "error: assumptions.recovery_lag_months: expected whole months in 0..=600",
            &format!("  --> {}", at(&path, &text, "[0, 601]")),
            "error: model.recovery.lag_months: expected a whole number in 0..=600, found `4294967296`",
            &format!("  --> {}", at(&path, &text, "4294967296")),
        ],
    );
}

#[test]
fn cashflow_lag_has_the_same_bound() {
    let dir = TempDir::new().unwrap();
    let path = write(dir.path(), "s.toml", &small(ASSET, ""));
    let s = path.to_str().unwrap();
    let out = dir.path().join("out");
    for lag in ["601", "4294967296"] {
        let (code, stdout, err) = ipabs(
            &["cashflow", s, "--lag", lag, "--out", out.to_str().unwrap()],
            dir.path(),
        );
        assert_eq!(code, 2, "{err}");
        assert_eq!(stdout, "");
        has(
            &err,
            &[&format!(
                "error: --lag expects whole months in 0..=600, found {lag}"
            )],
        );
        assert!(!out.exists());
    }
    let (code, _, err) = ipabs(
        &[
            "cashflow",
            s,
            "--lag",
            "600",
            "--cdr",
            "0.1",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
}

// ---------------------------------------------------------------------------------------------
// 5: break-even tolerances finer than the bisection resolves

#[test]
fn a_breakeven_tolerance_below_the_bound_is_rejected_by_every_command() {
    let dir = TempDir::new().unwrap();
    let text = small(ASSET, "[breakeven]\ntolerance = 1e-17\n");
    let path = write(dir.path(), "s.toml", &text);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &[
            "error: breakeven.tolerance: expected a value in [1e-12, 0.1)",
            "found 0.00000000000000001",
        ],
    );
    let (code, _, breakeven) = ipabs(&["breakeven", path.to_str().unwrap()], dir.path());
    assert_eq!(code, 2);
    assert_eq!(breakeven, err);
    // At the bound the search ends.
    let text = small(ASSET, "[breakeven]\ntolerance = 1e-12\n");
    let path = write(dir.path(), "s.toml", &text);
    let out = dir.path().join("be");
    let (code, _, err) = ipabs(
        &[
            "breakeven",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn breakeven_periods_beyond_the_deal_are_rejected_not_clamped() {
    let dir = TempDir::new().unwrap();
    // SMALL pays monthly from 2024-02-01 to its legal final date 2074-01-01: 600 dates.
    let path = write(
        dir.path(),
        "s.toml",
        &small(ASSET, "[breakeven]\nperiods = 601\n"),
    );
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &["breakeven.periods", "expected at most 600", "found 601"],
    );
    let path = write(dir.path(), "s.toml", &small(ASSET, ""));
    let (code, _, err) = ipabs(
        &["breakeven", path.to_str().unwrap(), "--periods", "601"],
        dir.path(),
    );
    assert_eq!(code, 2, "{err}");
    has(&err, &["--periods expects 1 to 600", "found 601"]);
}

// ---------------------------------------------------------------------------------------------
// 6: only regular files of bounded size are read

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_not_read() {
    let dir = TempDir::new().unwrap();
    mkfifo(&dir.path().join("fifo.csv"));
    for (key, value) in [
        ("loan_tape", "fifo.csv"),
        ("loan_tape", "/dev/zero"),
        ("schedules", "fifo.csv"),
    ] {
        let text = small(ASSET, "").replace(
            "\n[[pool.assets]]",
            &format!("\n[pool]\n{key} = \"{value}\"\n\n[[pool.assets]]"),
        );
        let path = write(dir.path(), "s.toml", &text);
        let err = rejected(dir.path(), &path);
        has(
            &err,
            &[
                &format!("error: pool.{key}: cannot read "),
                value,
                "not a regular file (a pipe, socket or device): only regular files are read",
                &format!("  --> {}", at(&path, &text, &format!("\"{value}\""))),
            ],
        );
    }
    for (key, what) in [
        ("grades", "grade table"),
        ("idealized_loss", "idealized loss table"),
    ] {
        let text = small(ASSET, &format!("[rating]\n{key} = \"fifo.csv\"\n"));
        let path = write(dir.path(), "s.toml", &text);
        let err = rejected(dir.path(), &path);
        has(
            &err,
            &[
                &format!("error: rating.{key}: cannot read the {what} "),
                "fifo.csv: not a regular file",
            ],
        );
    }
    // The scenario itself.
    for scenario in ["/dev/zero", "fifo.csv"] {
        let (code, _, err) = ipabs(&["validate", scenario], dir.path());
        assert_eq!(code, 2, "{err}");
        has(
            &err,
            &[&format!("cannot read {scenario}: not a regular file")],
        );
    }
}

#[test]
fn files_over_the_size_limit_are_not_read() {
    let dir = TempDir::new().unwrap();
    let big = fs::File::create(dir.path().join("big.csv")).unwrap();
    big.set_len(64 * 1024 * 1024 + 1).unwrap();
    let text = small(ASSET, "").replace(
        "\n[[pool.assets]]",
        "\n[pool]\nloan_tape = \"big.csv\"\n\n[[pool.assets]]",
    );
    let path = write(dir.path(), "s.toml", &text);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &[
            "error: pool.loan_tape: cannot read ",
            "big.csv: larger than the input size limit of 64 MiB (67108864 bytes)",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// 7: every command accepts and rejects the same files; one pass; a capped list

#[test]
fn every_command_rejects_a_bad_structuring_section_alike() {
    let dir = TempDir::new().unwrap();
    let text = small(ASSET, "[breakeven]\ncpr_factors = [-1.0]\n");
    let path = write(dir.path(), "s.toml", &text);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &["error: breakeven.cpr_factors: expected factors of zero or more, found -1"],
    );
    let s = path.to_str().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    for args in [
        vec!["run", s, "--paths", "10", "--out", o],
        vec!["breakeven", s, "--out", o],
        vec!["rate", s, "--paths", "10", "--out", o],
        vec!["size", s, "--target-bdr", "A=0.1", "--out", o],
        vec![
            "sweep",
            s,
            "--deterministic",
            "--vary",
            "assumptions.cdr=0,0.1",
            "--out",
            o,
        ],
    ] {
        let (code, stdout, e) = ipabs(&args, dir.path());
        assert_eq!(code, 2, "{args:?}: {e}");
        assert_eq!(stdout, "", "{args:?}");
        assert_eq!(e, err, "{args:?} differs from validate");
        assert!(!out.exists(), "{args:?} wrote output");
    }
}

#[test]
fn every_section_is_checked_after_a_pool_error() {
    let dir = TempDir::new().unwrap();
    let text = small(
        "balance = -1\nrate = 0.06\nterm_months = 12",
        "[assumptions]\ncdr = 2.0\n\n[model]\npd_multiplier = -1\n\n[simulation]\npaths = 0\n\n\
         [breakeven]\ntolerance = 0.5\n",
    )
    .replace(
        "closing_date = 2024-01-01",
        "closing_date = 2024-01-01T10:00:00",
    );
    let path = write(dir.path(), "s.toml", &text);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &[
            "error: deal.closing_date: expected a date like 2019-03-08",
            "error: pool.assets[0].balance: expected a positive amount, found `-1`",
            "error: assumptions.cdr: expected a rate in [0, 1]",
            "error: model.pd_multiplier: expected a value in [0, 1000]",
            "error: simulation.paths: expected a whole number of at least 1",
            "error: breakeven.tolerance: expected a value in [1e-12, 0.1)",
            "6 problems found",
        ],
    );
}

#[test]
fn the_problem_list_is_capped_at_50() {
    let dir = TempDir::new().unwrap();
    let (toml, tape) = shipped(dir.path());
    let mut lines: Vec<String> = tape.lines().map(str::to_string).collect();
    let row = lines[1].clone();
    for k in 0..60 {
        // Each row: a bad rate (and a new id, so only the rate is wrong).
        lines.push(
            row.replacen("L01", &format!("X{k}"), 1)
                .replacen("0.065", "7", 1),
        );
    }
    fs::write(
        dir.path().join("data/ip-lease-733m-tape.csv"),
        lines.join("\n") + "\n",
    )
    .unwrap();
    let path = write(dir.path(), "ip-lease-733m.toml", &toml);
    let err = rejected(dir.path(), &path);
    assert_eq!(err.matches("error: ").count(), 50, "{err}");
    has(&err, &["... and 10 more problems\n60 problems found"]);
}

// ---------------------------------------------------------------------------------------------
// 8: Windows line endings

#[test]
fn crlf_files_report_the_right_line_and_row() {
    let dir = TempDir::new().unwrap();
    let (toml, tape) = shipped(dir.path());
    // Data row 2 (line 3) gets a PD out of range.
    let mut lines: Vec<String> = tape.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen(",0.03,", ",1.5,", 1);
    let column = lines[0].split(',').position(|h| h == "annual_pd").unwrap() + 1;
    fs::write(
        dir.path().join("data/ip-lease-733m-tape.csv"),
        lines.join("\r\n") + "\r\n",
    )
    .unwrap();
    let text = toml.replacen("coupon = 0.043", "coupon = 1.5", 1);
    let crlf = text.replace('\n', "\r\n");
    let path = write(dir.path(), "ip-lease-733m.toml", &crlf);
    let err = rejected(dir.path(), &path);
    has(
        &err,
        &[
            "error: tranches[0].coupon: expected a value in [0, 1), found 1.5",
            &format!("  --> {}\n", at(&path, &text, "1.5")),
            "| coupon = 1.5\n",
            &format!("ip-lease-733m-tape.csv:3:{column} (row 2, column `annual_pd`)"),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// 9: a file that is not a loan tape

#[test]
fn a_file_that_is_not_a_loan_tape_is_named_and_not_echoed() {
    let dir = TempDir::new().unwrap();
    let mut binary = b"\x7fELF\x02\x01SECRET-BYTES".to_vec();
    binary.extend([0u8, 0xff, 0xfe, 0x00, b'\n', b'x']);
    fs::write(dir.path().join("binary.csv"), binary).unwrap();
    fs::write(
        dir.path().join("other.csv"),
        "grade,default_probability,multiplier,large_obligors\nSECRET,0.1,2,0\n",
    )
    .unwrap();
    for (file, expect) in [
        ("binary.csv", "not UTF-8 text"),
        (
            "other.csv",
            "this is not a loan tape: the first line must be the header, with the columns id,obligor,sector,",
        ),
    ] {
        let text = small(ASSET, "").replace(
            "\n[[pool.assets]]",
            &format!("\n[pool]\nloan_tape = \"{file}\"\n\n[[pool.assets]]"),
        );
        let path = write(dir.path(), "s.toml", &text);
        let err = rejected(dir.path(), &path);
        has(&err, &[file, expect]);
        assert!(
            !err.contains("SECRET"),
            "the file's contents were echoed:\n{err}"
        );
        assert!(
            !err.contains("ELF"),
            "the file's contents were echoed:\n{err}"
        );
    }
}
