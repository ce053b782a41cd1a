//! Output folders ipabs owns, and the rules for replacing one.
//!
//! Every folder ipabs writes carries a marker file, [`MARKER`], naming the program, version,
//! command and scenario hash. A run may replace an existing `--out` folder only if it is empty
//! or carries that marker; it refuses outright, whatever they hold, `/`, the home folder (and its
//! ancestors), the current folder and its ancestors, and any folder that contains an input of
//! the run. Symlinks are resolved before deciding, so `--out link/` is judged by the folder the
//! link points to.
//!
//! A run holds a lock on its target for its whole length (`.<name>.ipabs-lock` beside it): a
//! second run on the same folder fails at once. Files are written into a staging sibling
//! (`.<name>.ipabs-staging-<pid>`); the commit renames the old folder aside
//! (`.<name>.ipabs-old-<pid>`), renames the new one in and only then removes the old one.
//! Staging and old folders left by a killed process are recognised by the next run on that
//! target (the lock proves their process is gone) and removed, or, when the kill came between
//! the two renames, the previous output is put back.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use super::ReportError;

/// The marker file in every folder ipabs writes.
pub const MARKER: &str = ".ipabs-output.json";

/// How many entries of a foreign folder an error lists.
const LISTED_ENTRIES: usize = 5;

/// Content of [`MARKER`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Marker {
    pub program: String,
    pub version: String,
    pub command: String,
    pub scenario_sha256: String,
    /// Seconds since 1970-01-01 UTC when the folder was started.
    pub created_unix: u64,
    /// Every file and folder ipabs wrote there, relative, `/`-separated (the marker excluded).
    /// Replacing the folder is allowed only while it holds nothing else.
    #[serde(default)]
    pub entries: Vec<String>,
}

/// Most entries walked when listing a folder (beyond it, the folder is not ipabs's).
const MAX_WALK: usize = 100_000;

/// Relative paths of everything under `dir` (not following symlinks), sorted; `None` when
/// there are more than [`MAX_WALK`].
fn walk(dir: &Path) -> std::io::Result<Option<Vec<String>>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = stack.pop() {
        for e in std::fs::read_dir(&path)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if e.file_type()?.is_dir() {
                stack.push((e.path(), rel.clone()));
            }
            out.push(rel);
            if out.len() > MAX_WALK {
                return Ok(None);
            }
        }
    }
    out.sort();
    Ok(Some(out))
}

/// What a command is about to write: the command name, the scenario's hash (for the marker)
/// and every input file of the run (a folder holding one of them is never replaced).
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub command: &'a str,
    pub scenario_sha256: &'a str,
    pub inputs: &'a [PathBuf],
}

fn refused(target: &Path, reason: impl Into<String>) -> ReportError {
    ReportError::Refused {
        target: target.to_path_buf(),
        reason: reason.into(),
    }
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The absolute path `path` names, with every symlink in its existing part resolved; the
/// part that does not exist yet is kept as written (`.` dropped, `..` applied).
pub fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut out = PathBuf::new();
    for comp in abs.components() {
        match comp {
            Component::Prefix(_) | Component::RootDir => out.push(comp.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if let Ok(real) = std::fs::canonicalize(&out) {
                    out = real;
                }
            }
        }
    }
    Ok(out)
}

/// Why `target` (resolved) may never be an output folder, if it may not.
fn forbidden(target: &Path, inputs: &[PathBuf]) -> Option<String> {
    if target.parent().is_none() {
        return Some("it is the root folder /".into());
    }
    if let Ok(cwd) = std::env::current_dir().and_then(|c| resolve(&c)) {
        if cwd == target {
            return Some("it is the current folder".into());
        }
        if cwd.starts_with(target) {
            return Some(format!("it contains the current folder {}", cwd.display()));
        }
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty())
        && let Ok(home) = resolve(Path::new(&home))
    {
        if home == target {
            return Some("it is your home folder".into());
        }
        if home.starts_with(target) {
            return Some(format!("it contains your home folder {}", home.display()));
        }
    }
    for input in inputs {
        if let Ok(input) = resolve(input)
            && input.starts_with(target)
        {
            return Some(format!(
                "it contains {}, an input of this run",
                input.display()
            ));
        }
    }
    None
}

