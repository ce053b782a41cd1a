//! `ipabs chart OUTPUT_DIR [--format png,svg] [--unit wan|yi|million|yuan] [--xlsx]`: redraws
//! every chart, report.html (and results.xlsx) from the saved results of a run, in place.
//!
//! The charts are drawn into a temporary folder that replaces `charts/` only once every chart
//! is written, so a failure leaves the previous charts. `ipabs run` calls [`write_reports`] on
//! its staging folder before committing it. On the folder of `ipabs cashflow` (no Monte Carlo)
//! the deterministic charts are drawn and the Monte Carlo ones and report.html are skipped, with
//! a note. A redraw lists the files it replaced and those it removed (a format not asked for
//! this time, a chart the folder no longer has the data for).

use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::AppError;
use crate::chart::{AmountUnit, ChartFormat};
use crate::report::ReportError;
use crate::report::charts::{self, CHARTS_DIR, ChartFile, ChartSettings, RunFiles};
use crate::report::outdir::ExistingDir;
use crate::report::{html, xlsx};

/// Name of the report page and of the workbook in an output folder.
pub const REPORT_HTML: &str = "report.html";
pub const RESULTS_XLSX: &str = "results.xlsx";

/// Chart and report options shared by `run` and `chart`.
#[derive(Debug, Clone, Args)]
pub struct ChartFlags {
    /// Chart formats, comma-separated: png, svg.
    #[arg(long, value_delimiter = ',', default_value = "png,svg")]
    pub format: Vec<ChartFormat>,
    /// Unit for amounts on charts and in the report: wan (万元), yi (亿元), million, yuan.
    #[arg(long, default_value = "wan")]
    pub unit: AmountUnit,
    /// Also write results.xlsx (every table of the folder, one sheet each, with a notes sheet).
    #[arg(long)]
    pub xlsx: bool,
}

/// The report options of `ipabs run`.
#[derive(Debug, Clone, Args)]
pub struct RunReportFlags {
    /// Do not draw charts or write report.html.
    #[arg(long)]
    pub no_charts: bool,
    #[command(flatten)]
    pub flags: ChartFlags,
}

/// `ipabs chart` arguments.
#[derive(Debug, Clone, Args)]
pub struct ChartArgs {
    /// Output folder of an `ipabs run`.
    pub output_dir: PathBuf,
    #[command(flatten)]
    pub flags: ChartFlags,
}

/// What [`write_reports`] wrote (final paths).
#[derive(Debug, Clone)]
pub struct Written {
    pub charts: Vec<ChartFile>,
    pub html: Option<PathBuf>,
    pub xlsx: Option<PathBuf>,
    /// Files of the folder (relative, `/`-separated) that were there and were written again.
    pub replaced: Vec<String>,
    /// Files of the folder this redraw removed: charts in a format not asked for this time, or
    /// of a kind the folder has no data for.
    pub removed: Vec<String>,
    /// What was not drawn, and why.
    pub skipped: Vec<String>,
    /// The chart formats drawn.
    pub formats: Vec<ChartFormat>,
}

impl Written {
    /// Files written, replaced, removed and skipped, a line each.
    pub fn describe(&self) -> String {
        let n: usize = self.charts.iter().map(|c| c.files.len()).sum();
        let mut s = String::new();
        if n > 0 {
            s += &format!("{} charts ({n} files)\n", self.charts.len());
        }
        for p in self.html.iter().chain(&self.xlsx) {
            s += &format!("{}\n", p.display());
        }
        if !self.replaced.is_empty() {
            s += &format!(
                "replaced {} files: {}\n",
                self.replaced.len(),
                self.replaced.join(", ")
            );
        }
        if !self.removed.is_empty() {
            let formats: Vec<String> = self.formats.iter().map(|f| f.to_string()).collect();
            s += &format!(
                "removed {} files not drawn this time (--format {}): {}\n",
                self.removed.len(),
                formats.join(","),
                self.removed.join(", ")
            );
        }
        for note in &self.skipped {
            s += &format!("{note}\n");
        }
        s
    }
}

