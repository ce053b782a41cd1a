//! Comparing output folders byte for byte, for the tests that a run's results do not depend on
//! how it was run (threads, shards, a Slurm array).

use std::path::{Path, PathBuf};

/// The files allowed to differ between two folders of the same results: `run-info.json`
/// (wall time, host, threads) and the output marker (the command that wrote the folder and
/// when).
pub const HOW_IT_RAN: [&str; 2] = ["run-info.json", ".ipabs-output.json"];

/// Files under `root` as sorted relative paths, [`HOW_IT_RAN`] left out wherever they are.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path
                .file_name()
                .is_some_and(|n| !HOW_IT_RAN.iter().any(|h| n == *h))
            {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Panics naming the files that differ (or the file lists) between `single` and `merged`.
pub fn assert_same_folders(single: &Path, merged: &Path) {
    let files = files_under(single);
    assert!(!files.is_empty(), "the single run wrote nothing");
    assert_eq!(
        files,
        files_under(merged),
        "the merged folder has other files than the single run"
    );
    let differing: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let a = std::fs::read(single.join(file)).unwrap();
            let b = std::fs::read(merged.join(file)).unwrap();
            (a != b).then(|| format!("{} ({} vs {} bytes)", file.display(), a.len(), b.len()))
        })
        .collect();
    assert!(
        differing.is_empty(),
        "merged files differ from the single run: {}",
        differing.join(", ")
    );
    eprintln!(
        "{} files equal byte for byte ({} aside)",
        files.len(),
        HOW_IT_RAN.join(", ")
    );
}
