//! `ipabs run --shard i/n` and `ipabs merge`: the merged folder of 1, 2, 3 or 7 shards is the
//! single run's, byte for byte — summaries, CSVs, paths.bin, break-even, rating, sensitivity,
//! charts, report and workbook — with only `run-info.json` and the output marker differing;
//! `--shard auto` reads Slurm, Kubernetes and AWS Batch array variables; and a merge of shards
//! that are not one whole run is refused, naming what is wrong.

mod common;

use assert_cmd::cargo::cargo_bin_cmd;
use common::folders::assert_same_folders;
use std::path::{Path, PathBuf};

/// 30,000 paths: eight 4,096-path chunks (the last one partial), enough for seven shards.
const PATHS: &str = "30000";
const SEED: &str = "11";

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ip-lease-733m.toml")
}

fn run(out: &Path, extra: &[&str]) {
    run_seeded(out, SEED, extra)
}

fn run_seeded(out: &Path, seed: &str, extra: &[&str]) {
    cargo_bin_cmd!("ipabs")
        .arg("run")
        .arg(scenario())
        .args([
            "--paths", PATHS, "--seed", seed, "--quiet", "--format", "svg",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

fn merge(out: &Path, shards: &[PathBuf], extra: &[&str]) -> assert_cmd::assert::Assert {
    cargo_bin_cmd!("ipabs")
        .arg("merge")
        .args(shards)
        .args(["--quiet", "--format", "svg"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
}

/// Runs the `n` shards of the run into `dir/shard-i` and returns their folders, last first
/// (the merge must sort them).
fn shards(dir: &Path, n: usize, extra: &[&str]) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = (1..=n)
        .map(|i| {
            let out = dir.join(format!("shard-{i}"));
            let shard = format!("{i}/{n}");
            let mut args = vec!["--shard", shard.as_str()];
            args.extend_from_slice(extra);
            run(&out, &args);
            out
        })
        .collect();
    folders.reverse();
    folders
}

#[test]
fn merged_shards_are_the_single_run_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    run(&single, &["--xlsx"]);
    for n in [1, 2, 3, 7] {
        let dir = tmp.path().join(format!("n{n}"));
        let folders = shards(&dir, n, &[]);
        let merged = dir.join("merged");
        merge(&merged, &folders, &["--xlsx"]).success();
        assert_same_folders(&single, &merged);
        let info: serde_json::Value =
            serde_json::from_slice(&std::fs::read(merged.join("run-info.json")).unwrap()).unwrap();
        assert_eq!(info["command"], "merge");
    }
}

#[test]
fn importance_sampled_shards_merge_to_the_single_run_on_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let options = ["--importance-sampling", "A2", "--mc-only"];
    let single = tmp.path().join("single");
    run(&single, &options);
    let mut one = options.to_vec();
    one.extend(["--threads", "1"]);
    let mut folders = shards(&tmp.path().join("a"), 3, &one);
    // The last shard again on two threads: the same shard.
    let mut two = options.to_vec();
    two.extend(["--threads", "2", "--shard", "3/3"]);
    let again = tmp.path().join("again");
    run(&again, &two);
    folders[0] = again;
    let merged = tmp.path().join("merged");
    merge(&merged, &folders, &[]).success();
    assert_same_folders(&single, &merged);
}

/// A batch system's name, the variables it sets in a task, and the flags the task adds.
type Environment = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<&'static str>,
);

#[test]
fn shard_auto_reads_the_job_array_variables() {
    let tmp = tempfile::tempdir().unwrap();
    let explicit = tmp.path().join("explicit");
    run(&explicit, &["--mc-only", "--no-charts", "--shard", "2/3"]);
    let environments: [Environment; 3] = [
        (
            "slurm",
            vec![
                ("SLURM_ARRAY_TASK_ID", "5"),
                ("SLURM_ARRAY_TASK_MIN", "4"),
                ("SLURM_ARRAY_TASK_MAX", "6"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
                ("SLURM_CPUS_PER_TASK", "1"),
            ],
            vec![],
        ),
        (
            "k8s",
            vec![("JOB_COMPLETION_INDEX", "1")],
            vec!["--shards", "3"],
        ),
        (
            "aws",
            vec![
                ("AWS_BATCH_JOB_ARRAY_INDEX", "1"),
                ("AWS_BATCH_JOB_ARRAY_SIZE", "3"),
            ],
            vec![],
        ),
    ];
    let shard_json = |dir: &Path| std::fs::read(dir.join("shard.json")).unwrap();
    for (name, vars, extra) in environments {
        let out = tmp.path().join(name);
        let mut cmd = cargo_bin_cmd!("ipabs");
        cmd.arg("run")
            .arg(scenario())
            .args([
                "--paths",
                PATHS,
                "--seed",
                SEED,
                "--quiet",
                "--mc-only",
                "--no-charts",
            ])
            .args(["--shard", "auto"])
            .args(&extra)
            .arg("--out")
            .arg(&out);
        for (k, v) in &vars {
            cmd.env(k, v);
        }
        cmd.assert().success();
        assert_eq!(shard_json(&out), shard_json(&explicit), "{name}");
        assert_eq!(
            std::fs::read(out.join("paths.bin")).unwrap(),
            std::fs::read(explicit.join("paths.bin")).unwrap(),
            "{name}"
        );
        let info: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("run-info.json")).unwrap()).unwrap();
        assert_eq!(info["shard"], "2/3", "{name}");
        if name == "slurm" {
            // --threads follows SLURM_CPUS_PER_TASK.
            assert_eq!(info["threads"], 1);
        }
    }
    // A stepped array leaves gaps: refused.
    let stepped = cargo_bin_cmd!("ipabs")
        .arg("run")
        .arg(scenario())
        .args(["--paths", PATHS, "--quiet", "--mc-only", "--shard", "auto"])
        .arg("--out")
        .arg(tmp.path().join("stepped"))
        .envs([
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&stepped.get_output().stderr).into_owned();
    assert!(stderr.contains("stepped"), "{stderr}");
}

#[test]
fn merges_of_anything_but_one_whole_run_are_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let base = ["--mc-only", "--no-charts"];
    let folders = shards(&tmp.path().join("run"), 3, &base);
    let (third, second, first) = (&folders[0], &folders[1], &folders[2]);
    let out = tmp.path().join("merged");
    let refused = |shards: &[PathBuf], needle: &str| {
        let assert = merge(&out, shards, &["--no-charts"]).code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(stderr.contains(needle), "{needle}: {stderr}");
        assert!(!out.exists(), "a refused merge wrote {}", out.display());
        stderr
    };
    // A missing shard, named.
    refused(&[first.clone(), third.clone()], "shard 2/3 is missing");
    // A shard given twice (a requeued task that wrote a second folder), both folders named.
    let requeued = tmp.path().join("requeued");
    run(&requeued, &["--mc-only", "--no-charts", "--shard", "2/3"]);
    let stderr = refused(
        &[
            first.clone(),
            second.clone(),
            requeued.clone(),
            third.clone(),
        ],
        "shard 2/3 is given twice",
    );
    assert!(stderr.contains("requeued"), "{stderr}");
    // A shard of another run (another seed).
    let other = tmp.path().join("other");
    run_seeded(
        &other,
        "12",
        &["--mc-only", "--no-charts", "--shard", "2/3"],
    );
    refused(&[first.clone(), other, third.clone()], "seed 11 vs 12");
    // Not a shard folder at all.
    refused(
        &[first.clone(), tmp.path().to_path_buf()],
        "not a shard folder",
    );
    // The output may not be one of the shards (it would replace it).
    let assert = merge(first, &folders, &["--no-charts"]).code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("an input of this run"), "{stderr}");
    assert!(first.join("shard.json").is_file());
    // A truncated paths.bin is named.
    let bin = second.join("paths.bin");
    let bytes = std::fs::read(&bin).unwrap();
    std::fs::write(&bin, &bytes[..bytes.len() - 8]).unwrap();
    refused(&folders, "paths.bin");
}

