//! A real Kubernetes control plane (etcd + kube-apiserver, optionally
//! kube-controller-manager) on loopback for end-to-end tests.
//!
//! Include it from an integration test with
//!
//! ```ignore
//! #[path = "support/kube_env.rs"]
//! mod kube_env;
//! ```
//!
//! The binaries come from `$KUBEBUILDER_ASSETS` or from the cache that
//! `tests/e2e/kube-assets.sh` fills (`${XDG_CACHE_HOME:-$HOME/.cache}/meshctl-tui/kube-1.20.2/bin`).
//! If neither has them, starting an environment PANICS: these tests are never
//! skipped silently.
//!
//! Every [`KubeEnv`] owns its own etcd and kube-apiserver on free
//! 127.0.0.1 ports in its own temporary directory, so several tests (and
//! several test binaries) may run in parallel. The processes are killed when
//! the [`KubeEnv`] is dropped (also while unwinding from a panic) and, through
//! `PR_SET_PDEATHSIG`, when the test process dies in any other way.
//!
//! Environment knobs:
//! * `KUBEBUILDER_ASSETS`: directory with `kube-apiserver`,
//!   `kube-controller-manager` and (optionally, else from `PATH`) `etcd`.
//! * `MESHCTL_E2E_KEEP_DIR=1`: keep the temporary directories (logs, data).
//! * `MESHCTL_E2E_START_TIMEOUT_SECS`: readiness timeout (default 120).

#![allow(dead_code)]

use std::{
    collections::HashSet,
    fs,
    io::{self, Read, Seek, SeekFrom},
    net::{TcpListener, TcpStream},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
        mpsc,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{
    Client, Config,
    api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
    discovery::Scope,
};
use serde_json::Value;

/// Kubernetes version of the binaries built by `tests/e2e/kube-assets.sh`.
pub const KUBE_VERSION: &str = "1.20.2";
/// Context name used in both generated kubeconfigs.
pub const CONTEXT: &str = "e2e";
/// Admin user (group `system:masters`).
pub const ADMIN_USER: &str = "e2e-admin";
pub const ADMIN_TOKEN: &str = "e2e-admin-token-0123456789abcdef";
/// Low-privilege user: authenticated, but no RBAC grants beyond the
/// defaults for `system:authenticated` (discovery, self reviews), so any list
/// or get of resources is Forbidden unless a test grants more.
pub const LIMITED_USER: &str = "e2e-limited";
pub const LIMITED_TOKEN: &str = "e2e-limited-token-fedcba9876543210";
/// Service CIDR given to the apiserver (only used for ClusterIP allocation;
/// nothing is ever sent there).
pub const SERVICE_CLUSTER_IP_RANGE: &str = "10.0.0.0/24";

const ASSETS_HINT: &str = "real kube-apiserver binaries not found: run tests/e2e/kube-assets.sh or set KUBEBUILDER_ASSETS";

// ---------------------------------------------------------------------------
// Binaries
// ---------------------------------------------------------------------------

/// Paths of the three control-plane binaries.
#[derive(Debug, Clone)]
pub struct KubeAssets {
    pub etcd: PathBuf,
    pub kube_apiserver: PathBuf,
    pub kube_controller_manager: PathBuf,
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| is_executable(p))
    })
}

/// The cache directory `tests/e2e/kube-assets.sh` builds into.
pub fn assets_cache_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is not set")).join(".cache")
        });
    cache
        .join("meshctl-tui")
        .join(format!("kube-{KUBE_VERSION}"))
        .join("bin")
}

fn assets_in(dir: &Path) -> Option<KubeAssets> {
    let apiserver = dir.join("kube-apiserver");
    let kcm = dir.join("kube-controller-manager");
    if !is_executable(&apiserver) || !is_executable(&kcm) {
        return None;
    }
    let etcd = Some(dir.join("etcd"))
        .filter(|p| is_executable(p))
        .or_else(|| which("etcd"))?;
    Some(KubeAssets {
        etcd,
        kube_apiserver: apiserver,
        kube_controller_manager: kcm,
    })
}

/// Finds the binaries: `$KUBEBUILDER_ASSETS` first, then the cache.
///
/// Panics with a clear message when they are missing.
pub fn find_assets() -> KubeAssets {
    let mut looked = Vec::new();
    if let Some(dir) = std::env::var_os("KUBEBUILDER_ASSETS").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        if let Some(a) = assets_in(&dir) {
            return a;
        }
        looked.push(format!("KUBEBUILDER_ASSETS={}", dir.display()));
    }
    let cache = assets_cache_dir();
    if let Some(a) = assets_in(&cache) {
        return a;
    }
    looked.push(cache.display().to_string());
    panic!(
        "\n\n=====================================================================\n\
         {ASSETS_HINT}\n\
         (looked for etcd, kube-apiserver, kube-controller-manager in: {})\n\
         =====================================================================\n",
        looked.join(", ")
    );
}

