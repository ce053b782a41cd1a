//! A real Slurm job array on localhost: the Monte Carlo split into shard tasks of one array, merged
//! by a job that depends on the array, gives the same folder, byte for byte, as one run of the
//! same paths (all but `run-info.json`, which records timings, host and threads, and the
//! output marker `.ipabs-output.json`, which records the command and when the folder was made).
//!
//! Needs root and apt (`scripts/slurm/cluster.sh install` adds Debian's slurm-wlm and munge), so
//! it runs only with `IPABS_SLURM_TEST=1`. The cluster lives in the test's temporary folder and
//! its daemons are stopped by a guard, also when the test fails.

mod common;

use common::folders::assert_same_folders;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// 40,000 paths are ten 4,096-path chunks (the last one partial): two or three per shard.
const PATHS: &str = "40000";
const SEED: &str = "7";
/// Array tasks 0–3, one CPU each: on a 2-core machine two run at a time.
const SHARDS: u32 = 4;
/// The whole Slurm part (array and merge) must finish within this.
const JOBS_TIMEOUT: Duration = Duration::from_secs(900);
const POLL: Duration = Duration::from_millis(500);

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cluster_script() -> PathBuf {
    repo().join("scripts/slurm/cluster.sh")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn describe(output: &Output) -> String {
    format!(
        "{}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    )
}

fn cluster_sh(args: &[&Path]) -> Output {
    Command::new("bash")
        .arg(cluster_script())
        .args(args)
        .output()
        .expect("bash runs scripts/slurm/cluster.sh")
}

/// A running cluster; dropping it stops every daemon `cluster.sh start` started (by pid file).
/// It exists before `start` runs, so a start that fails halfway is cleaned up too.
struct Cluster {
    dir: PathBuf,
}

impl Cluster {
    fn start(dir: PathBuf) -> Cluster {
        let cluster = Cluster { dir };
        let started = Instant::now();
        let output = cluster_sh(&[Path::new("start"), &cluster.dir]);
        assert!(
            output.status.success(),
            "cluster.sh start failed: {}",
            describe(&output)
        );
        eprint!("{}", text(&output.stderr));
        eprintln!(
            "slurm: cluster started and idle in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        cluster
    }

    /// A client command (sbatch, squeue) pointed at this cluster.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env("SLURM_CONF", self.dir.join("slurm.conf"));
        command
    }

    /// Submits a batch script and returns its job id.
    fn submit(&self, args: &[&str], script: &Path) -> String {
        let output = self
            .command("sbatch")
            .arg("--parsable")
            .args(args)
            .arg(script)
            .output()
            .expect("sbatch runs");
        assert!(output.status.success(), "sbatch: {}", describe(&output));
        // --parsable prints "id" or "id;cluster".
        let stdout = text(&output.stdout);
        let id = stdout.trim().split(';').next().unwrap_or_default();
        assert!(
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
            "sbatch printed no job id: {stdout:?}"
        );
        id.to_string()
    }

    /// `JOBID STATE REASON` of every task of the jobs, finished ones included (the controller
    /// keeps them for MinJobAge, 300 s by default; there is no accounting to ask instead).
    fn job_states(&self, jobs: &[&str]) -> Vec<String> {
        let output = self
            .command("squeue")
            .args(["--noheader", "--states=all", "--format=%i %T %r", "--jobs"])
            .arg(jobs.join(","))
            .output()
            .expect("squeue runs");
        assert!(output.status.success(), "squeue: {}", describe(&output));
        text(&output.stdout).lines().map(str::to_string).collect()
    }

    /// Waits until no task of the jobs is pending or running; returns their final states.
    fn wait(&self, jobs: &[&str], job_logs: &Path) -> Vec<String> {
        let started = Instant::now();
        loop {
            let states = self.job_states(jobs);
            if states.iter().all(|line| is_final(line)) {
                return states;
            }
            assert!(
                started.elapsed() < JOBS_TIMEOUT,
                "Slurm jobs not done after {} s:\n{}\n{}",
                JOBS_TIMEOUT.as_secs(),
                states.join("\n"),
                read_logs(job_logs)
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let output = cluster_sh(&[Path::new("stop"), &self.dir]);
        if !output.status.success() {
            eprintln!("cluster.sh stop failed: {}", describe(&output));
        }
    }
}

/// Whether a `JOBID STATE REASON` line is in a final state. A job whose dependency can never be
/// met is cancelled by the cluster (DependencyParameters=kill_invalid_depend); should it still
/// be pending for that reason it is final too.
fn is_final(line: &str) -> bool {
    let mut fields = line.split_whitespace().skip(1);
    let state = fields.next().unwrap_or_default();
    let reason = fields.next().unwrap_or_default();
    match state {
        "PENDING" => reason == "DependencyNeverSatisfied",
        "RUNNING" | "CONFIGURING" | "COMPLETING" | "REQUEUED" | "RESIZING" | "SUSPENDED"
        | "SIGNALING" | "STAGE_OUT" | "REQUEUE_HOLD" | "REQUEUE_FED" => false,
        _ => true,
    }
}

/// Every job output file in the folder, for a failure message.
fn read_logs(dir: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    let mut out = String::new();
    for file in files {
        let content = std::fs::read(&file).unwrap_or_default();
        out += &format!("----- {}\n{}\n", file.display(), text(&content));
    }
    out
}

/// A word for a bash script: single-quoted, with any single quote spelled `'\''`.
fn sh_quote(path: &Path) -> String {
    let s = path.to_str().expect("a UTF-8 path");
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn write_script(path: &Path, command: &str) {
    std::fs::write(path, format!("#!/bin/bash\nset -euo pipefail\n{command}\n")).unwrap();
}

#[test]
fn a_slurm_array_of_shards_merges_to_the_single_run_byte_for_byte() {
    if std::env::var("IPABS_SLURM_TEST").as_deref() != Ok("1") {
        println!("skipped: set IPABS_SLURM_TEST=1 (needs root and apt)");
        return;
    }
    let install = cluster_sh(&[Path::new("install")]);
    assert!(
        install.status.success(),
        "cluster.sh install: {}",
        describe(&install)
    );

    // Declared before the cluster, so it is removed after the guard has stopped the daemons.
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    let ipabs = Path::new(env!("CARGO_BIN_EXE_ipabs"));
    let scenario = repo().join("scenarios/ip-lease-733m.toml");
    let shards = work.join("shards");
    let merged = work.join("merged");
    let single = work.join("single");
    let job_logs = work.join("job-logs");
    std::fs::create_dir_all(&shards).unwrap();
    std::fs::create_dir_all(&job_logs).unwrap();

    let cluster = Cluster::start(work.join("cluster"));

    let array_script = work.join("shards.sh");
    write_script(
        &array_script,
        &format!(
            "exec {} run {} --paths {PATHS} --seed {SEED} --mc-only --shard auto \
             --out {}/shard-\"$SLURM_ARRAY_TASK_ID\"",
            sh_quote(ipabs),
            sh_quote(&scenario),
            sh_quote(&shards)
        ),
    );
    let merge_script = work.join("merge.sh");
    write_script(
        &merge_script,
        &format!(
            "exec {} merge {}/shard-* --out {}",
            sh_quote(ipabs),
            sh_quote(&shards),
            sh_quote(&merged)
        ),
    );

    let chdir = format!("--chdir={}", work.display());
    let started = Instant::now();
    let array_job = cluster.submit(
        &[
            &chdir,
            &format!("--array=0-{}", SHARDS - 1),
            "--cpus-per-task=1",
            "--job-name=ipabs-shard",
            &format!("--output={}/shard-%a.out", job_logs.display()),
            &format!("--error={}/shard-%a.err", job_logs.display()),
        ],
        &array_script,
    );
    let merge_job = cluster.submit(
        &[
            &chdir,
            &format!("--dependency=afterok:{array_job}"),
            "--job-name=ipabs-merge",
            &format!("--output={}/merge.out", job_logs.display()),
            &format!("--error={}/merge.err", job_logs.display()),
        ],
        &merge_script,
    );
    let states = cluster.wait(&[&array_job, &merge_job], &job_logs);
    let slurm_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "slurm: array and merge finished after {slurm_seconds:.1} s (first sbatch to last job)"
    );
    let completed = states
        .iter()
        .filter(|line| line.split_whitespace().nth(1) == Some("COMPLETED"))
        .count();
    assert!(
        completed == SHARDS as usize + 1,
        "Slurm jobs did not all complete (array job {array_job}, merge job {merge_job}):\n{}\n{}",
        states.join("\n"),
        read_logs(&job_logs)
    );

    let output = Command::new(ipabs)
        .arg("run")
        .arg(&scenario)
        .args(["--paths", PATHS, "--seed", SEED, "--mc-only"])
        .arg("--out")
        .arg(&single)
        .output()
        .unwrap();
    assert!(output.status.success(), "single run: {}", describe(&output));

    assert_same_folders(&single, &merged);
    drop(cluster);
}
