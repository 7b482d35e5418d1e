//! Non-interactive commands (`meshctl-tui certs`, `meshctl-tui check`): connect like the console, read the cluster
//! once (`cluster::snapshot`), print, exit with a code scripts can test.
//!
//! Exit codes shared by both: 3 when the cluster cannot be read, 4 when it could be read
//! only in part (RBAC forbids some of what was asked) and nothing worse was found: a cron
//! or CI job must not go green on a cluster it could not see. `--allow-partial` turns 4
//! off (the findings, or the list, decide). `completions` and `man` print shell completion
//! scripts and the man page generated from the flags (`docs`).

pub mod certs;
pub mod check;
pub mod docs;

use std::collections::BTreeMap;

use crate::cli::Cli;
use crate::cluster::connect::{Connection, Target, connect};
use crate::cluster::kinds::{Kind, WatchState};
use crate::demo::DemoCluster;

/// Exit code when the cluster cannot be read (bad kubeconfig, server unreachable). Distinct
/// from clap's 2 for usage errors.
pub const EXIT_UNREACHABLE: i32 = 3;

/// Exit code when some kinds could not be listed (RBAC) and `--allow-partial` was not given.
pub const EXIT_INCOMPLETE: i32 = 4;

/// What a one-shot read could not see, among the kinds that count (all of `check`'s, the
/// certificate sources of `certs`). A CRD that is not installed is seen: nothing of that
/// kind exists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// How many kinds count.
    pub asked: usize,
    /// RBAC said no.
    pub forbidden: Vec<Kind>,
    /// Server or connection trouble (or no answer in time).
    pub failing: Vec<Kind>,
}

impl Coverage {
    /// The coverage of `states`, counting only the kinds `counts` accepts.
    pub fn of(states: &BTreeMap<Kind, WatchState>, counts: impl Fn(Kind) -> bool) -> Coverage {
        let mut c = Coverage::default();
        for (k, s) in states.iter().filter(|(k, _)| counts(**k)) {
            c.asked += 1;
            match s {
                WatchState::Forbidden(_) => c.forbidden.push(*k),
                WatchState::Failing(_) | WatchState::Syncing => c.failing.push(*k),
                WatchState::Live | WatchState::NotInstalled => {}
            }
        }
        c
    }

    pub fn not_seen(&self) -> usize {
        self.forbidden.len() + self.failing.len()
    }

    pub fn complete(&self) -> bool {
        self.not_seen() == 0
    }

    /// `22 of 24 kinds not checked (forbidden: pods, services, … and 19 more)`, with the
    /// command's own words (`kinds` / `not checked`); None when everything was seen.
    pub fn describe(&self, noun: &str, missed: &str) -> Option<String> {
        if self.complete() {
            return None;
        }
        let names = |ks: &[Kind]| {
            let mut s: Vec<&str> = ks.iter().take(3).map(|k| k.resource()).collect();
            if ks.len() == 4 {
                s.push(ks[3].resource());
            } else if ks.len() > 4 {
                s.push("…");
                return format!("{} and {} more", s.join(", "), ks.len() - 3);
            }
            s.join(", ")
        };
        let mut why = Vec::new();
        if !self.forbidden.is_empty() {
            why.push(format!("forbidden: {}", names(&self.forbidden)));
        }
        if !self.failing.is_empty() {
            why.push(format!("failing: {}", names(&self.failing)));
        }
        Some(format!(
            "{} of {} {noun} {missed} ({})",
            self.not_seen(),
            self.asked,
            why.join("; ")
        ))
    }

    /// The exit code for what could not be seen, if that decides it: 3 for server trouble
    /// (always), 4 for forbidden kinds unless `allow_partial`.
    pub fn exit_code(&self, allow_partial: bool) -> Option<i32> {
        if !self.failing.is_empty() {
            Some(EXIT_UNREACHABLE)
        } else if !self.forbidden.is_empty() && !allow_partial {
            Some(EXIT_INCOMPLETE)
        } else {
            None
        }
    }
}

/// One stderr line per kind that could not be read: what it is, why, and what that means
/// for this command's output (`meaning`). Also whether nothing could be read at all because
/// of connection trouble. A CRD that is not installed is not a problem.
pub fn source_problems(
    states: &BTreeMap<Kind, WatchState>,
    meaning: impl Fn(Kind) -> &'static str,
) -> (Vec<String>, bool) {
    let mut lines = Vec::new();
    for (k, s) in states {
        match s {
            WatchState::Forbidden(msg) => lines.push(format!(
                "{}: forbidden — {} ({msg})",
                k.resource(),
                meaning(*k)
            )),
            WatchState::Failing(msg) => lines.push(format!(
                "{}: cannot be read — {} ({msg})",
                k.resource(),
                meaning(*k)
            )),
            _ => {}
        }
    }
    let unreachable =
        !states.is_empty() && states.values().all(|s| matches!(s, WatchState::Failing(_)));
    (lines, unreachable)
}

