//! Per-event cost of the console's derivations at scale, in-process (no terminal, no API
//! server round trips): the demo cluster with a synthetic cluster of `--pods` pods on top
//! (`demo::synthetic`), listed once with the watchers' own projections, then pod label
//! changes applied one by one through the reducer (`app::update`, as the loop does) and
//! the visible view derived again (`AppState::refresh_keeping`, findings included) and
//! drawn at 200x50, per view.
//!
//! ```text
//! cargo bench --bench derive                          # 10k pods, every view
//! cargo bench --bench derive -- --pods 1000 --events 500 --view mesh
//! ```
//!
//! Instructions per event (repeatable, unlike time on a shared machine): run the built
//! binary under callgrind, collecting only inside `refresh_keeping`:
//!
//! ```text
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*refresh_keeping*' \
//!     target/release/deps/derive-<hash> --events 20 --view mesh --no-draw
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | head -40
//! ```
//! (the total divided by `--events` + 1, the warm-up derivation included).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use meshctl_tui::app::msg::Msg;
use meshctl_tui::app::update::update;
use meshctl_tui::cluster::cache::Obj;
use meshctl_tui::cluster::kinds::{Kind, WatchState};
use meshctl_tui::cluster::watch::{WatchEvent, WatchMsg};
use meshctl_tui::config::Keymap;
use meshctl_tui::demo::DemoCluster;
use meshctl_tui::state::action::ViewId;
use meshctl_tui::state::view_state::ViewState;
use meshctl_tui::state::{AppState, ConnInfo};
use meshctl_tui::ui::theme::Theme;
use meshctl_tui::ui::{Ctx, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

struct Args {
    pods: usize,
    events: usize,
    views: Vec<ViewId>,
    draw: bool,
}

const VIEWS: [(ViewId, &str); 5] = [
    (ViewId::Gateways, "gateways"),
    (ViewId::Routes, "routes"),
    (ViewId::Mesh, "mesh"),
    (ViewId::Certs, "certs"),
    (ViewId::Diagnostics, "diagnostics"),
];

fn args() -> Args {
    let mut a = Args {
        pods: 10_000,
        events: 200,
        views: VIEWS.iter().map(|(v, _)| *v).collect(),
        draw: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--pods" => a.pods = value().parse().expect("--pods N"),
            "--events" => a.events = value().parse().expect("--events N"),
            "--view" => {
                let name = value();
                let v = VIEWS
                    .iter()
                    .find(|(_, n)| *n == name)
                    .unwrap_or_else(|| panic!("--view: one of {VIEWS:?}"));
                a.views = vec![v.0];
            }
            "--no-draw" => a.draw = false,
            "--bench" => {} // what `cargo bench` passes
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn name(view: ViewId) -> &'static str {
    VIEWS
        .iter()
        .find(|(v, _)| *v == view)
        .map_or("?", |(_, n)| n)
}

/// The demo plus `pods` synthetic pods, listed once like the console's watchers do, in an
/// AppState where every kind that answered is live.
fn loaded(pods: usize) -> AppState {
    let start = Instant::now();
    // The runtime (and with it the demo server and its controllers) ends with this block.
    let (cache, states) = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let demo = DemoCluster::start_with_pods(pods).expect("demo cluster");
            let client = demo.client();
            meshctl_tui::cluster::snapshot::load(
                &client,
                None,
                &Kind::ALL,
                Duration::from_secs(3600),
            )
            .await
        })
    };
    eprintln!(
        "loaded {} pods, {} services, {} routes in {:.1?}",
        cache.pods.len(),
        cache.services.len(),
        cache.routes.len(),
        start.elapsed()
    );
    let conn = ConnInfo {
        context: "bench".into(),
        cluster: "bench".into(),
        ..Default::default()
    };
    let mut state = AppState::new(conn, None, true, jiff::Timestamp::now());
    for (k, s) in states {
        if s == WatchState::Live {
            state.ever_live.insert(k);
        }
        state.watch.insert(k, s);
    }
    state.cache = cache;
    let before = rss_mb();
    // SAFETY: returns free heap pages to the kernel, as the console does once all is listed.
    unsafe {
        libc::malloc_trim(0);
    }
    eprintln!(
        "RSS with the cache (the demo server dropped): {before:.1} MB, {:.1} MB after malloc_trim(0)",
        rss_mb()
    );
    state
}

/// Resident set size of this process, from /proc/self/statm.
fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

/// Pod `i`'s next label change (as `kubectl label --overwrite` would send it).
fn pod_event(state: &AppState, i: usize, stride: usize) -> Msg {
    let n = state.cache.pods.len();
    let mut pod = state
        .cache
        .pods
        .values()
        .nth((i * stride) % n)
        .expect("pods")
        .clone();
    pod.labels.insert("bench/change".into(), i.to_string());
    Msg::Watch(WatchMsg {
        generation: state.generation,
        kind: Kind::Pods,
        event: WatchEvent::Apply(Box::new(Obj::Pod(pod))),
    })
}

#[derive(Default)]
struct Totals {
    update: Duration,
    refresh: Duration,
    draw: Duration,
}

fn per(d: Duration, n: usize) -> String {
    let ns = d.as_nanos() / n.max(1) as u128;
    if ns >= 10_000_000 {
        format!("{:.1} ms", ns as f64 / 1e6)
    } else {
        format!("{:.1} µs", ns as f64 / 1e3)
    }
}

fn main() {
    let a = args();
    let mut state = loaded(a.pods);
    let keymap = Keymap::default();
    let theme = Theme::load("dark", None).expect("theme");
    let ctx = Ctx {
        theme: &theme,
        keymap: &keymap,
    };
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    // Events spread over the cluster (a prime stride: every namespace sees some).
    let stride = 7919;
    println!(
        "{} pods, {} events per view, times per event (update = reducer, refresh = refresh_keeping with findings, draw = one 200x50 frame)",
        state.cache.pods.len(),
        a.events
    );
    println!(
        "{:<12} {:>12} {:>12} {:>12} {:>8} {:>9}",
        "view", "update", "refresh", "draw", "rows", "findings"
    );
    for &view in &a.views {
        let mut ui = ViewState::default();
        state.view = view;
        state.stale = true;
        state.refresh_keeping(&mut ui);
        if view == ViewId::Gateways {
            let key = KeyEvent::new(KeyCode::Char('E'), KeyModifiers::NONE);
            update(&mut state, &mut ui, &keymap, Msg::Key(key));
        }
        if a.draw {
            terminal
                .draw(|f| draw(f, &state, &mut ui, &ctx))
                .expect("draw");
        }
        let mut t = Totals::default();
        for i in 0..a.events {
            let msg = pod_event(&state, i, stride);
            let t0 = Instant::now();
            update(&mut state, &mut ui, &keymap, msg);
            let t1 = Instant::now();
            state.refresh_keeping(&mut ui);
            let t2 = Instant::now();
            if a.draw {
                terminal
                    .draw(|f| draw(f, &state, &mut ui, &ctx))
                    .expect("draw");
            }
            let t3 = Instant::now();
            t.update += t1 - t0;
            t.refresh += t2 - t1;
            t.draw += t3 - t2;
        }
        let rows = if view == ViewId::Gateways {
            state.derived.gateway_tree.len()
        } else {
            state.derived.len(view)
        };
        println!(
            "{:<12} {:>12} {:>12} {:>12} {:>8} {:>9}",
            name(view),
            per(t.update, a.events),
            per(t.refresh, a.events),
            if a.draw {
                per(t.draw, a.events)
            } else {
                "-".into()
            },
            rows,
            state.diagnostics.findings.len()
        );
    }
}
