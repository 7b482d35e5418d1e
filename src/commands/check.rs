//! `meshctl-tui check`: the Diagnostics findings (certificate findings included) once, as a
//! table or JSON, for cron and CI. Exit 0 when clean, 1 with warnings, 2 with errors,
//! 3 when the cluster cannot be read, 4 when some kinds could not be read (RBAC) and no
//! error was found. Precedence 3 > 2 > 4 > 1 > 0: an error is certain whatever was not
//! seen, but "only warnings" or "clean" is not. `--allow-partial` drops 4 (the findings
//! decide). `--min-severity` drops lesser findings from the output and from the exit code;
//! the certificate bands come from the config.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::json;

use super::{Coverage, EXIT_UNREACHABLE, namespace, prepare, source_problems};
use crate::cli::{CheckArgs, Cli, MinSeverity, Output};
use crate::cluster::kinds::{Kind, WatchState};
use crate::cluster::snapshot;
use crate::model::certs::inventory;
use crate::model::diagnostics::{Counts, Finding, Live, Severity, findings};
use crate::text::{pad_to, sanitize, width};

const LIST_TIMEOUT: Duration = Duration::from_secs(60);

pub const EXIT_WARNINGS: i32 = 1;
pub const EXIT_ERRORS: i32 = 2;

/// Every kind a finding is judged on: the Diagnostics view's inputs.
pub fn kinds() -> &'static [Kind] {
    crate::state::diagnostics::INPUTS
}

