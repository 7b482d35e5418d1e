//! Property: deriving incrementally (`state::memo`, results kept per part and namespace
//! until their inputs change) gives exactly what a full derivation gives, for every view
//! and the findings, after any sequence of watch events.
//!
//! The cluster is the demo's (every deliberate problem, so every finding code) plus a
//! small `demo::synthetic` cluster, listed with the watchers' own projections. Events are
//! random, seeded (a failure names its seed and step): objects of every kind the views and
//! findings read are modified, added and deleted, kinds are listed again, and watches
//! change state.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fastrand::Rng;

use crate::app::msg::Msg;
use crate::app::update::update;
use crate::cluster::cache::{ClusterCache, Obj};
use crate::cluster::kinds::{Kind, WatchState};
use crate::cluster::objects::{MtlsMode, ObjKey, SidecarInfo};
use crate::cluster::watch::{WatchEvent, WatchMsg};
use crate::config::Keymap;
use crate::model::diagnostics::Finding;
use crate::state::action::ViewId;
use crate::state::view_state::ViewState;
use crate::state::{AppState, ConnInfo};

const VIEWS: [ViewId; 6] = [
    ViewId::Gateways,
    ViewId::Routes,
    ViewId::Mesh,
    ViewId::Certs,
    ViewId::Diagnostics,
    ViewId::Frontends,
];

/// The demo plus 100 synthetic pods, as listed at start, with each kind's watch state.
fn cluster() -> (ClusterCache, Vec<(Kind, WatchState)>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (cache, states) = rt.block_on(async {
        let demo = crate::demo::DemoCluster::start_with_pods(100).expect("demo");
        crate::cluster::snapshot::load(&demo.client(), None, &Kind::ALL, Duration::from_secs(120))
            .await
    });
    (cache, states.into_iter().collect())
}

fn state(cache: &ClusterCache, states: &[(Kind, WatchState)], view: ViewId) -> AppState {
    let conn = ConnInfo {
        context: "prop".into(),
        ..Default::default()
    };
    let now = jiff::Timestamp::from_second(1_790_000_000).expect("time");
    let mut s = AppState::new(conn, None, false, now);
    for (k, st) in states {
        if *st == WatchState::Live {
            s.ever_live.insert(*k);
        }
        s.watch.insert(*k, st.clone());
    }
    s.cache = cache.clone();
    s.view = view;
    s
}

fn pick<'a, T>(rng: &mut Rng, items: impl ExactSizeIterator<Item = &'a T>) -> Option<&'a T> {
    let n = items.len();
    if n == 0 {
        return None;
    }
    let i = rng.usize(..n);
    items.into_iter().nth(i)
}

fn watch(kind: Kind, event: WatchEvent) -> WatchMsg {
    WatchMsg {
        generation: 1,
        kind,
        event,
    }
}

fn apply(kind: Kind, obj: Obj) -> WatchMsg {
    watch(kind, WatchEvent::Apply(Box::new(obj)))
}

/// Random events on the objects of `c`: usually one, or a namespace's pods all at once
/// (often a namespace that a finding of `findings` names).
fn events(
    rng: &mut Rng,
    c: &ClusterCache,
    findings: &[std::sync::Arc<Finding>],
    n: usize,
) -> Vec<WatchMsg> {
    if rng.u8(..6) == 0 {
        // Every pod of a namespace gains or loses its sidecar (a restart after the
        // injection label changed): reaches the pods cross-namespace findings join on.
        let named: Vec<&String> = findings
            .iter()
            .flat_map(|f| &f.objects)
            .map(|o| &o.namespace)
            .filter(|ns| !ns.is_empty())
            .collect();
        let ns = match pick(rng, named.iter()) {
            Some(ns) if rng.bool() => *ns,
            _ => match pick(rng, c.namespaces.keys()) {
                Some(ns) => ns,
                None => return Vec::new(),
            },
        };
        let rev = rng.bool().then(|| "asm-1-22".to_string());
        return c
            .pods_in(ns)
            .map(|p| {
                let mut p = p.clone();
                p.sidecar = rev.clone().map(|r| SidecarInfo {
                    revision: Some(r),
                    image_tag: None,
                });
                apply(Kind::Pods, Obj::Pod(p))
            })
            .collect();
    }
    event(rng, c, n).into_iter().collect()
}

