//! Certificate findings, from the inventory (`model::certs`): expiry bands, unreadable
//! data, failing cert-manager Certificates, Gateway listeners whose certificate is missing
//! or expired, and CA bundles whose intermediate expires before the leaves it verifies.

use std::collections::BTreeSet;

use super::{Finding, Live, ObjRef, Severity};
use crate::cluster::cache::ClusterCache;
use crate::cluster::kinds::Kind;
use crate::cluster::objects::ObjKey;
use crate::cluster::objects::x509::ChainPlace;
use crate::model::certs::{Band, CertRow, SourceKind};

fn source_ref(r: &CertRow) -> ObjRef {
    ObjRef::new(r.id.kind.label(), &r.id.key)
}

/// `tls.crt #2/3`: what tells two findings on one Secret or ConfigMap apart.
fn entry(r: &CertRow) -> String {
    if r.of > 1 {
        format!("{} #{}/{}", r.id.data_key, r.id.index, r.of)
    } else {
        r.id.data_key.clone()
    }
}

fn used(r: &CertRow) -> String {
    if r.used_by.is_empty() {
        "no user found in the cluster".into()
    } else {
        format!("used by {}", r.used_by.join(", "))
    }
}

fn when(r: &CertRow) -> String {
    r.not_after
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "?".into())
}

/// Every certificate finding. `rows` is the inventory of `cache` (as the Certificates view
/// shows it); listener checks need Secrets listed in the Gateway's namespace.
pub fn findings(cache: &ClusterCache, live: &Live, rows: &[CertRow], out: &mut Vec<Finding>) {
    for r in rows {
        if !live.in_scope(&r.id.key.ns) {
            continue;
        }
        // A CA bundle copied into every namespace (`kube-root-ca.crt`) is one inventory row
        // and one finding, naming every copy.
        if let Some(mut f) = band_finding(r) {
            f.objects.extend(
                r.also_in
                    .iter()
                    .map(|ns| ObjRef::new(r.id.kind.label(), &ObjKey::new(ns, &r.id.key.name))),
            );
            out.push(f);
        }
    }
    bundle_order(rows, live, out);
    listeners(cache, live, rows, out);
}

fn band_finding(r: &CertRow) -> Option<Finding> {
    let days = r.days_left.unwrap_or_default();
    let what = format!("{} ({})", r.source(), r.subject());
    let (code, title, explanation) = match r.band {
        Band::Expired => (
            "CERT001",
            format!("certificate expired {} day(s) ago: {what}", -days),
            format!(
                "It expired on {}; clients that verify it fail the TLS handshake now. {}.",
                when(r),
                used(r)
            ),
        ),
        Band::Critical | Band::Warning | Band::Soon => (
            match r.band {
                Band::Critical => "CERT002",
                Band::Warning => "CERT003",
                _ => "CERT004",
            },
            format!("certificate expires in {days} day(s): {what}"),
            format!(
                "It expires on {}; renew or rotate it before then. {}.",
                when(r),
                used(r)
            ),
        ),
        Band::Unparseable => (
            "CERT005",
            format!("unreadable certificate data: {}", r.source()),
            format!(
                "{}. Whatever reads this key gets no usable certificate. {}.",
                r.problem.clone().unwrap_or_default(),
                used(r)
            ),
        ),
        Band::NotReady => (
            "CERT006",
            format!("cert-manager Certificate not Ready: {}", r.id.key),
            format!(
                "{}. Its Secret is not (re)issued until this is fixed. {}.",
                r.place(),
                used(r)
            ),
        ),
        Band::NotYetValid | Band::Ok => return None,
    };
    Some(Finding::new(
        code,
        vec![source_ref(r)],
        &entry(r),
        title,
        explanation,
    ))
}

