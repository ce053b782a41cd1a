//! Examples shown after each command's `--help`. Every line starting with `ipabs ` is parsed by
//! a test, so an example that no longer matches the arguments fails the build's tests.

pub const TOP: &str = "\
Examples:
  ipabs new ip-lease deals
  ipabs validate scenarios/ip-lease-733m.toml scenarios/patent-pledge-200m.toml
  ipabs run scenarios/ip-lease-733m.toml
  ipabs run scenarios/ip-lease-733m.toml --paths 1e6 --json

Every command takes --json (its summary as one JSON object on stdout) and --color WHEN.
`ipabs help COMMAND` or `ipabs COMMAND --help` shows a command's options and examples.";

pub const VALIDATE: &str = "\
Examples:
  ipabs validate scenarios/ip-lease-733m.toml
  ipabs validate scenarios/ip-lease-733m.toml scenarios/patent-pledge-200m.toml scenarios/patent-royalty-300m.toml
  ipabs validate scenarios/patent-royalty-300m.toml --json";

pub const CASHFLOW: &str = "\
Examples:
  ipabs cashflow scenarios/ip-lease-733m.toml
  ipabs cashflow scenarios/ip-lease-733m.toml --cdr 0.08 --recovery 0.2 --lag 12 --out output/lease-stress
  ipabs cashflow scenarios/patent-royalty-300m.toml --cpr 0.05 --json";

pub const RUN: &str = "\
Examples:
  ipabs run scenarios/ip-lease-733m.toml
  ipabs run scenarios/ip-lease-733m.toml --paths 1_000_000 --seed 7 --threads 2
  ipabs run scenarios/ip-lease-733m.toml --mc-only --no-charts --paths 1e5 --json
  ipabs run scenarios/ip-lease-733m.toml --importance-sampling A1 --paths 2e5
  ipabs run scenarios/ip-lease-733m.toml --paths 1e7 --shard 2/4 --out shards/shard-2";

pub const MERGE: &str = "\
Examples:
  ipabs merge shards/shard-1 shards/shard-2 shards/shard-3 shards/shard-4 --out merged
  ipabs merge shards/shard-1 shards/shard-2 --out merged --no-charts --json";

pub const SWEEP: &str = "\
Examples:
  ipabs sweep scenarios/ip-lease-733m.toml --vary model.correlation.intra_sector=0.1:0.5:0.1
  ipabs sweep scenarios/ip-lease-733m.toml --vary assumptions.recovery_rate=0.1,0.3 --vary tranches.A1.balance=400000000,450000000 --paths 2e4
  ipabs sweep scenarios/ip-lease-733m.toml --vary assumptions.cdr=0.02:0.1:0.02 --deterministic --json";

pub const BREAKEVEN: &str = "\
Examples:
  ipabs breakeven scenarios/ip-lease-733m.toml
  ipabs breakeven scenarios/ip-lease-733m.toml --tranche A1 --tranche A2 --periods 8 --json";

pub const RATE: &str = "\
Examples:
  ipabs rate scenarios/ip-lease-733m.toml
  ipabs rate scenarios/ip-lease-733m.toml --paths 2e5 --max-paths 2e6
  ipabs rate scenarios/ip-lease-733m.toml --importance-sampling A1 --json";

pub const SIZE: &str = "\
Examples:
  ipabs size scenarios/ip-lease-733m.toml --target A1=AAA
  ipabs size scenarios/ip-lease-733m.toml --target-el A1=0.0005 --unit 1_000_000
  ipabs size scenarios/ip-lease-733m.toml --target-bdr A1=0.25 --json";

pub const CHART: &str = "\
Examples:
  ipabs chart output/ip-lease-733m
  ipabs chart output/ip-lease-733m --format svg --unit yi --xlsx";

pub const COMPARE: &str = "\
Examples:
  ipabs cashflow scenarios/ip-lease-733m.toml --cdr 0.08 --out output/lease-cdr8
  ipabs compare output/ip-lease-733m output/lease-cdr8
  ipabs compare output/ip-lease-733m output/lease-cdr8 --out output/cdr8-diff --unit yi --json";

pub const COMPLETIONS: &str = "\
Examples:
  ipabs completions bash > ~/.local/share/bash-completion/completions/ipabs
  ipabs completions zsh > ~/.zfunc/_ipabs
  ipabs completions fish > ~/.config/fish/completions/ipabs.fish
  ipabs completions powershell >> $PROFILE";

pub const MAN: &str = "\
Examples:
  ipabs man > ~/.local/share/man/man1/ipabs.1
  ipabs man run > ~/.local/share/man/man1/ipabs-run.1
  ipabs man | man -l -";

#[cfg(test)]
mod tests {
    use crate::cli::Cli;
    use clap::{CommandFactory, Parser};

    /// The command lines of an example text: lines starting with `ipabs `, cut at a shell
    /// redirection or pipe.
    fn command_lines(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .map(str::trim)
            .filter(|l| l.starts_with("ipabs "))
            .map(|l| {
                // A description may follow after two spaces.
                let l = l.split(['>', '|']).next().unwrap_or(l);
                let l = l.split("  ").next().unwrap_or(l);
                l.split_whitespace().map(str::to_string).collect()
            })
            .collect()
    }

    #[test]
    fn every_command_has_examples_that_parse() {
        let mut root = Cli::command();
        root.build();
        let top = root.get_after_help().expect("examples").to_string();
        let mut all = command_lines(&top);
        for sub in root.get_subcommands().filter(|c| c.get_name() != "help") {
            let name = sub.get_name();
            let help = sub
                .get_after_help()
                .unwrap_or_else(|| panic!("`ipabs {name}` has no examples"))
                .to_string();
            let lines = command_lines(&help);
            assert!(!lines.is_empty(), "`ipabs {name}`: no example lines");
            // Each subcommand's examples show that subcommand (compare's also show how to make
            // its inputs).
            assert!(
                lines.iter().any(|l| l[1] == name),
                "`ipabs {name}`: no example of it"
            );
            all.extend(lines);
        }
        for line in all {
            if let Err(e) = Cli::try_parse_from(&line) {
                panic!("example `{}` does not parse:\n{e}", line.join(" "));
            }
        }
    }
}
