//! Command-line flags, modelled on kubectl.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};

#[derive(Debug, Clone, Parser, PartialEq, Eq)]
#[command(
    name = "meshctl-tui",
    version,
    about = "Terminal operations console for Istio service mesh and Gateway API ingress"
)]
pub struct Cli {
    /// Without a command: the interactive console.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Run on the embedded demo cluster (no kubeconfig, no network).
    #[arg(long, global = true)]
    pub demo: bool,
    /// Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config; in a pod, the
    /// service account).
    // Not `env = "KUBECONFIG"`: clap would count an exported $KUBECONFIG as the flag and
    // refuse `--demo`. Without the flag the kubeconfig loader reads $KUBECONFIG itself (a
    // colon-separated list too, like kubectl).
    #[arg(long, conflicts_with = "demo", global = true, value_hint = ValueHint::FilePath)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: current-context).
    #[arg(long, conflicts_with = "demo", global = true)]
    pub context: Option<String>,
    /// Watch only this namespace.
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
    /// Watch all namespaces (the default unless -n is given).
    #[arg(short = 'A', long, conflicts_with = "namespace", global = true)]
    pub all_namespaces: bool,
    /// Remove every write path.
    #[arg(long)]
    pub read_only: bool,
    /// Colour theme: dark, light, high-contrast, monochrome, or a user theme.
    #[arg(long)]
    pub theme: Option<String>,
    /// Config file (default: <config dir>/config.toml).
    #[arg(long, global = true, value_hint = ValueHint::FilePath)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Print the certificate inventory once (no watch) and exit: TLS Secrets, the Istio CA,
    /// PEM ConfigMaps and cert-manager Certificates, soonest expiry first.
    #[command(after_help = CERTS_EXIT_HELP)]
    Certs(CertsArgs),
    /// Print the Diagnostics findings once (no watch) and exit, for cron and CI: mesh,
    /// mTLS, route, gateway and certificate problems with codes and Istio equivalents.
    #[command(after_help = CHECK_EXIT_HELP)]
    Check(CheckArgs),
    /// Print a shell completion script to stdout (bash, zsh, fish, elvish, powershell).
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout, or write one page per command into a directory.
    #[command(after_help = MAN_HELP)]
    Man {
        /// Write meshctl-tui.1 and meshctl-tui-<command>.1 into this directory instead.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
}

pub const CHECK_EXIT_HELP: &str = "\
Exit status:
  0  clean (info findings only)
  1  warnings
  2  errors
  3  the cluster cannot be read (unreachable server, unusable kubeconfig, a kind failing)
  4  incomplete: some kinds could not be read (RBAC) and no error was found;
     --allow-partial turns this off and lets the findings decide
When several apply the first of 3, 2, 4, 1 wins: errors found are certain whatever
could not be read, a clean or warnings-only result is not.";

pub const CERTS_EXIT_HELP: &str = "\
Exit status:
  0  the list is complete (a certificate source whose CRD is not installed counts as read)
  3  the cluster cannot be read (unreachable server, unusable kubeconfig, a kind failing)
  4  incomplete: a certificate source (TLS Secrets, the Istio CA Secrets, ConfigMaps,
     cert-manager Certificates) could not be listed (RBAC); --allow-partial gives 0";

const COMPLETIONS_HELP: &str = "\
Install, e.g.:
  meshctl-tui completions bash > ~/.local/share/bash-completion/completions/meshctl-tui
  meshctl-tui completions zsh > ~/.zfunc/_meshctl-tui    # with fpath+=(~/.zfunc)
  meshctl-tui completions fish > ~/.config/fish/completions/meshctl-tui.fish";

const MAN_HELP: &str = "\
Install, e.g.:
  meshctl-tui man --dir ~/.local/share/man/man1    # then: man meshctl-tui";

#[derive(Debug, Clone, Args, PartialEq, Eq)]
pub struct CheckArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Leave out findings less severe than this (from the output and the exit code).
    #[arg(long, value_enum, default_value_t = MinSeverity::Info)]
    pub min_severity: MinSeverity,
    /// Let the findings decide the exit code even when some kinds could not be read
    /// (no exit 4); they are still named on stderr and in the summary.
    #[arg(long)]
    pub allow_partial: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MinSeverity {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, Args, PartialEq, Eq)]