/// A random event on the objects of `c`.
fn event(rng: &mut Rng, c: &ClusterCache, n: usize) -> Option<WatchMsg> {
    let revs = [None, Some("asm-1-22"), Some("asm-1-21"), Some("asm-9-99")];
    Some(match rng.u8(..18) {
        // Pods: the bulk of real churn.
        0..=3 => {
            let mut p = pick(rng, c.pods.values())?.clone();
            match rng.u8(..5) {
                0 => {
                    p.labels
                        .insert("bench/change".into(), rng.u32(..).to_string());
                }
                1 => {
                    // Moves the pod under another app's Services and workloads.
                    let other = pick(rng, c.pods.values())?;
                    p.labels = other.labels.clone();
                }
                2 => {
                    p.sidecar = revs[rng.usize(..revs.len())].map(|r| SidecarInfo {
                        revision: Some(r.into()),
                        image_tag: None,
                    });
                }
                3 => {
                    p.phase = ["Running", "Pending", "Succeeded", "Failed"][rng.usize(..4)].into();
                    p.ready = rng.u16(..3);
                }
                _ => p.deleting = !p.deleting,
            }
            apply(Kind::Pods, Obj::Pod(p))
        }
        4 => {
            let p = pick(rng, c.pods.values())?;
            watch(Kind::Pods, WatchEvent::Delete(p.key.clone()))
        }
        5 => {
            // A new pod, like a ReplicaSet creates, sometimes in another namespace.
            let mut p = pick(rng, c.pods.values())?.clone();
            if rng.bool() {
                p.key.ns = pick(rng, c.namespaces.keys())?.clone();
            }
            p.key.name = format!("{}-new{n}", p.key.name);
            apply(Kind::Pods, Obj::Pod(p))
        }
        6 => {
            let mut ns = pick(rng, c.namespaces.values())?.clone();
            match rng.u8(..4) {
                0 => {
                    ns.labels.remove("istio-injection");
                    ns.labels.remove("istio.io/rev");
                }
                1 => {
                    ns.labels.insert(
                        "istio-injection".into(),
                        ["enabled", "disabled"][rng.usize(..2)].into(),
                    );
                }
                2 => {
                    let rev = revs[1 + rng.usize(..3)].expect("a revision");
                    ns.labels.insert("istio.io/rev".into(), rev.into());
                }
                _ => {
                    ns.labels
                        .insert("istio.io/dataplane-mode".into(), "ambient".into());
                }
            }
            apply(Kind::Namespaces, Obj::Namespace(ns))
        }
        7 => {
            let ns = pick(rng, c.namespaces.values())?;
            watch(
                Kind::Namespaces,
                WatchEvent::Delete(ObjKey::new("", ns.name.clone())),
            )
        }
        8 => {
            let mut s = pick(rng, c.services.values())?.clone();
            if rng.bool() {
                s.selector = pick(rng, c.services.values())?.selector.clone();
                apply(Kind::Services, Obj::Service(s))
            } else {
                watch(Kind::Services, WatchEvent::Delete(s.key))
            }
        }
        9 => {
            let mut r = pick(rng, c.routes.values())?.clone();
            let kind = r.kind.watched();
            match rng.u8(..3) {
                0 => {
                    for b in r.rules.iter_mut().flat_map(|x| &mut x.backends) {
                        b.weight = [0, 10, 50, 90][rng.usize(..4)];
                    }
                    apply(kind, Obj::Route(r))
                }
                1 => {
                    r.key.name = format!("{}-new{n}", r.key.name);
                    apply(kind, Obj::Route(r))
                }
                _ => watch(kind, WatchEvent::Delete(r.key)),
            }
        }
        10 => {
            let mut w = pick(rng, c.workloads.values())?.clone();
            let kind = w.kind.watched();
            if rng.bool() {
                w.template_rev = revs[rng.usize(..revs.len())].map(String::from);
                w.ready = rng.i32(0..3);
                apply(kind, Obj::Workload(w))
            } else {
                watch(kind, WatchEvent::Delete(w.key))
            }
        }
        11 => {
            let mut w = pick(rng, c.control_planes.values())?.clone();
            w.ready = rng.i32(0..3);
            w.available = w.ready;
            apply(Kind::ControlPlanes, Obj::ControlPlane(w))
        }
        12 => {
            let mut p = pick(rng, c.peer_auths.values())?.clone();
            if rng.bool() {
                p.mode = Some([MtlsMode::Strict, MtlsMode::Permissive][rng.usize(..2)]);
                apply(Kind::PeerAuthentications, Obj::PeerAuth(p))
            } else {
                watch(Kind::PeerAuthentications, WatchEvent::Delete(p.key))
            }
        }
        13 => {
            let (kind, key) = pick(rng, c.cert_secrets.keys())?;
            watch(*kind, WatchEvent::Delete(key.clone()))
        }
        14 => {
            let g = pick(rng, c.gateways.values())?;
            watch(Kind::Gateways, WatchEvent::Delete(g.key.clone()))
        }
        16 => {
            // The AGC mesh extension gets ready or loses its pods: every AGC gateway's
            // traffic into STRICT namespaces is judged again.
            let mut w = c
                .workloads
                .values()
                .find(|w| w.key.name == "alb-controller-istio-extension")?
                .clone();
            w.ready = rng.i32(0..2);
            apply(w.kind.watched(), Obj::Workload(w))
        }
        15 => {
            // An Ingress moves to another class (another controller), or goes.
            let mut i = pick(rng, c.ingresses.values())?.clone();
            if rng.bool() {
                i.class = pick(rng, c.ingress_classes.keys()).cloned();
                apply(Kind::Ingresses, Obj::Ingress(i))
            } else {
                watch(Kind::Ingresses, WatchEvent::Delete(i.key))
            }
        }
        _ => {
            // A kind listed again (after a broken watch), or a watch changing state.
            let kind = Kind::ALL[rng.usize(..Kind::ALL.len())];
            if rng.bool() {
                watch(kind, WatchEvent::Reset(objects_of(c, kind)))
            } else {
                let s = if rng.bool() {
                    WatchState::Live
                } else {
                    WatchState::Syncing
                };
                watch(kind, WatchEvent::State(s))
            }
        }
    })
}

