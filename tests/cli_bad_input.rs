//! End-to-end checks of how the CLI reports bad input. Each test writes a broken copy of the
//! shipped `ip-lease-733m` scenario (and its loan tape, same relative layout) into a temporary
//! folder, then runs `ipabs validate` and `ipabs cashflow --out ...` and checks that both exit
//! with code 2, name the file, the location, the field and what was expected, and write nothing.

use assert_cmd::cargo::cargo_bin_cmd;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const SCENARIO: &str = "ip-lease-733m.toml";
const TAPE: &str = "data/ip-lease-733m-tape.csv";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary copy of the reference scenario and its tape.
struct Case {
    dir: TempDir,
    toml: String,
    tape: String,
}

impl Case {
    fn new() -> Self {
        let toml = fs::read_to_string(repo().join("scenarios").join(SCENARIO)).unwrap();
        let tape = fs::read_to_string(repo().join("scenarios").join(TAPE)).unwrap();
        Case {
            dir: tempfile::tempdir().unwrap(),
            toml,
            tape,
        }
    }

    fn scenario_path(&self) -> PathBuf {
        self.dir.path().join(SCENARIO)
    }

    /// The tape's path as the program prints it (the scenario's folder joined with `loan_tape`).
    fn tape_path(&self) -> PathBuf {
        self.dir.path().join(TAPE)
    }

    /// Replaces the only occurrence of `from` in the scenario text.
    fn edit_toml(mut self, from: &str, to: &str) -> Self {
        assert_eq!(
            self.toml.matches(from).count(),
            1,
            "`{from}` must occur once in the scenario"
        );
        self.toml = self.toml.replacen(from, to, 1);
        self
    }

    /// Replaces the cell of data row `row` (1-based, the header is row 0) in column `column`.
    fn edit_cell(mut self, row: usize, column: &str, value: &str) -> Self {
        let col = tape_column(&self.tape, column) - 1;
        self.tape = self
            .tape
            .lines()
            .enumerate()
            .map(|(i, line)| {
                if i == row {
                    let mut cells: Vec<&str> = line.split(',').collect();
                    cells[col] = value;
                    cells.join(",")
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        self
    }

    /// Replaces line `line` (1-based) of the tape.
    fn edit_tape_line(mut self, line: usize, f: impl Fn(&str) -> String) -> Self {
        self.tape = self
            .tape
            .lines()
            .enumerate()
            .map(|(i, l)| if i + 1 == line { f(l) } else { l.to_string() })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        self
    }

    /// Writes the files; `with_tape = false` leaves the loan tape out.
    fn write(&self, with_tape: bool) {
        fs::write(self.scenario_path(), &self.toml).unwrap();
        if with_tape {
            fs::create_dir_all(self.dir.path().join("data")).unwrap();
            fs::write(self.tape_path(), &self.tape).unwrap();
        }
    }

    /// `path:line:col` of the first occurrence of `needle` in the scenario text.
    fn toml_at(&self, needle: &str) -> String {
        let (line, col) = locate(&self.toml, needle);
        format!("{}:{line}:{col}", self.scenario_path().display())
    }

    /// The caret line the program draws under the first occurrence of `needle`.
    fn caret(&self, needle: &str) -> String {
        let (_, col) = locate(&self.toml, needle);
        format!(
            "| {}{}\n",
            " ".repeat(col - 1),
            "^".repeat(needle.chars().count())
        )
    }

    /// `path:line:col (row r, column `name`)` of a tape cell (`line` 1-based, header = 1).
    fn cell_at(&self, line: usize, column: &str) -> String {
        format!(
            "{}:{line}:{} (row {}, column `{column}`)",
            self.tape_path().display(),
            tape_column(&self.tape, column),
            line - 1
        )
    }
}

/// 1-based line and character column of the first occurrence of `needle`.
fn locate(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not found"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

/// 1-based position of a column in the tape's header.
fn tape_column(tape: &str, column: &str) -> usize {
    tape.lines()
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("no column {column}"))
        + 1
}

/// Runs `ipabs validate` and `ipabs cashflow --out` (into a missing folder and into an existing
/// one) on the case; checks exit code 2, no stdout, nothing written; returns the stderr, which
/// must be the same for both commands.
fn fails(case: &Case) -> String {
    let scenario = case.scenario_path();
    let validate = cargo_bin_cmd!("ipabs")
        .arg("validate")
        .arg(&scenario)
        .assert()
        .code(2)
        .stdout("");
    let validate_err = String::from_utf8(validate.get_output().stderr.clone()).unwrap();
    assert!(
        validate_err.starts_with("error: "),
        "stderr should start with `error: `:\n{validate_err}"
    );

    let out = case.dir.path().join("out");
    let cashflow_err = cashflow_fails(&scenario, &out, &[]);
    assert!(!out.exists(), "`--out` folder was created");
    assert_eq!(validate_err, cashflow_err, "validate and cashflow differ");

    let existing = case.dir.path().join("existing");
    fs::create_dir_all(&existing).unwrap();
    fs::write(existing.join("marker.txt"), "keep me").unwrap();
    let again = cashflow_fails(&scenario, &existing, &[]);
    assert_eq!(again, cashflow_err);
    assert_untouched(&existing);
    assert_no_staging(case.dir.path());
    validate_err
}

fn cashflow_fails(scenario: &Path, out: &Path, extra: &[&str]) -> String {
    let run = cargo_bin_cmd!("ipabs")
        .arg("cashflow")
        .arg(scenario)
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .code(2)
        .stdout("");
    String::from_utf8(run.get_output().stderr.clone()).unwrap()
}

/// The folder holds only the marker file, unchanged.
fn assert_untouched(dir: &Path) {
    let names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["marker.txt".to_string()]);
    assert_eq!(
        fs::read_to_string(dir.join("marker.txt")).unwrap(),
        "keep me"
    );
}

/// No half-written `.out.partial-*` folder was left next to the outputs.
fn assert_no_staging(dir: &Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".partial-"), "staging folder left: {name}");
    }
}

