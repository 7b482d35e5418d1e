//! The findings of model::diagnostics, kept between frames. The header shows their count on
//! every view, so they are derived whatever the view, but only when one of their input
//! kinds changed (watch event or watch state): idle frames and unrelated kinds cost nothing.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::cluster::cache::ClusterCache;
use crate::cluster::kinds::Kind;
use crate::cluster::objects::{ObjKey, RouteKind};
use crate::model::certs::{Bands, SourceKind, inventory};
use crate::model::diagnostics::parts::{ControllerPod, TrafficJudge as Judge, controller_pods};
use crate::model::diagnostics::{Counts, Finding, Live, findings, finish, parts};
use crate::model::routes::namespaces_read;

use super::AppState;
use super::memo::{Inputs, PerNamespace, PerObject, Whole};

/// Every kind a finding is judged on. A change of any other kind does not re-derive.
pub const INPUTS: &[Kind] = &[
    Kind::Namespaces,
    Kind::Pods,
    Kind::Services,
    Kind::Deployments,
    Kind::StatefulSets,
    Kind::DaemonSets,
    Kind::ControlPlanes,
    Kind::PeerAuthentications,
    Kind::GatewayClasses,
    Kind::Gateways,
    Kind::HttpRoutes,
    Kind::GrpcRoutes,
    Kind::VirtualServices,
    Kind::Ingresses,
    Kind::IngressClasses,
    Kind::ReferenceGrants,
    // Certificate findings (and the listener certificate checks).
    Kind::TlsSecrets,
    Kind::IstioCaCerts,
    Kind::IstioCaSecrets,
    Kind::ConfigMaps,
    Kind::CertManagerCertificates,
    Kind::FrontendTlsPolicies,
    Kind::BackendTlsPolicies,
    Kind::AlbBackendTlsPolicies,
];

/// What each part of the findings reads (`state::memo`): the mesh findings of a namespace
/// read its namespace, pods and workloads, and the control planes and DaemonSets
/// (ztunnel) anywhere.
const MESH: Inputs = Inputs {
    own: MESH_OWN,
    shared: &[Kind::ControlPlanes, Kind::DaemonSets],
};

/// What a namespace's mesh facts read in that namespace: the Mesh view's rows read the same.
pub(super) const MESH_OWN: &[Kind] = &[
    Kind::Namespaces,
    Kind::Pods,
    Kind::Deployments,
    Kind::StatefulSets,
    Kind::DaemonSets,
];

/// Traffic into STRICT mTLS (`model::diagnostics::traffic`), a Gateway or an Ingress at a
/// time: each reads its class, the routes that may attach to it, and the mTLS of the mesh
/// anywhere; the Services and pods of its backends (and the namespace of an Ingress
/// controller's pods) in the namespaces it names. The AGC mesh extension (a Deployment
/// anywhere) and the Ingress controllers' pods are part of the key.
const GATEWAY_TRAFFIC: Inputs = Inputs {
    shared: &[
        Kind::GatewayClasses,
        Kind::Gateways,
        Kind::HttpRoutes,
        Kind::GrpcRoutes,
        Kind::PeerAuthentications,
        Kind::ControlPlanes,
    ],
    own: &[Kind::Pods, Kind::Services],
};
const INGRESS_TRAFFIC: Inputs = Inputs {
    shared: &[
        Kind::Ingresses,
        Kind::IngressClasses,
        Kind::PeerAuthentications,
        Kind::ControlPlanes,
    ],
    own: &[
        Kind::Namespaces,
        Kind::Pods,
        Kind::Services,
        Kind::Deployments,
        Kind::StatefulSets,
        Kind::DaemonSets,
    ],
};
/// The STRICT Services of a namespace (`traffic::Judge::strict_in`).
const STRICT: Inputs = Inputs {
    own: &[Kind::Namespaces, Kind::Pods, Kind::Services],
    shared: &[Kind::PeerAuthentications, Kind::ControlPlanes],
};
/// The Ingress controllers' pods of a namespace.
const CONTROLLER_PODS: Inputs = Inputs {
    own: &[Kind::Namespaces, Kind::Pods],
    shared: &[],
};

