//! Lean projections of the certificate sources. Certificates are parsed here, at watch time:
//! the cache keeps only their public facts. Private-key fields (`tls.key`, `ca-key.pem`,
//! `key.pem`) are never read, and no Secret bytes outlive the projection.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::DynamicObject;

use super::common::{Cond, ObjKey, conds_from_json, created};
use crate::cluster::kinds::Kind;
use crate::cluster::objects::x509::{BundleEntry, Parsed, has_pem_certificate, parse_bundle};

pub const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";
/// The Istio plugin CA (`cacerts`) and istiod's self-signed CA (`istio-ca-secret`).
pub const ISTIO_CACERTS: &str = "cacerts";
pub const ISTIO_CA_SECRET: &str = "istio-ca-secret";
/// The root certificate istiod copies into every namespace for the sidecars.
pub const ISTIO_ROOT_CERT_CONFIGMAP: &str = "istio-ca-root-cert";
pub const ISTIO_ROOT_CERT_KEY: &str = "root-cert.pem";

/// The only Secret keys that are read: the ones that can hold certificates.
pub const SECRET_CERT_KEYS: [&str; 5] = [
    "tls.crt",
    "ca.crt",
    "ca-cert.pem",
    "cert-chain.pem",
    "root-cert.pem",
];

/// The entries of one data key of a Secret or ConfigMap.
#[derive(Debug, Clone, PartialEq)]
pub struct CertData {
    pub data_key: String,
    pub entries: Vec<BundleEntry>,
}

/// A Secret that can hold certificates, reduced to the parsed certificates.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretCerts {
    pub key: ObjKey,
    pub type_: String,
    pub data: Vec<CertData>,
    pub created: Option<Timestamp>,
}

fn one_problem(data_key: &str, reason: String) -> CertData {
    CertData {
        data_key: data_key.into(),
        entries: vec![BundleEntry {
            index: 1,
            of: 1,
            parsed: Parsed::Unparseable(reason),
        }],
    }
}

impl From<&Secret> for SecretCerts {
    fn from(s: &Secret) -> Self {
        let key = ObjKey::of(&s.metadata);
        let type_ = s.type_.clone().unwrap_or_else(|| "Opaque".into());
        let empty = Default::default();
        let values = s.data.as_ref().unwrap_or(&empty);
        let mut data = Vec::new();
        for k in SECRET_CERT_KEYS {
            let Some(v) = values.get(k) else { continue };
            // istiod writes its self-signed CA with empty cert-chain.pem / root-cert.pem
            // placeholders: not certificates anyone relies on.
            if key.name == ISTIO_CA_SECRET && k != "ca-cert.pem" && v.0.is_empty() {
                continue;
            }
            data.push(CertData {
                data_key: k.into(),
                entries: parse_bundle(&v.0),
            });
        }
        if type_ == TLS_SECRET_TYPE && !values.contains_key("tls.crt") {
            data.insert(0, one_problem("tls.crt", "tls.crt missing".into()));
        } else if data.is_empty() {
            data.push(one_problem(
                "-",
                format!("no certificate key ({})", SECRET_CERT_KEYS.join(", ")),
            ));
        }
        SecretCerts {
            created: created(&s.metadata),
            key,
            type_,
            data,
        }
    }
}

/// A ConfigMap's PEM-bearing keys (trust stores, `istio-ca-root-cert`), parsed. Empty `data`
/// means "holds no certificate": the cache does not keep it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigMapCerts {
    pub key: ObjKey,
    pub data: Vec<CertData>,
}

impl From<&ConfigMap> for ConfigMapCerts {
    fn from(cm: &ConfigMap) -> Self {
        let key = ObjKey::of(&cm.metadata);
        let istio_root = key.name == ISTIO_ROOT_CERT_CONFIGMAP;
        let data = cm
            .data
            .iter()
            .flatten()
            .filter(|(k, v)| (istio_root && *k == ISTIO_ROOT_CERT_KEY) || has_pem_certificate(v))
            .map(|(k, v)| CertData {
                data_key: k.clone(),
                entries: parse_bundle(v.as_bytes()),
            })
            .collect();
        ConfigMapCerts { key, data }
    }
}

/// cert-manager `Certificate` (cert-manager.io/v1): what it should issue and how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct CmCertificateInfo {
    pub key: ObjKey,
    pub secret_name: String,
    pub common_name: Option<String>,
    pub dns_names: Vec<String>,
    /// `Kind/name` (`ClusterIssuer/letsencrypt-prod`).
    pub issuer_ref: String,
    pub not_before: Option<Timestamp>,
    pub not_after: Option<Timestamp>,
    pub renewal_time: Option<Timestamp>,
    pub failed_attempts: Option<i64>,
    pub conditions: Vec<Cond>,
}

