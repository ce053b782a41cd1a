//! End-to-end: ipabs never deletes or overwrites what it did not write, a stopped run leaves the
//! previous output intact, two runs on one folder exclude each other, and leftovers of killed
//! runs are cleared by the next run.

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the shipped scenarios in a fresh folder (so refusals can be tested on it).
fn workspace() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("scenarios");
    std::fs::create_dir_all(dst.join("data")).unwrap();
    for dir in ["scenarios", "scenarios/data"] {
        for e in std::fs::read_dir(repo().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                std::fs::copy(&p, tmp.path().join(dir).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    tmp
}

const SCENARIO: &str = "scenarios/ip-lease-733m.toml";

/// Every file under `dir` with its bytes (symlinks not followed).
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p, bytes));
            } else {
                out.push((p, Vec::new()));
            }
        }
    }
    out.sort();
    out
}

/// `ipabs cashflow` in `cwd` with `--out out`, HOME set to `home`.
fn cashflow(cwd: &Path, out: &str, home: &Path) -> assert_cmd::assert::Assert {
    cargo_bin_cmd!("ipabs")
        .current_dir(cwd)
        .env("HOME", home)
        .args(["cashflow", SCENARIO, "--quiet", "--out", out])
        .assert()
}

/// `ipabs ARGS` in `root`, stopped at the start of phase `stop_at` when given
/// (`IPABS_STOP_AT`, the fault-injection point of `ipabs::cancel::phase`).
fn ipabs(root: &Path, args: &[&str], stop_at: Option<&str>) -> assert_cmd::assert::Assert {
    let mut cmd = cargo_bin_cmd!("ipabs");
    cmd.current_dir(root).args(args);
    if let Some(phase) = stop_at {
        cmd.env("IPABS_STOP_AT", phase);
    }
    cmd.assert()
}

const SHORT_RUN: &[&str] = &[
    "run", SCENARIO, "--quiet", "--paths", "2000", "--out", "out",
];

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

#[test]
fn every_forbidden_or_foreign_target_is_refused_and_nothing_changes() {
    let ws = workspace();
    let root = ws.path();
    let home = root.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("thesis.docx"), "years of work").unwrap();
    let mine = root.join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&mine, root.join("link")).unwrap();
    let before = snapshot(root);
    let home_s = home.to_str().unwrap();
    let cases: &[(&str, &str)] = &[
        ("mine", "not written by ipabs"),
        ("mine/", "not written by ipabs"),
        ("link/", "not written by ipabs"),
        ("link", "not written by ipabs"),
        ("scenarios", "an input of this run"),
        ("scenarios/data", "an input of this run"),
        ("scenarios/data/", "an input of this run"),
        (".", "the current folder"),
        ("..", "contains the current folder"),
        ("scenarios/..", "the current folder"),
        ("/", "root folder"),
        (home_s, "home folder"),
        ("scenarios/ip-lease-733m.toml", "an input of this run"),
        ("mine/notes.txt", "not a folder"),
    ];
    for (out, expected) in cases {
        if cfg!(not(unix)) && out.starts_with("link") {
            continue;
        }
        let a = cashflow(root, out, &home).code(2);
        let err = stderr(&a);
        assert!(err.contains("refusing to write"), "--out {out}: {err}");
        assert!(
            err.contains(expected),
            "--out {out}: expected `{expected}` in {err}"
        );
        assert_eq!(snapshot(root), before, "--out {out} changed the workspace");
    }
}