/// Reads the marker of `dir`, if it has a valid one.
pub fn read_marker(dir: &Path) -> Option<Marker> {
    let path = dir.join(MARKER);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > 64 * 1024 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    serde_json::from_str::<Marker>(&text)
        .ok()
        .filter(|m| m.program == "ipabs")
}

/// Ok when `dir` (which exists) may be replaced: empty, or carrying the marker.
fn check_replaceable(dir: &Path) -> Result<(), ReportError> {
    let meta = std::fs::symlink_metadata(dir).map_err(io_at(dir))?;
    if !meta.is_dir() {
        return Err(refused(
            dir,
            "it exists and is not a folder; choose a folder name with --out",
        ));
    }
    let marker = read_marker(dir);
    let names: Vec<String> = match walk(dir).map_err(io_at(dir))? {
        Some(all) => all
            .into_iter()
            .filter(|n| match &marker {
                Some(m) => n != MARKER && !m.entries.contains(n) && !is_own_temp(n),
                None => true,
            })
            .collect(),
        None => vec![format!("more than {MAX_WALK} entries")],
    };
    if names.is_empty() {
        return Ok(());
    }
    let count = names.len();
    let mut listed = names
        .into_iter()
        .take(LISTED_ENTRIES)
        .collect::<Vec<_>>()
        .join(", ");
    if count > LISTED_ENTRIES {
        listed += &format!(", ... ({count} entries in all)");
    }
    let what = if marker.is_some() {
        format!("it is an ipabs output, but holds files ipabs did not write there: {listed}")
    } else {
        format!("it is not empty and was not written by ipabs (no {MARKER}); it holds: {listed}")
    };
    Err(refused(
        dir,
        format!("{what}. Choose another folder with --out, or move these files away yourself"),
    ))
}

/// A temporary file or folder that an ipabs process writes inside its own output folder and
/// renames into place (`.charts.partial-<pid>`, `.charts.old-<pid>`, `.report.html.partial-<pid>`):
/// left there only when that process was killed.
pub fn is_own_temp(rel: &str) -> bool {
    let Some(name) = rel.strip_prefix('.').filter(|n| !n.contains('/')) else {
        return false;
    };
    [".partial-", ".old-"].iter().any(|tag| {
        name.rsplit_once(tag)
            .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Whether `dir` is a folder ipabs may delete: it carries the marker or is empty.
fn owned_or_empty(dir: &Path) -> bool {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {
            read_marker(dir).is_some()
                || std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none())
        }
        _ => false,
    }
}

/// An exclusive lock on one output target, held while a command writes it.
pub struct TargetLock {
    path: PathBuf,
    file: Option<File>,
}

impl TargetLock {
    /// Takes the lock of `target` (resolved) or fails at once naming the holder.
    pub fn acquire(target: &Path) -> Result<Self, ReportError> {
        let (parent, name) = split(target)?;
        let path = parent.join(format!(".{name}.ipabs-lock"));
        // A lock file removed by its previous holder between our open and our lock is stale:
        // try again on the new file (a few times, then give up).
        for _ in 0..8 {
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io_at(&path))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    let who = if holder.is_empty() {
                        "another ipabs process".to_string()
                    } else {
                        format!("another ipabs process (pid {holder})")
                    };
                    return Err(ReportError::Busy {
                        target: target.to_path_buf(),
                        holder: who,
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io_at(&path)(e)),
            }
            if !same_file(&file, &path) {
                continue;
            }
            file.set_len(0).map_err(io_at(&path))?;
            write!(file, "{}", std::process::id()).map_err(io_at(&path))?;
            return Ok(TargetLock {
                path,
                file: Some(file),
            });
        }
        Err(ReportError::Busy {
            target: target.to_path_buf(),
            holder: "other ipabs processes starting and stopping".into(),
        })
    }
}