/// A route's findings, and its row in the Routes view: the route itself and its
/// backends' Services and ReferenceGrants, in the namespaces `model::routes::namespaces_read`
/// names; its parent Gateways and their classes anywhere.
pub(super) const ROUTE: Inputs = Inputs {
    shared: &[Kind::Gateways, Kind::GatewayClasses],
    own: &[
        Kind::Namespaces,
        Kind::HttpRoutes,
        Kind::GrpcRoutes,
        Kind::VirtualServices,
        Kind::Services,
        Kind::ReferenceGrants,
    ],
};

/// The certificate inventory (what holds certificates, who uses them) and the listeners:
/// the Certificates view reads the same.
pub(super) const CERTS: &[Kind] = &[
    Kind::TlsSecrets,
    Kind::IstioCaCerts,
    Kind::IstioCaSecrets,
    Kind::ConfigMaps,
    Kind::CertManagerCertificates,
    Kind::Gateways,
    Kind::FrontendTlsPolicies,
    Kind::BackendTlsPolicies,
    Kind::AlbBackendTlsPolicies,
    Kind::ControlPlanes,
];

/// The findings by part, each kept until one of its inputs changes (`state::memo`), so a
/// pod event re-judges its namespace's mesh findings and the traffic ones, not the
/// certificates of the cluster.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    mesh: PerNamespace<Live, Vec<Arc<Finding>>>,
    traffic: Traffic,
    routes: PerObject<Live, (ObjKey, RouteKind), Kept>,
    /// The Gateways' own findings (conditions, listeners).
    gateways: Whole<Live, Kept>,
    /// Also keyed by the minute: days left move with the clock (a finding's band is as of
    /// the last change of an input, to the minute).
    certs: Whole<(Live, i64, bool), Vec<Arc<Finding>>>,
}

/// The traffic findings, a Gateway or an Ingress at a time.
#[derive(Debug, Clone, Default)]
struct Traffic {
    gateways: PerObject<(Live, Extension), ObjKey, Kept>,
    /// Keyed by every Ingress controller pod too: they may run in any namespace.
    ingresses: PerObject<(Live, Extension, Vec<ControllerPod>), ObjKey, Kept>,
    controllers: PerNamespace<(), Vec<ControllerPod>>,
    /// What every backend's judgement reads: a pod event judges its namespace again.
    strict: PerNamespace<(), Vec<ObjKey>>,
}

type Kept = Vec<Arc<Finding>>;

/// The AGC mesh extension, as `traffic::Judge::extension` reads it.
type Extension = Option<Option<bool>>;

impl Traffic {
    /// Every traffic finding, as `model::diagnostics::parts::traffic` derives them.
    fn findings(&mut self, cache: &ClusterCache, live: &Live, out: &mut Vec<Arc<Finding>>) {
        let Some(base) = Judge::new(cache, live) else {
            return;
        };
        let Traffic {
            gateways,
            ingresses,
            controllers,
            strict,
        } = self;
        let stamps = &cache.stamps;
        strict.sync(stamps, STRICT, ());
        for ns in cache.namespaces.keys() {
            strict.get(ns, || base.strict_in(ns));
        }
        // A namespace without its Namespace object (not listed yet, or going) is judged
        // afresh.
        let kept = |key: &ObjKey| match strict.kept(&key.ns) {
            Some(keys) => keys.binary_search(key).is_ok(),
            None => base.strict_in(&key.ns).binary_search(key).is_ok(),
        };
        let judge = base.with_strict(&kept);
        if judge.judges_ingresses() && !cache.ingresses.is_empty() {
            controllers.sync(stamps, CONTROLLER_PODS, ());
            let mut pods = Vec::new();
            for ns in cache.namespaces.keys() {
                pods.extend_from_slice(controllers.get(ns, || controller_pods(cache, ns)));
            }
            let i = INGRESS_TRAFFIC;
            let key = (live.clone(), judge.extension(), pods.clone());
            ingresses.sync(stamps, i.shared, i.own, key);
            for ing in cache.ingresses.values() {
                out.extend_from_slice(ingresses.get(&ing.key, || {
                    let mut v = Vec::new();
                    let read = judge.ingress(ing, &pods, &mut v);
                    (shared(v), read)
                }));
            }
        }
        if judge.judges_gateways() {
            let g = GATEWAY_TRAFFIC;
            gateways.sync(stamps, g.shared, g.own, (live.clone(), judge.extension()));
            for gw in cache.gateways.values() {
                out.extend_from_slice(gateways.get(&gw.key, || {
                    let mut v = Vec::new();
                    let read = judge.gateway(gw, &mut v);
                    (shared(v), read)
                }));
            }
        }
    }
}

