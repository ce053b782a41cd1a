//! `--json` on every command: one JSON object on stdout (nothing else there), the documents it
//! carries equal to the files written, failures as `"ok": false` with located problems; and
//! the shell conventions: several files to `validate`, counts as `1e4`/`10_000`, completions,
//! man pages and colour.

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// Runs ipabs with `--json`; its stdout as JSON and its exit code.
fn json(args: &[&std::ffi::OsStr]) -> (Value, i32) {
    let out = cargo_bin_cmd!("ipabs")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let value: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}"));
    (value, out.status.code().unwrap())
}

macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$(std::ffi::OsStr::new($a)),*] };
}

/// The summary of a command that wrote `out`: its documents are the folder's JSON files.
fn check_folder(summary: &Value, command: &str, out: &Path) {
    assert_eq!(summary["ok"], true, "{summary:#}");
    assert_eq!(summary["command"], command);
    assert_eq!(summary["exit_code"], 0);
    let dir = Path::new(summary["out"].as_str().unwrap());
    assert_eq!(dir.canonicalize().unwrap(), out.canonicalize().unwrap());
    let documents = summary["documents"].as_object().unwrap();
    assert!(!documents.is_empty());
    for (name, doc) in documents {
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap();
        assert_eq!(&file, doc, "{name} differs from the summary's copy");
    }
    let files: Vec<&str> = summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for name in documents.keys() {
        assert!(files.contains(&name.as_str()), "{name} not among {files:?}");
    }
}