pub struct CertsArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Only certificates that expire within this time (`30d`, `2w`, `12h`; a bare number is
    /// days), including expired ones and any whose expiry cannot be read.
    #[arg(long, value_name = "DURATION", value_parser = parse_within)]
    pub expiring_within: Option<i64>,
    /// Exit 0 even when a certificate source could not be listed (no exit 4); stderr still
    /// names it.
    #[arg(long)]
    pub allow_partial: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Output {
    Table,
    Json,
}

/// `30d` / `2w` / `12h` / `30` (days) → seconds.
pub fn parse_within(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "d"),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30d, 2w or 12h"))?;
    let unit_secs = match unit.trim() {
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 7 * 86_400,
        "h" | "hour" | "hours" => 3_600,
        _ => return Err(format!("{text:?}: unit must be d, w or h (e.g. 30d)")),
    };
    n.checked_mul(unit_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_like_flags() {
        let c = Cli::try_parse_from([
            "meshctl-tui",
            "--context",
            "aks",
            "-n",
            "bookinfo",
            "--read-only",
        ])
        .unwrap();
        assert_eq!(c.context.as_deref(), Some("aks"));
        assert_eq!(c.namespace.as_deref(), Some("bookinfo"));
        assert!(c.read_only);
        assert!(Cli::try_parse_from(["meshctl-tui", "-A", "-n", "x"]).is_err());
        assert!(Cli::try_parse_from(["meshctl-tui", "--demo", "--context", "x"]).is_err());
        assert_eq!(c.command, None);
    }

    #[test]
    fn certs_subcommand_takes_the_console_flags_on_either_side() {
        let c = Cli::try_parse_from([
            "meshctl-tui",
            "--context",
            "aks",
            "certs",
            "-n",
            "shop",
            "-o",
            "json",
            "--expiring-within",
            "30d",
        ])
        .unwrap();
        assert_eq!(c.context.as_deref(), Some("aks"));
        assert_eq!(c.namespace.as_deref(), Some("shop"));
        assert_eq!(
            c.command,
            Some(Command::Certs(CertsArgs {
                output: Output::Json,
                expiring_within: Some(30 * 86_400),
                allow_partial: false,
            }))
        );
        assert!(Cli::try_parse_from(["meshctl-tui", "certs", "--demo", "--context", "x"]).is_err());
        assert!(Cli::try_parse_from(["meshctl-tui", "certs", "-o", "yaml"]).is_err());
        assert!(
            Cli::try_parse_from(["meshctl-tui", "certs", "--expiring-within", "soon"]).is_err()
        );
    }

    #[test]
    fn allow_partial_completions_and_man() {
        let c = Cli::try_parse_from(["meshctl-tui", "check", "--allow-partial"]).unwrap();
        assert!(matches!(c.command, Some(Command::Check(a)) if a.allow_partial));
        let c = Cli::try_parse_from(["meshctl-tui", "completions", "zsh"]).unwrap();
        assert_eq!(
            c.command,
            Some(Command::Completions {
                shell: clap_complete::Shell::Zsh
            })
        );
        assert!(Cli::try_parse_from(["meshctl-tui", "completions"]).is_err());
        let c = Cli::try_parse_from(["meshctl-tui", "man", "--dir", "/tmp/m"]).unwrap();
        assert_eq!(
            c.command,
            Some(Command::Man {
                dir: Some("/tmp/m".into())
            })
        );
    }

    #[test]
    fn durations_for_expiring_within() {
        assert_eq!(parse_within("30d"), Ok(30 * 86_400));
        assert_eq!(parse_within("30"), Ok(30 * 86_400));
        assert_eq!(parse_within("2w"), Ok(14 * 86_400));
        assert_eq!(parse_within("12h"), Ok(12 * 3_600));
        assert!(parse_within("30m").is_err());
        assert!(parse_within("").is_err());
        assert!(parse_within("d").is_err());
    }
}
