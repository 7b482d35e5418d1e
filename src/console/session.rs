//! The connection the loop works through: the client, its watchers, the audit log, and the
//! background requests that are not writes (audit load, health probe).

use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::app::msg::Msg;
use crate::audit::AuditLog;
use crate::cluster::connect::{Connection, Target, connect};
use crate::cluster::watch::spawn_all;
use crate::demo::DemoCluster;
use crate::state::{AppState, ConnInfo};

pub struct Session {
    pub target: Target,
    pub demo: Option<DemoCluster>,
    pub client: Option<kube::Client>,
    pub(super) watchers: Vec<JoinHandle<()>>,
    pub(super) audit: AuditLog,
    pub(super) stuck_timer: crate::app::clock::StuckTimer,
    pub(super) silence: crate::app::clock::SilenceTimer,
}

impl Session {
    pub fn new(target: Target, demo: Option<DemoCluster>) -> Self {
        Session {
            target,
            demo,
            client: None,
            watchers: Vec::new(),
            // `$MESHCTL_DATA_DIR` overrides where it lives.
            audit: AuditLog::open(crate::config::data_dir()),
            stuck_timer: Default::default(),
            silence: Default::default(),
        }
    }

    /// Where writes are recorded (tests point it at a temp dir).
    pub fn with_audit(mut self, audit: AuditLog) -> Self {
        self.audit = audit;
        self
    }

    fn stop_watchers(&mut self) {
        for h in self.watchers.drain(..) {
            h.abort();
        }
    }

    /// (Re)starts the watchers for the state's namespace scope and generation.
    pub fn watch(&mut self, state: &AppState, tx: &UnboundedSender<Msg>) {
        self.stop_watchers();
        if let Some(c) = &self.client {
            self.watchers = spawn_all(c, state.namespace.as_deref(), state.generation, tx.clone());
        }
    }

    pub async fn connect(&mut self, context: Option<String>) -> Result<ConnInfo, String> {
        self.stop_watchers();
        if let (Target::Kubeconfig { context: c, .. }, Some(ctx)) = (&mut self.target, context) {
            *c = Some(ctx);
        }
        match connect(&self.target, self.demo.as_ref()).await {
            Ok(Connection {
                client,
                context,
                cluster,
                user,
                contexts,
                ..
            }) => {
                self.client = Some(client);
                Ok(ConnInfo {
                    context,
                    cluster,
                    user,
                    contexts,
                    error: None,
                })
            }
            Err(e) => {
                self.client = None;
                Err(e)
            }
        }
    }
}

impl Session {
    /// Reads the audit log off the UI task and answers with `Msg::AuditLoaded`.
    pub(super) fn load_audit(&self, tx: &UnboundedSender<Msg>) {
        let (audit, tx) = (self.audit.clone(), tx.clone());
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(Msg::AuditLoaded(audit.read_rows(AUDIT_ROWS)));
        });
    }
}

/// How long a probe may take before the server counts as gone.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

impl Session {
    /// `GET /readyz` once, off the UI task, answered by `Msg::Probed`. Any answer but a 5xx
    /// means the server is there (a 404 from servers without it, 401/403 under strict RBAC);
    /// a 5xx (e.g. shutting down), a connection error or no answer in time means not.
    pub(super) fn probe(&self, generation: u64, tx: &UnboundedSender<Msg>) {
        let Some(client) = self.client.clone() else {
            return;
        };
        let tx = tx.clone();
        tokio::spawn(async move {
            let req = http::Request::get("/readyz").body(Vec::new());
            let result = match req {
                Err(e) => Err(e.to_string()),
                Ok(req) => {
                    match tokio::time::timeout(PROBE_TIMEOUT, client.request_text(req)).await {
                        Err(_) => Err(format!(
                            "GET /readyz: no answer within {}s",
                            PROBE_TIMEOUT.as_secs()
                        )),
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err(kube::Error::Api(s))) if s.code < 500 => Ok(()),
                        Ok(Err(e)) => Err(format!(
                            "GET /readyz: {}",
                            e.to_string().chars().take(120).collect::<String>()
                        )),
                    }
                }
            };
            let _ = tx.send(Msg::Probed { generation, result });
        });
    }
}

/// The `:audit` overlay shows at most this many (newest) lines.
const AUDIT_ROWS: usize = 500;

impl Drop for Session {
    fn drop(&mut self) {
        self.stop_watchers();
    }
}
