//! Rows the current view shows, derived from the cache. Only the visible view is derived,
//! and only when the cache or its filter changed, so idle frames cost nothing.

use crate::cluster::cache::ClusterCache;
use crate::cluster::kinds::Kind;
use crate::cluster::objects::RouteInfo;
use crate::cluster::objects::{ObjKey, RouteKind};
use crate::model::frontends::{AlbRow, GatewayFrontend, alb_rows, gateway_frontends};
use crate::model::mesh::{ControlPlanes, MeshRow, mesh_row};
use crate::model::routes::{
    Known, backend_kind_invalid, namespaces_read, route_problems, route_status_word,
};
use crate::model::topology::{
    attached, backend_namespaces, class_names, class_node, gateway_node, gateway_tree,
};
use crate::model::tree::Node;
use crate::model::weights::{format_percent, shares};
use crate::state::action::ViewId;

use super::AppState;
use super::memo::{Inputs, PerNamespace, PerObject};

/// What a Mesh row reads: its namespace, pods and workloads, and the control planes and
/// PeerAuthentications (the mesh-wide one sits in the root namespace) anywhere.
const MESH_ROW: Inputs = Inputs {
    own: super::diagnostics::MESH_OWN,
    shared: &[Kind::ControlPlanes, Kind::PeerAuthentications],
};

/// What a gateway's subtree reads anywhere: classes, gateways, routes (any may attach).
const GATEWAY_NODE_SHARED: &[Kind] = &[
    Kind::GatewayClasses,
    Kind::Gateways,
    Kind::HttpRoutes,
    Kind::GrpcRoutes,
    Kind::VirtualServices,
];
/// ... and in its routes' backends' namespaces only.
const GATEWAY_NODE_PER_NS: &[Kind] = &[Kind::Services, Kind::Pods];

/// Rows kept between derivations of the views, each until its inputs change
/// (`state::memo`).
#[derive(Debug, Clone, Default)]
pub struct Memo {
    mesh: PerNamespace<(), MeshRow>,
    /// The Routes view's rows, a route at a time (they read what its findings read).
    routes: PerObject<Known, (ObjKey, RouteKind), RouteRow>,
    gateways: PerObject<Known, ObjKey, Node>,
}

