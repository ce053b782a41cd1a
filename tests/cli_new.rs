//! End-to-end tests of `ipabs new`: every kind writes a scenario that validates and runs as
//! written, and nothing that exists is ever overwritten.

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::{Path, PathBuf};

const KINDS: [&str; 3] = ["ip-lease", "patent-pledge", "royalty"];

/// The files `new KIND` writes into `dir` with stem `name`.
fn targets(dir: &Path, kind: &str, name: &str) -> Vec<PathBuf> {
    let mut out = vec![
        dir.join(format!("{name}.toml")),
        dir.join("data").join(format!("{name}-tape.csv")),
    ];
    if kind == "royalty" {
        out.push(dir.join("data").join(format!("{name}-schedules.csv")));
    }
    out
}

fn new(args: &[&str], dir: &Path) -> assert_cmd::assert::Assert {
    cargo_bin_cmd!("ipabs")
        .arg("new")
        .args(args)
        .arg(dir)
        .assert()
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

#[test]
fn every_kind_validates_runs_and_cashflows_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    for kind in KINDS {
        // A folder that does not exist yet: it and its data/ are created.
        let dir = tmp.path().join(kind).join("deals");
        let assert = new(&[kind], &dir).success();
        let out = stdout(&assert);
        let files = targets(&dir, kind, kind);
        for f in &files {
            assert!(f.is_file(), "{kind}: {} missing", f.display());
            assert!(out.contains(&f.display().to_string()), "{out}");
        }
        let scenario = &files[0];
        assert!(out.contains("ipabs validate"), "{out}");
        assert!(out.contains("ipabs run"), "{out}");

        let assert = cargo_bin_cmd!("ipabs")
            .arg("validate")
            .arg(scenario)
            .assert()
            .success();
        assert!(stdout(&assert).contains("is valid"), "{kind}");
        // A template that warns is not a clean starting point.
        assert_eq!(stderr(&assert), "", "{kind}");

        let run_out = tmp.path().join(format!("{kind}-run"));
        cargo_bin_cmd!("ipabs")
            .arg("run")
            .arg(scenario)
            .args(["--paths", "2000", "--mc-only", "--no-charts", "--quiet"])
            .arg("--out")
            .arg(&run_out)
            .assert()
            .success();
        assert!(run_out.join("mc-summary.json").is_file(), "{kind}");

        let cash_out = tmp.path().join(format!("{kind}-cashflow"));
        cargo_bin_cmd!("ipabs")
            .arg("cashflow")
            .arg(scenario)
            .arg("--quiet")
            .arg("--out")
            .arg(&cash_out)
            .assert()
            .success();
        assert!(cash_out.join("summary.json").is_file(), "{kind}");
    }
}

#[test]
fn name_changes_the_stem_and_the_paths_inside() {
    let tmp = tempfile::tempdir().unwrap();
    new(&["royalty", "--name", "gz-2026"], tmp.path()).success();
    let files = targets(tmp.path(), "royalty", "gz-2026");
    for f in &files {
        assert!(f.is_file(), "{} missing", f.display());
    }
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        text.contains("loan_tape = \"data/gz-2026-tape.csv\""),
        "{text}"
    );
    assert!(
        text.contains("schedules = \"data/gz-2026-schedules.csv\""),
        "{text}"
    );
    cargo_bin_cmd!("ipabs")
        .arg("validate")
        .arg(&files[0])
        .assert()
        .success();
    // Nothing under the kind's own name.
    assert!(!tmp.path().join("royalty.toml").exists());
}

#[test]
fn new_twice_refuses_and_leaves_the_first_files_as_they_were() {
    let tmp = tempfile::tempdir().unwrap();
    for kind in KINDS {
        new(&[kind], tmp.path()).success();
        let files = targets(tmp.path(), kind, kind);
        // The user edits the scenario; a second `new` must not undo it.
        std::fs::write(&files[0], "# my edits\n").unwrap();
        let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();

        let assert = new(&[kind], tmp.path()).code(2);
        let err = stderr(&assert);
        assert!(err.contains(&files[0].display().to_string()), "{err}");
        assert!(err.contains("already exists"), "{err}");
        assert_eq!(stdout(&assert), "");
        let after: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        assert_eq!(before, after, "{kind}");
    }
}

#[test]
fn an_unrelated_file_at_any_target_is_untouched_and_nothing_is_written() {
    for (kind, blocked) in [("ip-lease", 1), ("royalty", 2), ("royalty", 0)] {
        let tmp = tempfile::tempdir().unwrap();
        let files = targets(tmp.path(), kind, kind);
        std::fs::create_dir_all(tmp.path().join("data")).unwrap();
        std::fs::write(&files[blocked], "not ipabs's\n").unwrap();

        let assert = new(&[kind], tmp.path()).code(2);
        let err = stderr(&assert);
        assert!(err.contains(&files[blocked].display().to_string()), "{err}");
        assert_eq!(
            std::fs::read_to_string(&files[blocked]).unwrap(),
            "not ipabs's\n"
        );
        for (i, f) in files.iter().enumerate() {
            if i != blocked {
                assert!(!f.exists(), "{kind}: {} was written", f.display());
            }
        }
        // No temporary files left behind either.
        for dir in [tmp.path().to_path_buf(), tmp.path().join("data")] {
            let names: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
        }
    }
}

#[cfg(unix)]
#[test]
fn a_dangling_link_at_a_target_counts_as_existing() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("patent-pledge.toml");
    let elsewhere = tmp.path().join("elsewhere.toml");
    std::os::unix::fs::symlink(&elsewhere, &scenario).unwrap();
    new(&["patent-pledge"], tmp.path()).code(2);
    assert!(!elsewhere.exists(), "wrote through the link");
    assert!(!tmp.path().join("data/patent-pledge-tape.csv").exists());
}

#[test]
fn a_name_with_a_folder_in_it_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["../escape", "a/b", ".hidden", "x.toml"] {
        let assert = new(&["ip-lease", "--name", bad], tmp.path()).code(2);
        assert!(stderr(&assert).contains("--name"), "{bad}");
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn list_names_every_kind_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let assert = cargo_bin_cmd!("ipabs")
        .current_dir(tmp.path())
        .args(["new", "--list"])
        .assert()
        .success();
    let out = stdout(&assert);
    for kind in KINDS {
        assert_eq!(
            out.lines()
                .filter(|l| l.trim_start().starts_with(&format!("{kind} ")))
                .count(),
            1,
            "{out}"
        );
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn the_default_folder_is_the_current_one() {
    let tmp = tempfile::tempdir().unwrap();
    cargo_bin_cmd!("ipabs")
        .current_dir(tmp.path())
        .args(["new", "patent-pledge"])
        .assert()
        .success();
    assert!(tmp.path().join("patent-pledge.toml").is_file());
    assert!(tmp.path().join("data/patent-pledge-tape.csv").is_file());
}

#[test]
fn an_unknown_kind_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    new(&["car-loan"], tmp.path()).code(2);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}
