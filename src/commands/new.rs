//! `ipabs new KIND [DIR] [--name NAME]`: writes a commented starter scenario and its loan tape
//! (and, for a royalty deal, its schedules) for one kind of deal; `ipabs new --list` lists the
//! kinds.
//!
//! The templates are the files under `templates/`, embedded in the binary. The scenario's
//! `pool.loan_tape` (and `pool.schedules`) are set to the names written by a typed edit of the
//! TOML document, keeping every comment. Nothing is ever overwritten: every target is checked
//! before anything is written, and each file is written to a temporary file in its folder and
//! then linked to its name, which fails rather than replace a file that appeared meanwhile.

use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::AppError;
use super::outcome::Outcome;
use crate::report::ReportError;

/// A kind of deal `ipabs new` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// IP finance lease (知识产权融资租赁).
    IpLease,
    /// Patent pledge loans (专利质押贷款).
    PatentPledge,
    /// Patent licence royalties (专利许可费), with a schedules file.
    Royalty,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::IpLease, Kind::PatentPledge, Kind::Royalty];

    /// The name on the command line and the default file stem.
    pub fn name(self) -> &'static str {
        match self {
            Kind::IpLease => "ip-lease",
            Kind::PatentPledge => "patent-pledge",
            Kind::Royalty => "royalty",
        }
    }

    /// One line for `--list`.
    pub fn summary(self) -> &'static str {
        match self {
            Kind::IpLease => {
                "IP finance lease: 10 leases (540 M yuan), A1/A2/Sub, revenue and principal \
                 accounts, parent shortfall undertaking, acceleration and clean-up call"
            }
            Kind::PatentPledge => {
                "patent pledge loans: 10 SME 1-year loans (150 M yuan), A/Sub, state-owned \
                 guarantor, one plan account"
            }
            Kind::Royalty => {
                "licence royalties: 8 licensees on 5-year royalty schedules (200 M yuan), A to a \
                 target schedule/Sub, reserve account, licensor undertaking"
            }
        }
    }

    fn scenario_template(self) -> &'static str {
        match self {
            Kind::IpLease => include_str!("../../templates/ip-lease.toml"),
            Kind::PatentPledge => include_str!("../../templates/patent-pledge.toml"),
            Kind::Royalty => include_str!("../../templates/royalty.toml"),
        }
    }

    fn tape_template(self) -> &'static str {
        match self {
            Kind::IpLease => include_str!("../../templates/data/ip-lease-tape.csv"),
            Kind::PatentPledge => include_str!("../../templates/data/patent-pledge-tape.csv"),
            Kind::Royalty => include_str!("../../templates/data/royalty-tape.csv"),
        }
    }

    fn schedules_template(self) -> Option<&'static str> {
        match self {
            Kind::Royalty => Some(include_str!("../../templates/data/royalty-schedules.csv")),
            Kind::IpLease | Kind::PatentPledge => None,
        }
    }
}

/// `ipabs new` arguments.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ipabs new --list                         the kinds of deal, one line each
  ipabs new ip-lease                       ./ip-lease.toml and ./data/ip-lease-tape.csv
  ipabs new royalty deals                  deals/royalty.toml, deals/data/royalty-tape.csv and
                                           deals/data/royalty-schedules.csv
  ipabs new patent-pledge deals --name sz  deals/sz.toml and deals/data/sz-tape.csv

Existing files are never overwritten: if any file to be written exists, nothing is written.
The scenario validates and runs as written; docs/scenario-format.md describes every key.")]
pub struct NewArgs {
    /// Kind of deal: ip-lease, patent-pledge or royalty (`--list` describes them).
    #[arg(value_enum, required_unless_present = "list")]
    pub kind: Option<Kind>,
    /// Folder to write into (created if missing); the tape and schedules go to DIR/data/.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// File stem: DIR/NAME.toml, DIR/data/NAME-tape.csv (and DIR/data/NAME-schedules.csv)
    /// [default: the kind].
    #[arg(long)]
    pub name: Option<String>,
    /// List the kinds of deal, one line each, and write nothing.
    #[arg(long, conflicts_with_all = ["kind", "name"])]
    pub list: bool,
}

/// The lines of `ipabs new --list`.
pub fn list() -> String {
    let mut s = String::from("Kinds of deal (ipabs new KIND [DIR] [--name NAME]):\n");
    for kind in Kind::ALL {
        let _ = writeln!(s, "  {:<14} {}", kind.name(), kind.summary());
    }
    s
}

