//! `meshctl-tui certs`: the certificate inventory once, as a table or JSON.
//!
//! Exit 0 with the list (a forbidden or missing source is a warning on stderr: the list is
//! then incomplete, and says so); 3 when the cluster cannot be read. Only public certificate
//! facts are ever printed: the inventory holds no key material.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{EXIT_UNREACHABLE, namespace, prepare};
use crate::app::action::ViewId;
use crate::cli::{CertsArgs, Cli, Output};
use crate::cluster::kinds::{Kind, WatchState};
use crate::cluster::snapshot;
use crate::model::certs::{Bands, CertRow, inventory};
use crate::state::derived::inputs;

/// The kinds the inventory (and its "used by") is built from: the Certificates view's.
pub fn kinds() -> &'static [Kind] {
    inputs(ViewId::Certs)
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
    let (problems, unreachable) = source_problems(&states);
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
                eprintln!("meshctl-tui certs: {p}");
            }
        }
        eprintln!(
            "meshctl-tui certs: cannot reach the API server of context {}: {}",
            conn.context,
            reasons.into_iter().next().unwrap_or("no answer")
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
    match args.output {
        Output::Table => print!("{}", table(&rows)),
        Output::Json => {
            let doc = json_report(&rows, &states, &conn.context, ns.as_deref(), now, &bands);
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
            );
        }
    }
    for p in &problems {
        eprintln!("warning: {p}");
    }
    if states.values().any(|s| matches!(s, WatchState::Failing(_))) {
        return EXIT_UNREACHABLE;
    }
    0
}

/// One line per source that could not be read, and whether nothing could be read at all
/// because of connection trouble. A CRD that is not installed is not a problem.
pub fn source_problems(states: &BTreeMap<Kind, WatchState>) -> (Vec<String>, bool) {
    let mut lines = Vec::new();
    for (k, s) in states {
        match s {
            WatchState::Forbidden(msg) => lines.push(format!(
                "{}: forbidden ({msg}); certificates there are not listed",
                k.resource()
            )),
            WatchState::Failing(msg) => lines.push(format!("{}: {msg}", k.resource())),
            _ => {}
        }
    }
    let unreachable =
        !states.is_empty() && states.values().all(|s| matches!(s, WatchState::Failing(_)));
    (lines, unreachable)
}

fn subject_or_problem(r: &CertRow) -> String {
    match &r.problem {
        Some(p) => format!("unparseable: {p}"),
        None => r.subject(),
    }
}

/// Aligned plain-text columns (no colour, nothing cut: scripts grep it).
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
                    .map(crate::ui::certs::date)
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
        })
        .collect();
    let mut width = header.map(|h| h.chars().count());
    for c in &cells {
        for (w, v) in width.iter_mut().zip(c.iter()) {
            *w = (*w).max(v.chars().count());
        }
    }
    let line = |vals: &[&str]| {
        let mut s = String::new();
        for (i, v) in vals.iter().enumerate() {
            if i + 1 == vals.len() {
                s.push_str(v);
            } else {
                s.push_str(&format!("{v:<w$}  ", w = width[i]));
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
        assert!(source_problems(&s).1);
        s.insert(Kind::CertManagerCertificates, WatchState::NotInstalled);
        let (lines, unreachable) = source_problems(&s);
        assert!(!unreachable);
        assert_eq!(lines.len(), 2);
        s.clear();
        s.insert(Kind::TlsSecrets, WatchState::Forbidden("no".into()));
        let (lines, unreachable) = source_problems(&s);
        assert!(!unreachable);
        assert!(lines[0].starts_with("secrets (type=kubernetes.io/tls): forbidden (no)"));
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
}
