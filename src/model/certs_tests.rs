use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::DynamicObject;
use serde_json::json;

use super::*;
use crate::cluster::cache::Obj;
use crate::cluster::objects::x509::tests::mint;
use crate::cluster::objects::{
    CmCertificateInfo, ConfigMapCerts, FrontendTlsPolicyInfo, GatewayInfo, SecretCerts,
    TlsPolicyInfo, WorkloadInfo,
};

const NOW: &str = "2026-11-25T12:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn at(offset_secs: i64) -> Timestamp {
    Timestamp::from_second(now().as_second() + offset_secs).unwrap()
}

const DAY: i64 = 86_400;

#[test]
fn days_left_counts_started_days() {
    assert_eq!(days_left(now(), at(5 * DAY)), 5);
    assert_eq!(days_left(now(), at(5 * DAY - 60)), 5);
    assert_eq!(days_left(now(), at(4 * DAY + 1)), 5);
    assert_eq!(days_left(now(), at(4 * DAY)), 4);
    assert_eq!(days_left(now(), at(1)), 1);
    assert_eq!(days_left(now(), at(0)), 0);
    assert_eq!(days_left(now(), at(-3 * DAY)), -3);
    assert_eq!(days_left(now(), at(-3 * DAY - 3600)), -3);
}

#[test]
fn band_boundaries_at_30_14_7_and_expiry() {
    let b = Bands::default();
    let band = |secs: i64| b.band(now(), None, at(secs));
    assert_eq!(band(31 * DAY), Band::Ok);
    assert_eq!(band(30 * DAY + 1), Band::Ok);
    assert_eq!(band(30 * DAY), Band::Soon);
    assert_eq!(band(14 * DAY + 1), Band::Soon);
    assert_eq!(band(14 * DAY), Band::Warning);
    assert_eq!(band(7 * DAY + 1), Band::Warning);
    assert_eq!(band(7 * DAY), Band::Critical);
    assert_eq!(band(1), Band::Critical);
    assert_eq!(band(0), Band::Expired);
    assert_eq!(band(-DAY), Band::Expired);
    // Not yet valid, far from expiry.
    assert_eq!(
        b.band(now(), Some(at(DAY)), at(400 * DAY)),
        Band::NotYetValid
    );
}

#[test]
fn configured_bands() {
    let b = Bands::from_list(&[7, 60, 21]).unwrap();
    assert_eq!((b.soon, b.warning, b.critical), (60, 21, 7));
    assert_eq!(b.band(now(), None, at(45 * DAY)), Band::Soon);
    assert_eq!(b.band(now(), None, at(21 * DAY)), Band::Warning);
    assert!(Bands::from_list(&[30, 14]).is_err());
    assert!(Bands::from_list(&[30, 14, 0]).is_err());
    assert!(Bands::from_list(&[30, 14, 14]).is_err());
}

fn pem_secret(ns: &str, name: &str, ty: &str, data: &[(&str, &str)]) -> Obj {
    let data: serde_json::Map<String, serde_json::Value> = data
        .iter()
        .map(|(k, v)| (k.to_string(), json!(B64.encode(v))))
        .collect();
    let s: Secret = serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": ns}, "type": ty, "data": data
    }))
    .unwrap();
    let kind = match name {
        "cacerts" => Kind::IstioCaCerts,
        "istio-ca-secret" => Kind::IstioCaSecrets,
        _ => Kind::TlsSecrets,
    };
    Obj::CertSecret(kind, SecretCerts::from(&s))
}

fn dynamic(v: serde_json::Value) -> DynamicObject {
    serde_json::from_value(v).unwrap()
}

/// Certificates that expire `days` after NOW.
fn pem(cn: &str, days: i64) -> String {
    let nb = at(-30 * DAY).to_string();
    let na = at(days * DAY).to_string();
    mint(cn, &[cn], &nb, &na, false, None).pem
}

