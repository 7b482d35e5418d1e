//! Revision migration for a canary control-plane upgrade (`asm-1-22` → `asm-1-23`): the
//! namespaces on either revision, grouped in waves; each wave is relabelled
//! (`istio.io/rev=<to>`) and, once a namespace's label write is applied, its affected
//! workloads are restarted so their pods get the new sidecar. Rollback is the same with the
//! revisions swapped. Plain data and pure transitions: `app::migrate` wires keys and
//! write results to them, `ui::migrate` draws them.
//!
//! Only namespaces selected by `istio.io/rev` take part: one on `istio-injection=enabled`
//! follows the default revision tag, which a relabel cannot move.

use std::collections::BTreeMap;

use crate::cluster::cache::ClusterCache;
use crate::cluster::objects::{ObjKey, WorkloadKind};
use crate::model::inject::changes_in;
use crate::model::mesh::{ControlPlanes, INJECTION_LABEL, REV_LABEL};
use crate::state::hazard::Hazard;
use crate::state::inject::namespaces_text;
use crate::state::write::WriteOp;

pub const MAX_WAVE: u8 = 9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Rollback,
}

/// A namespace of the migration and the wave it belongs to (None = left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub namespace: String,
    pub wave: Option<u8>,
}

/// Where a namespace's migration step stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The label write is in flight.
    Relabeling(Direction),
    /// The label is applied; these restarts are in flight.
    Restarting {
        direction: Direction,
        pending: Vec<WriteOp>,
        total: usize,
        failed: Vec<String>,
    },
    /// Label and restarts applied (the pods roll; the row shows their progress).
    Done(Direction),
    Failed(String),
}

/// A wave waiting for an explicit yes (Cancel focused first, like every write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveConfirm {
    pub direction: Direction,
    pub title: String,
    pub body: Vec<String>,
    /// The label writes; restarts follow each one that is applied.
    pub ops: Vec<WriteOp>,
    pub ok_focused: bool,
    pub scroll: u16,
    /// Set when the target revision's istiod has no ready replica: Confirm takes two Enters.
    pub hazard: Option<Hazard>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub from: String,
    pub to: String,
    pub rows: Vec<Row>,
    pub cursor: usize,
    pub confirm: Option<WaveConfirm>,
    pub steps: BTreeMap<String, Step>,
    /// What happened, newest last (shown under the table).
    pub log: Vec<String>,
    /// Namespaces left out because `istio-injection` selects their revision.
    pub by_injection_label: Vec<String>,
    /// The control planes' revisions when the screen was set up: when one appears or goes,
    /// reopening picks the pair again.
    pub planes: Vec<String>,
}

/// Pods of a namespace by sidecar: on `from`, on `to`, on another revision, none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PodCounts {
    pub from: usize,
    pub to: usize,
    pub other: usize,
    pub none: usize,
}

/// The (from, to) pairs a migration can go: from a revision some namespace is labelled
/// with, to another revision that has a control plane.
pub fn pairs(cache: &ClusterCache) -> Vec<(String, String)> {
    let cps = ControlPlanes::from_workloads(cache.control_planes.values());
    let mut labelled: Vec<&String> = cache
        .namespaces
        .values()
        .filter_map(|n| n.labels.get(REV_LABEL))
        .collect();
    labelled.sort();
    labelled.dedup();
    let mut out = Vec::new();
    for from in labelled {
        for to in cps.by_revision.keys().filter(|to| *to != from) {
            out.push((from.clone(), to.clone()));
        }
    }
    out
}

/// The pair the screen opens on: towards the newest control plane (by creation), from a
/// revision that has a control plane itself if one does (else from leftover labels), the
/// one most namespaces are on. A canary `asm-1-23` installed next to `asm-1-22`, with a
/// few namespaces still labelled with the long-gone `asm-1-21`: `asm-1-22 -> asm-1-23`.
pub fn default_pair(cache: &ClusterCache) -> Option<(String, String)> {
    let cps = ControlPlanes::from_workloads(cache.control_planes.values());
    let mut by_age: Vec<(Option<jiff::Timestamp>, String)> = cache
        .control_planes
        .values()
        .filter_map(|w| Some((w.created, w.control_plane_revision()?)))
        .collect();
    by_age.sort();
    let age = |rev: &str| by_age.iter().rposition(|(_, r)| r == rev);
    let on = |rev: &str| {
        cache
            .namespaces
            .values()
            .filter(|n| n.labels.get(REV_LABEL).map(String::as_str) == Some(rev))
            .count()
    };
    let all = pairs(cache);
    // The first of the best, so ties keep the listing's order.
    all.iter()
        .enumerate()
        .max_by_key(|(i, (from, to))| {
            (
                age(to),
                cps.by_revision.contains_key(from),
                on(from),
                std::cmp::Reverse(*i),
            )
        })
        .map(|(_, p)| p.clone())
}

