//! [`KubeEnv`]: a running etcd + kube-apiserver (+ optional kube-controller-manager), its
//! lifecycle (start, stop, SIGTERM, restart) and its clients and kubeconfigs.

use std::{
    fs,
    net::TcpStream,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use kube::{Client, api::Api};

use super::assets::{KubeAssets, find_assets};
use super::pki::{client_from_kubeconfig, generate_pki, kubeconfig_yaml};
use super::process::{ManagedProcess, free_port, keep_dirs, unique_temp_dir};
use super::{
    ADMIN_TOKEN, ADMIN_USER, CONSOLE_TOKEN, CONSOLE_USER, LIMITED_TOKEN, LIMITED_USER,
    SERVICE_CLUSTER_IP_RANGE,
};

/// What [`KubeEnv::start_with`] adds to the default environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The API server writes an audit log (`--audit-log-path`, Metadata level: who, verb,
    /// resource, URI, timestamps; no bodies) of the requests of [`CONSOLE_USER`] only, so a
    /// console's requests are counted by the server while a generator's thousands of writes
    /// (another user) cost nothing. See [`KubeEnv::audit_log_path`].
    pub audit_console: bool,
}

/// Logs [`CONSOLE_USER`]'s requests once each (when the response completed, or started for
/// a watch) and nothing else.
const AUDIT_POLICY: &str = "apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  users: [CONSOLE_USER]
- level: None
";

/// A running etcd + kube-apiserver (+ optional kube-controller-manager).
pub struct KubeEnv {
    // Field order = drop order: controller manager, apiserver, etcd.
    pub(super) controller_manager: Option<ManagedProcess>,
    apiserver: ManagedProcess,
    etcd: ManagedProcess,
    assets: KubeAssets,
    dir: PathBuf,
    server_url: String,
    kubeconfig: PathBuf,
    limited_kubeconfig: PathBuf,
    console_kubeconfig: PathBuf,
    /// Where the API server writes its audit log, if [`Options::audit_console`].
    audit_log: Option<PathBuf>,
    pub(super) client: Client,
    /// The kube-apiserver command line, to start it again on the same port
    /// ([`restart_apiserver`](Self::restart_apiserver)).
    apiserver_args: Vec<String>,
    apiserver_port: u16,
    /// How many times the apiserver was started again (names its log files).
    apiserver_restarts: u32,
}

struct StartFailure {
    message: String,
    /// A port was taken between choosing it and binding it: try again.
    port_conflict: bool,
}

impl KubeEnv {
    /// Starts etcd and kube-apiserver and waits until the apiserver is ready.
    ///
    /// Panics (with the servers' log tails) if that fails.
    pub async fn start() -> KubeEnv {
        Self::start_with(Options::default()).await
    }

    /// [`start`](Self::start) with the additions `options` asks for.
    pub async fn start_with(options: Options) -> KubeEnv {
        let assets = find_assets();
        let mut failures = Vec::new();
        for _attempt in 0..3 {
            match Self::try_start(&assets, options).await {
                Ok(env) => return env,
                Err(f) => {
                    let retry = f.port_conflict;
                    failures.push(f.message);
                    if !retry {
                        break;
                    }
                }
            }
        }
        panic!(
            "failed to start the e2e Kubernetes control plane:\n{}",
            failures.join("\n---- next attempt ----\n")
        );
    }