fn cluster() -> ClusterCache {
    let mut c = ClusterCache::default();
    c.apply(pem_secret(
        "ingress",
        "shop-tls",
        "kubernetes.io/tls",
        &[
            ("tls.crt", &pem("shop.example", 5)),
            ("tls.key", "KEYBYTES"),
        ],
    ));
    c.apply(pem_secret(
        "ingress",
        "legacy-tls",
        "kubernetes.io/tls",
        &[("tls.crt", &pem("legacy.example", -3))],
    ));
    c.apply(pem_secret(
        "ingress",
        "broken-tls",
        "kubernetes.io/tls",
        &[("tls.crt", "garbage")],
    ));
    c.apply(pem_secret(
        "infra",
        "backend-ca",
        "kubernetes.io/tls",
        &[("tls.crt", &pem("backend-ca", 900))],
    ));
    c.apply(pem_secret(
        "infra",
        "client-ca",
        "kubernetes.io/tls",
        &[("tls.crt", &pem("client-ca", 800))],
    ));
    let root = pem("mesh-root", 3000);
    c.apply(pem_secret(
        "istio-system",
        "cacerts",
        "Opaque",
        &[("root-cert.pem", &root), ("ca-key.pem", "KEYBYTES")],
    ));
    c.apply(pem_secret(
        "istio-system",
        "istio-ca-secret",
        "istio.io/ca-root",
        &[
            ("ca-cert.pem", &pem("self-signed", 3000)),
            ("root-cert.pem", ""),
        ],
    ));
    let cm: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "istio-ca-root-cert", "namespace": "shop"},
        "data": {"root-cert.pem": root}
    }))
    .unwrap();
    c.apply(Obj::CertConfigMap(ConfigMapCerts::from(&cm)));
    let trust: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "trust", "namespace": "shop"},
        "data": {"bundle.pem": format!("{}{}", pem("a", 100), pem("b", 200)), "other": "x"}
    }))
    .unwrap();
    c.apply(Obj::CertConfigMap(ConfigMapCerts::from(&trust)));
    let istiod: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "istiod-asm-1-22", "namespace": "istio-system",
                     "labels": {"app": "istiod", "istio.io/rev": "asm-1-22"}},
        "spec": {"selector": {}, "template": {}}
    }))
    .unwrap();
    c.apply(Obj::ControlPlane(WorkloadInfo::from(&istiod)));
    let gw: gateway_api::gateways::Gateway = serde_json::from_value(json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": "public", "namespace": "ingress"},
        "spec": {"gatewayClassName": "istio", "listeners": [
            {"name": "https-shop", "port": 443, "protocol": "HTTPS", "hostname": "shop.example",
             "tls": {"certificateRefs": [{"name": "shop-tls"}]}},
            {"name": "https-legacy", "port": 443, "protocol": "HTTPS",
             "tls": {"certificateRefs": [{"name": "legacy-tls", "namespace": "ingress"}]}}
        ]}
    }))
    .unwrap();
    c.apply(Obj::Gateway(GatewayInfo::from(&gw)));
    c.apply(Obj::FrontendTls(FrontendTlsPolicyInfo::from(&dynamic(
        json!({
            "apiVersion": "alb.networking.azure.io/v1", "kind": "FrontendTLSPolicy",
            "metadata": {"name": "mtls", "namespace": "infra"},
            "spec": {"targetRef": {"kind": "Gateway", "name": "gw-01", "namespace": "infra"},
                     "default": {"verify": {"caCertificateRef": {"name": "client-ca"}}}}
        }),
    ))));
    c.apply(Obj::TlsPolicy(TlsPolicyInfo::from_dynamic(
        Kind::AlbBackendTlsPolicies,
        &dynamic(json!({
            "apiVersion": "alb.networking.azure.io/v1", "kind": "BackendTLSPolicy",
            "metadata": {"name": "backend-tls", "namespace": "infra"},
            "spec": {"targetRef": {"kind": "Service", "name": "backend-v2"},
                     "default": {"verify": {"caCertificateRef": {"name": "backend-ca"}}}}
        })),
    )));
    c.apply(Obj::TlsPolicy(TlsPolicyInfo::from_dynamic(
        Kind::BackendTlsPolicies,
        &dynamic(json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "BackendTLSPolicy",
            "metadata": {"name": "api-tls", "namespace": "shop"},
            "spec": {"targetRefs": [{"kind": "Service", "name": "api"}],
                     "validation": {"caCertificateRefs": [{"kind": "ConfigMap", "name": "trust"}]}}
        })),
    )));
    for (name, secret, ready, not_after) in [
        ("shop", "shop-tls", "True", Some("2026-11-30T12:00:00Z")),
        ("apex", "apex-tls", "False", None),
    ] {
        let mut status = json!({"conditions": [{"type": "Ready", "status": ready,
            "reason": if ready == "True" {"Ready"} else {"DoesNotExist"},
            "message": "m"}]});
        if let Some(na) = not_after {
            status["notAfter"] = json!(na);
        }
        c.apply(Obj::CmCertificate(CmCertificateInfo::from(&dynamic(
            json!({
                "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                "metadata": {"name": name, "namespace": "ingress"},
                "spec": {"secretName": secret, "dnsNames": ["x.example"],
                         "issuerRef": {"kind": "ClusterIssuer", "name": "le"}},
                "status": status
            }),
        ))));
    }
    c
}