/// Findings as kept: shared, so that putting the parts together copies no text.
fn shared(v: Vec<Finding>) -> Vec<Arc<Finding>> {
    v.into_iter().map(Arc::new).collect()
}

impl Parts {
    pub fn clear(&mut self) {
        *self = Parts::default();
    }

    /// Every finding, as `model::diagnostics::findings` derives them, deriving only the
    /// parts whose inputs changed since the last call.
    pub fn findings(
        &mut self,
        cache: &ClusterCache,
        live: &Live,
        now: jiff::Timestamp,
        bands: &Bands,
        secrets_listed: bool,
    ) -> Vec<Arc<Finding>> {
        let stamps = &cache.stamps;
        let mut out = Vec::new();
        self.mesh.sync(stamps, MESH, live.clone());
        if let Some(scope) = parts::mesh_scope(cache, live) {
            for ns in cache.namespaces.values().filter(|n| live.in_scope(&n.name)) {
                out.extend_from_slice(self.mesh.get(&ns.name, || {
                    let mut v = Vec::new();
                    parts::mesh_in_namespace(cache, live, &scope, ns, &mut v);
                    shared(v)
                }));
            }
        }
        let part = |f: fn(&ClusterCache, &Live, &mut Vec<Finding>)| {
            move || {
                let mut v = Vec::new();
                f(cache, live, &mut v);
                shared(v)
            }
        };
        self.traffic.findings(cache, live, &mut out);
        self.routes
            .sync(stamps, ROUTE.shared, ROUTE.own, live.clone());
        for (id, r) in &cache.routes {
            out.extend_from_slice(self.routes.get(id, || {
                let mut v = Vec::new();
                parts::route_findings(cache, live, r, &mut v);
                (shared(v), namespaces_read(r))
            }));
        }
        out.extend_from_slice(self.gateways.get(
            stamps,
            &[Kind::Gateways],
            live.clone(),
            part(parts::gateway_findings),
        ));
        let minute = now.as_second().div_euclid(60);
        out.extend_from_slice(self.certs.get(
            stamps,
            CERTS,
            (live.clone(), minute, secrets_listed),
            || {
                let rows = inventory(cache, now, bands, secrets_listed);
                let mut v = Vec::new();
                parts::certs(cache, live, &rows, &mut v);
                shared(v)
            },
        ));
        finish(out)
    }
}

#[derive(Debug, Clone)]
pub struct Diagnostics {
    pub findings: Vec<Arc<Finding>>,
    pub counts: Counts,
    /// An input changed since `findings` was derived.
    pub stale: bool,
    /// Bumped on every derivation (tests count them).
    pub version: u64,
    /// Ids of findings judged on the last known objects of kinds that can no longer be
    /// trusted (their watch broke): kept, and marked stale, instead of vanishing.
    pub stale_ids: BTreeSet<String>,
    /// The parts the findings were made of, kept for the next derivation.
    pub parts: Parts,
}

