//! `ipabs completions SHELL` and `ipabs man [COMMAND]`: generated from the same argument
//! definitions clap parses, so they cannot drift from the program.

use clap::CommandFactory;

use super::AppError;
use super::outcome::Outcome;
use crate::cli::Cli;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// A subcommand's page (e.g. `run`) [default: the page of ipabs itself].
    pub command: Option<String>,
}

/// What `completions` and `man` print, for `--json`.
#[derive(serde::Serialize)]
struct Generated<'a> {
    kind: &'a str,
    name: String,
    text: &'a str,
}

pub fn completions(args: &CompletionsArgs) -> Result<Outcome, AppError> {
    let mut command = Cli::command();
    let mut bytes = Vec::new();
    clap_complete::generate(args.shell, &mut command, "ipabs", &mut bytes);
    let text = String::from_utf8(bytes).map_err(|e| AppError::Usage(e.to_string()))?;
    let summary = Generated {
        kind: "completions",
        name: args.shell.to_string(),
        text: &text,
    };
    Ok(Outcome::of("completions", text.clone(), &summary))
}

pub fn man(args: &ManArgs) -> Result<Outcome, AppError> {
    let mut root = Cli::command();
    root.build();
    let (page, name) = match &args.command {
        None => (root, "ipabs".to_string()),
        Some(sub) => {
            let known: Vec<String> = root
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let found = root.find_subcommand(sub).cloned().ok_or_else(|| {
                AppError::Usage(format!(
                    "no command `{sub}` (expected one of: {})",
                    known.join(", ")
                ))
            })?;
            // The page is titled `ipabs-run`, as git and cargo name their subcommand pages.
            let name = format!("ipabs-{sub}");
            (
                found.name(name.clone()).version(env!("CARGO_PKG_VERSION")),
                name,
            )
        }
    };
    let mut bytes = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut bytes)
        .map_err(|e| AppError::Usage(format!("cannot render the man page: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| AppError::Usage(e.to_string()))?;
    let summary = Generated {
        kind: "man",
        name,
        text: &text,
    };
    Ok(Outcome::of("man", text.clone(), &summary))
}
