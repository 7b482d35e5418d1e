//! `meshctl-tui certs`: the certificate inventory once, as a table or JSON.
//!
//! Exit 0 with the full list; 4 when a certificate source could not be listed (RBAC
//! forbids Secrets, say: the list is incomplete, stderr says what is missing) unless
//! `--allow-partial`; 3 when the cluster cannot be read. A source whose CRD is not installed
//! is complete (no such certificates exist); a forbidden "used by" input (Gateways, TLS
//! policies, istiod) only warns: every certificate is still listed. Only public certificate
//! facts are ever printed: the inventory holds no key material.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{Coverage, EXIT_UNREACHABLE, namespace, prepare, source_problems};
use crate::cli::{CertsArgs, Cli, Output};
use crate::cluster::kinds::{Kind, WatchState};
use crate::cluster::snapshot;
use crate::model::certs::{Bands, CertRow, inventory};
use crate::state::action::ViewId;
use crate::state::derived::inputs;
use crate::text::sanitize;

/// The kinds the inventory (and its "used by") is built from: the Certificates view's.
pub fn kinds() -> &'static [Kind] {
    inputs(ViewId::Certs)
}

/// The kinds certificates are read from; the other inputs only say who uses them.
pub fn is_source(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::TlsSecrets
            | Kind::IstioCaCerts
            | Kind::IstioCaSecrets
            | Kind::ConfigMaps
            | Kind::CertManagerCertificates
    )
}

/// What a kind that could not be read means for the list (stderr, next to the reason).
pub fn unlisted(kind: Kind) -> &'static str {
    match kind {
        Kind::TlsSecrets => "certificates in TLS Secrets (Gateway listeners, ingress) not listed",
        Kind::IstioCaCerts => "the Istio plugin CA (cacerts) not listed",
        Kind::IstioCaSecrets => "istiod's self-signed CA (istio-ca-secret) not listed",
        Kind::ConfigMaps => {
            "certificates in ConfigMaps (istio-ca-root-cert, trust bundles) not listed"
        }
        Kind::CertManagerCertificates => "cert-manager Certificates not listed",
        Kind::Gateways => "USED BY does not name Gateway listeners",
        Kind::FrontendTlsPolicies => "USED BY does not name AGC FrontendTLSPolicies",
        Kind::BackendTlsPolicies => "USED BY does not name Gateway API BackendTLSPolicies",
        Kind::AlbBackendTlsPolicies => "USED BY does not name AGC BackendTLSPolicies",
        Kind::ControlPlanes => "USED BY does not name the istiod revisions of the Istio CA",
        _ => "not used by this list",
    }
}

const LIST_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the command; returns the exit code. Output goes to stdout, problems to stderr.
pub async fn run(cli: &Cli, args: &CertsArgs) -> i32 {
    let (bands, conn, _demo) = match prepare(cli, "certs").await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let ns = namespace(cli);
    let (cache, states) = snapshot::load(&conn.client, ns.as_deref(), kinds(), LIST_TIMEOUT).await;
    let now = Timestamp::now();
    let (problems, unreachable) = source_problems(&states, unlisted);
    if unreachable {
        // One line when every source failed the same way (the usual: server down).
        let reasons: std::collections::BTreeSet<&str> = states
            .values()
            .filter_map(|s| match s {
                WatchState::Failing(m) => Some(m.as_str()),
                _ => None,
            })
            .collect();
        if reasons.len() > 1 {
            for p in &problems {
                eprintln!("meshctl-tui certs: {}", sanitize(p));
            }
        }
        eprintln!(
            "meshctl-tui certs: cannot reach the API server of context {}: {}",
            sanitize(&conn.context),
            sanitize(reasons.into_iter().next().unwrap_or("no answer"))
        );
        return EXIT_UNREACHABLE;
    }
    let secrets_listed = states.get(&Kind::TlsSecrets) == Some(&WatchState::Live);
    let rows: Vec<CertRow> = inventory(&cache, now, &bands, secrets_listed)
        .into_iter()
        .filter(|r| {
            args.expiring_within
                .is_none_or(|s| r.expiring_within(now, s))
        })
        .collect();
    let coverage = Coverage::of(&states, is_source);
    match args.output {
        Output::Table => print!("{}", table(&rows)),
        Output::Json => {
            let mut doc = json_report(&rows, &states, &conn.context, ns.as_deref(), now, &bands);
            doc["complete"] = json!(coverage.complete());
            doc["sources_not_listed"] = json!(coverage.not_seen());
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
            );
        }
    }
    for p in &problems {
        eprintln!("warning: {}", sanitize(p));
    }
    if let Some(d) = coverage.describe("certificate sources", "not listed") {
        eprintln!("meshctl-tui certs: incomplete: {d}");
    }
    exit_code(&states, args.allow_partial)
}