impl Drop for TargetLock {
    fn drop(&mut self) {
        // Remove the file while still holding the lock, so nobody locks a file about to go.
        let _ = std::fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// The parent folder and the file name of a resolved target.
fn split(target: &Path) -> Result<(PathBuf, String), ReportError> {
    let parent = target
        .parent()
        .ok_or_else(|| refused(target, "it is the root folder /"))?;
    let name = target
        .file_name()
        .ok_or_else(|| refused(target, "it has no folder name"))?
        .to_string_lossy()
        .into_owned();
    Ok((parent.to_path_buf(), name))
}

/// Prefixes of the staging and old folders of target `name`.
fn staging_prefix(name: &str) -> String {
    format!(".{name}.ipabs-staging-")
}
fn old_prefix(name: &str) -> String {
    format!(".{name}.ipabs-old-")
}

/// Under the target's lock: puts back a previous output that a killed commit had moved aside,
/// then removes the staging and old folders of dead runs (only folders ipabs wrote).
fn recover_stale(parent: &Path, name: &str, target: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let mut stale: Vec<(PathBuf, bool)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            let is_old = n.starts_with(&old_prefix(name));
            (is_old || n.starts_with(&staging_prefix(name))).then(|| (e.path(), is_old))
        })
        .collect();
    stale.sort();
    if std::fs::symlink_metadata(target).is_err()
        && let Some((old, _)) = stale
            .iter()
            .find(|(p, is_old)| *is_old && read_marker(p).is_some())
    {
        let _ = std::fs::rename(old, target);
    }
    for (path, _) in stale {
        if path.exists() && owned_or_empty(&path) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// An output folder being written, with its lock. Files go to a staging sibling;
/// [`OutputDir::commit`] replaces the target with it. Dropped without commit, the staging folder
/// is removed and the target is left as it was.
pub struct OutputDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
    /// The JSON documents written, by name, as written: the command's `--json` summary
    /// carries them, so it is the files' schema and bytes, not a second rendering.
    documents: std::sync::Mutex<Vec<Document>>,
    _lock: TargetLock,
}

/// A JSON file of an output folder: its name and its text.
pub type Document = (String, Box<serde_json::value::RawValue>);

/// A committed output folder: where it is, every entry it holds and its JSON documents.
#[derive(Debug)]
pub struct Committed {
    pub path: PathBuf,
    pub entries: Vec<String>,
    pub documents: Vec<Document>,
}

impl OutputDir {
    /// Checks that `target` may be written, takes its lock, clears what dead runs left and
    /// starts a staging folder carrying the marker. Nothing in the target changes until commit.
    pub fn create(target: &Path, request: &Request<'_>) -> Result<Self, ReportError> {
        let resolved = resolve(target).map_err(io_at(target))?;
        if let Some(reason) = forbidden(&resolved, request.inputs) {
            return Err(refused(&resolved, reason));
        }
        let (parent, name) = split(&resolved)?;
        if let Ok(meta) = std::fs::symlink_metadata(&resolved)
            && meta.file_type().is_symlink()
        {
            return Err(refused(
                &resolved,
                "it is a symlink to a path that does not exist",
            ));
        }
        std::fs::create_dir_all(&parent).map_err(io_at(&parent))?;
        let lock = TargetLock::acquire(&resolved)?;
        recover_stale(&parent, &name, &resolved);
        if resolved.exists() {
            check_replaceable(&resolved)?;
        }
        let staging = parent.join(format!("{}{}", staging_prefix(&name), std::process::id()));
        std::fs::create_dir(&staging).map_err(io_at(&staging))?;
        let dir = OutputDir {
            target: resolved,
            staging,
            committed: false,
            documents: std::sync::Mutex::new(Vec::new()),
            _lock: lock,
        };
        let marker = Marker {
            program: "ipabs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: request.command.into(),
            scenario_sha256: request.scenario_sha256.into(),
            created_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            entries: Vec::new(),
        };
        dir.json(MARKER, &marker)?;
        Ok(dir)
    }