fn row<'a>(rows: &'a [CertRow], source: &str) -> &'a CertRow {
    rows.iter()
        .find(|r| r.source() == source)
        .unwrap_or_else(|| {
            panic!(
                "no row {source}: {:?}",
                rows.iter().map(|r| r.source()).collect::<Vec<_>>()
            )
        })
}

#[test]
fn inventory_rows_days_and_bands() {
    let rows = inventory(&cluster(), now(), &Bands::default(), true);
    let shop = row(&rows, "Secret ingress/shop-tls tls.crt");
    assert_eq!((shop.days_left, shop.band), (Some(5), Band::Critical));
    assert_eq!(shop.subject(), "shop.example");
    assert_eq!(shop.place(), "leaf (self-signed)");
    let legacy = row(&rows, "Secret ingress/legacy-tls tls.crt");
    assert_eq!((legacy.days_left, legacy.band), (Some(-3), Band::Expired));
    let broken = row(&rows, "Secret ingress/broken-tls tls.crt");
    assert_eq!(broken.band, Band::Unparseable);
    assert!(broken.problem.as_deref().unwrap().contains("no PEM block"));
    // Bundles: every block is a row.
    let a = row(&rows, "ConfigMap shop/trust bundle.pem #1/2");
    let b = row(&rows, "ConfigMap shop/trust bundle.pem #2/2");
    assert_eq!((a.days_left, b.days_left), (Some(100), Some(200)));
    // istio-ca-secret's empty root-cert.pem placeholder is not a row.
    assert!(
        !rows
            .iter()
            .any(|r| r.source().contains("istio-ca-secret root-cert.pem"))
    );
    // No private key anywhere.
    assert!(!format!("{rows:?}").contains("KEYBYTES"));
}

#[test]
fn sorted_problems_first_then_soonest_expiry() {
    let rows = inventory(&cluster(), now(), &Bands::default(), true);
    let order: Vec<String> = rows.iter().map(|r| r.source()).collect();
    let pos = |s: &str| order.iter().position(|o| o == s).unwrap();
    assert!(pos("Secret ingress/broken-tls tls.crt") < pos("Secret ingress/legacy-tls tls.crt"));
    assert!(pos("Certificate ingress/apex") < pos("Secret ingress/legacy-tls tls.crt"));
    assert!(pos("Secret ingress/legacy-tls tls.crt") < pos("Secret ingress/shop-tls tls.crt"));
    assert!(pos("Secret ingress/shop-tls tls.crt") < pos("ConfigMap shop/trust bundle.pem #1/2"));
    let days: Vec<i64> = rows.iter().filter_map(|r| r.days_left).collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{days:?}");
}

#[test]
fn used_by_listeners_policies_istio_and_cert_manager() {
    let rows = inventory(&cluster(), now(), &Bands::default(), true);
    let users = |s: &str| row(&rows, s).used_by.clone();
    assert_eq!(
        users("Secret ingress/shop-tls tls.crt"),
        [
            "Gateway ingress/public listener https-shop (shop.example)",
            "cert-manager Certificate ingress/shop"
        ]
    );
    assert_eq!(
        users("Secret ingress/legacy-tls tls.crt"),
        ["Gateway ingress/public listener https-legacy"]
    );
    assert_eq!(
        users("Secret infra/client-ca tls.crt"),
        ["FrontendTLSPolicy infra/mtls (client CA of Gateway infra/gw-01)"]
    );
    assert_eq!(
        users("Secret infra/backend-ca tls.crt"),
        ["AGC BackendTLSPolicy infra/backend-tls (CA for Service/backend-v2)"]
    );
    assert_eq!(
        users("ConfigMap shop/trust bundle.pem #2/2"),
        ["BackendTLSPolicy shop/api-tls (CA for Service/api)"]
    );
    assert_eq!(
        users("Secret istio-system/cacerts root-cert.pem"),
        ["Istio plugin CA (istiod asm-1-22)"]
    );
    assert_eq!(
        users("Secret istio-system/istio-ca-secret ca-cert.pem"),
        ["Istio self-signed CA, superseded by cacerts"]
    );
    assert_eq!(
        users("ConfigMap shop/istio-ca-root-cert root-cert.pem"),
        ["Istio root of trust for sidecars in shop"]
    );
    assert!(users("Secret ingress/broken-tls tls.crt").is_empty());
    // The Certificate points at its Secret, and through it at the listener.
    assert_eq!(
        users("Certificate ingress/shop"),
        [
            "issues Secret ingress/shop-tls",
            "via Secret: Gateway ingress/public listener https-shop (shop.example)"
        ]
    );
    assert_eq!(
        users("Certificate ingress/apex"),
        ["issues Secret ingress/apex-tls (not found)"]
    );
    // Secrets not listed (forbidden): unknown, not "not found".
    let rows = inventory(&cluster(), now(), &Bands::default(), false);
    assert_eq!(
        row(&rows, "Certificate ingress/apex").used_by,
        ["issues Secret ingress/apex-tls"]
    );
}

