//! The cluster as the reducer sees it: watch events into the cache, and the generation
//! that a context or namespace switch starts (messages of older watchers are dropped).

use crate::app::msg::Effect;
use crate::app::weights;
use crate::cluster::kinds::{Kind, WatchState};
use crate::cluster::watch::{WatchEvent, WatchMsg};
use crate::state::{AppState, Level};

pub(super) fn on_watch(state: &mut AppState, w: WatchMsg) {
    if w.generation != state.generation {
        return; // from watchers of a previous context or namespace scope
    }
    state.rollouts.on_watch(w.kind, &w.event, state.now);
    if !matches!(w.event, WatchEvent::State(_)) {
        crate::app::health::on_data(state);
    }
    match w.event {
        WatchEvent::Reset(objs) => state.cache.reset(w.kind, objs),
        WatchEvent::Apply(o) => state.cache.apply(*o),
        WatchEvent::Delete(key) => state.cache.delete(w.kind, &key),
        WatchEvent::State(s) => {
            if s == WatchState::Live {
                state.ever_live.insert(w.kind);
            }
            state.watch.insert(w.kind, s);
            state.note_staleness();
        }
    }
    if matches!(
        w.kind,
        Kind::HttpRoutes | Kind::GrpcRoutes | Kind::VirtualServices
    ) {
        weights::on_route_change(state);
    }
    crate::state::diagnostics::on_watch(state, w.kind);
    // Pod churn must not re-derive the Routes table, and so on.
    state.stale |= crate::state::derived::inputs(state.view).contains(&w.kind);
}

/// Restarts the world for a new context or namespace scope.
pub(super) fn new_generation(state: &mut AppState) -> u64 {
    state.generation += 1;
    state.cache = Default::default();
    state.rollouts.forget_summary();
    state.ever_live.clear();
    state.probe_failed = None;
    state.stale_since = None;
    for s in state.watch.values_mut() {
        *s = WatchState::Syncing;
    }
    state.details.clear();
    state.stale = true;
    state.diagnostics.stale = true;
    state.generation
}

pub(super) fn set_namespace(state: &mut AppState, ns: Option<String>) -> Vec<Effect> {
    if ns == state.namespace {
        return vec![];
    }
    if state.namespace.is_some() {
        state.last_namespace = state.namespace.clone();
    }
    state.namespace = ns;
    let generation = new_generation(state);
    state.flash(
        format!("namespace: {}", state.namespace.as_deref().unwrap_or("all")),
        Level::Info,
    );
    vec![Effect::Rewatch { generation }]
}
