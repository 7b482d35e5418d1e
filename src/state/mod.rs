//! Plain data the app loop owns. No I/O: the reducer in `app::update` changes it.
pub mod action;
pub mod audit_view;
pub mod chooser;
pub mod derived;
pub mod diagnostics;
pub mod hazard;
pub mod inject;
pub mod input;
pub mod memo;
#[cfg(test)]
mod memo_tests;
pub mod migrate;
pub mod modal_action;
pub mod rollout;
pub mod selection;
pub mod undo;
pub mod view_state;
pub mod weights;
pub mod write;

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use crate::cluster::cache::ClusterCache;
use crate::cluster::kinds::{Kind, WatchState};
use crate::cluster::objects::ObjKey;
use crate::state::action::ViewId;
use derived::Derived;
use input::TextInput;

/// Names the header shows for the current connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnInfo {
    pub context: String,
    pub cluster: String,
    pub user: Option<String>,
    pub contexts: Vec<String>,
    /// Set when no client could be built (bad kubeconfig, unknown context).
    pub error: Option<String>,
}

/// Overall connection state, from the watchers' states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Connecting,
    Syncing,
    Live,
    /// Data was listed, then the connection broke (or the server stopped answering): what
    /// is shown is the last known state, not trusted since `since`.
    Stale {
        since: Timestamp,
        reason: String,
    },
    /// Never reached the server (or no client could be built).
    Disconnected(String),
}

/// Overlays, topmost last.
#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    Help {
        scroll: u16,
    },
    Palette(TextInput),
    Filter(TextInput),
    /// Problems found at start (bad config, unknown theme), each in full: a one-line flash
    /// would cut all but the first.
    Notice(Vec<String>),
    /// A write waiting for an explicit yes.
    Confirm(Box<write::Confirm>),
    /// The revision-migration screen (its data lives in `AppState::migration`).
    Migrate,
    /// The traffic-weight editor for one route rule.
    Weights(Box<weights::WeightEditor>),
    /// The audit log (`:audit`).
    Audit(Box<audit_view::AuditView>),
    /// Pick one of a few options (j/k, Enter; Esc cancels).
    Chooser(Box<chooser::Chooser>),
    /// One or many writes to review (scrollable) and confirm.
    Plan(Box<chooser::Plan>),
}

/// A drill-in screen on top of a view's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    Route {
        kind: crate::cluster::objects::RouteKind,
        key: ObjKey,
    },
    Namespace(String),
    Gateway(ObjKey),
    Alb(ObjKey),
    /// One finding of the Diagnostics view, by its stable id.
    Finding(String),
    /// One row of the certificate inventory.
    Cert(crate::model::certs::CertId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug)]
pub struct AppState {
    pub view: ViewId,
    pub cache: ClusterCache,
    pub watch: BTreeMap<Kind, WatchState>,
    pub conn: ConnInfo,
    /// None = all namespaces.
    pub namespace: Option<String>,
    /// What `0` toggles back to after showing all namespaces.
    pub last_namespace: Option<String>,
    pub read_only: bool,
    pub modals: Vec<Modal>,
    /// Writes in flight by id, with the flow that asked for each (and a weight draft
    /// waiting for its own write's answer).
    pub writes: write::Writes,
    /// A revision migration (outlives its screen: restarts follow applied labels).
    pub migration: Option<Box<migrate::Migration>>,
    pub filters: BTreeMap<ViewId, String>,
    pub details: BTreeMap<ViewId, Detail>,
    /// Tags messages of the current watchers; bumped on every context/namespace switch.
    pub generation: u64,
    pub flash: Option<(String, Level)>,
    pub now: Timestamp,
    pub quit: bool,
    /// The signal that ended the session (SIGTERM, SIGINT, SIGHUP): the process exits with
    /// 128 + its number, like a shell reports a program killed by it.
    pub exit_signal: Option<i32>,
    /// Cache changed since `derived` was computed.
    pub stale: bool,
    /// Only the filter changed since: the derived rows are filtered again, not re-derived.
    pub refilter: bool,
    pub derived: Derived,
    /// What the last derivations of the views keep for the next (`state::memo`).
    pub derived_memo: derived::Memo,
    /// Bumped whenever `derived` is recomputed, so widgets can cache what they build from it.
    pub derived_version: u64,
    /// When each rollout last made progress (stuck detection).
    pub rollouts: rollout::Rollouts,
    /// This session's last applied write, revertable with `U`.
    pub undo: Option<Box<crate::cluster::write::undo::Undoable>>,
    /// Injection label writes and bulk restarts in flight.
    pub inject: inject::InjectState,
    /// Findings for the Diagnostics view and the header count.
    pub diagnostics: diagnostics::Diagnostics,
    /// Certificate severity bands (config `[certs] bands`).
    pub cert_bands: crate::model::certs::Bands,
    /// Kinds listed at least once since the last context/namespace switch: when their watch
    /// breaks, their last known objects are kept and shown as stale.
    pub ever_live: BTreeSet<Kind>,
    /// The API server failed a probe while the watches still looked live.
    pub probe_failed: Option<String>,
    /// When the data stopped being trusted (a listed kind's watch broke, or a probe failed);
    /// None while it is trusted.
    pub stale_since: Option<Timestamp>,
}

