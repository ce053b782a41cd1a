//! Colour for errors and warnings on stderr: on a terminal unless `NO_COLOR` is set (see
//! no-color.org), or as `--color always|never` says. Only the labels and pointers are
//! coloured, so a message reads the same without colour.

use anstyle::{AnsiColor, Style};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::ColorWhen;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Decides once, at start-up, whether stderr gets colour.
pub fn set(when: ColorWhen) {
    ENABLED.store(
        enabled(
            when,
            std::env::var_os("NO_COLOR"),
            std::io::stderr().is_terminal(),
        ),
        Ordering::Relaxed,
    );
}

/// `--color auto` colours a terminal unless `NO_COLOR` is set to a non-empty value; an
/// explicit `--color` wins over the variable, as no-color.org asks of command-line flags.
fn enabled(when: ColorWhen, no_color: Option<std::ffi::OsString>, terminal: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const POINTER: Style = AnsiColor::Blue.on_default().bold();

/// `text` (error or warning lines) with its labels coloured, if colour is on.
pub fn paint(text: &str) -> String {
    if ENABLED.load(Ordering::Relaxed) {
        paint_with(text)
    } else {
        text.to_string()
    }
}

fn paint_with(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let styled = [("error:", ERROR), ("warning:", WARNING), ("  -->", POINTER)]
            .into_iter()
            .find_map(|(label, style)| {
                line.strip_prefix(label)
                    .map(|rest| format!("{style}{label}{style:#}{rest}"))
            });
        match styled {
            Some(s) => out += &s,
            // The caret line under a TOML excerpt: `  |     ^^^`.
            None if line.trim_end().ends_with('^') && line.contains('|') => {
                let (gutter, carets) = line.split_at(line.find('|').map_or(0, |i| i + 1));
                out += &format!("{POINTER}{gutter}{POINTER:#}{ERROR}{carets}{ERROR:#}");
            }
            None => out += line,
        }
    }
    out
}

/// Prints warnings to stderr, one line each, coloured as [`paint`] decides.
pub fn eprint_warning(line: &str) {
    eprintln!("{}", paint(line));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_and_terminals() {
        let set = Some(std::ffi::OsString::from("1"));
        let empty = Some(std::ffi::OsString::new());
        assert!(enabled(ColorWhen::Auto, None, true));
        assert!(!enabled(ColorWhen::Auto, None, false));
        assert!(!enabled(ColorWhen::Auto, set.clone(), true));
        // An empty NO_COLOR does not count, as the convention says.
        assert!(enabled(ColorWhen::Auto, empty, true));
        assert!(enabled(ColorWhen::Always, set, false));
        assert!(!enabled(ColorWhen::Never, None, true));
    }

    #[test]
    fn labels_are_coloured_and_text_kept() {
        let text = "error: deal.name: expected a string\n  --> a.toml:3:8\n  |\n3 | name = 1\n  |        ^\n";
        let painted = paint_with(text);
        assert!(
            painted.contains("\u{1b}[1m\u{1b}[31merror:\u{1b}[0m deal.name"),
            "{painted:?}"
        );
        // Without the escape sequences the text is unchanged.
        let plain = strip(&painted);
        assert_eq!(plain, text);
        assert_eq!(
            paint_with("warning: x\n"),
            format!("{WARNING}warning:{WARNING:#} x\n")
        );
    }

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for d in chars.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