/// CERT007: an intermediate in a bundle that expires before a leaf it issued: from that
/// day the leaf no longer verifies, although the leaf itself is still "valid".
fn bundle_order(rows: &[CertRow], live: &Live, out: &mut Vec<Finding>) {
    for inter in rows
        .iter()
        .filter(|r| r.chain_place() == Some(ChainPlace::Intermediate))
    {
        let (Some(i), Some(i_end)) = (&inter.facts, inter.not_after) else {
            continue;
        };
        if !live.in_scope(&inter.id.key.ns) {
            continue;
        }
        let outliving: Vec<&CertRow> = rows
            .iter()
            .filter(|l| {
                matches!(l.chain_place(), Some(ChainPlace::Leaf))
                    && l.facts.as_ref().is_some_and(|f| f.issuer == i.subject)
                    && l.not_after.is_some_and(|end| end > i_end)
            })
            .collect();
        if outliving.is_empty() {
            continue;
        }
        let mut objects = vec![source_ref(inter)];
        objects.extend(outliving.iter().map(|l| source_ref(l)));
        let names: Vec<String> = outliving.iter().map(|l| l.source()).collect();
        out.push(Finding::new(
            "CERT007",
            objects,
            &entry(inter),
            format!(
                "intermediate {} in {} expires before the leaves it issued",
                inter.subject(),
                inter.source()
            ),
            format!(
                "The intermediate expires on {}, but {} expire(s) later ({}): from that day \
                 they no longer verify against this bundle. Renew the intermediate (and ship \
                 it in the bundle) first.",
                when(inter),
                names.len(),
                names.join(", ")
            ),
        ));
    }
}