impl CmCertificateInfo {
    pub fn ready(&self) -> Option<&Cond> {
        super::find_cond(&self.conditions, "Ready")
    }
}

impl From<&DynamicObject> for CmCertificateInfo {
    fn from(o: &DynamicObject) -> Self {
        let spec = &o.data["spec"];
        let status = &o.data["status"];
        let s = |v: &serde_json::Value| v.as_str().map(String::from);
        let t = |v: &serde_json::Value| v.as_str().and_then(|t| t.parse::<Timestamp>().ok());
        let issuer = &spec["issuerRef"];
        CmCertificateInfo {
            key: ObjKey::of(&o.metadata),
            secret_name: s(&spec["secretName"]).unwrap_or_default(),
            common_name: s(&spec["commonName"]),
            dns_names: strings(&spec["dnsNames"]),
            issuer_ref: format!(
                "{}/{}",
                issuer["kind"].as_str().unwrap_or("Issuer"),
                issuer["name"].as_str().unwrap_or_default()
            ),
            not_before: t(&status["notBefore"]),
            not_after: t(&status["notAfter"]),
            renewal_time: t(&status["renewalTime"]),
            failed_attempts: status["failedIssuanceAttempts"].as_i64(),
            conditions: conds_from_json(status.get("conditions")),
        }
    }
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// What a TLS policy does with a referenced certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RefRole {
    /// Trusted CA to verify the peer.
    Ca,
    /// Certificate presented to the backend.
    ClientCert,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPolicyRef {
    pub role: RefRole,
    pub target: CertRef,
}

/// A BackendTLSPolicy (Gateway API or AGC): the certificates it references and its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsPolicyInfo {
    /// `Kind::BackendTlsPolicies` or `Kind::AlbBackendTlsPolicies`.
    pub kind: Kind,
    pub key: ObjKey,
    /// `Service/name` of each target.
    pub targets: Vec<String>,
    pub refs: Vec<TlsPolicyRef>,
}

/// A TLS certificate reference of a listener (usually a Secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRef {
    pub kind: String,
    pub ns: String,
    pub name: String,
}

/// A Gateway API `SecretObjectReference`/`LocalObjectReference` (`kind` defaults to Secret).
pub fn cert_ref(v: &serde_json::Value, default_ns: &str) -> Option<CertRef> {
    let name = v.get("name")?.as_str()?;
    Some(CertRef {
        kind: v
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or("Secret")
            .to_string(),
        ns: v
            .get("namespace")
            .and_then(|n| n.as_str())
            .unwrap_or(default_ns)
            .to_string(),
        name: name.to_string(),
    })
}

fn target(v: &serde_json::Value) -> Option<String> {
    let name = v.get("name")?.as_str()?;
    let kind = v.get("kind").and_then(|k| k.as_str()).unwrap_or("Service");
    Some(format!("{kind}/{name}"))
}