/// 3 when any input failed (server trouble), 4 when a certificate source could not be listed
/// and `allow_partial` is false, else 0.
pub fn exit_code(states: &BTreeMap<Kind, WatchState>, allow_partial: bool) -> i32 {
    if states.values().any(|s| matches!(s, WatchState::Failing(_))) {
        return EXIT_UNREACHABLE;
    }
    Coverage::of(states, is_source)
        .exit_code(allow_partial)
        .unwrap_or(0)
}

fn subject_or_problem(r: &CertRow) -> String {
    match &r.problem {
        Some(p) => format!("unparseable: {p}"),
        None => r.subject(),
    }
}

/// Aligned plain-text columns (no colour, nothing cut: scripts grep it). Cluster text is
/// sanitised (`crate::text`) and the columns are measured after that.
pub fn table(rows: &[CertRow]) -> String {
    let header = [
        "BAND",
        "DAYS",
        "NOT AFTER",
        "SOURCE",
        "SUBJECT",
        "CHAIN",
        "USED BY",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.band.label().to_string(),
                r.days_left.map(|d| d.to_string()).unwrap_or("-".into()),
                r.not_after
                    .map(crate::model::certs::date)
                    .unwrap_or_else(|| "-".into()),
                r.source(),
                subject_or_problem(r),
                r.place(),
                if r.used_by.is_empty() {
                    "-".into()
                } else {
                    r.used_by.join("; ")
                },
            ]
            .map(crate::text::sanitize_owned)
        })
        .collect();
    let mut width = header.map(crate::text::width);
    for c in &cells {
        for (w, v) in width.iter_mut().zip(c.iter()) {
            *w = (*w).max(crate::text::width(v));
        }
    }
    let line = |vals: &[&str]| {
        let mut s = String::new();
        for (i, v) in vals.iter().enumerate() {
            if i + 1 == vals.len() {
                s.push_str(v);
            } else {
                s.push_str(&crate::text::pad_to(v, width[i]));
                s.push_str("  ");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(&header);
    for c in &cells {
        out.push_str(&line(&c.each_ref().map(String::as_str)));
    }
    if rows.is_empty() {
        out.push_str("(no certificates)\n");
    }
    out
}

fn ts(t: Option<Timestamp>) -> Value {
    t.map(|t| json!(t.to_string())).unwrap_or(Value::Null)
}

fn state_json(k: Kind, s: &WatchState) -> Value {
    let (state, message) = match s {
        WatchState::Live => ("live", None),
        WatchState::Syncing => ("syncing", None),
        WatchState::NotInstalled => ("not-installed", Some(k.missing_what().to_string())),
        WatchState::Forbidden(m) => ("forbidden", Some(m.clone())),
        WatchState::Failing(m) => ("failing", Some(m.clone())),
    };
    json!({"resource": k.resource(), "state": state, "message": message})
}

/// One row as JSON: every public fact, nothing else.
pub fn row_json(r: &CertRow) -> Value {
    let id = &r.id;
    let mut v = json!({
        "source": {
            "kind": id.kind.label(),
            "namespace": id.key.ns,
            "name": id.key.name,
            "key": if id.data_key.is_empty() { Value::Null } else { json!(id.data_key) },
            "entry": id.index,
            "of": r.of,
        },
        "band": r.band.id(),
        "days_left": r.days_left,
        "not_after": ts(r.not_after),
        "subject_cn": r.subject(),
        "chain": r.chain_place().map(|p| p.label()),
        "used_by": r.used_by,
        "also_in": r.also_in,
        "error": r.problem,
    });
    if let Some(f) = &r.facts {
        v["subject"] = json!(f.subject);
        v["issuer"] = json!(f.issuer);
        v["sans"] = json!(f.sans);
        v["serial"] = json!(f.serial);
        v["key_type"] = json!(f.key_type);
        v["not_before"] = json!(f.not_before.to_string());
        v["is_ca"] = json!(f.is_ca);
        v["self_signed"] = json!(f.self_signed);
    }
    if let Some(c) = &r.cm {
        v["cert_manager"] = json!({
            "secret_name": c.secret_name,
            "common_name": c.common_name,
            "dns_names": c.dns_names,
            "issuer_ref": c.issuer_ref,
            "not_before": ts(c.not_before),
            "not_after": ts(c.not_after),
            "renewal_time": ts(c.renewal_time),
            "failed_issuance_attempts": c.failed_attempts,
            "ready": c.ready().map(|r| r.is_true()),
            "conditions": c.conditions.iter().map(|c| json!({
                "type": c.type_, "status": c.status, "reason": c.reason, "message": c.message,
            })).collect::<Vec<_>>(),
        });
    }
    v
}

pub fn json_report(
    rows: &[CertRow],
    states: &BTreeMap<Kind, WatchState>,
    context: &str,
    namespace: Option<&str>,
    now: Timestamp,
    bands: &Bands,
) -> Value {
    json!({
        "context": context,
        "namespace": namespace,
        "now": now.to_string(),
        "bands": {"soon": bands.soon, "warning": bands.warning, "critical": bands.critical},
        "sources": states.iter().map(|(k, s)| state_json(*k, s)).collect::<Vec<_>>(),
        "certificates": rows.iter().map(row_json).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_only_when_every_source_failed() {
        let mut s: BTreeMap<Kind, WatchState> = BTreeMap::new();
        s.insert(Kind::TlsSecrets, WatchState::Failing("refused".into()));
        s.insert(Kind::ConfigMaps, WatchState::Failing("refused".into()));
        assert!(source_problems(&s, unlisted).1);
        s.insert(Kind::CertManagerCertificates, WatchState::NotInstalled);
        let (lines, unreachable) = source_problems(&s, unlisted);
        assert!(!unreachable);
        assert_eq!(lines.len(), 2);
        s.clear();
        s.insert(Kind::TlsSecrets, WatchState::Forbidden("no".into()));
        let (lines, unreachable) = source_problems(&s, unlisted);
        assert!(!unreachable);
        assert_eq!(
            lines[0],
            "secrets (type=kubernetes.io/tls): forbidden — certificates in TLS Secrets \
             (Gateway listeners, ingress) not listed (no)"
        );
    }

    /// A forbidden certificate source makes the list incomplete: exit 4 unless
    /// `--allow-partial`; a forbidden "used by" input or a missing CRD does not.
    #[test]
    fn exit_codes_follow_the_certificate_sources() {
        use crate::commands::EXIT_INCOMPLETE;
        let mut s: BTreeMap<Kind, WatchState> =
            kinds().iter().map(|k| (*k, WatchState::Live)).collect();
        assert_eq!(exit_code(&s, false), 0);
        s.insert(Kind::CertManagerCertificates, WatchState::NotInstalled);
        s.insert(Kind::Gateways, WatchState::Forbidden("no".into()));
        assert_eq!(exit_code(&s, false), 0, "the list itself is complete");
        s.insert(Kind::TlsSecrets, WatchState::Forbidden("no".into()));
        assert_eq!(exit_code(&s, false), EXIT_INCOMPLETE);
        assert_eq!(exit_code(&s, true), 0);
        s.insert(Kind::ConfigMaps, WatchState::Failing("timeout".into()));
        assert_eq!(exit_code(&s, true), EXIT_UNREACHABLE);
        // Nothing listable at all (no permissions): incomplete, not "0 certificates".
        let none: BTreeMap<Kind, WatchState> = kinds()
            .iter()
            .map(|k| (*k, WatchState::Forbidden("no".into())))
            .collect();
        assert_eq!(exit_code(&none, false), EXIT_INCOMPLETE);
    }

    /// The demo's deliberate certificate problems (assets/demo/README.md 9, 12, 13, 15), read
    /// the way `meshctl-tui certs --demo` reads them.
    #[tokio::test]
    async fn the_demo_shows_its_certificate_problems() {
        let demo = crate::demo::DemoCluster::start().expect("demo");
        let (cache, states) =
            snapshot::load(&demo.client(), None, kinds(), Duration::from_secs(30)).await;
        assert!(
            states.values().all(|s| *s == WatchState::Live),
            "{states:?}"
        );
        let now = Timestamp::now();
        let rows = inventory(&cache, now, &Bands::default(), true);
        let text = table(&rows);
        let line = |needle: &str| {
            text.lines()
                .find(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("no {needle} in\n{text}"))
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        };
        let ingress = "aks-istio-ingress";
        for (secret, band, days, listener) in [
            ("shop-contoso-tls", "CRITICAL", "5", "https-shop"),
            ("payments-contoso-tls", "WARNING", "12", "https-payments"),
            ("grpc-contoso-tls", "SOON", "25", "https-grpc"),
            ("legacy-contoso-tls", "EXPIRED", "-3", "https-legacy"),
            ("staging-contoso-tls", "OK", "200", "https-staging"),
        ] {
            let l = line(&format!("Secret {ingress}/{secret} tls.crt"));
            assert_eq!(&l[..2], [band, days], "{secret}: {l:?}");
            assert!(
                l.last()
                    .unwrap()
                    .contains(&format!("istio-public listener {listener}"))
            );
        }
        let l = line("Secret test-infra/listener-tls-secret tls.crt");
        assert_eq!(&l[..2], ["OK", "300"]);
        assert!(l.last().unwrap().contains("gateway-01 listener https"));
        assert!(line("Certificate shop/shop-apex").contains(&"not Ready: DoesNotExist"));
        assert!(line("Certificate edge/search-wildcard").contains(&"Ready"));
        assert!(line("Certificate payments/ledger-internal").contains(&"Ready"));
        let ca = line("Secret aks-istio-system/cacerts root-cert.pem");
        assert!(
            ca.contains(&"root")
                && ca
                    .last()
                    .unwrap()
                    .contains("Istio plugin CA (istiod asm-1-21, asm-1-22, asm-1-24)")
        );
        assert_eq!(
            line("Secret aks-istio-system/cacerts cert-chain.pem #1/2")[5],
            "intermediate"
        );
        let old = line("Secret aks-istio-system/istio-ca-secret ca-cert.pem");
        assert!(old.last().unwrap().contains("superseded by cacerts"));
        assert!(
            line("Secret test-infra/frontend-client-ca")
                .last()
                .unwrap()
                .contains("FrontendTLSPolicy")
        );
        assert!(
            line("Secret test-infra/backend-ca")
                .last()
                .unwrap()
                .contains("AGC BackendTLSPolicy")
        );
        assert!(
            line("ConfigMap aks-istio-system/istio-ca-root-cert root-cert.pem")
                .last()
                .unwrap()
                .contains("Istio root of trust")
        );
        // Nothing unreadable in the demo, and no key material.
        assert!(!text.contains("UNPARSEABLE"), "{text}");
        assert!(!text.contains("placeholder"));
    }

    #[test]
    fn empty_table_says_so() {
        assert!(table(&[]).ends_with("(no certificates)\n"));
    }

    fn unreadable(name: &str, why: &str) -> CertRow {
        CertRow {
            id: crate::model::certs::CertId {
                kind: crate::model::certs::SourceKind::Secret,
                key: crate::cluster::objects::ObjKey::new("shop", name),
                data_key: "tls.crt".into(),
                index: 1,
            },
            of: 1,
            facts: None,
            problem: Some(why.into()),
            cm: None,
            not_after: None,
            days_left: None,
            band: crate::model::certs::Band::Unparseable,
            used_by: vec![format!("user of {name}")],
            also_in: Vec::new(),
        }
    }

    #[test]
    fn cluster_text_is_escaped_and_the_columns_stay_aligned() {
        let t = table(&[
            unreadable("evil", "bad\x1b]0;pwned\x07\u{202E}\u{9b}2J"),
            unreadable("plain", "bad"),
        ]);
        assert!(
            !t.lines().any(|l| l.chars().any(crate::text::is_unsafe)),
            "{t:?}"
        );
        assert!(
            t.contains("unparseable: bad\\e]0;pwned\\x07<U+202E>\\u{9b}2J"),
            "{t}"
        );
        let at: Vec<usize> = t
            .lines()
            .skip(1)
            .map(|l| l.find("user of").unwrap())
            .collect();
        assert_eq!(at[0], at[1], "{t}");
    }
}