/// Connects the way the console does (`--demo`, `--kubeconfig`, `--context`, in-cluster).
/// The demo cluster, if any, must live as long as the connection.
pub async fn connect_cli(cli: &Cli) -> Result<(Connection, Option<DemoCluster>), String> {
    if cli.demo {
        let demo = DemoCluster::start().map_err(|e| format!("demo cluster: {e}"))?;
        let conn = connect(&Target::Demo, Some(&demo)).await?;
        return Ok((conn, Some(demo)));
    }
    let target = Target::Kubeconfig {
        path: cli.kubeconfig.clone(),
        context: cli.context.clone(),
    };
    Ok((connect(&target, None).await?, None))
}

/// What every command does first: config warnings to stderr, the certificate bands, and
/// the connection. `Err` is the exit code (the reason is already on stderr).
pub async fn prepare(
    cli: &Cli,
    command: &str,
) -> Result<(crate::model::certs::Bands, Connection, Option<DemoCluster>), i32> {
    let (cfg, warnings) = crate::config::load(cli.config.as_deref());
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let (bands, w) = cfg.cert_bands();
    if let Some(w) = w {
        eprintln!("warning: {w}");
    }
    match connect_cli(cli).await {
        Ok((conn, demo)) => Ok((bands, conn, demo)),
        Err(e) => {
            eprintln!("meshctl-tui {command}: {}", crate::text::sanitize(&e));
            Err(EXIT_UNREACHABLE)
        }
    }
}

/// `-n` unless `-A`; all namespaces by default, like the console.
pub fn namespace(cli: &Cli) -> Option<String> {
    if cli.all_namespaces {
        None
    } else {
        cli.namespace.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states(list: &[(Kind, WatchState)]) -> BTreeMap<Kind, WatchState> {
        list.iter().cloned().collect()
    }

    #[test]
    fn a_missing_crd_is_seen_a_forbidden_kind_is_not() {
        let s = states(&[
            (Kind::Namespaces, WatchState::Live),
            (Kind::Pods, WatchState::Forbidden("no".into())),
            (Kind::VirtualServices, WatchState::NotInstalled),
            (Kind::Services, WatchState::Forbidden("no".into())),
        ]);
        let c = Coverage::of(&s, |_| true);
        assert_eq!(c.asked, 4);
        assert_eq!(c.forbidden, [Kind::Pods, Kind::Services]);
        assert!(!c.complete());
        assert_eq!(
            c.describe("kinds", "not checked").as_deref(),
            Some("2 of 4 kinds not checked (forbidden: pods, services)")
        );
        assert_eq!(c.exit_code(false), Some(EXIT_INCOMPLETE));
        assert_eq!(
            c.exit_code(true),
            None,
            "--allow-partial: the findings decide"
        );
        // Only the kinds that count.
        let only_ns = Coverage::of(&s, |k| k == Kind::Namespaces);
        assert!(only_ns.complete());
        assert_eq!(only_ns.describe("kinds", "not checked"), None);
        assert_eq!(only_ns.exit_code(false), None);
    }

    #[test]
    fn server_trouble_is_unreachable_even_with_allow_partial() {
        let s = states(&[
            (Kind::Namespaces, WatchState::Live),
            (Kind::Pods, WatchState::Failing("timeout".into())),
        ]);
        let c = Coverage::of(&s, |_| true);
        assert_eq!(c.exit_code(true), Some(EXIT_UNREACHABLE));
        assert_eq!(
            c.describe("kinds", "not checked").as_deref(),
            Some("1 of 2 kinds not checked (failing: pods)")
        );
    }

    #[test]
    fn long_lists_are_cut_in_the_summary() {
        let s: BTreeMap<Kind, WatchState> = Kind::ALL
            .iter()
            .map(|k| (*k, WatchState::Forbidden("no".into())))
            .collect();
        let d = Coverage::of(&s, |_| true)
            .describe("kinds", "not checked")
            .unwrap();
        assert_eq!(
            d,
            "25 of 25 kinds not checked (forbidden: namespaces, pods, services, … and 22 more)"
        );
    }

    #[test]
    fn each_unread_kind_gets_a_line_saying_what_it_means() {
        let s = states(&[
            (Kind::Namespaces, WatchState::Live),
            (
                Kind::Pods,
                WatchState::Forbidden("pods is forbidden".into()),
            ),
            (Kind::Services, WatchState::Failing("timeout".into())),
            (Kind::VirtualServices, WatchState::NotInstalled),
        ]);
        let (lines, unreachable) = source_problems(&s, |k| match k {
            Kind::Pods => "sidecar checks skipped",
            _ => "route checks skipped",
        });
        assert!(!unreachable);
        assert_eq!(
            lines,
            [
                "pods: forbidden — sidecar checks skipped (pods is forbidden)",
                "services: cannot be read — route checks skipped (timeout)",
            ]
        );
    }
}