#[test]
fn every_command_prints_its_summary_as_json() {
    let tmp = tempfile::tempdir().unwrap();
    let t = |name: &str| tmp.path().join(name);
    let lease = scenario("ip-lease-733m.toml");
    let pledge = scenario("patent-pledge-200m.toml");

    let (v, code) = json(args![
        "validate",
        &lease,
        &pledge,
        &scenario("patent-royalty-300m.toml")
    ]);
    assert_eq!((code, &v["ok"]), (0, &Value::Bool(true)));
    let checked = v["result"].as_array().unwrap();
    assert_eq!(checked.len(), 3);
    assert!(checked.iter().all(|c| c["valid"] == true));
    assert_eq!(checked[0]["deal"]["tranches"], 4);

    let (v, _) = json(args!["cashflow", &pledge, "--out", &t("base")]);
    check_folder(&v, "cashflow", &t("base"));
    assert!(v["documents"]["summary.json"].is_object());
    let (v, _) = json(args![
        "cashflow",
        &pledge,
        "--cdr",
        "0.08",
        "--out",
        &t("stress")
    ]);
    check_folder(&v, "cashflow", &t("stress"));
    let (v, _) = json(args![
        "compare",
        &t("base"),
        &t("stress"),
        "--out",
        &t("cmp")
    ]);
    check_folder(&v, "compare", &t("cmp"));

    let (v, _) = json(args![
        "run",
        &pledge,
        "--paths",
        "4e3",
        "--out",
        &t("run"),
        "--quiet"
    ]);
    check_folder(&v, "run", &t("run"));
    for doc in [
        "mc-summary.json",
        "breakeven.json",
        "rating.json",
        "run-info.json",
    ] {
        assert!(v["documents"][doc].is_object(), "{doc} missing");
    }
    let (v, _) = json(args!["chart", &t("run"), "--format", "svg"]);
    assert_eq!(v["command"], "chart");
    assert!(v["result"]["replaced"].as_array().unwrap().len() > 1);

    let (v, _) = json(args![
        "breakeven",
        &pledge,
        "--tranche",
        "A",
        "--out",
        &t("be")
    ]);
    check_folder(&v, "breakeven", &t("be"));
    let (v, _) = json(args![
        "rate",
        &pledge,
        "--paths",
        "4_000",
        "--out",
        &t("rate")
    ]);
    check_folder(&v, "rate", &t("rate"));
    let (v, _) = json(args![
        "size",
        &pledge,
        "--target-bdr",
        "A=0.2",
        "--out",
        &t("size")
    ]);
    check_folder(&v, "size", &t("size"));
    let (v, _) = json(args![
        "sweep",
        &pledge,
        "--vary",
        "assumptions.cdr=0.02,0.04",
        "--deterministic",
        "--out",
        &t("sweep")
    ]);
    check_folder(&v, "sweep", &t("sweep"));
    // The rows the sweep writes only as CSV are the summary's result.
    assert!(v["result"].as_array().unwrap().len() >= 2);

    for k in 1..=2 {
        let (v, _) = json(args![
            "run",
            &pledge,
            "--paths",
            "8192",
            "--mc-only",
            "--no-charts",
            "--shard",
            &format!("{k}/2"),
            "--out",
            &t(&format!("s{k}"))
        ]);
        check_folder(&v, "run", &t(&format!("s{k}")));
        assert!(v["documents"]["shard.json"].is_object());
    }
    let (v, _) = json(args![
        "merge",
        &t("s1"),
        &t("s2"),
        "--out",
        &t("merged"),
        "--no-charts"
    ]);
    check_folder(&v, "merge", &t("merged"));

    let (v, _) = json(args!["new", "royalty", &t("new")]);
    assert_eq!(
        (&v["command"], &v["result"]["kind"]),
        (&Value::from("new"), &Value::from("royalty"))
    );
    let files = v["result"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    assert!(
        files
            .iter()
            .all(|f| Path::new(f.as_str().unwrap()).is_file())
    );
    let (v, _) = json(args!["new", "--list"]);
    assert_eq!(v["result"]["kinds"].as_array().unwrap().len(), 3);

    let (v, _) = json(args!["completions", "fish"]);
    assert!(
        v["result"]["text"]
            .as_str()
            .unwrap()
            .contains("complete -c ipabs")
    );
    let (v, _) = json(args!["man", "run"]);
    assert_eq!(v["result"]["name"], "ipabs-run");
}

#[test]
fn failures_are_json_with_located_problems() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    let text = std::fs::read_to_string(scenario("ip-lease-733m.toml"))
        .unwrap()
        .replace("[deal]\n", "[deal]\ncupon = 1\n")
        .replace("data/", &format!("{}/", scenario("data").display()));
    std::fs::write(&bad, text).unwrap();
    let (v, code) = json(args!["run", &bad, "--paths", "100"]);
    assert_eq!(code, 2);
    assert_eq!(
        (&v["ok"], &v["exit_code"]),
        (&Value::Bool(false), &Value::from(2))
    );
    let problem = &v["error"]["problems"][0];
    assert_eq!(problem["file"], bad.to_str().unwrap());
    assert_eq!(problem["field"], "deal.cupon");
    assert!(problem["line"].as_u64().unwrap() > 1 && problem["column"] == 1);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field")
    );

    // A bad command line is a failure summary too.
    let (v, code) = json(args!["run", &bad, "--paths", "1.5e0"]);
    assert_eq!((code, &v["ok"]), (2, &Value::Bool(false)));
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a whole number")
    );
}