/// The revisions that have a control plane now (to tell whether one appeared or went).
pub fn plane_revisions(cache: &ClusterCache) -> Vec<String> {
    ControlPlanes::from_workloads(cache.control_planes.values())
        .by_revision
        .into_keys()
        .collect()
}

impl Migration {
    /// Every namespace on `from` or `to` (a migration under way shows what it moved, so it
    /// can be rolled back). Waves start as a canary: the first namespace alone in wave 1,
    /// the rest in wave 2; `+`/`-` change them.
    pub fn new(cache: &ClusterCache, from: &str, to: &str) -> Migration {
        let mut rows = Vec::new();
        let mut by_injection_label = Vec::new();
        for n in cache.namespaces.values() {
            let rev = n.labels.get(REV_LABEL).map(String::as_str);
            if rev != Some(from) && rev != Some(to) {
                continue;
            }
            if n.labels.contains_key(INJECTION_LABEL) {
                by_injection_label.push(n.name.clone());
                continue;
            }
            rows.push(Row {
                namespace: n.name.clone(),
                wave: Some(if rows.is_empty() { 1 } else { 2 }),
            });
        }
        Migration {
            from: from.into(),
            to: to.into(),
            rows,
            cursor: 0,
            confirm: None,
            steps: BTreeMap::new(),
            log: Vec::new(),
            by_injection_label,
            planes: plane_revisions(cache),
        }
    }

    pub fn move_cursor(&mut self, down: bool) {
        let last = self.rows.len().saturating_sub(1);
        self.cursor = if down {
            (self.cursor + 1).min(last)
        } else {
            self.cursor.saturating_sub(1)
        };
    }

    /// `+`/`-`: the selected namespace's wave, 1..=9.
    pub fn shift_wave(&mut self, later: bool) {
        if let Some(r) = self.rows.get_mut(self.cursor) {
            let w = r.wave.unwrap_or(1);
            r.wave = Some(if later {
                (w + 1).min(MAX_WAVE)
            } else {
                w.saturating_sub(1).max(1)
            });
        }
    }

    /// Space: in or out of the migration.
    pub fn toggle(&mut self) {
        if let Some(r) = self.rows.get_mut(self.cursor) {
            r.wave = match r.wave {
                Some(_) => None,
                None => Some(1),
            };
        }
    }

    fn busy(&self, ns: &str) -> bool {
        matches!(
            self.steps.get(ns),
            Some(Step::Relabeling(_) | Step::Restarting { .. })
        )
    }

    /// The first wave with a namespace still labelled `from`, and those namespaces.
    pub fn next_wave(&self, cache: &ClusterCache) -> Option<(u8, Vec<String>)> {
        let on_from = |r: &&Row| {
            cache
                .namespaces
                .get(&r.namespace)
                .and_then(|n| n.labels.get(REV_LABEL))
                == Some(&self.from)
                && !self.busy(&r.namespace)
        };
        let wave = self
            .rows
            .iter()
            .filter(on_from)
            .filter_map(|r| r.wave)
            .min()?;
        let names = self
            .rows
            .iter()
            .filter(on_from)
            .filter(|r| r.wave == Some(wave))
            .map(|r| r.namespace.clone())
            .collect();
        Some((wave, names))
    }

