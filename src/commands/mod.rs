//! Non-interactive commands (`meshctl-tui certs`, `meshctl-tui check`): connect like the console, read the cluster
//! once (`cluster::snapshot`), print, exit with a code scripts can test.

pub mod certs;
pub mod check;

use crate::cli::Cli;
use crate::cluster::connect::{Connection, Target, connect};
use crate::demo::DemoCluster;

/// Exit code when the cluster cannot be read (bad kubeconfig, server unreachable). Distinct
/// from clap's 2 for usage errors.
pub const EXIT_UNREACHABLE: i32 = 3;

/// Connects the way the console does (`--demo`, `--kubeconfig`, `--context`, in-cluster).
/// The demo cluster, if any, must live as long as the connection.
pub async fn connect_cli(cli: &Cli) -> Result<(Connection, Option<DemoCluster>), String> {
    if cli.demo {
        let demo = DemoCluster::start().map_err(|e| format!("demo cluster: {e}"))?;
        let conn = connect(&Target::Demo, Some(&demo)).await?;
        return Ok((conn, Some(demo)));
    }
    let target = Target::Kubeconfig {
        path: cli.kubeconfig.clone(),
        context: cli.context.clone(),
    };
    Ok((connect(&target, None).await?, None))
}

/// What every command does first: config warnings to stderr, the certificate bands, and
/// the connection. `Err` is the exit code (the reason is already on stderr).
pub async fn prepare(
    cli: &Cli,
    command: &str,
) -> Result<(crate::model::certs::Bands, Connection, Option<DemoCluster>), i32> {
    let (cfg, warnings) = crate::config::load(cli.config.as_deref());
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let (bands, w) = cfg.cert_bands();
    if let Some(w) = w {
        eprintln!("warning: {w}");
    }
    match connect_cli(cli).await {
        Ok((conn, demo)) => Ok((bands, conn, demo)),
        Err(e) => {
            eprintln!("meshctl-tui {command}: {}", crate::text::sanitize(&e));
            Err(EXIT_UNREACHABLE)
        }
    }
}

/// `-n` unless `-A`; all namespaces by default, like the console.
pub fn namespace(cli: &Cli) -> Option<String> {
    if cli.all_namespaces {
        None
    } else {
        cli.namespace.clone()
    }
}
