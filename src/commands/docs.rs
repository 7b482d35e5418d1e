//! `meshctl-tui completions <shell>` and `meshctl-tui man`: shell completion scripts and
//! man pages generated from the clap definitions, so they never drift from the flags.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::{CERTS_EXIT_HELP, CHECK_EXIT_HELP, Cli};

const BIN: &str = "meshctl-tui";

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut out);
    out
}

const ENVIRONMENT: &str = "\
KUBECONFIG          kubeconfig file(s) when --kubeconfig is not given (ignored by --demo)
MESHCTL_CONFIG_DIR  the config directory (config.toml, themes/)
MESHCTL_DATA_DIR    the data directory (audit.jsonl)
MESHCTL_DEMO_PODS   with --demo: add a synthetic cluster of this many pods (benchmarks)
NO_COLOR            monochrome theme unless --theme is given";

const FILES: &str = "\
~/.config/meshctl-tui/config.toml        keys, theme, read_only, certificate bands
~/.local/share/meshctl-tui/audit.jsonl   one JSON line per attempted write (mode 0600)";

/// The whole command, built (global flags propagated, subcommands named
/// `meshctl-tui-<name>`), without clap's `help` subcommand.
fn built() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Hand-written sections, kept verbatim (no filling): `.nf` ... `.fi`.
fn section(title: &str, body: &str) -> String {
    let mut s = format!(".SH \"{title}\"\n.nf\n");
    for line in body.lines() {
        let mut l = line.replace('\\', "\\e").replace('-', "\\-");
        if l.starts_with('.') || l.starts_with('\'') {
            l.insert_str(0, "\\&");
        }
        s.push_str(&l);
        s.push('\n');
    }
    s.push_str(".fi\n");
    s
}

/// One page: clap_mangen's sections, then `extra` (title, verbatim body) before VERSION.
fn page(cmd: &clap::Command, extra: &[(&str, &str)]) -> Vec<u8> {
    // The exit status is rendered as its own section, not clap_mangen's "EXTRA".
    let cmd = cmd
        .clone()
        .after_help(None::<&str>)
        .after_long_help(None::<&str>);
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    let _ = man.render_options_section(&mut out);
    if cmd.has_subcommands() {
        let _ = man.render_subcommands_section(&mut out);
    }
    for (title, body) in extra {
        out.extend_from_slice(section(title, body).as_bytes());
    }
    if cmd.get_version().is_some() {
        let _ = man.render_version_section(&mut out);
    }
    out
}

/// The `--help` text of a command's exit status, without its heading (the section has one).
fn exit_help(name: &str) -> Option<&'static str> {
    let h = match name {
        "check" => CHECK_EXIT_HELP,
        "certs" => CERTS_EXIT_HELP,
        _ => return None,
    };
    Some(h.strip_prefix("Exit status:\n").unwrap_or(h))
}

/// `meshctl-tui.1`: the console's flags, the commands, and for `check` and `certs` their
/// exit status; the environment and files.
pub fn main_page() -> Vec<u8> {
    let cmd = built();
    let mut extra: Vec<(String, &str)> = Vec::new();
    for sub in cmd.get_subcommands() {
        if let Some(h) = exit_help(sub.get_name()) {
            extra.push((
                format!("EXIT STATUS OF {}", sub.get_name().to_uppercase()),
                h,
            ));
        }
    }
    extra.push(("ENVIRONMENT".into(), ENVIRONMENT));
    extra.push(("FILES".into(), FILES));
    let extra: Vec<(&str, &str)> = extra.iter().map(|(t, b)| (t.as_str(), *b)).collect();
    page(&cmd, &extra)
}

/// Every page: (file name, roff), the main page first, then `meshctl-tui-<command>.1`.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let cmd = built();
    let mut out = vec![(format!("{BIN}.1"), main_page())];
    for sub in cmd.get_subcommands() {
        let extra: Vec<(&str, &str)> = exit_help(sub.get_name())
            .map(|h| ("EXIT STATUS", h))
            .into_iter()
            .collect();
        let name = sub.get_display_name().unwrap_or(sub.get_name());
        out.push((format!("{name}.1"), page(sub, &extra)));
    }
    out
}