    /// The folder files are being written to now.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// The folder that the commit will replace (symlinks resolved).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Replaces the target folder with the finished one, unless a stop was asked for.
    pub fn commit(mut self) -> Result<Committed, ReportError> {
        crate::cancel::phase("commit").map_err(ReportError::Cancelled)?;
        let entries = record_entries(&self.staging)?;
        if std::fs::symlink_metadata(&self.target).is_ok() {
            // Checked again: files may have been put there while the run went on.
            check_replaceable(&self.target)?;
            let (parent, name) = split(&self.target)?;
            let old = parent.join(format!("{}{}", old_prefix(&name), std::process::id()));
            std::fs::rename(&self.target, &old).map_err(io_at(&self.target))?;
            if let Err(e) = std::fs::rename(&self.staging, &self.target) {
                let _ = std::fs::rename(&old, &self.target);
                return Err(io_at(&self.target)(e));
            }
            self.committed = true;
            // The old folder carries the marker (or is empty): ours to remove. Should this
            // fail, the next run on this target removes it.
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&self.staging, &self.target).map_err(io_at(&self.target))?;
            self.committed = true;
        }
        let documents = std::mem::take(&mut *self.documents.lock().expect("not poisoned"));
        Ok(Committed {
            path: self.target.clone(),
            entries,
            documents,
        })
    }

