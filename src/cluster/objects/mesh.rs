use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::DynamicObject;

use super::common::ObjKey;

#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceInfo {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub phase: Option<String>,
    /// The write precondition for label changes.
    pub resource_version: Option<String>,
}

impl From<&Namespace> for NamespaceInfo {
    fn from(n: &Namespace) -> Self {
        NamespaceInfo {
            name: n.metadata.name.clone().unwrap_or_default(),
            labels: n.metadata.labels.clone().unwrap_or_default(),
            phase: n.status.as_ref().and_then(|s| s.phase.clone()),
            resource_version: n.metadata.resource_version.clone(),
        }
    }
}

/// Istio PeerAuthentication mTLS modes. UNSET inherits from the parent scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MtlsMode {
    Unset,
    Disable,
    Permissive,
    Strict,
}

impl MtlsMode {
    pub fn parse(s: &str) -> Option<MtlsMode> {
        match s {
            "UNSET" => Some(MtlsMode::Unset),
            "DISABLE" => Some(MtlsMode::Disable),
            "PERMISSIVE" => Some(MtlsMode::Permissive),
            "STRICT" => Some(MtlsMode::Strict),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MtlsMode::Unset => "UNSET",
            MtlsMode::Disable => "DISABLE",
            MtlsMode::Permissive => "PERMISSIVE",
            MtlsMode::Strict => "STRICT",
        }
    }
}

/// security.istio.io PeerAuthentication, reduced to what decides the effective mode.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerAuthInfo {
    pub key: ObjKey,
    /// A workload selector makes the policy apply to some pods only, not the namespace.
    pub has_selector: bool,
    /// None when `spec.mtls` is absent (same as UNSET). Unknown strings keep the raw text.
    pub mode: Option<MtlsMode>,
    pub raw_mode: Option<String>,
    pub port_overrides: usize,
}

impl From<&DynamicObject> for PeerAuthInfo {
    fn from(o: &DynamicObject) -> Self {
        let spec = &o.data["spec"];
        let raw = spec["mtls"]["mode"].as_str().map(String::from);
        let has_selector = spec["selector"]["matchLabels"]
            .as_object()
            .is_some_and(|m| !m.is_empty());
        PeerAuthInfo {
            key: ObjKey::of(&o.metadata),
            has_selector,
            mode: raw.as_deref().and_then(MtlsMode::parse),
            raw_mode: raw,
            port_overrides: spec["portLevelMtls"].as_object().map_or(0, |m| m.len()),
        }
    }
}