    /// The wave of the selected row, limited to namespaces now labelled `to`: what a
    /// rollback puts back.
    pub fn rollback_set(&self, cache: &ClusterCache) -> Option<(u8, Vec<String>)> {
        let wave = self.rows.get(self.cursor)?.wave?;
        let names: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.wave == Some(wave) && !self.busy(&r.namespace))
            .filter(|r| {
                cache
                    .namespaces
                    .get(&r.namespace)
                    .and_then(|n| n.labels.get(REV_LABEL))
                    == Some(&self.to)
            })
            .map(|r| r.namespace.clone())
            .collect();
        (!names.is_empty()).then_some((wave, names))
    }

    /// The confirm for moving `namespaces` (forward to `to`, or back to `from`): the label
    /// writes with their preconditions, then per namespace the workloads that will restart.
    pub fn plan(
        &self,
        cache: &ClusterCache,
        context: &str,
        direction: Direction,
        wave: u8,
        namespaces: &[String],
    ) -> Result<WaveConfirm, String> {
        let (from, to) = self.revisions(direction);
        let cps = ControlPlanes::from_workloads(cache.control_planes.values());
        if !cps.by_revision.contains_key(to) {
            return Err(format!(
                "no control plane for {to}: pods would start without a sidecar; nothing was written"
            ));
        }
        let verb = match direction {
            Direction::Forward => "migrate",
            Direction::Rollback => "roll back",
        };
        let mut body = vec![
            format!("context:   {context}"),
            format!(
                "wave {wave}: {verb} {} namespace(s) from {from} to {to}",
                namespaces.len()
            ),
            String::new(),
        ];
        let mut ops = Vec::new();
        for ns in namespaces {
            let Some(n) = cache.namespaces.get(ns) else {
                return Err(format!("namespace {ns} no longer exists"));
            };
            let Some(rv) = n.resource_version.clone() else {
                return Err(format!(
                    "namespace {ns} has no resourceVersion yet; try again"
                ));
            };
            body.push(format!(
                "Namespace {ns}: label {REV_LABEL}={from} -> {to} (merge patch, resourceVersion \"{rv}\")"
            ));
            let restarts = restarts_for(cache, &cps, ns, to);
            if restarts.is_empty() {
                body.push("    then nothing to restart (no running pod changes)".into());
            }
            for (kind, key, note) in restarts {
                body.push(format!(
                    "    then rollout restart {} {}: {note}",
                    kind.as_str(),
                    key.name
                ));
            }
            ops.push(WriteOp::SetNamespaceLabels {
                namespace: ns.clone(),
                resource_version: rv,
                set: vec![(REV_LABEL.to_string(), to.to_string())],
                remove: vec![],
            });
        }
        body.push(String::new());
        body.push(
            "Each label write runs first (dry run, then patch); only when it is applied are".into(),
        );
        body.push(
            "that namespace's workloads restarted (each a guarded, audited patch). The table"
                .into(),
        );
        body.push(
            "then shows the pods moving to the new revision and any rollout that gets stuck."
                .into(),
        );
        let names: Vec<&str> = namespaces.iter().map(String::as_str).collect();
        let hazard = Hazard::not_ready(
            &cps.not_ready(to).into_iter().collect::<Vec<_>>(),
            &namespaces_text(&names),
        );
        Ok(WaveConfirm {
            direction,
            title: format!("{verb} wave {wave} to {to}?"),
            body,
            ops,
            ok_focused: false,
            scroll: 0,
            hazard,
        })
    }

    fn revisions(&self, direction: Direction) -> (&str, &str) {
        match direction {
            Direction::Forward => (&self.from, &self.to),
            Direction::Rollback => (&self.to, &self.from),
        }
    }

    /// The confirm was accepted: the label writes go out and are tracked.
    pub fn start(&mut self, c: &WaveConfirm) -> Vec<WriteOp> {
        for op in &c.ops {
            if let WriteOp::SetNamespaceLabels { namespace, .. } = op {
                self.steps
                    .insert(namespace.clone(), Step::Relabeling(c.direction));
            }
        }
        self.log(format!(
            "{}: {} label write(s) sent",
            c.title.trim_end_matches('?'),
            c.ops.len()
        ));
        c.ops.clone()
    }

    fn log(&mut self, line: String) {
        self.log.push(line);
        let excess = self.log.len().saturating_sub(50);
        self.log.drain(..excess);
    }

    /// A write this migration started has answered. Returns the writes that follow (the
    /// restarts after an applied label), or None if the write was not one of ours.
    pub fn on_write_done(
        &mut self,
        cache: &ClusterCache,
        op: &WriteOp,
        result: &Result<String, String>,
    ) -> Option<Vec<WriteOp>> {
        match op {
            WriteOp::SetNamespaceLabels { namespace, .. } => {
                let Some(Step::Relabeling(direction)) = self.steps.get(namespace).cloned() else {
                    return None;
                };
                let to = self.revisions(direction).1.to_string();
                match result {
                    Err(e) => {
                        self.log(format!("{namespace}: label NOT written: {e}"));
                        self.steps
                            .insert(namespace.clone(), Step::Failed(e.clone()));
                        Some(vec![])
                    }
                    Ok(_) => {
                        let cps = ControlPlanes::from_workloads(cache.control_planes.values());
                        let restarts: Vec<WriteOp> = restarts_for(cache, &cps, namespace, &to)
                            .into_iter()
                            .filter_map(|(kind, key, _)| {
                                let rv = cache
                                    .workloads
                                    .get(&(key.clone(), kind))?
                                    .resource_version
                                    .clone()?;
                                Some(WriteOp::RolloutRestart {
                                    kind,
                                    key,
                                    resource_version: rv,
                                })
                            })
                            .collect();
                        self.log(format!(
                            "{namespace}: {REV_LABEL}={to} applied; restarting {} workload(s)",
                            restarts.len()
                        ));
                        let step = if restarts.is_empty() {
                            Step::Done(direction)
                        } else {
                            Step::Restarting {
                                direction,
                                pending: restarts.clone(),
                                total: restarts.len(),
                                failed: vec![],
                            }
                        };
                        self.steps.insert(namespace.clone(), step);
                        Some(restarts)
                    }
                }
            }
            WriteOp::RolloutRestart { key, .. } => {
                let ns = key.ns.clone();
                let Some(Step::Restarting {
                    direction,
                    mut pending,
                    total,
                    mut failed,
                }) = self.steps.get(&ns).cloned()
                else {
                    return None;
                };
                let at = pending.iter().position(|p| p == op)?;
                pending.remove(at);
                if let Err(e) = result {
                    failed.push(format!("{}: {e}", op.object()));
                    self.log(format!("{ns}: restart of {} failed: {e}", op.object()));
                }
                let step = match (pending.is_empty(), failed.is_empty()) {
                    (false, _) => Step::Restarting {
                        direction,
                        pending,
                        total,
                        failed,
                    },
                    (true, true) => {
                        self.log(format!("{ns}: {total} restart(s) applied"));
                        Step::Done(direction)
                    }
                    (true, false) => Step::Failed(format!(
                        "{} of {total} restart(s) failed: {}",
                        failed.len(),
                        failed.join("; ")
                    )),
                };
                self.steps.insert(ns, step);
                Some(vec![])
            }
            _ => None,
        }
    }

    /// Pods of `ns` by sidecar revision.
    pub fn pods(&self, cache: &ClusterCache, ns: &str) -> PodCounts {
        let mut c = PodCounts::default();
        for p in cache.pods_in(ns) {
            if p.deleting
                || p.gateway.is_some()
                || matches!(p.phase.as_str(), "Succeeded" | "Failed")
            {
                continue;
            }
            match p.sidecar.as_ref().map(|s| s.revision.as_deref()) {
                None => c.none += 1,
                Some(Some(r)) if r == self.from => c.from += 1,
                Some(Some(r)) if r == self.to => c.to += 1,
                Some(_) => c.other += 1,
            }
        }
        c
    }

    /// One word for a row: its step if one is under way, else what the cluster shows.
    pub fn state_of(&self, cache: &ClusterCache, ns: &str) -> String {
        match self.steps.get(ns) {
            Some(Step::Relabeling(_)) => return "relabelling…".into(),
            Some(Step::Restarting { pending, total, .. }) => {
                return format!("restarting {}/{total}…", total - pending.len());
            }
            Some(Step::Failed(e)) => return format!("FAILED: {e}"),
            _ => {}
        }
        let label = cache
            .namespaces
            .get(ns)
            .and_then(|n| n.labels.get(REV_LABEL))
            .cloned()
            .unwrap_or_default();
        let pods = self.pods(cache, ns);
        if label == self.to {
            if pods.from > 0 {
                return format!(
                    "on {}: {} pod(s) still on {}",
                    self.to, pods.from, self.from
                );
            }
            // Drawn every frame the screen is up: the per-workload comparison only when the
            // cheap pod count does not already tell.
            let cps = ControlPlanes::from_workloads(cache.control_planes.values());
            match restarts_for(cache, &cps, ns, &self.to).len() {
                0 => format!("migrated to {}", self.to),
                n => format!("on {}: {n} workload(s) need a restart", self.to),
            }
        } else if label == self.from {
            if matches!(self.steps.get(ns), Some(Step::Done(Direction::Rollback))) {
                format!("rolled back to {}", self.from)
            } else {
                format!("on {}", self.from)
            }
        } else {
            format!("relabelled outside ({REV_LABEL}={label})")
        }
    }
}

/// The workloads of `ns` whose pods change if the namespace is labelled `istio.io/rev=to`.
fn restarts_for(
    cache: &ClusterCache,
    cps: &ControlPlanes,
    ns: &str,
    to: &str,
) -> Vec<(WorkloadKind, ObjKey, String)> {
    let mut labels = cache
        .namespaces
        .get(ns)
        .map(|n| n.labels.clone())
        .unwrap_or_default();
    labels.insert(REV_LABEL.into(), to.into());
    changes_in(cache, cps, ns, &labels)
        .into_iter()
        .map(|c| {
            let note = c.describe();
            (c.kind, c.key, note)
        })
        .collect()
}

#[cfg(test)]
#[path = "migrate_tests.rs"]
mod tests;
