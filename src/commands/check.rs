//! `meshctl-tui check`: the Diagnostics findings (certificate findings included) once, as a
//! table or JSON, for cron and CI. Exit 0 when clean, 1 with warnings, 2 with errors,
//! 3 when the cluster cannot be read. `--min-severity` drops lesser findings from the
//! output and from the exit code; the certificate bands come from the config.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::json;

use super::certs::source_problems;
use super::{EXIT_UNREACHABLE, namespace, prepare};
use crate::cli::{CheckArgs, Cli, MinSeverity, Output};
use crate::cluster::kinds::{Kind, WatchState};
use crate::cluster::snapshot;
use crate::model::certs::inventory;
use crate::model::diagnostics::{Counts, Finding, Live, Severity, findings};

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
    let (problems, unreachable) = source_problems(&states);
    if unreachable {
        eprintln!(
            "meshctl-tui check: cannot reach the API server of context {}: {}",
            conn.context,
            problems.first().map(String::as_str).unwrap_or("no answer")
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
    match args.output {
        Output::Table => print!("{}", table(&shown)),
        Output::Json => {
            let doc = json!({
                "context": conn.context,
                "namespace": ns,
                "generated": now.to_string(),
                "summary": summary(&shown),
                "not_checked": not_checked(&states),
                "findings": shown,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
            );
        }
    }
    for p in &problems {
        eprintln!("warning: not checked: {p}");
    }
    if states.values().any(|s| matches!(s, WatchState::Failing(_))) {
        return EXIT_UNREACHABLE;
    }
    exit_code(&shown)
}

/// The least severe severity still shown (`Severity` orders Error < Warning < Info).
fn threshold(m: MinSeverity) -> Severity {
    match m {
        MinSeverity::Info => Severity::Info,
        MinSeverity::Warning => Severity::Warning,
        MinSeverity::Error => Severity::Error,
    }
}

pub fn exit_code(shown: &[Finding]) -> i32 {
    let c = Counts::of(shown);
    if c.errors > 0 {
        EXIT_ERRORS
    } else if c.warnings > 0 {
        EXIT_WARNINGS
    } else {
        0
    }
}

fn summary(shown: &[Finding]) -> serde_json::Value {
    let c = Counts::of(shown);
    json!({"errors": c.errors, "warnings": c.warnings, "infos": c.infos})
}

/// Kinds that could not be judged, and why (a CRD that is not installed is fine: nothing
/// of that kind exists to judge).
fn not_checked(states: &BTreeMap<Kind, WatchState>) -> Vec<serde_json::Value> {
    states
        .iter()
        .filter_map(|(k, s)| match s {
            WatchState::Forbidden(m) => Some(json!({"resource": k.resource(), "forbidden": m})),
            WatchState::Failing(m) => Some(json!({"resource": k.resource(), "failing": m})),
            _ => None,
        })
        .collect()
}

/// SEVERITY CODE ISTIO OBJECTS TITLE, then a summary line; `no findings` when clean.
pub fn table(shown: &[Finding]) -> String {
    let mut out = String::new();
    if shown.is_empty() {
        out.push_str("no findings\n");
        return out;
    }
    let objects: Vec<String> = shown.iter().map(Finding::objects_text).collect();
    let ow = objects
        .iter()
        .map(|o| o.chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, 60);
    out.push_str(&format!(
        "{:<8} {:<9} {:<8} {:<ow$} TITLE\n",
        "SEVERITY", "CODE", "ISTIO", "OBJECTS"
    ));
    for (f, o) in shown.iter().zip(&objects) {
        let o: String = o.chars().take(ow).collect();
        out.push_str(&format!(
            "{:<8} {:<9} {:<8} {o:<ow$} {}\n",
            f.severity.label(),
            f.code,
            f.istio.map_or("-", |i| i.code),
            f.title
        ));
    }
    out.push_str(&format!("\n{}\n", Counts::of(shown).describe()));
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

    #[test]
    fn exit_codes_follow_the_worst_finding_shown() {
        assert_eq!(exit_code(&[]), 0);
        assert_eq!(exit_code(&[finding("GW003")]), 0, "info only is clean");
        assert_eq!(
            exit_code(&[finding("GW003"), finding("MESH001")]),
            EXIT_WARNINGS
        );
        assert_eq!(
            exit_code(&[finding("MESH001"), finding("CERT001")]),
            EXIT_ERRORS
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
        let t = table(&[finding("MESH001"), finding("CERT001")]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("SEVERITY CODE"));
        assert!(lines[1].starts_with("WARNING  MESH001   IST0123  Namespace/shop"));
        assert!(lines[1].ends_with("title of MESH001"));
        assert!(lines[2].starts_with("ERROR    CERT001   -"));
        assert_eq!(lines.last(), Some(&"1 error 1 warning"));
        assert_eq!(table(&[]), "no findings\n");
    }
}
