//! `--shard i/n | auto`: which part of a run's paths this process runs, from the flag or from
//! the job-array variables of the batch system that started it (Slurm, a Kubernetes Indexed
//! Job, AWS Batch). Shards are numbered from 1 on the command line and in files.

use super::AppError;

/// This process's part of the run: shard `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

/// Most shards of one run (beyond it a number is mistyped: a shard is at least a chunk).
pub const MAX_SHARDS: u64 = 1_000_000;

/// The shard of `--shard` and `--shards` (`None` without `--shard`), `auto` read from this
/// process's environment.
pub fn from_flags(shard: &Option<String>, shards: Option<u64>) -> Result<Option<Shard>, AppError> {
    match (shard, shards) {
        (Some(flag), shards) => parse(flag, shards, |k| std::env::var(k).ok()).map(Some),
        (None, Some(_)) => Err(AppError::Usage(
            "--shards goes with --shard auto (a Kubernetes Indexed Job)".into(),
        )),
        (None, None) => Ok(None),
    }
}

/// The shard `--shard` (and `--shards`, for an Indexed Job) names, reading the environment
/// through `var` for `auto`.
pub fn parse(
    flag: &str,
    shards: Option<u64>,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Shard, AppError> {
    let usage = |m: String| AppError::Usage(format!("--shard: {m}"));
    if flag == "auto" {
        return from_environment(shards, var).map_err(usage);
    }
    if shards.is_some() {
        return Err(AppError::Usage(
            "--shards goes with --shard auto (a Kubernetes Indexed Job); --shard i/n already says the count".into(),
        ));
    }
    let (i, n) = flag
        .split_once('/')
        .ok_or_else(|| usage(format!("expected i/n (e.g. 2/7) or auto, found `{flag}`")))?;
    let number = |s: &str, what: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| usage(format!("expected a whole {what} in i/n, found `{s}`")))
    };
    let (i, n) = (number(i, "shard number")?, number(n, "shard count")?);
    check(i, n).map_err(usage)
}

fn check(number: u64, count: u64) -> Result<Shard, String> {
    if count == 0 || count > MAX_SHARDS {
        return Err(format!(
            "the shard count must be 1 to {MAX_SHARDS}, found {count}"
        ));
    }
    if number == 0 || number > count {
        return Err(format!(
            "shard numbers run from 1 to {count}, found {number}"
        ));
    }
    Ok(Shard {
        index: number - 1,
        count,
    })
}

/// `--shard auto`: Slurm's array variables, a Kubernetes Indexed Job's completion index (with
/// `--shards N`), or AWS Batch's array index and size — whichever is set, in that order.
fn from_environment(
    shards: Option<u64>,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Shard, String> {
    let number = |name: &str| -> Result<Option<u64>, String> {
        match var(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("{name}={v} is not a whole number")),
        }
    };
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        if let Some(step) = number("SLURM_ARRAY_TASK_STEP")?
            && step != 1
        {
            return Err(format!(
                "a stepped Slurm array (SLURM_ARRAY_TASK_STEP={step}) leaves gaps between its tasks; submit --array=0-{} without a step",
                number("SLURM_ARRAY_TASK_COUNT")?
                    .unwrap_or(1)
                    .saturating_sub(1)
            ));
        }
        let min = number("SLURM_ARRAY_TASK_MIN")?
            .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not")?;
        let count = number("SLURM_ARRAY_TASK_COUNT")?
            .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")?;
        if id < min {
            return Err(format!(
                "SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}"
            ));
        }
        if let Some(max) = number("SLURM_ARRAY_TASK_MAX")?
            && max - min + 1 != count
        {
            return Err(format!(
                "the Slurm array {min}-{max} has {count} tasks, not {}: submit a contiguous range (no step, no list)",
                max - min + 1
            ));
        }
        return check(id - min + 1, count);
    }
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let count = shards.ok_or(
            "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give the Job's completions as --shards N",
        )?;
        return check(index + 1, count);
    }
    if let Some(index) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
        let size = number("AWS_BATCH_JOB_ARRAY_SIZE")?
            .ok_or("AWS_BATCH_JOB_ARRAY_INDEX is set but AWS_BATCH_JOB_ARRAY_SIZE is not")?;
        return check(index + 1, size);
    }
    Err("auto found no job-array variables: SLURM_ARRAY_TASK_ID (with _MIN and _COUNT), JOB_COMPLETION_INDEX (with --shards N) or AWS_BATCH_JOB_ARRAY_INDEX (with _SIZE); outside a job array give --shard i/n".into())
}