/// Checks `--name`: a plain file stem, no folder, not hidden.
fn check_name(name: &str) -> Result<(), AppError> {
    let bad = |why: &str| {
        Err(AppError::Usage(format!(
            "--name {name:?} {why}; give a plain file stem such as `my-deal`"
        )))
    };
    if name.is_empty() {
        return bad("is empty");
    }
    if name.starts_with('.') || name.starts_with('-') {
        return bad("starts with `.` or `-`");
    }
    if name.chars().any(|c| {
        c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
    }) {
        return bad("contains a path separator or a character file names may not have");
    }
    if name.ends_with(".toml") {
        return bad("ends with .toml (the extension is added)");
    }
    if name.chars().count() > 100 {
        return bad("is longer than 100 characters");
    }
    Ok(())
}

/// The relative paths (from the scenario's folder, `/`-separated, as the TOML names them) of
/// the tape and, for a kind with schedules, the schedules file of stem `name`.
fn data_names(kind: Kind, name: &str) -> (String, Option<String>) {
    (
        format!("data/{name}-tape.csv"),
        kind.schedules_template()
            .map(|_| format!("data/{name}-schedules.csv")),
    )
}

/// Sets a string value of the document, keeping the comments and spacing around it.
fn set_string(doc: &mut toml_edit::DocumentMut, table: &str, key: &str, text: &str) {
    let value = doc[table][key]
        .as_value_mut()
        .unwrap_or_else(|| panic!("template without {table}.{key}"));
    let decor = value.decor().clone();
    *value = toml_edit::Value::from(text);
    *value.decor_mut() = decor;
}

/// The scenario text of `kind` with its tape (and schedules) paths set for the stem `name`.
pub fn scenario_text(kind: Kind, name: &str) -> String {
    let mut doc: toml_edit::DocumentMut = kind
        .scenario_template()
        .parse()
        .expect("the embedded templates are valid TOML");
    let (tape, schedules) = data_names(kind, name);
    set_string(&mut doc, "pool", "loan_tape", &tape);
    if let Some(schedules) = schedules {
        set_string(&mut doc, "pool", "schedules", &schedules);
    }
    doc.to_string()
}

/// The files of `kind` with stem `name` in `dir`: path and contents, the scenario first.
fn files(kind: Kind, dir: &Path, name: &str) -> Vec<(PathBuf, String)> {
    let (tape, schedules) = data_names(kind, name);
    let mut out = vec![
        (dir.join(format!("{name}.toml")), scenario_text(kind, name)),
        (dir.join(&tape), kind.tape_template().to_string()),
    ];
    if let (Some(schedules), Some(text)) = (schedules, kind.schedules_template()) {
        out.push((dir.join(schedules), text.to_string()));
    }
    out
}

fn io_error(path: &Path, source: std::io::Error) -> AppError {
    AppError::Report(ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `text` to the new file `path`: to a temporary file in the same folder, then linked
/// to its name (which fails if the name exists), so the file appears whole or not at all and
/// nothing is replaced. Where the file system has no hard links, the file is created with
/// `create_new` (which also never replaces a file) and written in place.
fn write_new(path: &Path, text: &str) -> Result<(), AppError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.{}.ipabs-new.tmp", std::process::id()));
    let write = |target: &Path| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(target)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    };
    if let Err(e) = write(&temp) {
        let _ = std::fs::remove_file(&temp);
        return Err(io_error(&temp, e));
    }
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists(path)),
        Err(_) => write(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                exists(path)
            } else {
                // A partial file this command created is removed.
                let _ = std::fs::remove_file(path);
                io_error(path, e)
            }
        }),
    }
}

fn exists(path: &Path) -> AppError {
    AppError::Usage(format!(
        "{} already exists; ipabs new never overwrites a file, and nothing was written \
         (choose another DIR or --name)",
        path.display()
    ))
}

/// A path as it may be pasted into a shell.
fn shell_word(path: &Path) -> String {
    let s = path.display().to_string();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '-' | '_' | '+' | ',' | '='))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What `new` did, for `--json`: the kinds it offers, or the kind and the files written.
#[derive(serde::Serialize)]
struct NewSummary<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    kinds: Vec<KindSummary>,
    files: Vec<&'a Path>,
}

#[derive(serde::Serialize)]
struct KindSummary {
    name: &'static str,
    summary: &'static str,
}

fn kinds() -> Vec<KindSummary> {
    Kind::ALL
        .iter()
        .map(|k| KindSummary {
            name: k.name(),
            summary: k.summary(),
        })
        .collect()
}

