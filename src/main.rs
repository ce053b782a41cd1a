use clap::Parser;
use ipabs::cli::{Cli, Command};
use ipabs::commands::outcome::{Outcome, Summary};
use ipabs::commands::{self, AppError, colour};

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => usage_error(e),
    };
    colour::set(cli.color);
    let (name, result): (&str, Result<(Outcome, bool), AppError>) = match &cli.command {
        Command::Validate(args) => (
            "validate",
            commands::validate::run(args).map(|s| (s, false)),
        ),
        Command::Cashflow(args) => (
            "cashflow",
            commands::cashflow::run(args).map(|s| (s, args.quiet)),
        ),
        Command::Run(args) => ("run", commands::run::run(args).map(|s| (s, args.quiet))),
        Command::Merge(args) => ("merge", commands::merge::run(args).map(|s| (s, args.quiet))),
        Command::Sweep(args) => ("sweep", commands::sweep::run(args).map(|s| (s, args.quiet))),
        Command::Breakeven(args) => (
            "breakeven",
            commands::breakeven::run(args).map(|s| (s, args.quiet)),
        ),
        Command::Rate(args) => ("rate", commands::rate::run(args).map(|s| (s, args.quiet))),
        Command::Size(args) => ("size", commands::size::run(args).map(|s| (s, args.quiet))),
        Command::Chart(args) => ("chart", commands::chart::run(args).map(|s| (s, false))),
        Command::Compare(args) => (
            "compare",
            commands::compare::run(args).map(|s| (s, args.quiet)),
        ),
        Command::New(args) => ("new", commands::new::run(args).map(|s| (s, false))),
        Command::Completions(args) => (
            "completions",
            commands::shell::completions(args).map(|s| (s, false)),
        ),
        Command::Man(args) => ("man", commands::shell::man(args).map(|s| (s, false))),
    };
    let (summary, code) = match result {
        Ok((outcome, quiet)) => {
            eprint!("{}", colour::paint(&outcome.stderr));
            // With --json the terminal report is replaced by the summary, not duplicated.
            if !quiet && !cli.json {
                print!("{}", outcome.text);
            }
            let code = outcome.summary.exit_code;
            (outcome.summary, code)
        }
        Err(e) => {
            eprintln!("{}", colour::paint(&e.to_string()));
            (Summary::failed(name, &e), e.exit_code())
        }
    };
    if cli.json {
        match serde_json::to_string_pretty(&summary) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: cannot write the JSON summary: {e}"),
        }
    }
    std::process::exit(code);
}

/// A command line clap refuses: its message as usual, and with `--json` the same failure
/// summary as any other error (exit code 2). Help and version requests print as usual.
fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    let json = std::env::args_os().any(|a| a == "--json");
    if !json
        || matches!(
            e.kind(),
            ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        )
    {
        e.exit();
    }
    let message = e.render().to_string();
    eprint!("{message}");
    let error = AppError::Usage(message.trim_end().trim_start_matches("error: ").to_string());
    let command = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    if let Ok(text) = serde_json::to_string_pretty(&Summary::failed(&command, &error)) {
        println!("{text}");
    }
    std::process::exit(2);
}
