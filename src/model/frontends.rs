//! Frontends: AGC ApplicationLoadBalancers and the addresses (FQDNs) of every gateway.

use crate::cluster::cache::ClusterCache;
use crate::cluster::objects::{AlbInfo, GatewayInfo, ObjKey, find_cond};

pub const AGC_CONTROLLER: &str = "alb.networking.azure.io/alb-controller";

/// How a gateway gets its frontend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrontendMode {
    /// ALB-managed: annotations name an ApplicationLoadBalancer resource.
    AgcManaged {
        alb: ObjKey,
        alb_exists: Option<bool>,
    },
    /// Bring-your-own: annotation `alb-id` names the Azure resource.
    AgcByo { alb_id: String },
    /// An AGC class without either annotation: the controller cannot place it.
    AgcUnbound,
    /// Any other controller.
    Other { controller: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct GatewayFrontend {
    pub gateway: ObjKey,
    pub class: String,
    pub mode: FrontendMode,
    pub addresses: Vec<(String, String)>,
    pub programmed: Option<String>,
    pub hostnames: Vec<String>,
    /// FrontendTLSPolicies targeting this gateway, with listener names.
    pub tls_policies: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlbRow {
    pub alb: AlbInfo,
    pub deployment: Option<String>,
    pub deployment_message: String,
    pub accepted: Option<String>,
    pub gateways: Vec<ObjKey>,
}

pub fn gateway_frontends(cache: &ClusterCache, albs_known: bool) -> Vec<GatewayFrontend> {
    cache
        .gateways
        .values()
        .map(|gw| gateway_frontend(cache, albs_known, gw))
        .collect()
}

fn is_agc(cache: &ClusterCache, gw: &GatewayInfo) -> (bool, String) {
    let controller = cache
        .gateway_classes
        .get(&gw.class)
        .map(|c| c.controller.clone())
        .unwrap_or_default();
    (
        controller == AGC_CONTROLLER || gw.class.starts_with("azure-alb"),
        controller,
    )
}

fn gateway_frontend(cache: &ClusterCache, albs_known: bool, gw: &GatewayInfo) -> GatewayFrontend {
    let (agc, controller) = is_agc(cache, gw);
    let mode = match (gw.alb_ref(), gw.alb_id()) {
        (Some(alb), _) => FrontendMode::AgcManaged {
            alb_exists: albs_known.then(|| cache.albs.contains_key(&alb)),
            alb,
        },
        (None, Some(id)) => FrontendMode::AgcByo {
            alb_id: id.to_string(),
        },
        (None, None) if agc => FrontendMode::AgcUnbound,
        _ => FrontendMode::Other {
            controller: if controller.is_empty() {
                "(class not found)".into()
            } else {
                controller
            },
        },
    };
    let tls_policies = cache
        .frontend_tls
        .values()
        .filter(|p| p.target_kind == "Gateway" && p.target == gw.key)
        .map(|p| {
            if p.section_names.is_empty() {
                p.key.to_string()
            } else {
                format!("{} [{}]", p.key, p.section_names.join(","))
            }
        })
        .collect();
    GatewayFrontend {
        gateway: gw.key.clone(),
        class: gw.class.clone(),
        mode,
        addresses: gw.status_addresses.clone(),
        programmed: find_cond(&gw.conditions, "Programmed").map(|c| c.status.clone()),
        hostnames: gw
            .listeners
            .iter()
            .filter_map(|l| l.hostname.clone())
            .collect(),
        tls_policies,
    }
}

pub fn alb_rows(cache: &ClusterCache) -> Vec<AlbRow> {
    cache
        .albs
        .values()
        .map(|alb| {
            let dep = find_cond(&alb.conditions, "Deployment");
            AlbRow {
                deployment: dep.map(|c| c.status.clone()),
                deployment_message: dep
                    .map(|c| {
                        if c.message.is_empty() {
                            c.reason.clone()
                        } else {
                            c.message.clone()
                        }
                    })
                    .unwrap_or_default(),
                accepted: find_cond(&alb.conditions, "Accepted").map(|c| c.status.clone()),
                gateways: cache
                    .gateways
                    .values()
                    .filter(|g| g.alb_ref().as_ref() == Some(&alb.key))
                    .map(|g| g.key.clone())
                    .collect(),
                alb: alb.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::objects::{Cond, GatewayClassInfo};
    use crate::cluster::objects::{FrontendTlsPolicyInfo, ListenerInfo};

    fn gw(name: &str, class: &str, ann: &[(&str, &str)]) -> GatewayInfo {
        GatewayInfo {
            key: ObjKey::new("infra", name),
            class: class.into(),
            alb_annotations: ann
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            spec_addresses: vec![],
            listeners: vec![ListenerInfo {
                name: "https".into(),
                port: 443,
                protocol: "HTTPS".into(),
                hostname: Some("a.contoso.com".into()),
                tls_mode: None,
                cert_refs: vec![],
                attached_routes: None,
                conditions: vec![],
            }],
            status_addresses: vec![("Hostname".into(), format!("{name}.fz12.alb.azure.com"))],
            conditions: vec![Cond {
                type_: "Programmed".into(),
                status: "True".into(),
                ..Default::default()
            }],
            created: None,
        }
    }

    fn cache() -> ClusterCache {
        let mut c = ClusterCache::default();
        c.gateway_classes.insert(
            "azure-alb-external".into(),
            GatewayClassInfo {
                name: "azure-alb-external".into(),
                controller: AGC_CONTROLLER.into(),
                description: None,
                conditions: vec![],
            },
        );
        c.gateway_classes.insert(
            "istio".into(),
            GatewayClassInfo {
                name: "istio".into(),
                controller: "istio.io/gateway-controller".into(),
                description: None,
                conditions: vec![],
            },
        );
        for g in [
            gw(
                "managed",
                "azure-alb-external",
                &[
                    ("alb.networking.azure.io/alb-namespace", "alb-infra"),
                    ("alb.networking.azure.io/alb-name", "alb-test"),
                ],
            ),
            gw(
                "byo",
                "azure-alb-external",
                &[(
                    "alb.networking.azure.io/alb-id",
                    "/subscriptions/x/trafficControllers/tc",
                )],
            ),
            gw("bare", "azure-alb-external", &[]),
            gw("mesh", "istio", &[]),
        ] {
            c.gateways.insert(g.key.clone(), g);
        }
        c.albs.insert(
            ObjKey::new("alb-infra", "alb-test"),
            AlbInfo {
                key: ObjKey::new("alb-infra", "alb-test"),
                associations: vec!["/subscriptions/x/subnets/alb".into()],
                conditions: vec![Cond {
                    type_: "Deployment".into(),
                    status: "True".into(),
                    reason: "Ready".into(),
                    message: "alb-id=/subscriptions/x/alb-1".into(),
                }],
                created: None,
            },
        );
        c.frontend_tls.insert(
            ObjKey::new("infra", "ftls"),
            FrontendTlsPolicyInfo {
                key: ObjKey::new("infra", "ftls"),
                target_kind: "Gateway".into(),
                target: ObjKey::new("infra", "managed"),
                section_names: vec!["https".into()],
                ca_refs: vec![],
                conditions: vec![],
            },
        );
        c
    }

    #[test]
    fn modes_by_annotation_and_class() {
        let f = gateway_frontends(&cache(), true);
        let by = |n: &str| f.iter().find(|g| g.gateway.name == n).unwrap();
        assert_eq!(
            by("managed").mode,
            FrontendMode::AgcManaged {
                alb: ObjKey::new("alb-infra", "alb-test"),
                alb_exists: Some(true)
            }
        );
        assert!(matches!(by("byo").mode, FrontendMode::AgcByo { .. }));
        assert_eq!(by("bare").mode, FrontendMode::AgcUnbound);
        assert_eq!(
            by("mesh").mode,
            FrontendMode::Other {
                controller: "istio.io/gateway-controller".into()
            }
        );
        assert_eq!(by("mesh").addresses[0].1, "mesh.fz12.alb.azure.com");
        assert_eq!(
            by("managed").tls_policies,
            vec!["infra/ftls [https]".to_string()]
        );
    }

    #[test]
    fn alb_lists_bound_gateways_and_deployment_state() {
        let rows = alb_rows(&cache());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].gateways, vec![ObjKey::new("infra", "managed")]);
        assert_eq!(rows[0].deployment.as_deref(), Some("True"));
        assert!(rows[0].deployment_message.starts_with("alb-id="));
    }

    #[test]
    fn missing_alb_is_flagged_only_when_known() {
        let mut c = cache();
        c.albs.clear();
        let f = gateway_frontends(&c, true);
        assert!(f.iter().any(|g| matches!(
            g.mode,
            FrontendMode::AgcManaged {
                alb_exists: Some(false),
                ..
            }
        )));
        let f = gateway_frontends(&c, false);
        assert!(f.iter().any(|g| matches!(
            g.mode,
            FrontendMode::AgcManaged {
                alb_exists: None,
                ..
            }
        )));
    }
}
