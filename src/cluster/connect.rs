//! Builds a `kube::Client` for a kubeconfig context, in-cluster config, or the demo.

use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::demo::DemoCluster;

/// Where the console connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Demo,
    Kubeconfig {
        path: Option<PathBuf>,
        context: Option<String>,
    },
}

/// A live connection and the names the header shows.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    pub context: String,
    pub cluster: String,
    pub user: Option<String>,
    /// The context's namespace (what `kubectl` would use without `-n`).
    pub default_namespace: String,
    /// Other contexts the user can switch to with `:ctx`.
    pub contexts: Vec<String>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("context", &self.context)
            .field("cluster", &self.cluster)
            .finish()
    }
}

fn read_kubeconfig(path: &Option<PathBuf>) -> Result<Kubeconfig, String> {
    match path {
        Some(p) => Kubeconfig::read_from(p).map_err(|e| format!("kubeconfig {}: {e}", p.display())),
        None => Kubeconfig::read().map_err(|e| format!("kubeconfig: {e}")),
    }
}

/// Connects without touching the network: the first request happens in the watchers, so an
/// unreachable server still opens the UI (it shows "disconnected, retrying").
pub async fn connect(target: &Target, demo: Option<&DemoCluster>) -> Result<Connection, String> {
    match target {
        Target::Demo => {
            let demo = demo.ok_or("demo cluster not started")?;
            Ok(Connection {
                client: demo.client(),
                context: crate::demo::DEMO_CONTEXT.into(),
                cluster: crate::demo::DEMO_CLUSTER.into(),
                user: Some("demo-admin".into()),
                default_namespace: "default".into(),
                contexts: vec![crate::demo::DEMO_CONTEXT.into()],
            })
        }
        Target::Kubeconfig { path, context } => {
            let kc = match read_kubeconfig(path) {
                Ok(kc) => kc,
                // No kubeconfig at all: inside a pod, use the service account like kubectl.
                Err(e) if path.is_none() && context.is_none() => {
                    return in_cluster().map_err(|ic| format!("{e}; in-cluster: {ic}"));
                }
                Err(e) => return Err(e),
            };
            let contexts: Vec<String> = kc.contexts.iter().map(|c| c.name.clone()).collect();
            let ctx_name = context
                .clone()
                .or_else(|| kc.current_context.clone())
                .ok_or("kubeconfig has no current-context; pass --context")?;
            let named = kc
                .contexts
                .iter()
                .find(|c| c.name == ctx_name)
                .ok_or_else(|| format!("context {ctx_name:?} not found in kubeconfig"))?;
            let ctx = named.context.clone().unwrap_or_default();
            let opts = KubeConfigOptions {
                context: Some(ctx_name.clone()),
                ..Default::default()
            };
            let config = Config::from_custom_kubeconfig(kc.clone(), &opts)
                .await
                .map_err(|e| format!("context {ctx_name}: {e}"))?;
            let default_namespace = config.default_namespace.clone();
            let client =
                Client::try_from(config).map_err(|e| format!("client for {ctx_name}: {e}"))?;
            Ok(Connection {
                client,
                context: ctx_name,
                cluster: ctx.cluster,
                user: ctx.user,
                default_namespace,
                contexts,
            })
        }
    }
}

fn in_cluster() -> Result<Connection, String> {
    let config = Config::incluster().map_err(|e| e.to_string())?;
    let default_namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|e| e.to_string())?;
    Ok(Connection {
        client,
        context: "in-cluster".into(),
        cluster: "in-cluster".into(),
        user: Some("serviceaccount".into()),
        default_namespace,
        contexts: vec![],
    })
}
