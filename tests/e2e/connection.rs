//! End-to-end tests of the REAL `meshctl-tui` binary's connection handling, against real
//! kube-apiservers 1.20 (+ etcd) on loopback, read through a vt100 emulator in a PTY:
//!
//! 1. the API server is down when the console starts, comes up later, goes away and comes
//!    back mid-session: the console opens anyway, says `disconnected` (header and banner)
//!    and turns `live` again by itself, showing the data, without any keypress;
//! 2. `:ctx` switches between two contexts of one kubeconfig that point at two different
//!    API servers; an unknown context is refused and changes nothing.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the tests FAIL with a message saying so, they are never skipped.
//!
//! The tests run one at a time (a process-wide lock): each starts its own control plane(s)
//! and measures reconnect times that a machine busy with three apiservers would distort.

use crate::support::{crds, kube_env, machine, pty};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kube_env::{ADMIN_TOKEN, KubeEnv};
use pty::{Console, ENTER, Screen};

/// First screen of a console (cold binary start).
const STARTUP: Duration = Duration::from_secs(60);
/// Any one UI step once the console is up.
const STEP: Duration = Duration::from_secs(15);
/// From "the API server is ready again" to `● live` with data on screen. kube-runtime's
/// watcher backoff is capped at 30 s (with jitter): one full backoff period plus slack for a
/// busy machine.
const RECONNECT_BUDGET: Duration = Duration::from_secs(60);

const HEADER_DISCONNECTED: &str = "● disconnected, retrying:";
const HEADER_STALE: &str = "● stale since ";
const HEADER_LIVE: &str = "● live";
/// The findings of EARLY (route to a missing Service, no controller status), in the header.
const FINDINGS: &str = "findings: 1 error 1 warning";
/// From the kill of the API server to `stale since` in the header: the watches break at once.
const STALE_BUDGET: Duration = Duration::from_secs(10);
/// From SIGTERM (the server drains its watches for up to 60 s) to `stale since`: the
/// silence before the probe (10 s) plus the probe's timeout (5 s) plus slack.
const DRAIN_BUDGET: Duration = Duration::from_secs(25);

fn step(name: &str, started: Instant) {
    eprintln!(
        "[e2e_connection] {:>7.2}s  {name}",
        started.elapsed().as_secs_f64()
    );
}

/// The first two rows: the header (context, cluster, user, namespace, health) and the tabs
/// with the flash message.
fn header(s: &Screen) -> String {
    s.lines
        .iter()
        .take(2)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

/// The table row whose first cell is exactly `first`.
fn row<'a>(s: &'a Screen, first: &str) -> Option<&'a str> {
    s.lines
        .iter()
        .map(String::as_str)
        .find(|l| l.trim_start_matches('│').split_whitespace().next() == Some(first))
}

/// Switches views with a number key and waits until the view's title is drawn.
fn show(console: &mut Console, key: &str, title: &str) {
    console.send(key);
    console.wait_for(&format!("┌ {title} ["), STEP);
}

/// Opens the command palette and types `cmd` (without Enter).
fn palette(console: &mut Console, cmd: &str) {
    console.send(":");
    console.wait_for("enter run", STEP);
    console.send(cmd);
    console.wait_for(&format!(":{cmd}"), STEP);
}

/// The console is up but cannot reach the API server: header and the one-line banner.
fn wait_disconnected(console: &mut Console, what: &str, timeout: Duration) -> Duration {
    console.wait_until(what, timeout, |s| {
        header(s).contains(HEADER_DISCONNECTED)
            && !header(s).contains(HEADER_LIVE)
            && s.text.contains("API server: ")
            && s.text.contains("(retrying)")
    })
}

/// The data was shown and can no longer be trusted: `● stale since HH:MM:SS` with the
/// findings still counted, marked stale.
fn wait_stale(console: &mut Console, what: &str, timeout: Duration) -> Duration {
    console.wait_until(what, timeout, |s| {
        let h = header(s);
        h.contains(HEADER_STALE)
            && h.contains(", retrying")
            && !h.contains(HEADER_LIVE)
            && h.contains(&format!("{FINDINGS} (stale)"))
    })
}