fn has(stderr: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            stderr.contains(part),
            "stderr lacks {part:?}; stderr was:\n{stderr}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The scenario file (TOML)

#[test]
fn unknown_key_in_a_tranche() {
    let case = Case::new().edit_toml("coupon = 0.043", "cupon = 0.043");
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: tranches[0].cupon: unknown field `cupon`, expected one of `name`, `balance`, `coupon`,",
            &format!("  --> {}", case.toml_at("cupon = 0.043")),
            "| cupon = 0.043",
            &case.caret("cupon"),
        ],
    );
}

#[test]
fn missing_required_field() {
    // The first tranche loses its name.
    let case = Case::new().edit_toml("name = \"A1\"\n", "");
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: tranches[0]: missing field `name`",
            // Points at the table that lacks it: the first `[[tranches]]`.
            &format!("  --> {}", case.toml_at("[[tranches]]")),
            "| [[tranches]]",
        ],
    );
}

#[test]
fn string_where_a_number_is_expected() {
    let case = Case::new().edit_toml("balance = 250_000_000.00 ", "balance = \"250 million\" ");
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: tranches[0].balance: expected a number, found `250 million`",
            &format!("  --> {}", case.toml_at("\"250 million\"")),
            &case.caret("\"250 million\""),
        ],
    );
}

#[test]
fn negative_balance() {
    let case = Case::new().edit_toml("balance = 240_000_000.00", "balance = -240_000_000.00");
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: tranches[1].balance: expected a positive amount, found -240000000.00",
            &format!("  --> {}", case.toml_at("-240_000_000.00")),
            &case.caret("-240_000_000.00"),
        ],
    );
}

#[test]
fn zero_balance() {
    let case = Case::new().edit_toml("balance = 206_000_000.00", "balance = 0");
    case.write(true);
    let err = fails(&case);
    // The location is the value's (column 11), not the key's.
    let (line, _) = locate(&case.toml, "balance = 0\n");
    has(
        &err,
        &[
            "error: tranches[2].balance: expected a positive amount, found 0",
            &format!("  --> {}:{line}:11\n", case.scenario_path().display()),
            "| balance = 0\n",
        ],
    );
}

#[test]
fn coupon_out_of_range() {
    let case = Case::new().edit_toml("coupon = 0.043", "coupon = 1.5");
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: tranches[0].coupon: expected a value in [0, 1), found 1.5",
            &format!("  --> {}", case.toml_at("1.5")),
            "| coupon = 1.5\n",
            &case.caret("1.5"),
        ],
    );
}

#[test]
fn first_payment_before_closing() {
    let case = Case::new().edit_toml(
        "first_payment_date = 2019-06-08",
        "first_payment_date = 2019-01-08",
    );
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: deal.first_payment_date: must be after the closing date 2019-03-08",
            &format!("  --> {}", case.toml_at("2019-01-08")),
            &case.caret("2019-01-08"),
        ],
    );
}

#[test]
fn waterfall_step_names_an_unknown_tranche() {
    let case = Case::new().edit_toml(
        "tranches = [\"A1\", \"A2\", \"A3\", \"Sub\"], order = \"sequential\", amount = \"pass_through\"",
        "tranches = [\"A1\", \"A2\", \"A4\", \"Sub\"], order = \"sequential\", amount = \"pass_through\"",
    );
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: waterfall.normal[12].tranches: no tranche named \"A4\" (expected one of: A1, A2, A3, Sub)",
            &format!("  --> {}", case.toml_at("\"A4\"")),
            &case.caret("\"A4\""),
        ],
    );
}

#[test]
fn tranches_do_not_add_up_to_the_pool() {
    let case = Case::new().edit_toml("balance = 37_000_000.00", "balance = 36_000_000.00");
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: tranches: tranche balances add up to 732000000.00 but the pool balance is \
             733000000.00 (deal.tranches_equal_pool = true)",
            &format!("  --> {}", case.toml_at("[[tranches]]")),
        ],
    );
}