#[test]
fn validate_reports_every_file_and_fails_if_one_is_invalid() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "[deal]\nname = 1\n").unwrap();
    let out = cargo_bin_cmd!("ipabs")
        .arg("validate")
        .arg(scenario("ip-lease-733m.toml"))
        .arg(&bad)
        .arg(scenario("patent-pledge-200m.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stdout.matches(" is valid: ").count(), 2, "{stdout}");
    assert!(stdout.contains("2 of 3 scenarios valid"), "{stdout}");
    assert!(
        stderr.contains(&format!("--> {}:2:8", bad.display())),
        "{stderr}"
    );
    assert!(stderr.contains("1 of 3 scenarios are invalid"), "{stderr}");
}

#[test]
fn counts_take_exponents_and_separators() {
    let tmp = tempfile::tempdir().unwrap();
    let pledge = scenario("patent-pledge-200m.toml");
    let summaries: Vec<String> = ["5000", "5_000", "5e3", "0.5e4"]
        .iter()
        .enumerate()
        .map(|(k, paths)| {
            let out = tmp.path().join(format!("r{k}"));
            cargo_bin_cmd!("ipabs")
                .args(["run", pledge.to_str().unwrap(), "--mc-only", "--no-charts"])
                .args(["--quiet", "--paths", paths, "--out"])
                .arg(&out)
                .assert()
                .success();
            std::fs::read_to_string(out.join("mc-summary.json")).unwrap()
        })
        .collect();
    assert!(summaries.contains(&"\"paths\": 5000".to_string()) || summaries[0].contains("5000"));
    assert!(summaries.windows(2).all(|w| w[0] == w[1]));
    for bad in ["5e-3", "5.5", "5__000", "1e30"] {
        let out = cargo_bin_cmd!("ipabs")
            .args(["run", pledge.to_str().unwrap(), "--paths", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("--paths"), "{bad}: {stderr}");
    }
}

#[test]
fn completion_scripts_and_man_pages() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = cargo_bin_cmd!("ipabs")
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for sub in [
            "validate",
            "run",
            "merge",
            "completions",
            "importance-sampling",
        ] {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
    }
    // The bash script is valid bash.
    let script = cargo_bin_cmd!("ipabs")
        .args(["completions", "bash"])
        .output()
        .unwrap()
        .stdout;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("ipabs.bash");
    std::fs::write(&file, script).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .status()
        .unwrap();
    assert!(check.success());

    let page = cargo_bin_cmd!("ipabs").arg("man").output().unwrap();
    let page = String::from_utf8(page.stdout).unwrap();
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{page}");
    assert!(page.contains(".TH ipabs 1"), "{page}");
    for sub in ["validate", "run", "merge", "sweep", "man"] {
        assert!(page.contains(sub), "man page lacks {sub}");
    }
    let run = cargo_bin_cmd!("ipabs")
        .args(["man", "run"])
        .output()
        .unwrap();
    let run = String::from_utf8(run.stdout).unwrap();
    assert!(
        run.contains(".TH ipabs-run 1") && run.contains("importance"),
        "{run}"
    );
    assert!(run.contains("Examples:"), "the page carries the examples");
    let unknown = cargo_bin_cmd!("ipabs")
        .args(["man", "nope"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn colour_on_request_and_never_with_no_color() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "[deal]\nname = 1\n").unwrap();
    let stderr = |colour: &str, no_color: bool| {
        let mut cmd = cargo_bin_cmd!("ipabs");
        cmd.arg("validate").arg(&bad).args(["--color", colour]);
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        String::from_utf8(cmd.output().unwrap().stderr).unwrap()
    };
    assert!(stderr("always", false).contains("\u{1b}[31merror:\u{1b}[0m"));
    // Not a terminal here: auto means none; NO_COLOR does not override an explicit flag.
    assert!(!stderr("auto", false).contains('\u{1b}'));
    assert!(!stderr("never", false).contains('\u{1b}'));
    assert!(stderr("always", true).contains('\u{1b}'));

    // On a terminal (util-linux `script` gives the command one), auto colours unless NO_COLOR.
    let on_terminal = |no_color: bool| -> Option<String> {
        let bin = assert_cmd::cargo::cargo_bin!("ipabs");
        let line = format!("{} validate {}", bin.display(), bad.display());
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"]);
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd.output().ok()?;
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    if let (Some(coloured), Some(plain)) = (on_terminal(false), on_terminal(true)) {
        assert!(coloured.contains("\u{1b}[31merror:"), "{coloured:?}");
        assert!(
            plain.contains("error:") && !plain.contains('\u{1b}'),
            "{plain:?}"
        );
    }
}