impl TlsPolicyInfo {
    pub fn from_dynamic(kind: Kind, o: &DynamicObject) -> Self {
        let key = ObjKey::of(&o.metadata);
        let spec = &o.data["spec"];
        let mut refs = Vec::new();
        let mut targets = Vec::new();
        if kind == Kind::AlbBackendTlsPolicies {
            targets.extend(target(&spec["targetRef"]));
            // `override` is rejected by AGC today, but a reference there is still a use.
            for part in ["default", "override"] {
                let cfg = &spec[part];
                if let Some(r) = cert_ref(&cfg["verify"]["caCertificateRef"], &key.ns) {
                    refs.push(TlsPolicyRef {
                        role: RefRole::Ca,
                        target: r,
                    });
                }
                if let Some(r) = cert_ref(&cfg["clientCertificateRef"], &key.ns) {
                    refs.push(TlsPolicyRef {
                        role: RefRole::ClientCert,
                        target: r,
                    });
                }
            }
        } else {
            for t in spec["targetRefs"].as_array().into_iter().flatten() {
                targets.extend(target(t));
            }
            // Local references: always the policy's namespace.
            for r in spec["validation"]["caCertificateRefs"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let mut local = r.clone();
                if let Some(m) = local.as_object_mut() {
                    m.remove("namespace");
                }
                if let Some(r) = cert_ref(&local, &key.ns) {
                    refs.push(TlsPolicyRef {
                        role: RefRole::Ca,
                        target: r,
                    });
                }
            }
        }
        TlsPolicyInfo {
            kind,
            key,
            targets,
            refs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(v: serde_json::Value) -> Secret {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn only_certificate_keys_are_read() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let key_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        let s = SecretCerts::from(&secret(serde_json::json!({
            "metadata": {"name": "web", "namespace": "shop"},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": b64("garbage"), "tls.key": b64(key_pem), "extra": b64("x")}
        })));
        assert_eq!(s.data.len(), 1);
        assert_eq!(s.data[0].data_key, "tls.crt");
        assert!(!format!("{s:?}").contains("PRIVATE"));
    }

    #[test]
    fn a_tls_secret_without_tls_crt_is_a_row_not_nothing() {
        let s = SecretCerts::from(&secret(serde_json::json!({
            "metadata": {"name": "web", "namespace": "shop"},
            "type": "kubernetes.io/tls", "data": {}
        })));
        assert_eq!(s.data[0].data_key, "tls.crt");
        assert_eq!(
            s.data[0].entries[0].parsed,
            Parsed::Unparseable("tls.crt missing".into())
        );
    }

    #[test]
    fn istio_ca_secret_placeholders_are_skipped_but_cacerts_empties_are_not() {
        let mk = |name: &str| {
            SecretCerts::from(&secret(serde_json::json!({
                "metadata": {"name": name, "namespace": "istio-system"},
                "type": "istio.io/ca-root",
                "data": {"ca-cert.pem": "", "cert-chain.pem": "", "root-cert.pem": "", "ca-key.pem": ""}
            })))
        };
        let keys = |s: &SecretCerts| {
            s.data
                .iter()
                .map(|d| d.data_key.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&mk(ISTIO_CA_SECRET)), ["ca-cert.pem"]);
        assert_eq!(
            keys(&mk(ISTIO_CACERTS)),
            ["ca-cert.pem", "cert-chain.pem", "root-cert.pem"]
        );
    }

    #[test]
    fn configmaps_keep_only_pem_keys() {
        let cm: ConfigMap = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "trust", "namespace": "shop"},
            "data": {"mesh": "accessLogFile: /dev/stdout", "ca.pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}
        }))
        .unwrap();
        let c = ConfigMapCerts::from(&cm);
        assert_eq!(c.data.len(), 1);
        assert_eq!(c.data[0].data_key, "ca.pem");
        let root: ConfigMap = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "istio-ca-root-cert", "namespace": "shop"},
            "data": {"root-cert.pem": ""}
        }))
        .unwrap();
        let c = ConfigMapCerts::from(&root);
        assert_eq!(
            c.data[0].entries[0].parsed,
            Parsed::Unparseable("empty".into())
        );
    }

    #[test]
    fn backend_tls_policy_refs() {
        let dy = |v: serde_json::Value| -> DynamicObject { serde_json::from_value(v).unwrap() };
        let agc = TlsPolicyInfo::from_dynamic(
            Kind::AlbBackendTlsPolicies,
            &dy(serde_json::json!({
                "apiVersion": "alb.networking.azure.io/v1", "kind": "BackendTLSPolicy",
                "metadata": {"name": "p", "namespace": "infra"},
                "spec": {"targetRef": {"kind": "Service", "name": "api"},
                         "default": {"verify": {"caCertificateRef": {"name": "backend-ca"}},
                                     "clientCertificateRef": {"name": "client", "namespace": "other"}}}
            })),
        );
        assert_eq!(agc.targets, ["Service/api"]);
        assert_eq!(
            agc.refs,
            [
                TlsPolicyRef {
                    role: RefRole::Ca,
                    target: CertRef {
                        kind: "Secret".into(),
                        ns: "infra".into(),
                        name: "backend-ca".into()
                    }
                },
                TlsPolicyRef {
                    role: RefRole::ClientCert,
                    target: CertRef {
                        kind: "Secret".into(),
                        ns: "other".into(),
                        name: "client".into()
                    }
                }
            ]
        );
        let gw = TlsPolicyInfo::from_dynamic(
            Kind::BackendTlsPolicies,
            &dy(serde_json::json!({
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "BackendTLSPolicy",
                "metadata": {"name": "p", "namespace": "shop"},
                "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": "api"}],
                         "validation": {"hostname": "api", "caCertificateRefs": [
                            {"group": "", "kind": "ConfigMap", "name": "trust"}]}}
            })),
        );
        assert_eq!(gw.refs[0].target.kind, "ConfigMap");
        assert_eq!(gw.refs[0].target.ns, "shop");
    }
}
