//! Rows the current view shows, derived from the cache. Only the visible view is derived,
//! and only when the cache or its filter changed, so idle frames cost nothing.

use crate::app::action::ViewId;
use crate::cluster::kinds::Kind;
use crate::cluster::objects::{ObjKey, RouteKind};
use crate::model::frontends::{AlbRow, GatewayFrontend, alb_rows, gateway_frontends};
use crate::model::mesh::{MeshRow, mesh_rows};
use crate::model::routes::{Known, backend_kind_invalid, route_problems, route_status_word};
use crate::model::topology::gateway_tree;
use crate::model::tree::Node;
use crate::model::weights::{format_percent, shares};

use super::AppState;

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
    pub findings: Vec<crate::model::diagnostics::Finding>,
    /// The Certificates view's rows (filtered), and the row its detail shows.
    pub certs: Vec<crate::model::certs::CertRow>,
    pub cert_detail: Option<crate::model::certs::CertRow>,
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
        ViewId::Certs => &[
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
        ],
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

impl Derived {
    pub fn compute(state: &AppState) -> Derived {
        let filter = state.active_filter();
        let cache = &state.cache;
        let known = known(state);
        let mut d = Derived {
            view: Some(state.view),
            ..Default::default()
        };
        match state.view {
            ViewId::Gateways => d.gateway_tree = gateway_tree(cache, known, &filter),
            ViewId::Routes => {
                d.routes = cache
                    .routes
                    .values()
                    .map(|r| {
                        let backends: Vec<String> = r
                            .rules
                            .iter()
                            .flat_map(|rule| {
                                let s = shares(
                                    &rule.backends.iter().map(|b| b.weight).collect::<Vec<_>>(),
                                );
                                rule.backends
                                    .iter()
                                    .zip(s.percent)
                                    .map(|(b, p)| match &b.subset {
                                        _ if backend_kind_invalid(cache, r, b) => format!(
                                            "{} {} {}→500",
                                            b.kind,
                                            b.key.name,
                                            format_percent(p)
                                        ),
                                        Some(s) => {
                                            format!("{}/{s} {}", b.key.name, format_percent(p))
                                        }
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
                    })
                    .filter(|row| {
                        hit(
                            &filter,
                            &[
                                &row.key.to_string(),
                                &row.hostnames,
                                &row.parents,
                                &row.backends,
                                row.status,
                            ],
                        )
                    })
                    .collect();
            }
            ViewId::Frontends => {
                d.albs = alb_rows(cache)
                    .into_iter()
                    .filter(|a| hit(&filter, &[&a.alb.key.to_string(), &a.deployment_message]))
                    .collect();
                d.frontends =
                    gateway_frontends(cache, state.is_live(Kind::ApplicationLoadBalancers))
                        .into_iter()
                        .filter(|f| {
                            let addrs: Vec<&str> =
                                f.addresses.iter().map(|(_, v)| v.as_str()).collect();
                            hit(
                                &filter,
                                &[
                                    &f.gateway.to_string(),
                                    &f.class,
                                    &addrs.join(" "),
                                    &f.hostnames.join(" "),
                                ],
                            )
                        })
                        .collect();
            }
            ViewId::Mesh => {
                d.mesh = mesh_rows(cache)
                    .into_iter()
                    .filter(|r| state.namespace.as_ref().is_none_or(|ns| *ns == r.namespace))
                    .filter(|r| hit(&filter, &[&r.namespace, &r.injection.effective.label()]))
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
                d.certs = all
                    .into_iter()
                    .filter(|r| filter.is_empty() || r.search_text().contains(&filter))
                    .collect();
            }
            ViewId::Diagnostics => d.findings = super::diagnostics::rows(state, &filter),
        }
        d
    }
}