/// Writes every page into `dir` (created if missing); returns the paths written.
pub fn write_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, roff) in pages() {
        let path = dir.join(name);
        std::fs::write(&path, roff)?;
        written.push(path);
    }
    Ok(written)
}

/// `meshctl-tui completions <shell>`: the script on stdout; exit code.
pub fn run_completions(shell: clap_complete::Shell) -> i32 {
    write_stdout(&completions(shell))
}

/// `meshctl-tui man [--dir DIR]`: the main page on stdout, or every page into DIR; exit code.
pub fn run_man(dir: Option<&Path>) -> i32 {
    match dir {
        None => write_stdout(&main_page()),
        Some(d) => match write_pages(d) {
            Ok(paths) => {
                for p in paths {
                    println!("{}", p.display());
                }
                0
            }
            Err(e) => {
                eprintln!("meshctl-tui man: {}: {e}", d.display());
                1
            }
        },
    }
}

fn write_stdout(bytes: &[u8]) -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => 0,
        // A closed pipe (`| head`) is not worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("meshctl-tui: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(b: Vec<u8>) -> String {
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn bash_completion_knows_the_commands_and_flags() {
        let bash = text(completions(clap_complete::Shell::Bash));
        for w in [
            "certs",
            "check",
            "completions",
            "--context",
            "--kubeconfig",
            "--demo",
            "--allow-partial",
            "--min-severity",
            "--expiring-within",
        ] {
            assert!(bash.contains(w), "{w} missing from the bash completion");
        }
        assert!(
            bash.contains("-o bashdefault -o default meshctl-tui"),
            "{bash}"
        );
        // Values of enums are completed too.
        assert!(bash.contains("info warning error"), "--min-severity values");
    }

    #[test]
    fn zsh_and_fish_completions_are_generated() {
        let zsh = text(completions(clap_complete::Shell::Zsh));
        assert!(zsh.starts_with("#compdef meshctl-tui"), "{zsh}");
        assert!(zsh.contains("--allow-partial") && zsh.contains("certs"));
        let fish = text(completions(clap_complete::Shell::Fish));
        assert!(fish.contains("complete -c meshctl-tui"));
        assert!(fish.contains("-l context") && fish.contains("check"));
    }

    #[test]
    fn the_man_page_has_the_sections_and_commands() {
        let man = text(main_page());
        for w in [
            ".TH meshctl-tui 1",
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH DESCRIPTION",
            ".SH OPTIONS",
            ".SH SUBCOMMANDS",
            "meshctl\\-tui\\-certs(1)",
            "meshctl\\-tui\\-check(1)",
            ".SH \"EXIT STATUS OF CHECK\"",
            ".SH \"EXIT STATUS OF CERTS\"",
            ".SH \"ENVIRONMENT\"",
            "\\-\\-kubeconfig",
            "\\-\\-allow\\-partial turns this off",
        ] {
            assert!(man.contains(w), "{w:?} missing from\n{man}");
        }
        assert!(!man.contains(".SH EXTRA") && !man.contains("Exit status:"));
    }

    #[test]
    fn one_page_per_command_with_its_own_flags() {
        let pages = pages();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "meshctl-tui.1",
                "meshctl-tui-certs.1",
                "meshctl-tui-check.1",
                "meshctl-tui-completions.1",
                "meshctl-tui-man.1"
            ]
        );
        let check = String::from_utf8(pages[2].1.clone()).unwrap();
        assert!(check.contains(".TH meshctl-tui-check 1"), "{check}");
        assert!(check.contains("\\-\\-min\\-severity"));
        // Global flags reach the subcommand pages.
        assert!(check.contains("\\-\\-context"));
        assert!(check.contains(".SH \"EXIT STATUS\""));
    }
}