    /// Keeps a JSON document written to the folder (not the marker) for the summary.
    pub(super) fn keep_document(&self, name: &str, text: &str) {
        if name == MARKER {
            return;
        }
        if let Ok(raw) = serde_json::value::RawValue::from_string(text.to_string()) {
            let mut documents = self.documents.lock().expect("not poisoned");
            documents.retain(|(n, _)| n != name);
            documents.push((name.to_string(), raw));
        }
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Rewrites the marker of `dir` with the list of what the folder now holds (the marker is
/// replaced by rename, so it is never half-written).
pub fn record_entries(dir: &Path) -> Result<Vec<String>, ReportError> {
    let path = dir.join(MARKER);
    let mut marker = read_marker(dir).ok_or_else(|| {
        ReportError::Other(format!("{} is missing or unreadable", path.display()))
    })?;
    marker.entries = walk(dir)
        .map_err(io_at(dir))?
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n != MARKER)
        .collect();
    let tmp = dir.join(format!("{MARKER}.partial-{}", std::process::id()));
    let text = serde_json::to_string_pretty(&marker).map_err(|source| ReportError::Json {
        path: path.clone(),
        source,
    })?;
    std::fs::write(&tmp, text + "\n").map_err(io_at(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io_at(&path))?;
    Ok(marker.entries)
}

/// An existing output folder opened to be updated in place (`ipabs chart`): it must carry the
/// marker; its lock is held while the guard lives.
pub struct ExistingDir {
    pub dir: PathBuf,
    _lock: TargetLock,
}

impl ExistingDir {
    pub fn open(dir: &Path) -> Result<Self, ReportError> {
        let resolved = resolve(dir).map_err(io_at(dir))?;
        if !resolved.is_dir() {
            return Err(refused(
                &resolved,
                "it is not a folder written by ipabs run",
            ));
        }
        if read_marker(&resolved).is_none() {
            return Err(refused(
                &resolved,
                format!(
                    "it was not written by ipabs (no {MARKER}); give the output folder of an ipabs run"
                ),
            ));
        }
        let lock = TargetLock::acquire(&resolved)?;
        Ok(ExistingDir {
            dir: resolved,
            _lock: lock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(inputs: &'a [PathBuf]) -> Request<'a> {
        Request {
            command: "test",
            scenario_sha256: "00",
            inputs,
        }
    }

    #[test]
    fn own_temporary_names() {
        assert!(is_own_temp(".charts.partial-123"));
        assert!(is_own_temp(".report.html.old-9"));
        assert!(!is_own_temp(".charts.partial-"));
        assert!(!is_own_temp("charts.partial-1"));
        assert!(!is_own_temp(".charts.partial-1x"));
        assert!(!is_own_temp("charts/.x.partial-1"));
    }

    #[test]
    fn resolve_applies_dots_and_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let base = resolve(tmp.path()).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&real, tmp.path().join("link")).unwrap();
            let with_slash = PathBuf::from(format!("{}/", tmp.path().join("link").display()));
            assert_eq!(resolve(&with_slash).unwrap(), base.join("real"));
        }
        assert_eq!(
            resolve(&tmp.path().join("real/./x/../y")).unwrap(),
            base.join("real/y")
        );
    }

    #[test]
    fn foreign_folder_is_refused_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("mine");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("notes.txt"), "keep me").unwrap();
        let err = OutputDir::create(&target, &request(&[])).err().unwrap();
        let msg = err.to_string();
        assert!(
            msg.contains("notes.txt") && msg.contains("not written by ipabs"),
            "{msg}"
        );
        assert_eq!(
            std::fs::read_to_string(target.join("notes.txt")).unwrap(),
            "keep me"
        );
        // Nothing staged or locked is left beside it.
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn folder_holding_an_input_is_refused_even_if_marked() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("deal");
        std::fs::create_dir_all(target.join("data")).unwrap();
        let tape = target.join("data/tape.csv");
        std::fs::write(&tape, "x").unwrap();
        std::fs::write(target.join(MARKER), r#"{"program":"ipabs","version":"0","command":"run","scenario_sha256":"","created_unix":0}"#).unwrap();
        let err = OutputDir::create(&target, &request(std::slice::from_ref(&tape)))
            .err()
            .unwrap();
        assert!(err.to_string().contains("an input of this run"), "{err}");
        assert!(tape.exists());
    }

    #[test]
    fn replaces_own_folder_atomically_and_keeps_it_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("out");
        let out = OutputDir::create(&target, &request(&[])).unwrap();
        out.text("a.txt", "first").unwrap();
        out.commit().unwrap();
        assert!(read_marker(&target).is_some());
        // A run dropped before commit leaves the first output and nothing staged.
        let out = OutputDir::create(&target, &request(&[])).unwrap();
        out.text("a.txt", "second").unwrap();
        drop(out);
        assert_eq!(
            std::fs::read_to_string(target.join("a.txt")).unwrap(),
            "first"
        );
        let out = OutputDir::create(&target, &request(&[])).unwrap();
        out.text("b.txt", "second").unwrap();
        out.commit().unwrap();
        assert!(!target.join("a.txt").exists());
        let names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["out".to_string()]);
    }

    #[test]
    fn second_writer_is_refused_while_the_first_holds_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("out");
        let first = OutputDir::create(&target, &request(&[])).unwrap();
        let err = OutputDir::create(&target, &request(&[])).err().unwrap();
        assert!(matches!(err, ReportError::Busy { .. }), "{err}");
        drop(first);
        OutputDir::create(&target, &request(&[])).unwrap();
    }

    #[test]
    fn leftovers_of_a_killed_run_are_removed_or_restored() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("out");
        let out = OutputDir::create(&target, &request(&[])).unwrap();
        out.text("a.txt", "previous").unwrap();
        out.commit().unwrap();
        // A process killed between the two renames of its commit: old moved aside, staging
        // complete, target missing.
        let old = tmp.path().join(".out.ipabs-old-999999");
        std::fs::rename(&target, &old).unwrap();
        let staging = tmp.path().join(".out.ipabs-staging-999999");
        std::fs::create_dir(&staging).unwrap();
        // A staging folder that is not ours (no marker, not empty) is left alone.
        let foreign = tmp.path().join(".out.ipabs-staging-1");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("user.txt"), "x").unwrap();
        let next = OutputDir::create(&target, &request(&[])).unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("a.txt")).unwrap(),
            "previous"
        );
        assert!(!old.exists() && !staging.exists());
        assert!(foreign.join("user.txt").exists());
        drop(next);
    }
}
