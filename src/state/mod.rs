//! Plain data the app loop owns. No I/O: the reducer in `app::update` changes it.
pub mod audit_view;
pub mod cache;
pub mod chooser;
pub mod derived;
pub mod diagnostics;
pub mod hazard;
pub mod inject;
pub mod input;
pub mod migrate;
pub mod rollout;
pub mod undo;
pub mod weights;
pub mod write;

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::app::action::ViewId;
use crate::cluster::kinds::{Kind, WatchState};
use crate::cluster::objects::ObjKey;
use cache::ClusterCache;
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
    /// A confirmed weight draft whose write is running: back in the editor if refused.
    pub pending_weights: Option<Box<weights::WeightEditor>>,
    /// A revision migration (outlives its screen: restarts follow applied labels).
    pub migration: Option<Box<migrate::Migration>>,
    pub filters: BTreeMap<ViewId, String>,
    pub details: BTreeMap<ViewId, Detail>,
    /// Tags messages of the current watchers; bumped on every context/namespace switch.
    pub generation: u64,
    pub flash: Option<(String, Level)>,
    pub now: Timestamp,
    pub quit: bool,
    /// Cache changed since `derived` was computed.
    pub stale: bool,
    pub derived: Derived,
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
            pending_weights: None,
            migration: None,
            filters: BTreeMap::new(),
            details: BTreeMap::new(),
            generation: 1,
            flash: None,
            now,
            quit: false,
            stale: true,
            derived: Derived::default(),
            derived_version: 0,
            rollouts: rollout::Rollouts::default(),
            undo: None,
            inject: Default::default(),
            diagnostics: Default::default(),
            cert_bands: Default::default(),
        }
    }

    pub fn health(&self) -> Health {
        if self.conn.error.is_some() {
            return Health::Disconnected(self.conn.error.clone().unwrap_or_default());
        }
        if let Some(WatchState::Failing(msg)) = self
            .watch
            .values()
            .find(|s| matches!(s, WatchState::Failing(_)))
        {
            return Health::Disconnected(msg.clone());
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
            self.derived = Derived::compute(self);
            self.derived_version += 1;
            self.stale = false;
        }
    }

    pub fn flash(&mut self, text: impl Into<String>, level: Level) {
        self.flash = Some((text.into(), level));
    }
}