#[test]
fn missing_loan_tape() {
    let case = Case::new();
    case.write(false);
    let err = fails(&case);
    has(
        &err,
        &[
            &format!(
                "error: pool.loan_tape: cannot read {}: ",
                case.tape_path().display()
            ),
            &format!("  --> {}", case.toml_at("\"data/ip-lease-733m-tape.csv\"")),
            "| loan_tape = \"data/ip-lease-733m-tape.csv\"",
            &case.caret("\"data/ip-lease-733m-tape.csv\""),
        ],
    );
}

#[test]
fn toml_syntax_error() {
    let case = Case::new().edit_toml("coupon = 0.043", "coupon = 0.043 0.1");
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: tranches[0].coupon: invalid value: expected a number, a quoted string, a date or a list",
            &format!("  --> {}", case.toml_at("0.043 0.1")),
            "| coupon = 0.043 0.1",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// The loan tape (CSV)

#[test]
fn tape_pd_out_of_range() {
    let case = Case::new().edit_cell(1, "annual_pd", "1.5");
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: annual_pd: expected a probability in [0, 1], e.g. 0.03, found `1.5`",
            &format!("  --> {}", case.cell_at(2, "annual_pd")),
        ],
    );
}

#[test]
fn tape_bad_column_name() {
    let case = Case::new().edit_tape_line(1, |l| l.replace("annual_pd", "anual_pd"));
    case.write(true);
    let err = fails(&case);
    let column = tape_column(&case.tape, "anual_pd");
    has(
        &err,
        &[
            "error: anual_pd: unknown column `anual_pd`, expected one of: id, obligor, sector,",
            &format!(
                "  --> {}:1:{column} (header, column `anual_pd`)",
                case.tape_path().display()
            ),
            "error: annual_pd: missing column `annual_pd`",
            &format!("  --> {}:1\n", case.tape_path().display()),
            "2 problems found",
        ],
    );
}

#[test]
fn tape_malformed_row() {
    // Line 3 loses its last (empty) field.
    let case = Case::new().edit_tape_line(3, |l| l.strip_suffix(',').unwrap().to_string());
    case.write(true);
    let err = fails(&case);
    let fields = case.tape.lines().next().unwrap().split(',').count();
    has(
        &err,
        &[
            &format!(
                "error: row: malformed row: {} fields, but the header has {fields}",
                fields - 1
            ),
            &format!("  --> {}:3", case.tape_path().display()),
        ],
    );
}

#[test]
fn tape_duplicate_id() {
    let case = Case::new().edit_cell(2, "id", "L01");
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: id: duplicate asset id `L01`",
            &format!("  --> {}", case.cell_at(3, "id")),
        ],
    );
}

#[test]
fn tape_bad_amount() {
    // A letter O instead of a zero.
    let case = Case::new().edit_cell(2, "balance", "12O000000.00");
    case.write(true);
    let err = fails(&case);
    has(
        &err,
        &[
            "error: balance: expected a positive amount in yuan with at most 2 decimals, \
             found `12O000000.00`",
            &format!("  --> {}", case.cell_at(3, "balance")),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// The command line

#[test]
fn cdr_out_of_range_on_the_command_line() {
    let case = Case::new();
    case.write(true);
    let out = case.dir.path().join("out");
    let err = cashflow_fails(&case.scenario_path(), &out, &["--cdr", "1.5"]);
    assert_eq!(err, "error: --cdr expects a rate in [0, 1], found 1.5\n");
    assert!(!out.exists(), "`--out` folder was created");

    let existing = case.dir.path().join("existing");
    fs::create_dir_all(&existing).unwrap();
    fs::write(existing.join("marker.txt"), "keep me").unwrap();
    cashflow_fails(&case.scenario_path(), &existing, &["--cdr", "1.5"]);
    assert_untouched(&existing);
    assert_no_staging(case.dir.path());
}

// ---------------------------------------------------------------------------------------------
// The shipped scenarios are valid

#[test]
fn shipped_scenarios_validate() {
    for (file, name, balance) in [
        (
            "ip-lease-733m.toml",
            "IP lease 733M (reference, illustrative)",
            "733,000,000.00",
        ),
        (
            "patent-pledge-200m.toml",
            "Patent pledge 200M (illustrative)",
            "200,000,000.00",
        ),
        (
            "patent-royalty-300m.toml",
            "Patent royalty 301M (illustrative)",
            "301,000,000.00",
        ),
    ] {
        let path = repo().join("scenarios").join(file);
        let run = cargo_bin_cmd!("ipabs")
            .arg("validate")
            .arg(&path)
            .assert()
            .code(0)
            .stderr("");
        let stdout = String::from_utf8(run.get_output().stdout.clone()).unwrap();
        has(
            &stdout,
            &[
                &format!("{} is valid: ", path.display()),
                &format!("Pool of {name}"),
                "balance (yuan)",
                balance,
            ],
        );
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with("balance (yuan)"))
            .unwrap();
        assert!(line.trim_end().ends_with(balance), "{file}: {line}");
    }
}
