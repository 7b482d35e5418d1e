//! `meshctl-tui check`: the Diagnostics findings (certificate findings included) once, as a
//! table or JSON, for cron and CI. Exit 0 when clean, 1 with warnings, 2 with errors,
//! 3 when the cluster cannot be read. `--min-severity` drops lesser findings from the
//! output and from the exit code; the certificate bands come from the config.

use std::collections::BTreeMap;
use std::io::IsTerminal;
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
    let (problems, unreachable) = source_problems(&states);
    if unreachable {
        eprintln!(
            "meshctl-tui check: cannot reach the API server of context {}: {}",
            sanitize(&conn.context),
            sanitize(problems.first().map(String::as_str).unwrap_or("no answer"))
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
        Output::Table => print!("{}", table(&shown, std::io::stdout().is_terminal())),
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
        eprintln!("warning: not checked: {}", sanitize(p));
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
/// Cluster text is sanitised (`crate::text`). On a terminal (`cut`) OBJECTS is at most 60
/// columns, a cut value ending with `…`; in a pipe or file nothing is cut: scripts grep it.
pub fn table(shown: &[Finding], cut: bool) -> String {
    let mut out = String::new();
    if shown.is_empty() {
        out.push_str("no findings\n");
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
        let t = table(&[finding("MESH001"), finding("CERT001")], true);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("SEVERITY CODE"));
        assert!(lines[1].starts_with("WARNING  MESH001   IST0123  Namespace/shop"));
        assert!(lines[1].ends_with("title of MESH001"));
        assert!(lines[2].starts_with("ERROR    CERT001   -"));
        assert_eq!(lines.last(), Some(&"1 error 1 warning"));
        assert_eq!(table(&[], true), "no findings\n");
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
        let t = table(&[named(&long), named("short")], true);
        let line = t.lines().nth(1).unwrap();
        assert!(
            line.contains(&format!("Namespace/{}… ", "n".repeat(49))),
            "{t}"
        );
        let t = table(&[named(&long), named("short")], false);
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