/// GW004 / GW005: a listener's certificateRef that is not a listed `kubernetes.io/tls`
/// Secret, or whose certificate has expired.
fn listeners(cache: &ClusterCache, live: &Live, rows: &[CertRow], out: &mut Vec<Finding>) {
    let tls_secrets: BTreeSet<&ObjKey> = cache
        .cert_secrets
        .iter()
        .filter(|((k, _), _)| *k == Kind::TlsSecrets)
        .map(|((_, key), _)| key)
        .collect();
    for g in cache.gateways.values() {
        if !live.in_scope(&g.key.ns) {
            continue;
        }
        for l in &g.listeners {
            for r in &l.cert_refs {
                let key = ObjKey::new(if r.ns.is_empty() { &g.key.ns } else { &r.ns }, &r.name);
                let gw = ObjRef::new("Gateway", &g.key);
                let secret = ObjRef::new("Secret", &key);
                let disc = format!("{} {key}", l.name);
                if !(r.kind.is_empty() || r.kind == "Secret") {
                    out.push(Finding::new(
                        "GW004",
                        vec![gw, ObjRef::new(r.kind.clone(), &key)],
                        &disc,
                        format!(
                            "listener {} certificateRef is a {}, not a TLS Secret",
                            l.name, r.kind
                        ),
                        "Gateway API listeners terminate TLS with kubernetes.io/tls Secrets; \
                         this reference cannot serve a certificate.",
                    ));
                    continue;
                }
                if !live.sees(Kind::TlsSecrets, &key.ns) {
                    continue;
                }
                if !tls_secrets.contains(&key) {
                    out.push(Finding::new(
                        "GW004",
                        vec![gw, secret],
                        &disc,
                        format!("listener {} certificateRef {key} not found", l.name),
                        format!(
                            "No Secret of type kubernetes.io/tls named {key} exists (missing, \
                             or another type): listener {} has no certificate to serve.",
                            l.name
                        ),
                    ));
                    continue;
                }
                for c in rows.iter().filter(|c| {
                    c.id.kind == SourceKind::Secret
                        && c.id.key == key
                        && c.id.data_key == "tls.crt"
                        && c.band == Band::Expired
                }) {
                    out.push(
                        Finding::new(
                            "GW005",
                            vec![gw.clone(), secret.clone()],
                            &disc,
                            format!("listener {} serves an expired certificate ({key})", l.name),
                            format!(
                                "The certificate in {key} expired on {}: every TLS client of \
                                 listener {} (hostname {}) fails the handshake.",
                                when(c),
                                l.name,
                                l.hostname.as_deref().unwrap_or("*")
                            ),
                        )
                        .with_severity(Severity::Error),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::objects::x509::CertFacts;
    use crate::cluster::objects::{CertRef, GatewayInfo, ListenerInfo, SecretCerts};
    use crate::model::certs::CertId;
    use jiff::Timestamp;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn facts(subject: &str, issuer: &str, ca: bool, end: &str) -> CertFacts {
        CertFacts {
            subject: subject.into(),
            common_name: Some(subject.trim_start_matches("CN=").into()),
            issuer: issuer.into(),
            sans: vec![],
            serial: "01".into(),
            key_type: "EC P-256".into(),
            not_before: ts("2026-01-01T00:00:00Z"),
            not_after: ts(end),
            is_ca: ca,
            self_signed: subject == issuer,
        }
    }

    fn row(ns: &str, name: &str, band: Band, f: Option<CertFacts>) -> CertRow {
        CertRow {
            id: CertId {
                kind: SourceKind::Secret,
                key: ObjKey::new(ns, name),
                data_key: "tls.crt".into(),
                index: 1,
            },
            of: 1,
            not_after: f.as_ref().map(|f| f.not_after),
            facts: f.map(Box::new),
            problem: (band == Band::Unparseable).then(|| "no PEM block found".into()),
            cm: None,
            days_left: Some(match band {
                Band::Expired => -3,
                Band::Critical => 5,
                Band::Warning => 12,
                Band::Soon => 25,
                _ => 300,
            }),
            band,
            used_by: vec![],
            also_in: vec![],
        }
    }

    fn live(kinds: &[Kind], scope: Option<&str>) -> Live {
        Live {
            kinds: kinds.iter().copied().collect(),
            scope: scope.map(String::from),
        }
    }

    fn codes(out: &[Finding]) -> Vec<&str> {
        out.iter().map(|f| f.code).collect()
    }

    #[test]
    fn bands_give_one_finding_each_and_ok_gives_none() {
        let leaf = || Some(facts("CN=a", "CN=ca", false, "2027-01-01T00:00:00Z"));
        let rows = [
            row("shop", "expired", Band::Expired, leaf()),
            row("shop", "critical", Band::Critical, leaf()),
            row("shop", "warning", Band::Warning, leaf()),
            row("shop", "soon", Band::Soon, leaf()),
            row("shop", "garbage", Band::Unparseable, None),
            row("shop", "fine", Band::Ok, leaf()),
            row("shop", "later", Band::NotYetValid, leaf()),
            row("shop", "apex", Band::NotReady, None),
        ];
        let mut out = Vec::new();
        findings(&ClusterCache::default(), &live(&[], None), &rows, &mut out);
        assert_eq!(
            codes(&out),
            [
                "CERT001", "CERT002", "CERT003", "CERT004", "CERT005", "CERT006"
            ]
        );
        assert_eq!(out[0].severity, Severity::Error);
        assert!(
            out[0].title.contains("expired 3 day(s) ago"),
            "{}",
            out[0].title
        );
        // Another namespace's certificates are not judged under a namespace scope.
        let mut scoped = Vec::new();
        findings(
            &ClusterCache::default(),
            &live(&[], Some("other")),
            &rows,
            &mut scoped,
        );
        assert!(scoped.is_empty());
    }

    #[test]
    fn a_bundle_copied_into_every_namespace_is_one_finding() {
        // The inventory folds the copies into one row (`also_in`); the finding names all.
        let ca = Some(facts(
            "CN=cluster-ca",
            "CN=cluster-ca",
            true,
            "2026-11-26T00:00:00Z",
        ));
        let mut r = row("a", "kube-root-ca.crt", Band::Critical, ca);
        r.id.kind = SourceKind::ConfigMap;
        r.id.data_key = "ca.crt".into();
        r.also_in = vec!["b".into(), "c".into()];
        let mut out = Vec::new();
        findings(&ClusterCache::default(), &live(&[], None), &[r], &mut out);
        assert_eq!(codes(&out), ["CERT002"]);
        let names: Vec<String> = out[0].objects.iter().map(ObjRef::short).collect();
        assert_eq!(
            names,
            [
                "ConfigMap/a/kube-root-ca.crt",
                "ConfigMap/b/kube-root-ca.crt",
                "ConfigMap/c/kube-root-ca.crt"
            ]
        );
        assert!(out[0].title.contains("(+2 namespaces)"), "{}", out[0].title);
    }

    #[test]
    fn an_intermediate_that_dies_before_its_leaves_is_flagged() {
        let inter = facts("CN=Inter", "CN=Root", true, "2027-01-01T00:00:00Z");
        let mut rows = vec![
            row("shop", "bundle", Band::Ok, Some(inter)),
            row(
                "shop",
                "short-leaf",
                Band::Ok,
                Some(facts("CN=s", "CN=Inter", false, "2026-12-01T00:00:00Z")),
            ),
        ];
        let mut out = Vec::new();
        findings(&ClusterCache::default(), &live(&[], None), &rows, &mut out);
        assert!(out.is_empty(), "a leaf that ends first is fine: {out:?}");
        rows.push(row(
            "shop",
            "long-leaf",
            Band::Ok,
            Some(facts("CN=l", "CN=Inter", false, "2027-06-01T00:00:00Z")),
        ));
        findings(&ClusterCache::default(), &live(&[], None), &rows, &mut out);
        assert_eq!(codes(&out), ["CERT007"]);
        assert_eq!(
            out[0].objects.len(),
            2,
            "the bundle and the leaf that outlives it"
        );
        assert!(out[0].explanation.contains("Secret shop/long-leaf"));
    }

    fn gateway(ref_kind: &str) -> ClusterCache {
        let mut c = ClusterCache::default();
        let key = ObjKey::new("infra", "gw");
        c.gateways.insert(
            key.clone(),
            GatewayInfo {
                key,
                class: "istio".into(),
                alb_annotations: Default::default(),
                spec_addresses: vec![],
                listeners: vec![ListenerInfo {
                    name: "https".into(),
                    port: 443,
                    protocol: "HTTPS".into(),
                    hostname: Some("shop.example.com".into()),
                    tls_mode: Some("Terminate".into()),
                    cert_refs: vec![CertRef {
                        kind: ref_kind.into(),
                        ns: String::new(),
                        name: "shop-tls".into(),
                    }],
                    attached_routes: Some(1),
                    conditions: vec![],
                }],
                status_addresses: vec![],
                conditions: vec![],
                created: None,
            },
        );
        c
    }

    fn with_secret(mut c: ClusterCache) -> ClusterCache {
        let key = ObjKey::new("infra", "shop-tls");
        c.cert_secrets.insert(
            (Kind::TlsSecrets, key.clone()),
            SecretCerts {
                key,
                type_: "kubernetes.io/tls".into(),
                data: vec![],
                created: None,
            },
        );
        c
    }

    #[test]
    fn listener_certificate_refs_missing_wrong_kind_or_expired() {
        let secrets = live(&[Kind::TlsSecrets], None);
        let leaf = || Some(facts("CN=shop", "CN=ca", false, "2026-11-20T00:00:00Z"));
        let mut out = Vec::new();
        findings(&gateway("Secret"), &secrets, &[], &mut out);
        assert_eq!(codes(&out), ["GW004"], "no such TLS Secret");
        out.clear();
        findings(&gateway("Secret"), &live(&[], None), &[], &mut out);
        assert!(
            out.is_empty(),
            "Secrets not listed: nothing is called missing"
        );
        findings(&gateway("ConfigMap"), &live(&[], None), &[], &mut out);
        assert_eq!(codes(&out), ["GW004"], "not a Secret at all");
        assert!(out[0].title.contains("not a TLS Secret"));
        out.clear();
        let expired = [row("infra", "shop-tls", Band::Expired, leaf())];
        findings(
            &with_secret(gateway("Secret")),
            &secrets,
            &expired,
            &mut out,
        );
        assert_eq!(codes(&out), ["CERT001", "GW005"]);
        assert!(
            out[1]
                .title
                .contains("listener https serves an expired certificate")
        );
        out.clear();
        let fine = [row("infra", "shop-tls", Band::Ok, leaf())];
        findings(&with_secret(gateway("Secret")), &secrets, &fine, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}