/// The files in `dir/charts`, as `charts/<name>`, sorted.
fn chart_files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir.join(CHARTS_DIR))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| format!("{CHARTS_DIR}/{}", e.file_name().to_string_lossy()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Removes a temporary file or folder when dropped (unless disarmed).
struct Temp(Option<PathBuf>);

impl Drop for Temp {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

/// Draws the charts (unless `charts` is false), report.html (with the charts) and, when asked,
/// results.xlsx into `dir` from the files saved there. Every file is written under a temporary
/// name and renamed into place at the end, so a failure leaves what was there before.
///
/// A missing or unreadable input file is a usage error (exit 2) naming it.
pub fn write_reports(dir: &Path, flags: &ChartFlags, charts: bool) -> Result<Written, AppError> {
    let run = RunFiles::load(dir).map_err(|e| AppError::Usage(e.to_string()))?;
    crate::cancel::check()?;
    // report.html shows the Monte Carlo results: a folder without them gets the charts only.
    let html = charts && run.mc.is_some();
    let settings = ChartSettings {
        formats: dedup(&flags.format),
        unit: flags.unit,
        ..ChartSettings::default()
    };
    let pid = std::process::id();
    let tmp_charts = Temp(Some(dir.join(format!(".{CHARTS_DIR}.partial-{pid}"))));
    let tmp_html = Temp(Some(dir.join(format!(".{REPORT_HTML}.partial-{pid}"))));
    let tmp_xlsx = Temp(Some(dir.join(format!(".{RESULTS_XLSX}.partial-{pid}"))));
    let chart_dir = tmp_charts.0.clone().expect("set");
    let mut drawn = Vec::new();
    if charts {
        let _ = std::fs::remove_dir_all(&chart_dir);
        crate::cancel::phase("charts")?;
        drawn =
            charts::render_all(&run, &chart_dir, &settings).map_err(
                |e| match crate::cancel::check() {
                    Err(c) => AppError::Interrupted(c),
                    Ok(()) => ReportError::Other(format!("drawing charts: {e}")).into(),
                },
            )?;
    }
    let mut skipped = Vec::new();
    if charts && run.mc.is_none() {
        let not_drawn: Vec<&str> = charts::CHARTS
            .iter()
            .map(|(stem, _)| *stem)
            .filter(|stem| !drawn.iter().any(|c| c.stem == *stem))
            .collect();
        skipped.push(format!(
            "no Monte Carlo results in this folder (no mc-summary.json; `ipabs cashflow` writes none): skipped the charts {} and {REPORT_HTML}",
            not_drawn.join(", ")
        ));
    }
    if html {
        crate::cancel::phase("report")?;
        let html_path = tmp_html.0.as_deref().expect("set");
        html::write(&run, &drawn, settings.unit, html_path).map_err(io_err(html_path))?;
        crate::cancel::check()?;
    }
    if flags.xlsx {
        crate::cancel::phase("xlsx")?;
        let xlsx_path = tmp_xlsx.0.as_deref().expect("set");
        xlsx::write(&run, xlsx_path).map_err(|e| match e {
            xlsx::XlsxWriteError::Input(e) => AppError::Usage(e.to_string()),
            other => ReportError::Other(other.to_string()).into(),
        })?;
        crate::cancel::check()?;
    }

    // Everything is written: move it into place, unless a stop was asked for meanwhile.
    crate::cancel::check()?;
    let mut written = Written {
        charts: Vec::new(),
        html: None,
        xlsx: None,
        replaced: Vec::new(),
        removed: Vec::new(),
        skipped,
        formats: settings.formats.clone(),
    };
    if charts {
        let before = chart_files(dir);
        let now: Vec<String> = drawn
            .iter()
            .flat_map(|c| &c.files)
            .map(|f| {
                format!(
                    "{CHARTS_DIR}/{}",
                    f.file_name().unwrap_or_default().to_string_lossy()
                )
            })
            .collect();
        let (replaced, removed): (Vec<String>, Vec<String>) =
            before.into_iter().partition(|f| now.contains(f));
        written.replaced = replaced;
        written.removed = removed;
        let target = dir.join(CHARTS_DIR);
        let old = Temp(Some(dir.join(format!(".{CHARTS_DIR}.old-{pid}"))));
        let old_path = old.0.as_deref().expect("set");
        if target.exists() {
            std::fs::rename(&target, old_path).map_err(io_err(&target))?;
        }
        if let Err(e) = std::fs::rename(&chart_dir, &target) {
            // Put the old charts back.
            let _ = std::fs::rename(old_path, &target);
            return Err(io_err(&target)(e).into());
        }
        drop(old);
        written.charts = drawn
            .into_iter()
            .map(|mut c| {
                c.files = c
                    .files
                    .iter()
                    .map(|f| target.join(f.file_name().unwrap_or_default()))
                    .collect();
                c
            })
            .collect();
    }
    if html {
        let html_target = dir.join(REPORT_HTML);
        if html_target.exists() {
            written.replaced.push(REPORT_HTML.into());
        }
        std::fs::rename(tmp_html.0.as_deref().expect("set"), &html_target)
            .map_err(io_err(&html_target))?;
        written.html = Some(html_target);
    }
    if flags.xlsx {
        let xlsx_target = dir.join(RESULTS_XLSX);
        if xlsx_target.exists() {
            written.replaced.push(RESULTS_XLSX.into());
        }
        std::fs::rename(tmp_xlsx.0.as_deref().expect("set"), &xlsx_target)
            .map_err(io_err(&xlsx_target))?;
        written.xlsx = Some(xlsx_target);
    }
    Ok(written)
}

fn dedup(formats: &[ChartFormat]) -> Vec<ChartFormat> {
    let mut out = Vec::new();
    for f in formats {
        if !out.contains(f) {
            out.push(*f);
        }
    }
    out
}

/// The report step of `ipabs run` on its staging folder; returns a line for the terminal
/// report (empty when nothing was asked for).
pub fn run_reports(staging: &Path, report: &RunReportFlags) -> Result<String, AppError> {
    if report.no_charts && !report.flags.xlsx {
        return Ok(String::new());
    }
    let started = Instant::now();
    let w = write_reports(staging, &report.flags, !report.no_charts)?;
    let n: usize = w.charts.iter().map(|c| c.files.len()).sum();
    let mut files: Vec<&str> = Vec::new();
    if n > 0 {
        files.push("charts/");
    }
    if w.html.is_some() {
        files.push(REPORT_HTML);
    }
    if w.xlsx.is_some() {
        files.push(RESULTS_XLSX);
    }
    Ok(format!(
        "reports: {} ({n} chart files) in {:.2} s\n",
        files.join(", "),
        started.elapsed().as_secs_f64()
    ))
}

/// Removes the temporary files and folders that a killed `ipabs chart` left in `dir` (an
/// ipabs output folder, locked by the caller): `.charts.partial-<pid>` and the like.
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        if crate::report::outdir::is_own_temp(&name) {
            drop(Temp(Some(e.path())));
        }
    }
}

