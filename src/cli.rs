//! Command-line flags, modelled on kubectl.

use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Clone, Parser, PartialEq, Eq)]
#[command(
    name = "meshctl-tui",
    version,
    about = "Terminal operations console for Istio service mesh and Gateway API ingress"
)]
pub struct Cli {
    /// Run on the embedded demo cluster (no kubeconfig, no network).
    #[arg(long)]
    pub demo: bool,
    /// Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config; in a pod, the
    /// service account).
    #[arg(
        long,
        env = "KUBECONFIG",
        hide_env_values = true,
        conflicts_with = "demo"
    )]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: current-context).
    #[arg(long, conflicts_with = "demo")]
    pub context: Option<String>,
    /// Watch only this namespace.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Watch all namespaces (the default unless -n is given).
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// Remove every write path.
    #[arg(long)]
    pub read_only: bool,
    /// Colour theme: dark, light, high-contrast, monochrome, or a user theme.
    #[arg(long)]
    pub theme: Option<String>,
    /// Config file (default: <config dir>/config.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
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
    }
}