#[test]
fn sweep_shards_merge_to_the_single_sweep_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let vary = [
        "--vary",
        "model.correlation.intra_sector=0.2,0.3,0.4",
        "--vary",
        "pool.pd_multiplier=1,1.5",
    ];
    let sweep = |out: &Path, extra: &[&str]| {
        cargo_bin_cmd!("ipabs")
            .arg("sweep")
            .arg(scenario())
            .args(vary)
            .args(["--paths", "3000", "--seed", SEED, "--quiet"])
            .args(extra)
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    };
    let single = tmp.path().join("single");
    sweep(&single, &[]);
    // Six grid points in four shards (1, 2, 1, 2 points), given out of order.
    let folders: Vec<PathBuf> = [3, 1, 4, 2]
        .iter()
        .map(|i| {
            let out = tmp.path().join(format!("shard-{i}"));
            sweep(&out, &["--shard", &format!("{i}/4")]);
            out
        })
        .collect();
    let merged = tmp.path().join("merged");
    cargo_bin_cmd!("ipabs")
        .arg("merge")
        .args(&folders)
        .args(["--quiet", "--out"])
        .arg(&merged)
        .assert()
        .success();
    assert_same_folders(&single, &merged);
    assert!(merged.join("heatmaps").is_dir());
    // A missing shard of a sweep is refused by name too.
    let assert = cargo_bin_cmd!("ipabs")
        .arg("merge")
        .args(&folders[..3])
        .arg("--out")
        .arg(tmp.path().join("partial"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("shard 2/4 is missing"), "{stderr}");
}