impl AppState {
    pub fn new(conn: ConnInfo, namespace: Option<String>, read_only: bool, now: Timestamp) -> Self {
        AppState {
            view: ViewId::Gateways,
            cache: ClusterCache::default(),
            watch: Kind::ALL
                .iter()
                .map(|k| (*k, WatchState::Syncing))
                .collect(),
            conn,
            last_namespace: namespace.clone(),
            namespace,
            read_only,
            modals: Vec::new(),
            writes: write::Writes::default(),
            migration: None,
            filters: BTreeMap::new(),
            details: BTreeMap::new(),
            generation: 1,
            flash: None,
            now,
            quit: false,
            exit_signal: None,
            stale: true,
            refilter: false,
            derived: Derived::default(),
            derived_memo: Default::default(),
            derived_version: 0,
            rollouts: rollout::Rollouts::default(),
            undo: None,
            inject: Default::default(),
            diagnostics: Default::default(),
            cert_bands: Default::default(),
            ever_live: BTreeSet::new(),
            probe_failed: None,
            stale_since: None,
        }
    }

    pub fn health(&self) -> Health {
        if self.conn.error.is_some() {
            return Health::Disconnected(self.conn.error.clone().unwrap_or_default());
        }
        let failing = self.watch.values().find_map(|s| match s {
            WatchState::Failing(msg) => Some(msg.clone()),
            _ => None,
        });
        if let Some(since) = self.stale_since {
            let reason = failing
                .or_else(|| self.probe_failed.clone())
                .unwrap_or_else(|| "listing again".into());
            return Health::Stale { since, reason };
        }
        if let Some(msg) = failing {
            return Health::Disconnected(msg);
        }
        if self.watch.values().all(|s| *s == WatchState::Syncing) {
            return Health::Connecting;
        }
        if self.watch.values().any(|s| *s == WatchState::Syncing) {
            return Health::Syncing;
        }
        Health::Live
    }

    pub fn is_live(&self, kind: Kind) -> bool {
        self.watch.get(&kind) == Some(&WatchState::Live)
    }

    /// Live, and the server answered the last probe: findings on it are current.
    pub fn is_trusted(&self, kind: Kind) -> bool {
        self.is_live(kind) && self.probe_failed.is_none()
    }

    /// Kinds that were listed and can no longer be trusted (watch broken, forbidden since,
    /// listing again, or the server failed a probe): their objects are the last known ones.
    /// A CRD deleted since (NotInstalled) is a fact, not staleness.
    pub fn stale_kinds(&self) -> BTreeSet<Kind> {
        self.ever_live
            .iter()
            .filter(|k| {
                !self.is_trusted(**k) && self.watch.get(k) != Some(&WatchState::NotInstalled)
            })
            .copied()
            .collect()
    }

    /// Keeps `stale_since` in step with the watch states and the last probe: set at the
    /// first moment data stops being trusted, cleared when every listed kind is live again.
    pub fn note_staleness(&mut self) {
        match (self.stale_kinds().is_empty(), self.stale_since) {
            (false, None) => self.stale_since = Some(self.now),
            (true, Some(_)) => self.stale_since = None,
            _ => {}
        }
    }

    pub fn filter(&self, view: ViewId) -> &str {
        self.filters.get(&view).map(String::as_str).unwrap_or("")
    }

    /// The filter being typed (live) or the one kept for this view.
    pub fn active_filter(&self) -> String {
        for m in self.modals.iter().rev() {
            if let Modal::Filter(input) = m {
                return input.text.to_lowercase();
            }
        }
        self.filter(self.view).to_lowercase()
    }

    pub fn detail(&self) -> Option<&Detail> {
        self.details.get(&self.view)
    }

    /// Recomputes the derived rows if the cache or a filter changed.
    pub fn refresh(&mut self) {
        diagnostics::refresh(self);
        if self.stale {
            self.derive();
        } else if self.refilter {
            let (view, filter) = (self.view, self.active_filter());
            if !self.derived.refilter(view, &filter) {
                self.derive();
            }
        } else {
            return;
        }
        self.derived_version += 1;
        self.stale = false;
        self.refilter = false;
    }

    fn derive(&mut self) {
        let mut memo = std::mem::take(&mut self.derived_memo);
        self.derived = Derived::compute(self, &mut memo);
        self.derived_memo = memo;
    }

    pub fn flash(&mut self, text: impl Into<String>, level: Level) {
        self.flash = Some((text.into(), level));
    }
}
