use clap::Parser;
use ipabs::cli::{Cli, Command};
use ipabs::commands::{self, AppError};

fn main() {
    let cli = Cli::parse();
    let result: Result<(String, bool), AppError> = match &cli.command {
        Command::Validate(args) => commands::validate::run(args).map(|s| (s, false)),
        Command::Cashflow(args) => commands::cashflow::run(args).map(|s| (s, args.quiet)),
        Command::Run(args) => commands::run::run(args).map(|s| (s, args.quiet)),
        Command::Merge(args) => commands::merge::run(args).map(|s| (s, args.quiet)),
        Command::Sweep(args) => commands::sweep::run(args).map(|s| (s, args.quiet)),
        Command::Breakeven(args) => commands::breakeven::run(args).map(|s| (s, args.quiet)),
        Command::Rate(args) => commands::rate::run(args).map(|s| (s, args.quiet)),
        Command::Size(args) => commands::size::run(args).map(|s| (s, args.quiet)),
        Command::Chart(args) => commands::chart::run(args).map(|s| (s, false)),
        Command::Compare(args) => commands::compare::run(args).map(|s| (s, args.quiet)),
        Command::New(args) => commands::new::run(args).map(|s| (s, false)),
    };
    match result {
        Ok((text, quiet)) => {
            if !quiet {
                print!("{text}");
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(e.exit_code());
        }
    }
}