/// The upstream CRD bundles the tests install (Gateway API standard and experimental,
/// Istio, cert-manager), kept in the repository unmodified (`tests/fixtures/crds`, sources
/// in its README.md) so that a clone on its own runs every test.
pub fn crds_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/crds"))
}

/// All `*.yaml` files in [`crds_dir`], sorted by name.
pub fn crd_files() -> Vec<PathBuf> {
    let dir = crds_dir();
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read CRD directory {}: {e}", dir.display()))
        .map(|e| e.expect("read_dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no CRD files in {}", dir.display());
    files
}

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

/// All children are spawned from one long-lived thread: `PR_SET_PDEATHSIG`
/// fires when the *thread* that forked the child exits, so spawning from a
/// (short-lived) test or tokio worker thread would kill the child too early.
/// This thread lives until the test process exits.
fn spawn_on_reaper_thread(cmd: Command) -> io::Result<Child> {
    type Job = (Command, mpsc::Sender<io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let tx = SPAWNER
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name("kube-env-spawner".into())
                .spawn(move || {
                    for (mut cmd, reply) in rx {
                        let _ = reply.send(cmd.spawn());
                    }
                })
                .expect("spawn kube-env-spawner thread");
            Mutex::new(tx)
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let (reply_tx, reply_rx) = mpsc::channel();
    tx.send((cmd, reply_tx))
        .map_err(|_| io::Error::other("spawner thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| io::Error::other("spawner thread is gone"))?
}

/// A child process that is killed (SIGKILL) and reaped on drop.
struct ManagedProcess {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl ManagedProcess {
    fn spawn(name: &'static str, program: &Path, args: &[String], log: PathBuf) -> ManagedProcess {
        let out = fs::File::create(&log)
            .unwrap_or_else(|e| panic!("create log file {}: {e}", log.display()));
        let err = out.try_clone().expect("clone log file handle");
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .env_remove("KUBECONFIG");
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let child = spawn_on_reaper_thread(cmd)
            .unwrap_or_else(|e| panic!("failed to start {name} ({}): {e}", program.display()));
        ManagedProcess { name, child, log }
    }

    /// `Some(description)` when the process has exited.
    fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!("{} exited: {status}", self.name)),
            Ok(None) => None,
            Err(e) => Some(format!("{}: wait failed: {e}", self.name)),
        }
    }

    fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }

    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Last `lines` lines of a log file (at most the last 64 KiB are read).
pub fn log_tail(path: &Path, lines: usize) -> String {
    let Ok(mut f) = fs::File::open(path) else {
        return format!("<no log at {}>", path.display());
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Ports handed out in this process, never handed out twice.
fn free_port() -> u16 {
    static USED: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    let used = USED.get_or_init(Default::default);
    loop {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .expect("bind 127.0.0.1:0")
            .port();
        if used.lock().unwrap_or_else(|e| e.into_inner()).insert(port) {
            return port;
        }
    }
}

/// Removes `meshctl-e2e-PID-*` dirs of test processes that no longer exist
/// (left behind when a test process was SIGKILLed; its children died with it
/// through PR_SET_PDEATHSIG).
fn remove_stale_temp_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("meshctl-e2e-")) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn unique_temp_dir() -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static CLEANED: std::sync::Once = std::sync::Once::new();
    if !keep_dirs() {
        CLEANED.call_once(remove_stale_temp_dirs);
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "meshctl-e2e-{}-{}-{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

fn run_openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("failed to run the openssl CLI (apt-get install openssl): {e}"));
    assert!(
        out.status.success(),
        "openssl {} failed: {}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// CA, serving certificate for 127.0.0.1/localhost and the service-account
/// signing key, all generated with the `openssl` CLI.
fn generate_pki(dir: &Path) {
    run_openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "3650",
            "-subj",
            "/CN=meshctl-e2e-ca",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    run_openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=kube-apiserver",
        ],
    );
    fs::write(
        dir.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1\n",
    )
    .expect("write server.ext");
    run_openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "3650",
            "-extfile",
            "server.ext",
        ],
    );
    run_openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "sa.key",
        ],
    );
    run_openssl(dir, &["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn kubeconfig_yaml(server: &str, ca_pem: &[u8], user: &str, token: &str) -> String {
    format!(
        "apiVersion: v1\n\
         kind: Config\n\
         clusters:\n\
         - name: {CONTEXT}\n  \
           cluster:\n    \
             server: {server}\n    \
             certificate-authority-data: {ca}\n\
         users:\n\
         - name: {user}\n  \
           user:\n    \
             token: {token}\n\
         contexts:\n\
         - name: {CONTEXT}\n  \
           context:\n    \
             cluster: {CONTEXT}\n    \
             user: {user}\n    \
             namespace: default\n\
         current-context: {CONTEXT}\n",
        ca = base64(ca_pem),
    )
}

/// kube's `rustls-tls` feature alone selects no rustls crypto provider; the
/// tests use ring (dev-dependency `rustls` with feature `ring`).
pub fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err only means another thread installed one first.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Builds a `kube::Client` from a kubeconfig file written by [`KubeEnv`].
pub async fn client_from_kubeconfig(path: &Path) -> Client {
    ensure_crypto_provider();
    let kubeconfig = Kubeconfig::read_from(path)
        .unwrap_or_else(|e| panic!("read kubeconfig {}: {e}", path.display()));
    let options = KubeConfigOptions {
        context: Some(CONTEXT.to_string()),
        ..Default::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .unwrap_or_else(|e| panic!("load kubeconfig {}: {e}", path.display()));
    Client::try_from(config).unwrap_or_else(|e| panic!("build kube client: {e}"))
}

fn start_timeout() -> Duration {
    Duration::from_secs(
        std::env::var("MESHCTL_E2E_START_TIMEOUT_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(120),
    )
}

/// Polls `f` until it returns `Some` or `timeout` passes (then panics with
/// `what`).
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// ---------------------------------------------------------------------------
// The environment
// ---------------------------------------------------------------------------

/// A running etcd + kube-apiserver (+ optional kube-controller-manager).
pub struct KubeEnv {
    // Field order = drop order: controller manager, apiserver, etcd.
    controller_manager: Option<ManagedProcess>,
    apiserver: ManagedProcess,
    etcd: ManagedProcess,
    assets: KubeAssets,
    dir: PathBuf,
    server_url: String,
    kubeconfig: PathBuf,
    limited_kubeconfig: PathBuf,
    client: Client,
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
        let assets = find_assets();
        let mut failures = Vec::new();
        for _attempt in 0..3 {
            match Self::try_start(&assets).await {
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

    async fn try_start(assets: &KubeAssets) -> Result<KubeEnv, StartFailure> {
        let dir = unique_temp_dir();
        let cleanup_dir = scopeguard(dir.clone());
        generate_pki(&dir);
        fs::write(
            dir.join("tokens.csv"),
            format!(
                "{ADMIN_TOKEN},{ADMIN_USER},{ADMIN_USER}-uid,\"system:masters\"\n\
                 {LIMITED_TOKEN},{LIMITED_USER},{LIMITED_USER}-uid\n"
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

        let apiserver_args: Vec<String> = vec![
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

    /// Creates every CustomResourceDefinition found in the given multi-document
    /// YAML files (other kinds are ignored), after removing what a 1.20
    /// apiserver rejects (see [`sanitize_crd_for_1_20`]), and waits until all
    /// of them are Established. A CRD that already exists is replaced (last
    /// file wins, e.g. gateway-api standard vs experimental).
    ///
    /// Returns the names of the CRDs. Panics on any error.
    pub async fn install_crds<P: AsRef<Path>>(&self, paths: &[P]) -> Vec<String> {
        let ar = ApiResource::erase::<CustomResourceDefinition>(&());
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &ar);
        let mut names = Vec::new();
        for path in paths {
            let path = path.as_ref();
            let text =
                fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            for mut doc in parse_yaml_documents(&text, &path.display().to_string()) {
                if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                    // e.g. the ValidatingAdmissionPolicy(Binding) in the gateway-api
                    // bundles: not a CRD, and its API does not exist in 1.20.
                    continue;
                }
                sanitize_crd_for_1_20(&mut doc);
                let name = doc
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("CRD without metadata.name in {}", path.display()))
                    .to_string();
                let mut obj: DynamicObject = serde_json::from_value(doc)
                    .unwrap_or_else(|e| panic!("CRD {name} from {}: {e}", path.display()));
                match api.create(&PostParams::default(), &obj).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 409 => {
                        // Exists already (e.g. gateway-api standard after
                        // experimental): replace it. The CRD controllers keep
                        // updating its status, so retry on version conflicts.
                        let mut attempt = 0;
                        loop {
                            attempt += 1;
                            let existing = api
                                .get(&name)
                                .await
                                .unwrap_or_else(|e| panic!("get existing CRD {name}: {e}"));
                            obj.metadata.resource_version = existing.metadata.resource_version;
                            match api.replace(&name, &PostParams::default(), &obj).await {
                                Ok(_) => break,
                                Err(kube::Error::Api(s)) if s.code == 409 && attempt < 20 => {
                                    tokio::time::sleep(Duration::from_millis(100)).await;
                                }
                                Err(e) => {
                                    panic!("replace CRD {name} from {} failed: {e}", path.display())
                                }
                            }
                        }
                    }
                    Err(e) => panic!(
                        "create CRD {name} from {} failed: {e}\n\
                         (if this is a new kind of rejection by the 1.20 apiserver, \
                         extend sanitize_crd_for_1_20 in tests/support/kube_env.rs)",
                        path.display()
                    ),
                }
                names.push(name);
            }
        }
        self.wait_crds_established(&names).await;
        names
    }

    /// [`install_crds`](Self::install_crds) for every file in [`crds_dir`].
    pub async fn install_upstream_crds(&self) -> Vec<String> {
        self.install_crds(&crd_files()).await
    }

    /// Waits until each named CRD has condition Established=True.
    pub async fn wait_crds_established(&self, names: &[String]) {
        let api: Api<CustomResourceDefinition> = Api::all(self.client.clone());
        let deadline = Instant::now() + Duration::from_secs(90);
        for name in names {
            loop {
                let crd = api
                    .get(name)
                    .await
                    .unwrap_or_else(|e| panic!("get CRD {name}: {e}"));
                let established = crd
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| {
                        cs.iter()
                            .any(|c| c.type_ == "Established" && c.status == "True")
                    });
                if established {
                    break;
                }
                if Instant::now() > deadline {
                    panic!(
                        "CRD {name} not Established after 90s; status: {:?}",
                        crd.status
                    );
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Creates every object of a multi-document YAML string (any kind,
    /// namespaced ones default to namespace `default`), in order. Panics on
    /// the first error.
    pub async fn apply_yaml(&self, yaml: &str) -> Vec<DynamicObject> {
        match self.try_apply_yaml(yaml).await {
            Ok(v) => v,
            Err(e) => panic!("apply_yaml failed: {e}"),
        }
    }

    /// Like [`apply_yaml`](Self::apply_yaml) but returns the first error
    /// (with the object it concerned) instead of panicking.
    pub async fn try_apply_yaml(&self, yaml: &str) -> Result<Vec<DynamicObject>, String> {
        let mut created = Vec::new();
        for doc in parse_yaml_documents(yaml, "apply_yaml input") {
            let obj: DynamicObject = serde_json::from_value(doc).map_err(|e| e.to_string())?;
            let types = obj
                .types
                .clone()
                .ok_or_else(|| format!("object without apiVersion/kind: {:?}", obj.metadata))?;
            let (group, version) = match types.api_version.split_once('/') {
                Some((g, v)) => (g.to_string(), v.to_string()),
                None => (String::new(), types.api_version.clone()),
            };
            let gvk = GroupVersionKind::gvk(&group, &version, &types.kind);
            let (ar, caps) = self.resolve_kind(&gvk).await?;
            let name = obj.metadata.name.clone().unwrap_or_default();
            let api: Api<DynamicObject> = match caps.scope {
                Scope::Namespaced => {
                    let ns = obj.metadata.namespace.as_deref().unwrap_or("default");
                    Api::namespaced_with(self.client.clone(), ns, &ar)
                }
                Scope::Cluster => Api::all_with(self.client.clone(), &ar),
            };
            let out = api
                .create(&PostParams::default(), &obj)
                .await
                .map_err(|e| format!("create {} {name:?}: {e}", types.kind))?;
            created.push(out);
        }
        Ok(created)
    }

    /// Discovery lookup, retried for a while: right after a CRD is
    /// Established its API can take a moment to show up in discovery.
    async fn resolve_kind(
        &self,
        gvk: &GroupVersionKind,
    ) -> Result<(ApiResource, kube::discovery::ApiCapabilities), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match kube::discovery::pinned_kind(&self.client, gvk).await {
                Ok(found) => return Ok(found),
                Err(e) if Instant::now() > deadline => {
                    return Err(format!(
                        "no API for {}/{} {} on the server: {e}",
                        gvk.group, gvk.version, gvk.kind
                    ));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
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

fn keep_dirs() -> bool {
    std::env::var("MESHCTL_E2E_KEEP_DIR").is_ok_and(|v| v == "1")
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

// ---------------------------------------------------------------------------
// YAML and CRD sanitizing
// ---------------------------------------------------------------------------

/// Parses a multi-document YAML stream into JSON values (empty documents are
/// skipped). Panics with `origin` in the message on a parse error.
pub fn parse_yaml_documents(text: &str, origin: &str) -> Vec<Value> {
    // The CRD bundles are big and deeply nested: lift the parser's budget.
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: usize::MAX,
            max_depth: 10_000,
            max_nodes: usize::MAX,
            max_documents: 100_000,
        },
    };
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)
        .unwrap_or_else(|e| panic!("cannot parse YAML from {origin}: {e}"));
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

/// Removes from a CRD (as JSON) what a Kubernetes 1.20 apiserver rejects or
/// does not understand:
///
/// * `x-kubernetes-validations` (CEL validation rules, 1.25+) anywhere in the
///   schemas;
/// * `selectableFields` on versions (1.30+);
/// * `default: ""`: 1.20 decodes an empty-string default as `null` and then
///   rejects it ("must be of type string: \"null\""); where such a property is
///   a list-map key, it is made `required` instead (1.20 wants a default or
///   `required` for those).
pub fn sanitize_crd_for_1_20(crd: &mut Value) {
    let Some(versions) = crd
        .pointer_mut("/spec/versions")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for version in versions {
        let Some(version) = version.as_object_mut() else {
            continue;
        };
        version.remove("selectableFields");
        if let Some(schema) = version
            .get_mut("schema")
            .and_then(|s| s.get_mut("openAPIV3Schema"))
        {
            sanitize_schema(schema);
        }
    }
}

/// Recursively cleans one JSONSchemaProps node (schema keywords only: the keys
/// of `properties` are field names and are left alone).
fn sanitize_schema(schema: &mut Value) {
    sanitize_schema_node(schema);
}

/// Returns whether an empty-string default was removed from this node.
///
/// 1.20 requires the properties named in a list's `x-kubernetes-list-map-keys`
/// to be `required` or to have a (non-null) default; when such a key loses its
/// `default: ""`, it is made `required` instead (e.g. cert-manager's
/// `imagePullSecrets[].name`).
fn sanitize_schema_node(schema: &mut Value) -> bool {
    let Some(obj) = schema.as_object_mut() else {
        return false;
    };
    obj.remove("x-kubernetes-validations");
    let mut dropped_empty_default = false;
    if obj.get("default").is_some_and(|d| d.as_str() == Some("")) {
        obj.remove("default");
        dropped_empty_default = true;
    }
    let list_map_keys: Vec<String> = obj
        .get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for key in [
        "properties",
        "patternProperties",
        "definitions",
        "dependencies",
    ] {
        if let Some(map) = obj.get_mut(key).and_then(Value::as_object_mut) {
            for sub in map.values_mut() {
                sanitize_schema_node(sub);
            }
        }
    }
    match obj.get_mut("items") {
        Some(Value::Array(list)) => list.iter_mut().for_each(sanitize_schema),
        Some(items @ Value::Object(_)) => {
            // Sanitize the item's properties here, to know the list-map keys.
            let props = items
                .as_object_mut()
                .and_then(|item| item.remove("properties"));
            sanitize_schema_node(items);
            if let (Some(mut props), Some(item)) = (props, items.as_object_mut()) {
                let mut now_required = Vec::new();
                if let Some(props) = props.as_object_mut() {
                    for (name, sub) in props.iter_mut() {
                        if sanitize_schema_node(sub) && list_map_keys.contains(name) {
                            now_required.push(name.clone());
                        }
                    }
                }
                item.insert("properties".into(), props);
                if !now_required.is_empty() {
                    let required = item
                        .entry("required")
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Some(required) = required.as_array_mut() {
                        for name in now_required {
                            if !required.iter().any(|r| r.as_str() == Some(&name)) {
                                required.push(Value::String(name));
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
    for key in ["additionalProperties", "additionalItems", "not"] {
        match obj.get_mut(key) {
            Some(Value::Array(list)) => list.iter_mut().for_each(sanitize_schema),
            Some(sub @ Value::Object(_)) => sanitize_schema(sub),
            _ => {}
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            list.iter_mut().for_each(sanitize_schema);
        }
    }
    dropped_empty_default
}