impl Diagnostics {
    pub fn is_stale(&self, f: &Finding) -> bool {
        self.stale_ids.contains(&f.id)
    }
}

impl Default for Diagnostics {
    fn default() -> Self {
        Diagnostics {
            findings: Vec::new(),
            counts: Counts::default(),
            stale: true,
            version: 0,
            stale_ids: BTreeSet::new(),
            parts: Parts::default(),
        }
    }
}

/// After a watch message of `kind`.
pub fn on_watch(state: &mut AppState, kind: Kind) {
    if INPUTS.contains(&kind) {
        state.diagnostics.stale = true;
    }
}

/// Re-derives the findings if an input changed. Called before the view rows are derived.
pub fn refresh(state: &mut AppState) {
    if !state.diagnostics.stale {
        return;
    }
    let trusted = Live {
        kinds: Kind::ALL
            .into_iter()
            .filter(|k| state.is_trusted(*k))
            .collect(),
        scope: state.namespace.clone(),
    };
    let stale = state.stale_kinds();
    // Days left move with the clock, not with watch events: a finding's band is as of the
    // last change of an input (the Certificates view itself is re-derived when shown).
    // The last known Secrets count as listed while stale (what they said then).
    let secrets_listed = state.is_live(Kind::TlsSecrets) || stale.contains(&Kind::TlsSecrets);
    let (all, stale_ids) = if stale.is_empty() {
        let all = state.diagnostics.parts.findings(
            &state.cache,
            &trusted,
            state.now,
            &state.cert_bands,
            secrets_listed,
        );
        (all, BTreeSet::new())
    } else {
        // Rare (a watch broke): judged in full, twice.
        state.diagnostics.parts.clear();
        let certs = inventory(&state.cache, state.now, &state.cert_bands, secrets_listed);
        // Judged twice: on every kind ever listed (the last known objects of the stale ones
        // are still in the cache), and on the trusted kinds alone. What only the first
        // finds rests on stale data.
        let mut known = trusted.clone();
        known.kinds.extend(stale.iter().copied());
        let all = shared(findings(&state.cache, &known, &certs));
        let fresh_certs: Vec<_> = certs
            .into_iter()
            .filter(|r| source_kinds(r.id.kind).iter().all(|k| !stale.contains(k)))
            .collect();
        let fresh: BTreeSet<String> = findings(&state.cache, &trusted, &fresh_certs)
            .into_iter()
            .map(|f| f.id)
            .collect();
        let ids = all
            .iter()
            .filter(|f| !fresh.contains(&f.id))
            .map(|f| f.id.clone())
            .collect();
        (all, ids)
    };
    let d = &mut state.diagnostics;
    d.counts = Counts::of(&all);
    d.findings = all;
    d.stale_ids = stale_ids;
    d.stale = false;
    d.version += 1;
}

/// The watches a certificate row's source comes from.
fn source_kinds(k: SourceKind) -> &'static [Kind] {
    match k {
        SourceKind::Secret => &[Kind::TlsSecrets, Kind::IstioCaCerts, Kind::IstioCaSecrets],
        SourceKind::ConfigMap => &[Kind::ConfigMaps],
        SourceKind::Certificate => &[Kind::CertManagerCertificates],
    }
}

/// The finding with this id, if it still exists.
pub fn find<'a>(state: &'a AppState, id: &str) -> Option<&'a Finding> {
    state
        .diagnostics
        .findings
        .iter()
        .find(|f| f.id == id)
        .map(|f| &**f)
}

/// Whether a finding passes the (lowercase) filter: the rows of the Diagnostics view.
pub fn matches(f: &Finding, filter: &str) -> bool {
    filter.is_empty()
        || [
            f.code,
            f.severity.label(),
            &f.title,
            &f.objects_text(),
            f.istio.map(|i| i.code).unwrap_or_default(),
        ]
        .iter()
        .any(|t| t.to_lowercase().contains(filter))
}