pub async fn run(cli: &Cli, args: &CheckArgs) -> i32 {
    let (bands, conn, _demo) = match prepare(cli, "check").await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let ns = namespace(cli);
    let (cache, states) = snapshot::load(&conn.client, ns.as_deref(), kinds(), LIST_TIMEOUT).await;
    let (problems, unreachable) = source_problems(&states, skipped);
    if unreachable {
        let reason = states.values().find_map(|s| match s {
            WatchState::Failing(m) => Some(m.as_str()),
            _ => None,
        });
        eprintln!(
            "meshctl-tui check: cannot reach the API server of context {}: {}",
            sanitize(&conn.context),
            sanitize(reason.unwrap_or("no answer"))
        );
        return EXIT_UNREACHABLE;
    }
    let now = Timestamp::now();
    let certs = inventory(
        &cache,
        now,
        &bands,
        states.get(&Kind::TlsSecrets) == Some(&WatchState::Live),
    );
    // Only kinds that were listed are judged: a missing CRD or a forbidden kind yields no
    // finding (and is reported as not checked).
    let live = Live::new(&states, ns.clone());
    let shown: Vec<Finding> = findings(&cache, &live, &certs)
        .into_iter()
        .filter(|f| f.severity <= threshold(args.min_severity))
        .collect();
    let coverage = Coverage::of(&states, |_| true);
    match args.output {
        Output::Table => print!(
            "{}",
            table(&shown, &coverage, std::io::stdout().is_terminal())
        ),
        Output::Json => {
            let doc = json!({
                "context": conn.context,
                "namespace": ns,
                "generated": now.to_string(),
                "complete": coverage.complete(),
                "summary": summary(&shown, &coverage),
                "not_checked": not_checked(&states),
                "not_installed": not_installed(&states),
                "findings": shown,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
            );
        }
    }
    for p in &problems {
        eprintln!("warning: {}", sanitize(p));
    }
    exit_code(&shown, &coverage, args.allow_partial)
}

/// The least severe severity still shown (`Severity` orders Error < Warning < Info).
fn threshold(m: MinSeverity) -> Severity {
    match m {
        MinSeverity::Info => Severity::Info,
        MinSeverity::Warning => Severity::Warning,
        MinSeverity::Error => Severity::Error,
    }
}

/// 3 unreachable > 2 errors > 4 incomplete (unless `allow_partial`) > 1 warnings > 0.
pub fn exit_code(shown: &[Finding], coverage: &Coverage, allow_partial: bool) -> i32 {
    let c = Counts::of(shown);
    let unseen = coverage.exit_code(allow_partial);
    if unseen == Some(EXIT_UNREACHABLE) {
        EXIT_UNREACHABLE
    } else if c.errors > 0 {
        EXIT_ERRORS
    } else if let Some(code) = unseen {
        code
    } else if c.warnings > 0 {
        EXIT_WARNINGS
    } else {
        0
    }
}

fn summary(shown: &[Finding], coverage: &Coverage) -> serde_json::Value {
    let c = Counts::of(shown);
    json!({"errors": c.errors, "warnings": c.warnings, "infos": c.infos,
           "kinds": coverage.asked, "not_checked": coverage.not_seen()})
}

/// What a kind that could not be read means for the findings (stderr, next to the reason).
pub fn skipped(kind: Kind) -> &'static str {
    match kind {
        Kind::Namespaces => "no namespace is judged: injection, revision and mTLS checks skipped",
        Kind::Pods => "sidecar and restart checks (MESH003-005) and mTLS checks skipped",
        Kind::Services => "route backend checks (ROUTE002/003) and mTLS checks skipped",
        Kind::Deployments => {
            "Deployments unknown to the restart checks (MESH003-005); AGC mesh extension unknown"
        }
        Kind::StatefulSets => "StatefulSets unknown to the restart checks (MESH003-005)",
        Kind::DaemonSets => {
            "DaemonSets unknown to the restart checks; ztunnel unknown: ambient check (MESH007) skipped"
        }
        Kind::ControlPlanes => {
            "istiod revisions unknown: control plane (MESH002), revision and mTLS checks skipped"
        }
        Kind::PeerAuthentications => "mTLS modes unknown: mTLS checks (MTLS) skipped",
        Kind::GatewayClasses => "gateway controllers unknown: gateway mTLS checks skipped",
        Kind::Gateways => "Gateway checks (GW, ROUTE001) and gateway mTLS checks skipped",
        Kind::HttpRoutes => "HTTPRoute checks (ROUTE) skipped",
        Kind::GrpcRoutes => "GRPCRoute checks (ROUTE) skipped",
        Kind::VirtualServices => "VirtualService checks (ROUTE) skipped",
        Kind::Ingresses | Kind::IngressClasses => "Ingress controller checks (MTLS001/003) skipped",
        Kind::ReferenceGrants => "cross-namespace backend check (ROUTE007) skipped",
        Kind::TlsSecrets => {
            "TLS Secret certificates (CERT) and listener certificates (GW004/005) not checked"
        }
        Kind::IstioCaCerts => "the Istio plugin CA (cacerts) not checked",
        Kind::IstioCaSecrets => "istiod's self-signed CA (istio-ca-secret) not checked",
        Kind::ConfigMaps => "certificates in ConfigMaps (trust bundles) not checked",
        Kind::CertManagerCertificates => "cert-manager Certificates (CERT006) not checked",
        Kind::FrontendTlsPolicies | Kind::BackendTlsPolicies | Kind::AlbBackendTlsPolicies => {
            "certificates those TLS policies use are not named in findings"
        }
        Kind::ApplicationLoadBalancers => "AGC load balancers unknown",
    }
}

/// Kinds that could not be judged, and why (a CRD that is not installed is fine: nothing
/// of that kind exists to judge).
fn not_checked(states: &BTreeMap<Kind, WatchState>) -> Vec<serde_json::Value> {
    states
        .iter()
        .filter_map(|(k, s)| match s {
            WatchState::Forbidden(m) => {
                Some(json!({"resource": k.resource(), "forbidden": m, "skipped": skipped(*k)}))
            }
            WatchState::Failing(m) => {
                Some(json!({"resource": k.resource(), "failing": m, "skipped": skipped(*k)}))
            }
            _ => None,
        })
        .collect()
}