    async fn try_start(assets: &KubeAssets, options: Options) -> Result<KubeEnv, StartFailure> {
        let dir = unique_temp_dir();
        let cleanup_dir = scopeguard(dir.clone());
        generate_pki(&dir);
        fs::write(
            dir.join("tokens.csv"),
            format!(
                "{ADMIN_TOKEN},{ADMIN_USER},{ADMIN_USER}-uid,\"system:masters\"\n\
                 {LIMITED_TOKEN},{LIMITED_USER},{LIMITED_USER}-uid\n\
                 {CONSOLE_TOKEN},{CONSOLE_USER},{CONSOLE_USER}-uid,\"system:masters\"\n"
            ),
        )
        .expect("write tokens.csv");

        let etcd_client_port = free_port();
        let etcd_peer_port = free_port();
        let apiserver_port = free_port();
        let etcd_client_url = format!("http://127.0.0.1:{etcd_client_port}");
        let etcd_peer_url = format!("http://127.0.0.1:{etcd_peer_port}");
        let d = |p: &str| dir.join(p).display().to_string();

        let mut etcd = ManagedProcess::spawn(
            "etcd",
            &assets.etcd,
            &[
                "--name=e2e".into(),
                format!("--data-dir={}", d("etcd-data")),
                format!("--listen-client-urls={etcd_client_url}"),
                format!("--advertise-client-urls={etcd_client_url}"),
                format!("--listen-peer-urls={etcd_peer_url}"),
                format!("--initial-advertise-peer-urls={etcd_peer_url}"),
                format!("--initial-cluster=e2e={etcd_peer_url}"),
                "--initial-cluster-state=new".into(),
                // Large CRDs (with their managedFields) exceed the 1.5 MiB default.
                "--max-request-bytes=8388608".into(),
                "--quota-backend-bytes=8589934592".into(),
                "--snapshot-count=100000".into(),
                "--logger=zap".into(),
                "--log-level=warn".into(),
            ],
            dir.join("etcd.log"),
        );

        let timeout = start_timeout();
        let deadline = Instant::now() + timeout;
        // Wait until etcd accepts connections (also catches port conflicts early).
        loop {
            if let Some(exit) = etcd.exited() {
                let tail = etcd.log_tail(40);
                return Err(StartFailure {
                    port_conflict: tail.contains("address already in use"),
                    message: format!("{exit}\n--- etcd log tail ---\n{tail}"),
                });
            }
            if TcpStream::connect(("127.0.0.1", etcd_client_port)).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                return Err(StartFailure {
                    port_conflict: false,
                    message: format!(
                        "etcd did not listen on {etcd_client_url} within {timeout:?}\n\
                         --- etcd log tail ---\n{}",
                        etcd.log_tail(40)
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let mut apiserver_args: Vec<String> = vec![
            format!("--etcd-servers={etcd_client_url}"),
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            format!("--secure-port={apiserver_port}"),
            "--insecure-port=0".into(),
            format!("--cert-dir={}", d("apiserver-certs")),
            format!("--tls-cert-file={}", d("server.crt")),
            format!("--tls-private-key-file={}", d("server.key")),
            format!("--token-auth-file={}", d("tokens.csv")),
            "--authorization-mode=RBAC".into(),
            format!("--service-account-key-file={}", d("sa.pub")),
            format!("--service-account-signing-key-file={}", d("sa.key")),
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
            "--endpoint-reconciler-type=none".into(),
            "--disable-admission-plugins=ServiceAccount".into(),
            format!("--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}"),
            "--allow-privileged=true".into(),
            "--profiling=false".into(),
            "--v=1".into(),
        ];
        let audit_log = options.audit_console.then(|| dir.join("audit.log"));
        if let Some(log) = &audit_log {
            let policy = dir.join("audit-policy.yaml");
            fs::write(&policy, AUDIT_POLICY.replace("CONSOLE_USER", CONSOLE_USER))
                .expect("write audit-policy.yaml");
            apiserver_args.push(format!("--audit-policy-file={}", policy.display()));
            apiserver_args.push(format!("--audit-log-path={}", log.display()));
            // One file, never rotated while a benchmark reads it.
            apiserver_args.push("--audit-log-maxsize=0".into());
        }
        let mut apiserver = ManagedProcess::spawn(
            "kube-apiserver",
            &assets.kube_apiserver,
            &apiserver_args,
            dir.join("kube-apiserver.log"),
        );

        let server_url = format!("https://127.0.0.1:{apiserver_port}");
        let ca = fs::read(dir.join("ca.crt")).expect("read ca.crt");
        let kubeconfig = dir.join("kubeconfig");
        fs::write(
            &kubeconfig,
            kubeconfig_yaml(&server_url, &ca, ADMIN_USER, ADMIN_TOKEN),
        )
        .expect("write kubeconfig");
        let limited_kubeconfig = dir.join("kubeconfig-limited");
        fs::write(
            &limited_kubeconfig,
            kubeconfig_yaml(&server_url, &ca, LIMITED_USER, LIMITED_TOKEN),
        )
        .expect("write limited kubeconfig");
        let console_kubeconfig = dir.join("kubeconfig-console");
        fs::write(
            &console_kubeconfig,
            kubeconfig_yaml(&server_url, &ca, CONSOLE_USER, CONSOLE_TOKEN),
        )
        .expect("write console kubeconfig");
        let client = client_from_kubeconfig(&kubeconfig).await;

        loop {
            for p in [&mut etcd, &mut apiserver] {
                if let Some(exit) = p.exited() {
                    let tail = p.log_tail(60);
                    return Err(StartFailure {
                        port_conflict: tail.contains("address already in use"),
                        message: format!(
                            "{exit}\n--- {} log tail ({}) ---\n{tail}",
                            p.name,
                            p.log.display()
                        ),
                    });
                }
            }
            let last_error = match ready(&client).await {
                Ok(()) => break,
                Err(e) => e,
            };
            if Instant::now() > deadline {
                return Err(StartFailure {
                    port_conflict: false,
                    message: format!(
                        "kube-apiserver at {server_url} not ready within {timeout:?}: {last_error}\n\
                         --- kube-apiserver log tail ---\n{}\n--- etcd log tail ---\n{}",
                        apiserver.log_tail(60),
                        etcd.log_tail(20)
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }

        cleanup_dir.disarm();
        Ok(KubeEnv {
            controller_manager: None,
            apiserver,
            etcd,
            assets: assets.clone(),
            dir,
            server_url,
            kubeconfig,
            limited_kubeconfig,
            console_kubeconfig,
            audit_log,
            client,
            apiserver_args,
            apiserver_port,
            apiserver_restarts: 0,
        })
    }

    /// Kills the kube-apiserver (SIGKILL, like a crash: open connections are
    /// reset) and waits until its port refuses connections. etcd keeps running,
    /// so every object survives a later [`restart_apiserver`](Self::restart_apiserver).
    /// Does nothing if it is already stopped.
    pub async fn stop_apiserver(&mut self) {
        self.apiserver.kill();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.apiserver_port)).is_ok() {
            if Instant::now() > deadline {
                panic!(
                    "kube-apiserver was killed but 127.0.0.1:{} still accepts connections after 30s",
                    self.apiserver_port
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends the kube-apiserver SIGTERM, as a node drain or an upgrade does, and returns at
    /// once: it stops accepting connections but keeps its open watches for up to a minute
    /// (its graceful shutdown) before it exits. [`wait_apiserver_exit`](Self::wait_apiserver_exit)
    /// waits for the end.
    pub fn terminate_apiserver(&mut self) {
        if let Ok(None) = self.apiserver.child.try_wait() {
            // SAFETY: kill(2) on our own child's pid.
            unsafe {
                libc::kill(self.apiserver.child.id() as libc::pid_t, libc::SIGTERM);
            }
        }
    }

    /// Waits until the kube-apiserver process has exited (after
    /// [`terminate_apiserver`](Self::terminate_apiserver)).
    pub async fn wait_apiserver_exit(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.apiserver.exited().is_none() {
            assert!(
                Instant::now() < deadline,
                "kube-apiserver still running {timeout:?} after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the kube-apiserver process is running.
    pub fn apiserver_running(&mut self) -> bool {
        self.apiserver.exited().is_none()
    }

    /// Starts the kube-apiserver again after [`stop_apiserver`](Self::stop_apiserver):
    /// same port, flags, certificates and tokens (so existing kubeconfigs and
    /// clients keep working), same etcd (so the data is still there). Waits
    /// until it is ready; its log goes to `kube-apiserver.restart-N.log`.
    ///
    /// Panics if it is still running, or does not become ready (e.g. the port was
    /// taken meanwhile) within the start timeout.
    pub async fn restart_apiserver(&mut self) {
        assert!(
            !self.apiserver_running(),
            "restart_apiserver: kube-apiserver is still running (call stop_apiserver first)"
        );
        self.apiserver_restarts += 1;
        let log = self.dir.join(format!(
            "kube-apiserver.restart-{}.log",
            self.apiserver_restarts
        ));
        self.apiserver = ManagedProcess::spawn(
            "kube-apiserver",
            &self.assets.kube_apiserver,
            &self.apiserver_args,
            log,
        );
        let timeout = start_timeout();
        let deadline = Instant::now() + timeout;
        loop {
            for p in [&mut self.etcd, &mut self.apiserver] {
                if let Some(exit) = p.exited() {
                    panic!(
                        "restart of kube-apiserver on port {}: {exit}\n--- {} log tail ({}) ---\n{}",
                        self.apiserver_port,
                        p.name,
                        p.log.display(),
                        p.log_tail(60)
                    );
                }
            }
            let last_error = match ready(&self.client).await {
                Ok(()) => return,
                Err(e) => e,
            };
            if Instant::now() > deadline {
                panic!(
                    "restarted kube-apiserver at {} not ready within {timeout:?}: {last_error}\n\
                     --- kube-apiserver log tail ---\n{}",
                    self.server_url,
                    self.apiserver.log_tail(60)
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Starts kube-controller-manager against this apiserver (Deployments get
    /// ReplicaSets and Pods, namespaces get their `default` ServiceAccount,
    /// garbage collection works; Pods stay Pending as there is no scheduler
    /// or kubelet). Waits until its controllers are working.
    pub async fn start_controller_manager(&mut self) {
        if self.controller_manager.is_some() {
            return;
        }
        let d = |p: &str| self.dir.join(p).display().to_string();
        let mut kcm = ManagedProcess::spawn(
            "kube-controller-manager",
            &self.assets.kube_controller_manager,
            &[
                format!("--kubeconfig={}", self.kubeconfig.display()),
                format!("--service-account-private-key-file={}", d("sa.key")),
                format!("--root-ca-file={}", d("ca.crt")),
                "--use-service-account-credentials=false".into(),
                "--leader-elect=false".into(),
                "--bind-address=127.0.0.1".into(),
                // Do not serve anything: no port to collide with parallel tests.
                "--port=0".into(),
                "--secure-port=0".into(),
                "--controllers=*".into(),
                "--concurrent-deployment-syncs=5".into(),
                "--v=1".into(),
            ],
            self.dir.join("kube-controller-manager.log"),
        );
        // Its serviceaccount controller creates `default` in every namespace:
        // once that exists, the controllers are running.
        let sa_api: Api<k8s_openapi::api::core::v1::ServiceAccount> =
            Api::namespaced(self.client.clone(), "default");
        let deadline = Instant::now() + start_timeout();
        loop {
            if let Some(exit) = kcm.exited() {
                panic!(
                    "{exit}\n--- kube-controller-manager log tail ---\n{}",
                    kcm.log_tail(60)
                );
            }
            if let Ok(Some(_)) = sa_api.get_opt("default").await {
                break;
            }
            if Instant::now() > deadline {
                panic!(
                    "kube-controller-manager did not become active within {:?}\n\
                     --- kube-controller-manager log tail ---\n{}",
                    start_timeout(),
                    kcm.log_tail(60)
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        self.controller_manager = Some(kcm);
    }

    /// Admin client (`system:masters`).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Client for the low-privilege user [`LIMITED_USER`].
    pub async fn limited_client(&self) -> Client {
        client_from_kubeconfig(&self.limited_kubeconfig).await
    }

    /// Kubeconfig (context [`CONTEXT`], namespace `default`) for the admin.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// Kubeconfig (context [`CONTEXT`], namespace `default`) for [`LIMITED_USER`].
    pub fn limited_kubeconfig_path(&self) -> &Path {
        &self.limited_kubeconfig
    }

    /// Kubeconfig (context [`CONTEXT`], namespace `default`) for [`CONSOLE_USER`].
    pub fn console_kubeconfig_path(&self) -> &Path {
        &self.console_kubeconfig
    }

    /// The API server's audit log (see [`Options::audit_console`]), if it writes one.
    pub fn audit_log_path(&self) -> Option<&Path> {
        self.audit_log.as_deref()
    }

    /// `https://127.0.0.1:PORT`
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The environment's temporary directory (logs, certificates, data).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Last lines of the kube-apiserver log.
    pub fn apiserver_log_tail(&self, lines: usize) -> String {
        self.apiserver.log_tail(lines)
    }

    /// Last lines of the kube-controller-manager log (empty if not started).
    pub fn controller_manager_log_tail(&self, lines: usize) -> String {
        self.controller_manager
            .as_ref()
            .map(|p| p.log_tail(lines))
            .unwrap_or_default()
    }
}
impl Drop for KubeEnv {
    fn drop(&mut self) {
        if let Some(kcm) = self.controller_manager.as_mut() {
            kcm.kill();
        }
        self.apiserver.kill();
        self.etcd.kill();
        if std::thread::panicking() {
            eprintln!(
                "kube_env: test panicked; kube-apiserver log tail ({}):\n{}",
                self.dir.display(),
                self.apiserver.log_tail(30)
            );
        }
        if !keep_dirs() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Removes a temp dir on drop unless disarmed.
struct DirGuard(Option<PathBuf>);
fn scopeguard(dir: PathBuf) -> DirGuard {
    DirGuard(Some(dir))
}
impl DirGuard {
    fn disarm(mut self) {
        self.0 = None;
    }
}
impl Drop for DirGuard {
    fn drop(&mut self) {
        if let Some(d) = self.0.take()
            && !keep_dirs()
        {
            let _ = fs::remove_dir_all(d);
        }
    }
}

async fn ready(client: &Client) -> Result<(), String> {
    let req = http::Request::get("/readyz")
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
    let body = client.request_text(req).await.map_err(|e| e.to_string())?;
    if body.trim() != "ok" {
        return Err(format!("/readyz said: {body}"));
    }
    // The bootstrap controller creates the `default` namespace shortly after.
    let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    match ns.get_opt("default").await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("namespace default not created yet".into()),
        Err(e) => Err(e.to_string()),
    }
}
fn start_timeout() -> Duration {
    Duration::from_secs(
        std::env::var("MESHCTL_E2E_START_TIMEOUT_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(120),
    )
}