#[test]
fn cert_manager_rows() {
    let rows = inventory(&cluster(), now(), &Bands::default(), true);
    let shop = row(&rows, "Certificate ingress/shop");
    assert_eq!((shop.days_left, shop.band), (Some(5), Band::Critical));
    assert_eq!(shop.place(), "Ready");
    assert_eq!(shop.subject(), "x.example");
    let apex = row(&rows, "Certificate ingress/apex");
    assert_eq!((apex.days_left, apex.band), (None, Band::NotReady));
    assert_eq!(apex.place(), "not Ready: DoesNotExist");
}

#[test]
fn a_secret_seen_by_two_watches_is_one_row() {
    let mut c = ClusterCache::default();
    let obj = pem_secret(
        "istio-system",
        "cacerts",
        "kubernetes.io/tls",
        &[("tls.crt", &pem("x", 50))],
    );
    let Obj::CertSecret(_, s) = obj else {
        unreachable!()
    };
    c.apply(Obj::CertSecret(Kind::TlsSecrets, s.clone()));
    c.apply(Obj::CertSecret(Kind::IstioCaCerts, s));
    assert_eq!(inventory(&c, now(), &Bands::default(), true).len(), 1);
    // The TLS watch forgets it: the cacerts watch still shows it.
    c.reset(Kind::TlsSecrets, vec![]);
    assert_eq!(inventory(&c, now(), &Bands::default(), true).len(), 1);
}

#[test]
fn expiring_within() {
    let rows = inventory(&cluster(), now(), &Bands::default(), true);
    let kept: Vec<String> = rows
        .iter()
        .filter(|r| r.expiring_within(now(), 30 * DAY))
        .map(|r| r.source())
        .collect();
    assert!(kept.contains(&"Secret ingress/shop-tls tls.crt".to_string()));
    assert!(kept.contains(&"Secret ingress/legacy-tls tls.crt".to_string()));
    assert!(kept.contains(&"Secret ingress/broken-tls tls.crt".to_string()));
    assert!(!kept.iter().any(|s| s.contains("trust")));
}

#[test]
fn a_bundle_copied_into_many_namespaces_is_one_row() {
    let root = pem("cluster root", 3);
    let mut c = ClusterCache::default();
    for ns in ["a", "b", "c"] {
        let cm: ConfigMap = serde_json::from_value(json!({
            "metadata": {"name": "kube-root-ca.crt", "namespace": ns},
            "data": {"ca.crt": root}
        }))
        .unwrap();
        c.apply(Obj::CertConfigMap(ConfigMapCerts::from(&cm)));
    }
    // A different certificate under the same name is its own row.
    let other: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "kube-root-ca.crt", "namespace": "d"},
        "data": {"ca.crt": pem("another root", 400)}
    }))
    .unwrap();
    c.apply(Obj::CertConfigMap(ConfigMapCerts::from(&other)));
    let rows = inventory(&c, now(), &Bands::default(), true);
    assert_eq!(
        rows.len(),
        2,
        "{:?}",
        rows.iter().map(|r| r.source()).collect::<Vec<_>>()
    );
    let first = row(&rows, "ConfigMap a/kube-root-ca.crt ca.crt (+2 namespaces)");
    assert_eq!(first.also_in, ["b", "c"]);
    assert_eq!(first.band, Band::Critical);
    assert!(
        first.search_text().contains(" c"),
        "filter finds a copy's namespace"
    );
    row(&rows, "ConfigMap d/kube-root-ca.crt ca.crt");
}