/// Kinds whose CRD is not installed: judged complete (nothing of them exists), and named
/// so that a reader knows which checks had nothing to look at.
fn not_installed(states: &BTreeMap<Kind, WatchState>) -> Vec<&'static str> {
    states
        .iter()
        .filter(|(_, s)| **s == WatchState::NotInstalled)
        .map(|(k, _)| k.resource())
        .collect()
}

/// SEVERITY CODE ISTIO OBJECTS TITLE, then a summary line; `no findings` when clean. The
/// summary (or `no findings`) says how many kinds could not be checked. Cluster text is sanitised (`crate::text`). On a terminal (`cut`) OBJECTS is at most 60
/// columns, a cut value ending with `…`; in a pipe or file nothing is cut: scripts grep it.
pub fn table(shown: &[Finding], coverage: &Coverage, cut: bool) -> String {
    let mut out = String::new();
    let unseen = coverage
        .describe("kinds", "not checked")
        .map(|d| format!("; {d}"))
        .unwrap_or_default();
    if shown.is_empty() {
        out.push_str(&format!("no findings{unseen}\n"));
        return out;
    }
    let objects: Vec<String> = shown.iter().map(Finding::objects_text).collect();
    let widest = objects.iter().map(|o| width(o)).max().unwrap_or(7).max(7);
    let ow = if cut { widest.min(60) } else { widest };
    out.push_str(&format!(
        "{:<8} {:<9} {:<8} {:<ow$} TITLE\n",
        "SEVERITY", "CODE", "ISTIO", "OBJECTS"
    ));
    for (f, o) in shown.iter().zip(&objects) {
        out.push_str(&format!(
            "{:<8} {:<9} {:<8} {} {}\n",
            f.severity.label(),
            f.code,
            f.istio.map_or("-", |i| i.code),
            pad_to(o, ow),
            sanitize(&f.title)
        ));
    }
    out.push_str(&format!("\n{}{unseen}\n", Counts::of(shown).describe()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::diagnostics::ObjRef;

    fn finding(code: &'static str) -> Finding {
        Finding::new(
            code,
            vec![ObjRef::namespace("shop")],
            "",
            format!("title of {code}"),
            "why",
        )
    }

    fn coverage(forbidden: &[Kind], failing: &[Kind]) -> Coverage {
        Coverage {
            asked: kinds().len(),
            forbidden: forbidden.to_vec(),
            failing: failing.to_vec(),
        }
    }

    #[test]
    fn exit_codes_follow_the_worst_finding_shown() {
        let all = coverage(&[], &[]);
        assert_eq!(exit_code(&[], &all, false), 0);
        assert_eq!(
            exit_code(&[finding("GW003")], &all, false),
            0,
            "info only is clean"
        );
        assert_eq!(
            exit_code(&[finding("GW003"), finding("MESH001")], &all, false),
            EXIT_WARNINGS
        );
        assert_eq!(
            exit_code(&[finding("MESH001"), finding("CERT001")], &all, false),
            EXIT_ERRORS
        );
    }

    /// A run that could not read everything never exits 0 (or 1): 4, unless errors were
    /// found anyway (2) or the server failed (3); `--allow-partial` lets the findings decide.
    #[test]
    fn an_incomplete_run_exits_4_unless_allowed() {
        use crate::commands::EXIT_INCOMPLETE;
        let part = coverage(&[Kind::Pods, Kind::Services], &[]);
        assert_eq!(exit_code(&[], &part, false), EXIT_INCOMPLETE);
        assert_eq!(
            exit_code(&[finding("MESH001")], &part, false),
            EXIT_INCOMPLETE
        );
        assert_eq!(exit_code(&[finding("CERT001")], &part, false), EXIT_ERRORS);
        assert_eq!(exit_code(&[], &part, true), 0);
        assert_eq!(exit_code(&[finding("MESH001")], &part, true), EXIT_WARNINGS);
        let failing = coverage(&[Kind::Pods], &[Kind::Services]);
        assert_eq!(
            exit_code(&[finding("CERT001")], &failing, true),
            EXIT_UNREACHABLE
        );
    }

    #[test]
    fn min_severity_keeps_the_worse_ones() {
        let all = [finding("GW003"), finding("MESH001"), finding("CERT001")];
        let kept = |m| {
            all.iter()
                .filter(|f| f.severity <= threshold(m))
                .map(|f| f.code)
                .collect::<Vec<_>>()
        };
        assert_eq!(kept(MinSeverity::Info), ["GW003", "MESH001", "CERT001"]);
        assert_eq!(kept(MinSeverity::Warning), ["MESH001", "CERT001"]);
        assert_eq!(kept(MinSeverity::Error), ["CERT001"]);
    }

    #[test]
    fn the_table_has_one_line_per_finding_and_a_summary() {
        let t = table(
            &[finding("MESH001"), finding("CERT001")],
            &coverage(&[], &[]),
            true,
        );
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("SEVERITY CODE"));
        assert!(lines[1].starts_with("WARNING  MESH001   IST0123  Namespace/shop"));
        assert!(lines[1].ends_with("title of MESH001"));
        assert!(lines[2].starts_with("ERROR    CERT001   -"));
        assert_eq!(lines.last(), Some(&"1 error 1 warning"));
        assert_eq!(table(&[], &coverage(&[], &[]), true), "no findings\n");
    }

    #[test]
    fn the_summary_line_says_how_many_kinds_were_not_checked() {
        let n = kinds().len();
        let part = coverage(&[Kind::Pods, Kind::Services], &[]);
        assert_eq!(
            table(&[], &part, true),
            format!("no findings; 2 of {n} kinds not checked (forbidden: pods, services)\n")
        );
        let t = table(&[finding("CERT001")], &part, true);
        assert_eq!(
            t.lines().last().unwrap(),
            format!("1 error; 2 of {n} kinds not checked (forbidden: pods, services)")
        );
    }

    #[test]
    fn every_input_kind_says_what_is_skipped_without_it() {
        for k in kinds() {
            assert!(!skipped(*k).is_empty(), "{k:?}");
        }
        assert!(skipped(Kind::Pods).contains("sidecar and restart checks"));
        assert!(!skipped(Kind::Services).contains("certificates"));
        assert_eq!(table(&[], &coverage(&[], &[]), true), "no findings\n");
    }

    fn named(name: &str) -> Finding {
        Finding::new(
            "MESH001",
            vec![ObjRef::namespace(name)],
            "",
            format!("title of {name}"),
            "why",
        )
    }

    #[test]
    fn object_names_are_cut_with_a_marker_on_a_terminal_only() {
        let long = "n".repeat(80);
        let t = table(&[named(&long), named("short")], &coverage(&[], &[]), true);
        let line = t.lines().nth(1).unwrap();
        assert!(
            line.contains(&format!("Namespace/{}… ", "n".repeat(49))),
            "{t}"
        );
        let t = table(&[named(&long), named("short")], &coverage(&[], &[]), false);
        assert!(t.contains(&format!("Namespace/{long} title")), "{t}");
        // Columns stay aligned: TITLE starts at the same column on every line.
        let at: Vec<usize> = t
            .lines()
            .skip(1)
            .take(2)
            .map(|l| l.find("title").unwrap())
            .collect();
        assert_eq!(at[0], at[1], "{t}");
    }

    #[test]
    fn hostile_names_are_shown_escaped_and_aligned() {
        let t = table(
            &[named("evil\x1b]0;pwned\x07\u{202E}x"), named("plain")],
            &coverage(&[], &[]),
            false,
        );
        assert!(!t.contains('\x1b') && !t.contains('\x07') && !t.contains('\u{202E}'));
        assert!(t.contains("evil\\e]0;pwned\\x07<U+202E>x"), "{t}");
        let at: Vec<usize> = t
            .lines()
            .skip(1)
            .take(2)
            .map(|l| l.find("title of").unwrap())
            .collect();
        assert_eq!(at[0], at[1], "{t}");
    }
}
