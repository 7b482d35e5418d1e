use std::collections::BTreeMap;

use gateway_api::gatewayclasses::GatewayClass;
use gateway_api::gateways::Gateway;
use jiff::Timestamp;
use kube::api::DynamicObject;

use super::certs::CertRef;
use super::common::{Cond, ObjKey, conds, conds_from_json, created};

pub const ALB_NAMESPACE_ANNOTATION: &str = "alb.networking.azure.io/alb-namespace";
pub const ALB_NAME_ANNOTATION: &str = "alb.networking.azure.io/alb-name";
pub const ALB_ID_ANNOTATION: &str = "alb.networking.azure.io/alb-id";

#[derive(Debug, Clone, PartialEq)]
pub struct GatewayClassInfo {
    pub name: String,
    pub controller: String,
    pub description: Option<String>,
    pub conditions: Vec<Cond>,
}

impl From<&GatewayClass> for GatewayClassInfo {
    fn from(gc: &GatewayClass) -> Self {
        GatewayClassInfo {
            name: gc.metadata.name.clone().unwrap_or_default(),
            controller: gc.spec.controller_name.clone(),
            description: gc.spec.description.clone(),
            conditions: conds(gc.status.as_ref().and_then(|s| s.conditions.as_ref())),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListenerInfo {
    pub name: String,
    pub port: i32,
    pub protocol: String,
    pub hostname: Option<String>,
    pub tls_mode: Option<String>,
    pub cert_refs: Vec<CertRef>,
    /// From status: routes attached to this listener, and its conditions.
    pub attached_routes: Option<i32>,
    pub conditions: Vec<Cond>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GatewayInfo {
    pub key: ObjKey,
    pub class: String,
    /// Only the `alb.networking.azure.io/*` annotations: the rest is never shown.
    pub alb_annotations: BTreeMap<String, String>,
    pub spec_addresses: Vec<(String, String)>,
    pub listeners: Vec<ListenerInfo>,
    pub status_addresses: Vec<(String, String)>,
    pub conditions: Vec<Cond>,
    pub created: Option<Timestamp>,
}

impl GatewayInfo {
    /// The ApplicationLoadBalancer (namespace, name) this gateway is bound to in managed mode.
    pub fn alb_ref(&self) -> Option<ObjKey> {
        let ns = self.alb_annotations.get(ALB_NAMESPACE_ANNOTATION)?;
        let name = self.alb_annotations.get(ALB_NAME_ANNOTATION)?;
        Some(ObjKey::new(ns.clone(), name.clone()))
    }

    pub fn alb_id(&self) -> Option<&str> {
        self.alb_annotations
            .get(ALB_ID_ANNOTATION)
            .map(String::as_str)
    }
}

impl From<&Gateway> for GatewayInfo {
    fn from(gw: &Gateway) -> Self {
        let key = ObjKey::of(&gw.metadata);
        let status = gw.status.as_ref();
        let listener_status = status.and_then(|s| s.listeners.as_ref());
        let listeners = gw
            .spec
            .listeners
            .iter()
            .map(|l| {
                let st = listener_status.and_then(|ls| ls.iter().find(|s| s.name == l.name));
                let tls = l.tls.as_ref();
                ListenerInfo {
                    name: l.name.clone(),
                    port: l.port,
                    protocol: l.protocol.clone(),
                    hostname: l.hostname.clone(),
                    tls_mode: tls.and_then(|t| t.mode.as_ref()).map(|m| format!("{m:?}")),
                    cert_refs: tls
                        .and_then(|t| t.certificate_refs.as_ref())
                        .map(|refs| {
                            refs.iter()
                                .map(|r| CertRef {
                                    kind: r.kind.clone().unwrap_or_else(|| "Secret".into()),
                                    ns: r.namespace.clone().unwrap_or_else(|| key.ns.clone()),
                                    name: r.name.clone(),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    attached_routes: st.map(|s| s.attached_routes),
                    conditions: st
                        .map(|s| s.conditions.iter().map(Cond::from).collect())
                        .unwrap_or_default(),
                }
            })
            .collect();
        GatewayInfo {
            class: gw.spec.gateway_class_name.clone(),
            alb_annotations: gw
                .metadata
                .annotations
                .iter()
                .flatten()
                .filter(|(k, _)| k.starts_with("alb.networking.azure.io/"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            spec_addresses: gw
                .spec
                .addresses
                .iter()
                .flatten()
                .map(|a| {
                    (
                        a.r#type.clone().unwrap_or_else(|| "IPAddress".into()),
                        a.value.clone().unwrap_or_default(),
                    )
                })
                .collect(),
            listeners,
            status_addresses: status
                .and_then(|s| s.addresses.as_ref())
                .map(|a| {
                    a.iter()
                        .map(|a| {
                            (
                                a.r#type.clone().unwrap_or_else(|| "IPAddress".into()),
                                a.value.clone(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            conditions: conds(status.and_then(|s| s.conditions.as_ref())),
            created: created(&gw.metadata),
            key,
        }
    }
}

/// AGC `ApplicationLoadBalancer` (alb.networking.azure.io/v1, plural `applicationloadbalancer`).
#[derive(Debug, Clone, PartialEq)]
pub struct AlbInfo {
    pub key: ObjKey,
    pub associations: Vec<String>,
    pub conditions: Vec<Cond>,
    pub created: Option<Timestamp>,
}

impl From<&DynamicObject> for AlbInfo {
    fn from(o: &DynamicObject) -> Self {
        AlbInfo {
            key: ObjKey::of(&o.metadata),
            associations: o.data["spec"]["associations"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            conditions: conds_from_json(o.data.get("status").and_then(|s| s.get("conditions"))),
            created: created(&o.metadata),
        }
    }
}

/// AGC `FrontendTLSPolicy`: binds frontend TLS settings to a Gateway (and listeners).
#[derive(Debug, Clone, PartialEq)]
pub struct FrontendTlsPolicyInfo {
    pub key: ObjKey,
    pub target_kind: String,
    pub target: ObjKey,
    pub section_names: Vec<String>,
    /// `verify.caCertificateRef` of `default` (and `override`): the client CA for mTLS.
    pub ca_refs: Vec<CertRef>,
    pub conditions: Vec<Cond>,
}

impl From<&DynamicObject> for FrontendTlsPolicyInfo {
    fn from(o: &DynamicObject) -> Self {
        let key = ObjKey::of(&o.metadata);
        let t = &o.data["spec"]["targetRef"];
        let s = |k: &str| t.get(k).and_then(|v| v.as_str()).map(String::from);
        FrontendTlsPolicyInfo {
            target_kind: s("kind").unwrap_or_else(|| "Gateway".into()),
            target: ObjKey::new(
                s("namespace").unwrap_or_else(|| key.ns.clone()),
                s("name").unwrap_or_default(),
            ),
            section_names: t["sectionNames"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            ca_refs: ["default", "override"]
                .iter()
                .filter_map(|p| {
                    super::certs::cert_ref(
                        &o.data["spec"][p]["verify"]["caCertificateRef"],
                        &key.ns,
                    )
                })
                .collect(),
            conditions: conds_from_json(o.data.get("status").and_then(|s| s.get("conditions"))),
            key,
        }
    }
}