/// `HH:MM:SS` after `stale since` in the header.
fn stale_clock(s: &Screen) -> Option<String> {
    let h = header(s);
    let at = h.find(HEADER_STALE)? + HEADER_STALE.len();
    let t: String = h[at..].chars().take(8).collect();
    let ok = t.len() == 8
        && t.chars().enumerate().all(|(i, c)| {
            if i == 2 || i == 5 {
                c == ':'
            } else {
                c.is_ascii_digit()
            }
        });
    ok.then_some(t)
}

/// Quits with `q` and checks the exit status.
fn quit(console: &mut Console) {
    console.send("q");
    let status = console.wait_exit(STEP);
    assert!(
        status.success(),
        "`q` must exit with status 0, got {status:?}\n{}",
        console.framed_screen()
    );
}

// ---------------------------------------------------------------------------
// A TCP proxy in front of the API server: a network outage with the server still up
// ---------------------------------------------------------------------------

/// Forwards 127.0.0.1:`port` to an upstream address. [`cut`](Self::cut) closes the
/// listener and every open connection (the client sees its watches end and new
/// connections refused, while the API server keeps running); [`resume`](Self::resume)
/// listens on the same port again.
struct Proxy {
    port: u16,
    upstream: String,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    async fn start(upstream: &str) -> Proxy {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let mut proxy = Proxy {
            port,
            upstream: upstream.to_string(),
            task: None,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let upstream = self.upstream.clone();
        self.task = Some(tokio::spawn(async move {
            // Dropping the JoinSet (when this task is aborted) aborts every connection.
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((mut down, _)) = listener.accept().await else {
                    continue;
                };
                let upstream = upstream.clone();
                conns.spawn(async move {
                    if let Ok(mut up) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                    }
                });
                while conns.try_join_next().is_some() {}
            }
        }));
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Closes the listener and all connections; waits until the port refuses connections.
    async fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_ok()
        {
            assert!(Instant::now() < deadline, "proxy port still open after cut");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Listens on the same port again.
    async fn resume(&mut self) {
        assert!(self.task.is_none(), "proxy already running");
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if Instant::now() > deadline => {
                    panic!("proxy: bind 127.0.0.1:{} again: {e}", self.port)
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        self.serve(listener);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

// ---------------------------------------------------------------------------
// 1: API server down at start, up later, down and up again mid-session
// ---------------------------------------------------------------------------

const EARLY: &str = include_str!("../fixtures/connection_early.yaml");

/// Created after the mid-session outage: proves the watches really work again.
const LATE: &str = include_str!("../fixtures/connection_late.yaml");

/// A kubeconfig with one context `e2e` (cluster `e2e`, user `e2e-admin`, as the header of
/// the other e2e tests shows) that reaches `env` through `server` (e.g. a [`Proxy`]).
fn kubeconfig_via(env: &KubeEnv, server: &str) -> PathBuf {
    let path = env.dir().join("kubeconfig-via-proxy");
    write_kubeconfig(
        &path,
        &[KubeContext {
            name: "e2e",
            cluster: "e2e",
            user: "e2e-admin",
            server: server.to_string(),
            ca: env.dir().join("ca.crt"),
        }],
    );
    path
}

/// Waits for `● live` with no disconnected header or retrying banner, and `extra`; returns
/// how long it took.
fn wait_live(console: &mut Console, what: &str, extra: impl Fn(&Screen) -> bool) -> Duration {
    console.wait_until(what, RECONNECT_BUDGET, |s| {
        header(s).contains(HEADER_LIVE)
            && !header(s).contains("disconnected")
            && !s.text.contains("API server: ")
            && !s.text.contains("(retrying)")
            && extra(s)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_opens_while_apiserver_is_down_and_goes_live_when_it_comes_back() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let mut env = KubeEnv::start().await;
    env.install_crd_groups(&[crds::GATEWAY_API]).await;
    env.apply_yaml(EARLY).await;
    // The console reaches the server through a proxy, so that a network outage (server
    // still up) can be simulated too; the proxy is cut whenever the server is down, so the
    // console sees what it would without it: connection refused.
    let upstream = env
        .server_url()
        .strip_prefix("https://")
        .expect("https server url")
        .to_string();
    let mut proxy = Proxy::start(&upstream).await;
    let kubeconfig = kubeconfig_via(&env, &proxy.url());
    step("apiserver ready, gateway-api CRDs and gw-early created", t);

    // --- 1a. the server is down before the console starts ------------------------------
    env.stop_apiserver().await;
    proxy.cut().await;
    step("apiserver stopped (etcd keeps the data)", t);

    let mut console = Console::start(&kubeconfig, &[]);
    let took = wait_disconnected(
        &mut console,
        "the console to open with `● disconnected, retrying:` and the `API server: … (retrying)` banner",
        STARTUP,
    );
    console.wait_for_all(
        &["ctx:e2e", "cluster:e2e", "ns:all", "┌ Gateways [all]"],
        STEP,
    );
    assert!(
        !console.screen().contains("gw-early"),
        "no data can be shown while the server was never reached:\n{}",
        console.framed_screen()
    );
    eprintln!(
        "[e2e_connection] console open and disconnected after {took:?}:\n{}",
        header(&snapshot(&console))
    );
    step("1a. console opens disconnected, header + banner", t);

    // --- 1b. the server comes up: the console goes live without a keypress ---------------
    let restart = Instant::now();
    env.restart_apiserver().await;
    proxy.resume().await;
    let ready_after = restart.elapsed();
    let live_after = wait_live(
        &mut console,
        "`● live` and Gateway conn-infra/gw-early after the apiserver came up (no keypress)",
        |s| s.line_with(&["Gateway conn-infra/gw-early"]).is_some(),
    );
    eprintln!(
        "[e2e_connection] first connect: apiserver restart took {ready_after:?}; \
         `● live` with data {live_after:?} after it was ready (budget {RECONNECT_BUDGET:?})"
    );
    step("1b. server up: live, gw-early shown, banner gone", t);

    console.wait_until(
        "the findings of route-early counted in the header (not stale)",
        STEP,
        |s| header(s).contains(FINDINGS) && !header(s).contains("(stale)"),
    );

    // --- 1c. the apiserver dies mid-session and comes back ------------------------------
    let killed = Instant::now();
    let before = jiff::Timestamp::now();
    proxy.cut().await;
    env.stop_apiserver().await;
    let noticed = wait_stale(
        &mut console,
        "`● stale since HH:MM:SS, retrying` and the findings marked stale after the apiserver died",
        STALE_BUDGET,
    );
    eprintln!(
        "[e2e_connection] apiserver crash: stale after {:?} ({noticed:?} after the port closed)",
        killed.elapsed()
    );
    {
        let s = snapshot(&console);
        let clock = stale_clock(&s).unwrap_or_else(|| {
            panic!(
                "no HH:MM:SS after `stale since`:\n{}",
                console.framed_screen()
            )
        });
        // The local time of the moment the data stopped being trusted: within the kill.
        let zone = jiff::tz::TimeZone::system();
        let hms = |t: jiff::Timestamp| t.to_zoned(zone.clone()).strftime("%H:%M:%S").to_string();
        let (lo, hi) = (hms(before), hms(jiff::Timestamp::now()));
        assert!(
            lo <= clock && clock <= hi || lo > hi,
            "stale since {clock}, expected between {lo} and {hi}:\n{}",
            console.framed_screen()
        );
        // The data is still shown (the last known state), the banner says why.
        assert!(
            s.line_with(&["Gateway conn-infra/gw-early"]).is_some()
                && s.text.contains("(retrying)"),
            "the last known data stays on screen, with the reason:\n{}",
            console.framed_screen()
        );
    }
    // The findings are still listed, each marked stale, in the Diagnostics view.
    show(&mut console, "6", "Diagnostics");
    console.wait_until(
        "ROUTE002 and ROUTE008 of route-early listed and marked (stale)",
        STEP,
        |s| {
            s.line_with(&["ROUTE002", "(stale)"]).is_some()
                && s.line_with(&["ROUTE008", "(stale)"]).is_some()
                && header(s).contains(HEADER_STALE)
        },
    );
    step(
        "1c. apiserver killed mid-session: stale since, findings kept and marked",
        t,
    );

    let restart = Instant::now();
    env.restart_apiserver().await;
    proxy.resume().await;
    let ready_after = restart.elapsed();
    let live_after = wait_live(
        &mut console,
        "`● live` again after the apiserver restart, findings no longer stale (no keypress)",
        |s| {
            s.line_with(&["ROUTE002"]).is_some()
                && !s.text.contains("(stale)")
                && header(s).contains(FINDINGS)
        },
    );
    show(&mut console, "1", "Gateways");
    console.wait_for_line(&["Gateway conn-infra/gw-early"], STEP);
    eprintln!(
        "[e2e_connection] after apiserver restart: restart took {ready_after:?}; \
         `● live` {live_after:?} after it was ready (budget {RECONNECT_BUDGET:?})"
    );
    // A change made after the restart reaches the screen: the watches really are back.
    let created = Instant::now();
    env.apply_yaml(LATE).await;
    console.wait_until(
        "Gateway conn-late/gw-late (created after the restart) next to gw-early",
        STEP,
        |s| {
            s.line_with(&["Gateway conn-late/gw-late"]).is_some()
                && s.line_with(&["Gateway conn-infra/gw-early"]).is_some()
        },
    );
    eprintln!(
        "[e2e_connection] object created after the restart on screen after {:?}",
        created.elapsed()
    );
    step("1c. apiserver back: live again, gw-late shown", t);

    // --- 1d. a network outage: the apiserver stays up, the connection drops -------------
    // The watches can then resume from their resourceVersion without a new list.
    proxy.cut().await;
    let noticed = wait_stale(
        &mut console,
        "`● stale since` after the network to the apiserver dropped",
        STALE_BUDGET,
    );
    eprintln!("[e2e_connection] network outage noticed after {noticed:?}");
    // Long enough for every watcher to fail at least once more while cut.
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.resume().await;
    let live_after = wait_live(
        &mut console,
        "`● live` again after the network came back (no keypress)",
        |s| s.line_with(&["Gateway conn-late/gw-late"]).is_some(),
    );
    eprintln!(
        "[e2e_connection] network back: `● live` after {live_after:?} (budget {RECONNECT_BUDGET:?})"
    );
    let created = Instant::now();
    env.apply_yaml(&namespace_yaml("conn-after-blip")).await;
    show(&mut console, "4", "Mesh");
    console.wait_until(
        "namespaces conn-infra, conn-late and conn-after-blip in the Mesh view",
        STEP,
        |s| {
            row(s, "conn-infra").is_some()
                && row(s, "conn-late").is_some()
                && row(s, "conn-after-blip").is_some()
        },
    );
    eprintln!(
        "[e2e_connection] namespace created after the network outage on screen after {:?}",
        created.elapsed()
    );
    assert!(
        header(&snapshot(&console)).contains(HEADER_LIVE),
        "still live:\n{}",
        console.framed_screen()
    );
    step("1d. network back: live again, new namespace shown", t);

    // --- 1e. a graceful shutdown: the server drains its open watches -------------------
    // After SIGTERM kube-apiserver refuses new connections but keeps the open watches
    // (silent) until they drain, up to a minute: nothing breaks. The console probes once
    // when the watches fall silent after an event, and says stale long before the drain ends.
    env.apply_yaml(&namespace_yaml("conn-before-term")).await;
    console.wait_until("namespace conn-before-term in the Mesh view", STEP, |s| {
        row(s, "conn-before-term").is_some()
    });
    let term = Instant::now();
    env.terminate_apiserver();
    let noticed = wait_stale(
        &mut console,
        "`● stale since` while the terminating apiserver drains its watches",
        DRAIN_BUDGET,
    );
    eprintln!(
        "[e2e_connection] graceful shutdown (SIGTERM): stale after {noticed:?}; the apiserver \
         was still running: {}",
        env.apiserver_running()
    );
    assert!(term.elapsed() <= DRAIN_BUDGET);
    env.wait_apiserver_exit(Duration::from_secs(120)).await;
    eprintln!(
        "[e2e_connection] the terminating apiserver exited after {:?}",
        term.elapsed()
    );
    env.restart_apiserver().await;
    let live_after = wait_live(
        &mut console,
        "`● live` again after the graceful restart (no keypress)",
        |s| row(s, "conn-before-term").is_some(),
    );
    eprintln!("[e2e_connection] after the graceful restart: `● live` after {live_after:?}");
    step(
        "1e. SIGTERM: stale before the drain ends, live after the restart",
        t,
    );

    quit(&mut console);
}

/// The current screen as a [`Screen`] (for the helpers above).
fn snapshot(console: &Console) -> Screen {
    let text = console.screen();
    Screen {
        lines: text.lines().map(String::from).collect(),
        text,
    }
}

// ---------------------------------------------------------------------------
// 2: `:ctx` between two API servers
// ---------------------------------------------------------------------------

/// One context of a generated kubeconfig (cluster and user get their own entries).
struct KubeContext {
    name: &'static str,
    cluster: &'static str,
    user: &'static str,
    server: String,
    ca: PathBuf,
}

/// Writes a kubeconfig with these contexts (the first one is current), every user
/// authenticating with [`ADMIN_TOKEN`] (which both test servers accept).
fn write_kubeconfig(path: &Path, contexts: &[KubeContext]) {
    let mut clusters = String::new();
    let mut users = String::new();
    let mut ctxs = String::new();
    for c in contexts {
        clusters.push_str(&format!(
            "- name: {}\n  cluster:\n    server: {}\n    certificate-authority: {}\n",
            c.cluster,
            c.server,
            c.ca.display()
        ));
        users.push_str(&format!(
            "- name: {}\n  user:\n    token: {ADMIN_TOKEN}\n",
            c.user
        ));
        ctxs.push_str(&format!(
            "- name: {}\n  context:\n    cluster: {}\n    user: {}\n    namespace: default\n",
            c.name, c.cluster, c.user
        ));
    }
    let yaml = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}users:\n{users}contexts:\n{ctxs}\
         current-context: {}\n",
        contexts[0].name
    );
    std::fs::write(path, yaml).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// One kubeconfig, two contexts: `e2e` -> cluster `alpha` (server A), `other` -> cluster
/// `beta` (server B), with one admin user per cluster.
fn two_context_kubeconfig(a: &KubeEnv, b: &KubeEnv) -> PathBuf {
    let path = a.dir().join("kubeconfig-two-contexts");
    write_kubeconfig(
        &path,
        &[
            KubeContext {
                name: "e2e",
                cluster: "alpha",
                user: "admin-a",
                server: a.server_url().to_string(),
                ca: a.dir().join("ca.crt"),
            },
            KubeContext {
                name: "other",
                cluster: "beta",
                user: "admin-b",
                server: b.server_url().to_string(),
                ca: b.dir().join("ca.crt"),
            },
        ],
    );
    path
}

fn namespace_yaml(name: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n")
}

/// The header shows this context and cluster, live, and the Mesh view lists `present` but
/// not `absent`.
fn on_cluster(s: &Screen, ctx: &str, cluster: &str, present: &str, absent: &str) -> bool {
    let h = header(s);
    h.contains(&format!("ctx:{ctx} "))
        && h.contains(&format!("cluster:{cluster} "))
        && h.contains(HEADER_LIVE)
        && row(s, present).is_some()
        && row(s, absent).is_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctx_command_switches_between_two_apiservers() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let (a, b) = tokio::join!(KubeEnv::start(), KubeEnv::start());
    assert_ne!(a.server_url(), b.server_url());
    a.apply_yaml(&namespace_yaml("alpha-only")).await;
    b.apply_yaml(&namespace_yaml("beta-only")).await;
    let kubeconfig = two_context_kubeconfig(&a, &b);
    step("two apiservers ready: alpha-only on A, beta-only on B", t);

    let mut console = Console::start(&kubeconfig, &[]);
    console.wait_for_all(
        &["ctx:e2e", "cluster:alpha", "user:admin-a", "ns:all"],
        STARTUP,
    );
    console.wait_for(HEADER_LIVE, STARTUP);
    show(&mut console, "4", "Mesh");
    console.wait_until("context e2e, server A's namespace alpha-only", STEP, |s| {
        on_cluster(s, "e2e", "alpha", "alpha-only", "beta-only")
    });
    step("2. started on ctx:e2e (server A)", t);

    // --- an unknown context: error, nothing changes ------------------------------------
    palette(&mut console, "ctx nope");
    console.send(ENTER);
    console.wait_for("context \"nope\" not in kubeconfig", STEP);
    {
        let s = snapshot(&console);
        assert!(
            on_cluster(&s, "e2e", "alpha", "alpha-only", "beta-only"),
            ":ctx nope must change nothing:\n{}",
            console.framed_screen()
        );
    }
    // Still watching server A: a new namespace there shows up.
    a.apply_yaml(&namespace_yaml("alpha-second")).await;
    console.wait_until("alpha-second (created on A after :ctx nope)", STEP, |s| {
        on_cluster(s, "e2e", "alpha", "alpha-second", "beta-only")
    });
    step("2. :ctx nope: `not in kubeconfig`, still on A", t);

    // --- :ctx ot<Tab> completes to `ctx other`; Enter switches to server B ---------------
    palette(&mut console, "ctx ot");
    console.send("\t");
    console.wait_for(":ctx other", STEP);
    let switch = Instant::now();
    console.send(ENTER);
    console.wait_until(
        "ctx:other, cluster:beta, live, `switched to context other`, beta-only shown, alpha-only gone",
        STARTUP,
        |s| {
            on_cluster(s, "other", "beta", "beta-only", "alpha-only")
                && row(s, "alpha-second").is_none()
                && header(s).contains("switched to context other")
        },
    );
    eprintln!(
        "[e2e_connection] :ctx other: on server B after {:?}",
        switch.elapsed()
    );
    {
        let s = snapshot(&console);
        let h = header(&s);
        assert!(
            h.contains("user:admin-b") && !h.contains("ctx:e2e") && !h.contains("cluster:alpha"),
            "header must name only the new context:\n{}",
            console.framed_screen()
        );
    }
    // The watches follow server B: a namespace created on A does not show, one on B does.
    a.apply_yaml(&namespace_yaml("alpha-third")).await;
    b.apply_yaml(&namespace_yaml("beta-second")).await;
    console.wait_until("beta-second (created on B after the switch)", STEP, |s| {
        on_cluster(s, "other", "beta", "beta-second", "alpha-only")
    });
    assert!(
        row(&snapshot(&console), "alpha-third").is_none(),
        "a namespace of server A appeared after switching to B:\n{}",
        console.framed_screen()
    );
    step("2. :ctx ot<Tab> -> other: server B's data only", t);

    // --- and back -------------------------------------------------------------------------
    palette(&mut console, "ctx e2e");
    console.send(ENTER);
    console.wait_until(
        "back on e2e: alpha namespaces, no beta ones",
        STARTUP,
        |s| {
            on_cluster(s, "e2e", "alpha", "alpha-third", "beta-only")
                && row(s, "alpha-only").is_some()
                && row(s, "beta-second").is_none()
        },
    );
    step("2. :ctx e2e: back on server A", t);

    quit(&mut console);
}