/// Worker threads when `--threads` is not given: Slurm's `SLURM_CPUS_PER_TASK` where set
/// (the CPUs the task was given), else 0 (every core).
pub fn default_threads(var: impl Fn(&str) -> Option<String>) -> usize {
    var("SLURM_CPUS_PER_TASK")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=crate::montecarlo::MAX_THREADS).contains(n))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn shard(flag: &str, shards: Option<u64>, vars: &[(&str, &str)]) -> Result<Shard, String> {
        parse(flag, shards, env(vars)).map_err(|e| e.to_string())
    }

    #[test]
    fn explicit_shards() {
        assert_eq!(shard("2/7", None, &[]), Ok(Shard { index: 1, count: 7 }));
        assert_eq!(shard("1/1", None, &[]), Ok(Shard { index: 0, count: 1 }));
        for bad in ["0/3", "4/3", "1/0", "x/3", "3", "1/2/3"] {
            assert!(shard(bad, None, &[]).is_err(), "{bad}");
        }
        assert!(shard("1/2", Some(2), &[]).unwrap_err().contains("--shards"));
    }

    #[test]
    fn slurm_arrays_from_any_first_index_and_no_step() {
        let slurm = |id: &str| {
            vec![
                ("SLURM_ARRAY_TASK_ID", id.to_string()),
                ("SLURM_ARRAY_TASK_MIN", "1".to_string()),
                ("SLURM_ARRAY_TASK_MAX", "4".to_string()),
                ("SLURM_ARRAY_TASK_COUNT", "4".to_string()),
            ]
        };
        let run = |vars: Vec<(&str, String)>| {
            let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
            shard("auto", None, &pairs)
        };
        assert_eq!(run(slurm("1")), Ok(Shard { index: 0, count: 4 }));
        assert_eq!(run(slurm("4")), Ok(Shard { index: 3, count: 4 }));
        let mut stepped = slurm("3");
        stepped.push(("SLURM_ARRAY_TASK_STEP", "2".into()));
        assert!(run(stepped).unwrap_err().contains("stepped"));
        let mut listed = slurm("3");
        listed[2].1 = "9".into();
        assert!(run(listed).unwrap_err().contains("contiguous"));
        assert!(
            shard("auto", None, &[("SLURM_ARRAY_TASK_ID", "2")])
                .unwrap_err()
                .contains("SLURM_ARRAY_TASK_MIN")
        );
    }

    #[test]
    fn kubernetes_and_aws_batch() {
        let k8s = [("JOB_COMPLETION_INDEX", "0")];
        assert_eq!(
            shard("auto", Some(3), &k8s),
            Ok(Shard { index: 0, count: 3 })
        );
        assert!(shard("auto", None, &k8s).unwrap_err().contains("--shards"));
        assert!(shard("auto", Some(3), &[("JOB_COMPLETION_INDEX", "3")]).is_err());
        let aws = [
            ("AWS_BATCH_JOB_ARRAY_INDEX", "5"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "6"),
        ];
        assert_eq!(shard("auto", None, &aws), Ok(Shard { index: 5, count: 6 }));
        assert!(
            shard("auto", None, &[])
                .unwrap_err()
                .contains("no job-array variables")
        );
    }

    #[test]
    fn threads_follow_slurm_cpus_per_task() {
        assert_eq!(default_threads(env(&[("SLURM_CPUS_PER_TASK", "3")])), 3);
        assert_eq!(default_threads(env(&[("SLURM_CPUS_PER_TASK", "0")])), 0);
        assert_eq!(default_threads(env(&[])), 0);
    }
}