#[test]
fn own_folder_is_replaced_with_a_marker_and_an_empty_folder_is_used() {
    let ws = workspace();
    let root = ws.path();
    std::fs::create_dir(root.join("empty")).unwrap();
    cashflow(root, "empty", root).success();
    let marker: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("empty/.ipabs-output.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(marker["program"], "ipabs");
    assert_eq!(marker["command"], "cashflow");
    assert_eq!(marker["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(marker["scenario_sha256"].as_str().unwrap().len(), 64);
    // A file put into it that ipabs did not write makes it foreign again: refused, kept.
    std::fs::write(root.join("empty/my-notes.csv"), "x").unwrap();
    let a = cashflow(root, "empty", root).code(2);
    assert!(
        stderr(&a).contains("did not write there: my-notes.csv"),
        "{}",
        stderr(&a)
    );
    assert!(root.join("empty/my-notes.csv").exists());
    // Moved away, the folder is replaced again.
    std::fs::remove_file(root.join("empty/my-notes.csv")).unwrap();
    cashflow(root, "empty", root).success();
    assert!(root.join("empty/pool_cashflows.csv").exists());
    let entries = marker["entries"].as_array().unwrap();
    assert!(
        entries.iter().any(|e| e == "pool_cashflows.csv"),
        "{entries:?}"
    );
    // Nothing but the folder is left beside it (no lock, staging or old folders).
    let names: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn chart_refuses_a_folder_ipabs_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("pool_cashflows.csv"), "mine").unwrap();
    let before = snapshot(tmp.path());
    let a = cargo_bin_cmd!("ipabs")
        .arg("chart")
        .arg(tmp.path())
        .assert()
        .code(2);
    assert!(
        stderr(&a).contains("not written by ipabs"),
        "{}",
        stderr(&a)
    );
    assert_eq!(snapshot(tmp.path()), before);
}

/// Paths of a run that is stopped long before it ends: about 15 s of work on 2 cores, and a
/// memory estimate (about 1 GB) that fits any machine the tests run on.
const LONG_RUN_PATHS: &str = "3000000";

/// A `run` of the reference deal writing `out` (under `root`), started in the background.
fn spawn_run(root: &Path, out: &str, paths: &str) -> std::process::Child {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("ipabs"));
    cmd.current_dir(root)
        .args(["run", SCENARIO, "--quiet", "--paths", paths, "--out", out])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd.spawn().unwrap()
}

fn wait_for(cond: impl Fn() -> bool, what: &str) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Entries beside the output folder whose names start with `.out.` (lock, staging, old).
fn leftovers(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out."))
        .collect()
}

fn staged(root: &Path) -> bool {
    leftovers(root).iter().any(|n| n.contains("ipabs-staging"))
}

#[cfg(unix)]
fn signal(child: &std::process::Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

#[cfg(unix)]
#[test]
fn second_run_fails_at_once_and_sigterm_keeps_the_previous_output() {
    let ws = workspace();
    let root = ws.path();
    // A finished output to protect.
    cashflow(root, "out", root).success();
    let before = snapshot(&root.join("out"));
    // A long run holds the lock (it is stopped long before it ends).
    let mut first = spawn_run(root, "out", LONG_RUN_PATHS);
    wait_for(|| staged(root), "the first run's staging folder");
    let started = Instant::now();
    let a = cashflow(root, "out", root).code(2);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(stderr(&a).contains("is being written by"), "{}", stderr(&a));
    assert_eq!(snapshot(&root.join("out")), before);
    signal(&first, "-TERM");
    let status = first.wait().unwrap();
    assert_eq!(status.code(), Some(143), "{status:?}");
    assert_eq!(
        snapshot(&root.join("out")),
        before,
        "SIGTERM changed the previous output"
    );
    assert!(leftovers(root).is_empty(), "{:?}", leftovers(root));
}

#[cfg(unix)]
#[test]
fn sigint_during_the_monte_carlo_exits_130_and_leaves_nothing() {
    let ws = workspace();
    let root = ws.path();
    let mut run = spawn_run(root, "out", LONG_RUN_PATHS);
    wait_for(|| staged(root), "the staging folder");
    std::thread::sleep(Duration::from_millis(300));
    signal(&run, "-INT");
    assert_eq!(run.wait().unwrap().code(), Some(130));
    assert!(!root.join("out").exists());
    assert!(leftovers(root).is_empty(), "{:?}", leftovers(root));
}

#[cfg(unix)]
#[test]
fn sigkill_leftovers_are_removed_by_the_next_run() {
    let ws = workspace();
    let root = ws.path();
    cashflow(root, "out", root).success();
    let mut run = spawn_run(root, "out", LONG_RUN_PATHS);
    wait_for(|| staged(root), "the staging folder");
    signal(&run, "-KILL");
    run.wait().unwrap();
    assert!(
        staged(root),
        "SIGKILL leaves its staging folder: {:?}",
        leftovers(root)
    );
    cashflow(root, "out", root).success();
    assert!(leftovers(root).is_empty(), "{:?}", leftovers(root));
    assert!(root.join("out/summary.json").exists());
}

/// A stop at each phase of `run` (injected at the phase's start): exit 143 (or 130 for
/// SIGINT), the previous output byte for byte, nothing staged left.
#[cfg(unix)]
#[test]
fn a_stop_at_any_phase_keeps_the_previous_output() {
    let ws = workspace();
    let root = ws.path();
    cashflow(root, "out", root).success();
    let before = snapshot(&root.join("out"));
    for (phase, code) in [
        ("base_case", 143),
        ("monte_carlo", 143),
        ("breakeven", 143),
        ("rating", 143),
        ("charts", 143),
        ("report", 130),
        ("xlsx", 143),
        ("commit", 143),
    ] {
        let spec = if code == 130 {
            format!("{phase}:INT")
        } else {
            phase.to_string()
        };
        let args = [SHORT_RUN, &["--xlsx"]].concat();
        let a = ipabs(root, &args, Some(&spec)).code(code);
        let err = stderr(&a);
        assert!(err.contains("interrupted"), "{phase}: {err}");
        assert_eq!(snapshot(&root.join("out")), before, "{phase}");
        assert!(leftovers(root).is_empty(), "{phase}: {:?}", leftovers(root));
    }
    // The same run without a stop replaces the output.
    ipabs(root, SHORT_RUN, None).success();
    assert!(root.join("out/report.html").exists());
}

/// The structuring commands honour a stop the same way.
#[cfg(unix)]
#[test]
fn structuring_commands_stopped_keep_the_previous_output() {
    let ws = workspace();
    let root = ws.path();
    for (args, phase) in [
        (
            &["breakeven", SCENARIO, "--quiet", "--out", "out"][..],
            "breakeven",
        ),
        (
            &[
                "rate", SCENARIO, "--quiet", "--paths", "2000", "--out", "out",
            ][..],
            "monte_carlo",
        ),
    ] {
        ipabs(root, args, None).success();
        let before = snapshot(&root.join("out"));
        for at in [phase, "commit"] {
            ipabs(root, args, Some(at)).code(143);
            assert_eq!(snapshot(&root.join("out")), before, "{} at {at}", args[0]);
            assert!(leftovers(root).is_empty(), "{:?}", leftovers(root));
        }
    }
}

#[cfg(unix)]
#[test]
fn chart_stopped_midway_keeps_the_previous_charts() {
    let ws = workspace();
    let root = ws.path();
    ipabs(root, SHORT_RUN, None).success();
    let before = snapshot(&root.join("out"));
    for phase in ["charts", "report", "xlsx"] {
        ipabs(root, &["chart", "out", "--xlsx"], Some(phase)).code(143);
        assert_eq!(snapshot(&root.join("out")), before, "{phase}");
    }
}

#[test]
fn thread_counts_follow_one_rule() {
    let ws = workspace();
    let root = ws.path();
    for (threads, expected) in [
        ("0", "at least 1"),
        ("1025", "at most 1024"),
        ("18446744073709551615", "at most 1024"),
    ] {
        let a = cargo_bin_cmd!("ipabs")
            .current_dir(root)
            .args([
                "run",
                SCENARIO,
                "--quiet",
                "--paths",
                "100",
                "--threads",
                threads,
            ])
            .assert()
            .code(2);
        assert!(stderr(&a).contains(expected), "{threads}: {}", stderr(&a));
    }
    assert!(!root.join("output").exists());
}

#[test]
fn path_counts_that_cannot_fit_are_refused_before_starting() {
    let ws = workspace();
    let root = ws.path();
    for command in ["run", "rate"] {
        let started = Instant::now();
        let a = cargo_bin_cmd!("ipabs")
            .current_dir(root)
            .args([command, SCENARIO, "--quiet", "--paths", "10000000000000"])
            .assert()
            .code(2);
        let err = stderr(&a);
        assert!(
            err.contains("needs about") && err.contains("TB"),
            "{command}: {err}"
        );
        assert!(started.elapsed() < Duration::from_secs(30));
    }
    assert!(!root.join("output").exists());
}