/// `model::topology::gateway_tree` unfiltered, a gateway at a time.
fn gateway_tree_kept(state: &AppState, memo: &mut Memo) -> Vec<Node> {
    let cache = &state.cache;
    let known = known(state);
    memo.gateways.sync(
        &cache.stamps,
        GATEWAY_NODE_SHARED,
        GATEWAY_NODE_PER_NS,
        known,
    );
    class_names(cache)
        .into_iter()
        .map(|class| {
            let mut node = class_node(cache, &class);
            for gw in cache.gateways.values().filter(|g| g.class == class) {
                let child = memo.gateways.get(&gw.key, || {
                    let routes = attached(cache, gw);
                    let nss = backend_namespaces(&routes);
                    (gateway_node(cache, known, gw, &routes), nss)
                });
                node = node.child(child.clone());
            }
            node
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouteRow {
    pub kind: RouteKind,
    pub key: ObjKey,
    pub hostnames: String,
    pub parents: String,
    pub rules: usize,
    pub backends: String,
    pub status: &'static str,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    pub view: Option<ViewId>,
    pub gateway_tree: Vec<Node>,
    pub routes: Vec<RouteRow>,
    pub albs: Vec<AlbRow>,
    pub frontends: Vec<GatewayFrontend>,
    pub mesh: Vec<MeshRow>,
    /// Shared with `state::diagnostics` (copying them was most of a pod event's cost).
    pub findings: Vec<std::sync::Arc<crate::model::diagnostics::Finding>>,
    /// The Certificates view's rows (filtered), and the row its detail shows.
    pub certs: Vec<crate::model::certs::CertRow>,
    pub cert_detail: Option<crate::model::certs::CertRow>,
    /// The (lowercase) filter these rows passed.
    pub filter: String,
    /// The same rows before any filter: when only the filter changes they are filtered
    /// again, not derived again (see [`Derived::refilter`]). None for the Gateways tree,
    /// which is filtered as it is built.
    pub unfiltered: Option<Box<Derived>>,
}

/// The kinds a view's rows are derived from: a change elsewhere does not re-derive them, and
/// the view explains which of these are missing instead of showing an empty screen.
pub fn inputs(view: ViewId) -> &'static [Kind] {
    match view {
        ViewId::Gateways => &[
            Kind::GatewayClasses,
            Kind::Gateways,
            Kind::HttpRoutes,
            Kind::GrpcRoutes,
            Kind::Services,
            Kind::Pods,
        ],
        ViewId::Routes => &[
            Kind::HttpRoutes,
            Kind::GrpcRoutes,
            Kind::VirtualServices,
            Kind::Gateways,
            Kind::Services,
        ],
        ViewId::Frontends => &[
            Kind::ApplicationLoadBalancers,
            Kind::FrontendTlsPolicies,
            Kind::Gateways,
            Kind::GatewayClasses,
        ],
        ViewId::Mesh => &[
            Kind::Namespaces,
            Kind::Pods,
            Kind::ControlPlanes,
            Kind::PeerAuthentications,
        ],
        // The certificate inventory, as its findings read it.
        ViewId::Certs => super::diagnostics::CERTS,
        ViewId::Diagnostics => super::diagnostics::INPUTS,
    }
}

pub fn known(state: &AppState) -> Known {
    Known {
        gateways: state.is_live(Kind::Gateways),
        services: state.is_live(Kind::Services),
        pods: state.is_live(Kind::Pods),
        all_namespaces: state.namespace.is_none(),
    }
}

fn hit(filter: &str, texts: &[&str]) -> bool {
    filter.is_empty() || texts.iter().any(|t| t.to_lowercase().contains(filter))
}

/// Route `r`'s row in the Routes view.
fn route_row(cache: &ClusterCache, known: Known, r: &RouteInfo) -> RouteRow {
    let backends: Vec<String> = r
        .rules
        .iter()
        .flat_map(|rule| {
            let s = shares(&rule.backends.iter().map(|b| b.weight).collect::<Vec<_>>());
            rule.backends
                .iter()
                .zip(s.percent)
                .map(|(b, p)| match &b.subset {
                    _ if backend_kind_invalid(cache, r, b) => {
                        format!("{} {} {}→500", b.kind, b.key.name, format_percent(p))
                    }
                    Some(s) => format!("{}/{s} {}", b.key.name, format_percent(p)),
                    None => format!("{} {}", b.key.name, format_percent(p)),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    RouteRow {
        kind: r.kind,
        key: r.key.clone(),
        hostnames: r.hostnames.join(","),
        parents: r
            .parents
            .iter()
            .map(|p| p.key.to_string())
            .collect::<Vec<_>>()
            .join(","),
        rules: r.rules.len(),
        backends: backends.join(", "),
        status: route_status_word(r),
        problems: route_problems(cache, known, r)
            .iter()
            .map(|p| p.describe())
            .collect(),
    }
}

impl Derived {
    pub fn compute(state: &AppState, memo: &mut Memo) -> Derived {
        let filter = state.active_filter();
        if state.view == ViewId::Gateways {
            let tree = if filter.is_empty() {
                gateway_tree_kept(state, memo)
            } else {
                gateway_tree(&state.cache, known(state), &filter)
            };
            return Derived {
                view: Some(state.view),
                gateway_tree: tree,
                filter,
                ..Default::default()
            };
        }
        let all = Derived::all_rows(state, memo);
        let mut d = all.filtered(&filter);
        d.unfiltered = Some(Box::new(all));
        d
    }

    /// Only the filter changed (typing, pasting): filters the rows already derived instead
    /// of deriving them again. A filter that extends the last one narrows the rows shown
    /// (whatever it matches, the shorter one matched too); any other starts from all rows.
    /// False when there is nothing to filter again: the caller derives.
    pub fn refilter(&mut self, view: ViewId, filter: &str) -> bool {
        if self.view != Some(view) {
            return false;
        }
        let Some(all) = self.unfiltered.take() else {
            return false;
        };
        let mut d = if filter.contains(self.filter.as_str()) {
            self.filtered(filter)
        } else {
            all.filtered(filter)
        };
        d.unfiltered = Some(all);
        *self = d;
        true
    }

    /// The rows of the view with these rows' filter replaced by `filter` (they must have
    /// passed a filter that `filter` extends, or none).
    fn filtered(&self, filter: &str) -> Derived {
        fn keep<T: Clone>(rows: &[T], pred: impl Fn(&T) -> bool) -> Vec<T> {
            rows.iter().filter(|r| pred(r)).cloned().collect()
        }
        Derived {
            view: self.view,
            gateway_tree: Vec::new(),
            routes: keep(&self.routes, |row| {
                hit(
                    filter,
                    &[
                        &row.key.to_string(),
                        &row.hostnames,
                        &row.parents,
                        &row.backends,
                        row.status,
                    ],
                )
            }),
            albs: keep(&self.albs, |a| {
                hit(filter, &[&a.alb.key.to_string(), &a.deployment_message])
            }),
            frontends: keep(&self.frontends, |f| {
                let addrs: Vec<&str> = f.addresses.iter().map(|(_, v)| v.as_str()).collect();
                hit(
                    filter,
                    &[
                        &f.gateway.to_string(),
                        &f.class,
                        &addrs.join(" "),
                        &f.hostnames.join(" "),
                    ],
                )
            }),
            mesh: keep(&self.mesh, |r| {
                hit(filter, &[&r.namespace, &r.injection.effective.label()])
            }),
            findings: keep(&self.findings, |f| super::diagnostics::matches(f, filter)),
            certs: keep(&self.certs, |r| {
                filter.is_empty() || r.search_text().contains(filter)
            }),
            cert_detail: self.cert_detail.clone(),
            filter: filter.to_string(),
            unfiltered: None,
        }
    }

    /// The identity of row `i` of a table view: what the cursor stays on across
    /// re-derivations (rows arriving above it must not move it to another object).
    pub fn row_key(&self, view: ViewId, i: usize) -> Option<String> {
        match view {
            ViewId::Gateways => None,
            ViewId::Routes => self
                .routes
                .get(i)
                .map(|r| format!("{}/{}", r.kind.kind(), r.key)),
            ViewId::Frontends => match self.albs.get(i) {
                Some(a) => Some(format!("alb/{}", a.alb.key)),
                None => self
                    .frontends
                    .get(i - self.albs.len())
                    .map(|f| format!("gw/{}", f.gateway)),
            },
            ViewId::Mesh => self.mesh.get(i).map(|r| r.namespace.clone()),
            ViewId::Certs => self.certs.get(i).map(|r| {
                let id = &r.id;
                format!(
                    "{}/{}/{}#{}",
                    id.kind.label(),
                    id.key,
                    id.data_key,
                    id.index
                )
            }),
            ViewId::Diagnostics => self.findings.get(i).map(|f| f.id.clone()),
        }
    }

    /// Number of rows of a table view.
    pub fn len(&self, view: ViewId) -> usize {
        match view {
            ViewId::Routes => self.routes.len(),
            ViewId::Frontends => self.albs.len() + self.frontends.len(),
            ViewId::Mesh => self.mesh.len(),
            ViewId::Diagnostics => self.findings.len(),
            ViewId::Certs => self.certs.len(),
            ViewId::Gateways => 0,
        }
    }

    /// Where the row with identity `key` is now, if it is shown.
    pub fn position(&self, view: ViewId, key: &str) -> Option<usize> {
        (0..self.len(view)).find(|&i| self.row_key(view, i).as_deref() == Some(key))
    }

    /// Every row of the (table) view, before the filter: the costly part.
    fn all_rows(state: &AppState, memo: &mut Memo) -> Derived {
        let cache = &state.cache;
        let known = known(state);
        let mut d = Derived {
            view: Some(state.view),
            ..Default::default()
        };
        match state.view {
            ViewId::Gateways => {}
            ViewId::Routes => {
                let inputs = super::diagnostics::ROUTE;
                memo.routes
                    .sync(&cache.stamps, inputs.shared, inputs.own, known);
                d.routes = cache
                    .routes
                    .iter()
                    .map(|(id, r)| {
                        memo.routes
                            .get(id, || (route_row(cache, known, r), namespaces_read(r)))
                            .clone()
                    })
                    .collect();
            }
            ViewId::Frontends => {
                d.albs = alb_rows(cache);
                d.frontends =
                    gateway_frontends(cache, state.is_live(Kind::ApplicationLoadBalancers));
            }
            ViewId::Mesh => {
                // model::mesh::mesh_rows, a namespace at a time.
                let cps = ControlPlanes::from_workloads(cache.control_planes.values());
                let root = cps.root_namespace();
                memo.mesh.sync(&cache.stamps, MESH_ROW, ());
                d.mesh = cache
                    .namespaces
                    .values()
                    .filter(|n| state.namespace.as_ref().is_none_or(|ns| *ns == n.name))
                    .map(|n| {
                        memo.mesh
                            .get(&n.name, || mesh_row(cache, &cps, &root, n))
                            .clone()
                    })
                    .collect();
            }
            ViewId::Certs => {
                let all = crate::model::certs::inventory(
                    cache,
                    state.now,
                    &state.cert_bands,
                    state.is_live(Kind::TlsSecrets),
                );
                if let Some(super::Detail::Cert(id)) = state.details.get(&ViewId::Certs) {
                    d.cert_detail = all.iter().find(|r| r.id == *id).cloned();
                }
                d.certs = all;
            }
            ViewId::Diagnostics => d.findings = state.diagnostics.findings.clone(),
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use crate::app::testkit::namespace;
    use crate::state::action::ViewId;
    use crate::state::input::TextInput;
    use crate::state::{AppState, ConnInfo, Modal};

    fn names(s: &AppState) -> Vec<&str> {
        s.derived
            .mesh
            .iter()
            .map(|r| r.namespace.as_str())
            .collect()
    }

    fn type_filter(s: &mut AppState, text: &str) {
        s.modals = vec![Modal::Filter(TextInput::with(text))];
        s.refilter = true;
        s.refresh();
    }

    #[test]
    fn a_filter_change_filters_the_derived_rows_again_without_deriving_them() {
        let mut s = AppState::new(
            ConnInfo::default(),
            None,
            false,
            jiff::Timestamp::UNIX_EPOCH,
        );
        s.view = ViewId::Mesh;
        for n in ["payments", "shipping", "shop"] {
            s.cache.namespaces.insert(n.into(), namespace(n, &[]));
        }
        s.refresh();
        assert_eq!(names(&s), ["payments", "shipping", "shop"]);
        // Changed behind the derivation's back (no watch message): only a derivation sees it.
        s.cache
            .namespaces
            .insert("shopfront".into(), namespace("shopfront", &[]));
        let version = s.derived_version;
        type_filter(&mut s, "sh");
        assert_eq!(names(&s), ["shipping", "shop"]);
        type_filter(&mut s, "sho");
        assert_eq!(
            names(&s),
            ["shop"],
            "a longer filter narrows the rows shown"
        );
        type_filter(&mut s, "p");
        assert_eq!(
            names(&s),
            ["payments", "shipping", "shop"],
            "another filter starts from all rows"
        );
        assert_eq!(s.derived_version, version + 3, "widgets see each change");
        // A cache change derives again.
        s.stale = true;
        s.refresh();
        assert_eq!(names(&s), ["payments", "shipping", "shop", "shopfront"]);
    }
}