/// The objects of one kind as its watcher would list them again (a few kinds suffice).
fn objects_of(c: &ClusterCache, kind: Kind) -> Vec<Obj> {
    match kind {
        Kind::Pods => c.pods.values().cloned().map(Obj::Pod).collect(),
        Kind::Services => c.services.values().cloned().map(Obj::Service).collect(),
        Kind::Namespaces => c.namespaces.values().cloned().map(Obj::Namespace).collect(),
        Kind::ControlPlanes => c
            .control_planes
            .values()
            .cloned()
            .map(Obj::ControlPlane)
            .collect(),
        Kind::Gateways => c.gateways.values().cloned().map(Obj::Gateway).collect(),
        _ => Vec::new(),
    }
}

/// Everything a view shows and the findings, derived in full from `s`'s cache and watch
/// states (nothing kept).
fn full(s: &AppState) -> AppState {
    let mut f = state(&s.cache, &[], s.view);
    f.watch = s.watch.clone();
    f.ever_live = s.ever_live.clone();
    f.stale_since = s.stale_since;
    f.now = s.now;
    f.refresh();
    f
}

#[test]
fn incremental_derivations_equal_full_ones_over_random_events() {
    let (cache, states) = cluster();
    assert!(cache.pods.len() > 300 && !cache.routes.is_empty());
    let keymap = Keymap::default();
    // Many short runs: findings that a long run's events undo early (no more STRICT, say)
    // are still there to be changed in most of them.
    for seed in 0..12 {
        let mut rng = Rng::with_seed(seed);
        let mut views: Vec<(AppState, ViewState)> = VIEWS
            .iter()
            .map(|v| (state(&cache, &states, *v), ViewState::default()))
            .collect();
        for (s, ui) in &mut views {
            s.refresh_keeping(ui);
            if s.view == ViewId::Gateways {
                let expand = KeyEvent::new(KeyCode::Char('E'), KeyModifiers::NONE);
                update(s, ui, &keymap, Msg::Key(expand));
            }
        }
        for step in 0..25 {
            let burst = 1 + rng.usize(..4);
            for e in 0..burst {
                let (s0, _) = &views[0];
                let evs = events(&mut rng, &s0.cache, &s0.diagnostics.findings, step * 10 + e);
                for ev in evs {
                    for (s, ui) in &mut views {
                        update(s, ui, &keymap, Msg::Watch(ev.clone()));
                    }
                }
            }
            for (s, ui) in &mut views {
                // Derived as if the view's inputs changed: which kinds make a view stale is
                // `derived::inputs`' business, not the memo's (the Mesh rows read workloads,
                // which are not among the Mesh view's inputs).
                s.stale = true;
                s.refresh_keeping(ui);
                let f = full(s);
                let at = format!("seed {seed} step {step}, view {:?}", s.view);
                assert_eq!(s.derived, f.derived, "{at}: rows");
                assert_eq!(
                    s.diagnostics.findings, f.diagnostics.findings,
                    "{at}: findings"
                );
                assert_eq!(s.diagnostics.counts, f.diagnostics.counts, "{at}: counts");
                assert_eq!(s.diagnostics.stale_ids, f.diagnostics.stale_ids, "{at}");
            }
        }
    }
}