pub fn run(args: &NewArgs) -> Result<Outcome, AppError> {
    if args.list {
        let summary = NewSummary {
            kind: None,
            kinds: kinds(),
            files: Vec::new(),
        };
        return Ok(Outcome::of("new", list(), &summary));
    }
    let kind = args
        .kind
        .ok_or_else(|| AppError::Usage("give a KIND of deal, or --list".into()))?;
    let name = args.name.as_deref().unwrap_or(kind.name());
    check_name(name)?;
    let files = files(kind, &args.dir, name);

    // Every target is checked before anything is written (a dangling link counts as there).
    if let Some((path, _)) = files
        .iter()
        .find(|(path, _)| std::fs::symlink_metadata(path).is_ok())
    {
        return Err(exists(path));
    }
    let data = args.dir.join("data");
    std::fs::create_dir_all(&data).map_err(|e| io_error(&data, e))?;

    let mut written: Vec<&Path> = Vec::new();
    for (path, text) in &files {
        if let Err(e) = write_new(path, text) {
            // Only the files this command created are removed.
            for done in written {
                let _ = std::fs::remove_file(done);
            }
            return Err(e);
        }
        written.push(path);
    }

    let scenario = shell_word(&files[0].0);
    let mut s = format!("New {} deal written:\n", kind.name());
    for (path, _) in &files {
        let _ = writeln!(s, "  {}", path.display());
    }
    s.push_str("Every key is commented; docs/scenario-format.md describes them. Next:\n");
    let next = [
        (
            format!("ipabs validate {scenario}"),
            "check it, print the pool summary",
        ),
        (
            format!("ipabs cashflow {scenario}"),
            "deterministic base case",
        ),
        (
            format!("ipabs run {scenario} --paths 2000"),
            "Monte Carlo, break-even rates, grades, report",
        ),
    ];
    let width = next
        .iter()
        .map(|(c, _)| c.chars().count())
        .max()
        .unwrap_or(0);
    for (command, what) in next {
        let pad = width - command.chars().count();
        let _ = writeln!(s, "  {command}{:pad$}    # {what}", "");
    }
    let summary = NewSummary {
        kind: Some(kind.name()),
        kinds: kinds(),
        files: files.iter().map(|(p, _)| p.as_path()).collect(),
    };
    Ok(Outcome::of("new", s, &summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(text: &str) -> toml::Table {
        text.parse::<toml::Table>().unwrap()["pool"]
            .as_table()
            .unwrap()
            .clone()
    }

    #[test]
    fn default_name_leaves_the_template_as_shipped() {
        for kind in Kind::ALL {
            assert_eq!(scenario_text(kind, kind.name()), kind.scenario_template());
        }
    }

    #[test]
    fn tape_and_schedules_paths_follow_the_name() {
        for kind in Kind::ALL {
            let text = scenario_text(kind, "acme-2026");
            let pool = pool(&text);
            assert_eq!(pool["loan_tape"].as_str(), Some("data/acme-2026-tape.csv"));
            assert_eq!(
                pool.get("schedules").and_then(|v| v.as_str()),
                (kind == Kind::Royalty).then_some("data/acme-2026-schedules.csv")
            );
            // Only those values change: the comments and every other line are kept.
            let old: Vec<&str> = kind.scenario_template().lines().collect();
            let new: Vec<&str> = text.lines().collect();
            assert_eq!(old.len(), new.len());
            let changed: Vec<(&str, &str)> = old
                .iter()
                .zip(&new)
                .filter(|(a, b)| a != b)
                .map(|(a, b)| (*a, *b))
                .collect();
            assert_eq!(changed.len(), 1 + usize::from(kind == Kind::Royalty));
            for (a, b) in changed {
                assert_eq!(a.replace(kind.name(), "acme-2026"), b);
            }
        }
    }

    #[test]
    fn a_name_with_quotes_is_written_as_a_toml_string() {
        let text = scenario_text(Kind::IpLease, "deal 'x' №1");
        assert_eq!(
            pool(&text)["loan_tape"].as_str(),
            Some("data/deal 'x' №1-tape.csv")
        );
    }

    #[test]
    fn names_that_are_not_plain_stems_are_refused() {
        for bad in ["", ".hidden", "-x", "a/b", r"a\b", "x.toml", "a\nb", "c:d"] {
            assert!(
                matches!(check_name(bad), Err(AppError::Usage(_))),
                "{bad:?}"
            );
        }
        for good in ["my-deal", "deal_2026.v2", "文科租赁二期"] {
            assert!(check_name(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn every_kind_is_listed() {
        let list = list();
        for kind in Kind::ALL {
            assert!(list.contains(kind.name()), "{list}");
        }
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word(Path::new("./ip-lease.toml")), "./ip-lease.toml");
        assert_eq!(
            shell_word(Path::new("my deals/a.toml")),
            "'my deals/a.toml'"
        );
        assert_eq!(shell_word(Path::new("it's.toml")), r"'it'\''s.toml'");
    }
}