pub fn run(args: &ChartArgs) -> Result<super::outcome::Outcome, AppError> {
    crate::cancel::install();
    let started = Instant::now();
    // Only a folder ipabs wrote, and not while another ipabs process writes it.
    let existing = ExistingDir::open(&args.output_dir)?;
    remove_leftovers(&existing.dir);
    let written = write_reports(&existing.dir, &args.flags, true)?;
    // The marker lists what the folder now holds (charts may have changed format).
    let entries = crate::report::outdir::record_entries(&existing.dir)?;
    let text = format!(
        "{}written to {} in {:.2} s\n",
        written.describe(),
        args.output_dir.display(),
        started.elapsed().as_secs_f64()
    );
    let committed = crate::report::outdir::Committed {
        path: existing.dir.clone(),
        entries,
        documents: Vec::new(),
    };
    let redrawn = Redrawn {
        replaced: &written.replaced,
        removed: &written.removed,
        skipped: &written.skipped,
    };
    Ok(super::outcome::Outcome::folder("chart", text, committed).with_result(&redrawn))
}

/// What a redraw changed, for `--json` (the folder's files are listed beside it).
#[derive(serde::Serialize)]
struct Redrawn<'a> {
    replaced: &'a [String],
    removed: &'a [String],
    skipped: &'a [String],
}
