//! When each workload's rollout last made progress, from watch events (never polled), so an
//! unfinished rollout whose counts stand still for `stuck_after` is flagged STUCK.
//!
//! The clock is the caller's (`AppState::now`, kept fresh by the loop), so tests inject it.

use std::cell::Cell;
use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::cluster::cache::{ClusterCache, Obj};
use crate::cluster::kinds::Kind;
use crate::cluster::objects::{ObjKey, WorkloadInfo, WorkloadKind};
use crate::cluster::watch::WatchEvent;
use crate::model::rollout::{self, RolloutStatus};

/// The config default of `rollout_stuck_after`.
pub const DEFAULT_STUCK_AFTER: SignedDuration = SignedDuration::from_mins(5);

/// What counts as progress: a new spec (generation), the controller catching up, or any of
/// the counts a progress bar shows.
type Progress = (Option<i64>, Option<i64>, [i32; 6]);

fn progress(w: &WorkloadInfo) -> Progress {
    (
        w.generation,
        w.observed_generation,
        [
            w.desired,
            w.updated,
            w.ready,
            w.available,
            w.rollout.total,
            w.rollout.current_replicas,
        ],
    )
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    progress: Progress,
    since: Timestamp,
    in_progress: bool,
}

/// Rollouts in the cache by state, for the header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Unfinished and not stuck.
    pub running: usize,
    pub stuck: usize,
}

#[derive(Debug, Clone)]
pub struct Rollouts {
    pub stuck_after: SignedDuration,
    seen: BTreeMap<(ObjKey, WorkloadKind), Seen>,
    /// The header's summary (it is drawn every frame, and reads every workload), kept
    /// until a workload event, or until the clock reaches the next rollout's deadline.
    kept: Cell<Option<KeptSummary>>,
}

#[derive(Debug, Clone, Copy)]
struct KeptSummary {
    summary: Summary,
    stuck_after: SignedDuration,
    /// Valid at `now` in `[from, until)`.
    from: Timestamp,
    until: Option<Timestamp>,
}

impl Default for Rollouts {
    fn default() -> Self {
        Rollouts {
            stuck_after: DEFAULT_STUCK_AFTER,
            seen: BTreeMap::new(),
            kept: Cell::new(None),
        }
    }
}

impl Rollouts {
    /// Records a workload as the watch delivered it at `now`.
    pub fn observe(&mut self, w: &WorkloadInfo, now: Timestamp) {
        let p = progress(w);
        let in_progress = rollout::status(w).phase.in_progress();
        match self.seen.get_mut(&(w.key.clone(), w.kind)) {
            Some(s) if s.progress == p => s.in_progress = in_progress,
            _ => {
                self.seen.insert(
                    (w.key.clone(), w.kind),
                    Seen {
                        progress: p,
                        since: now,
                        in_progress,
                    },
                );
            }
        }
    }

    /// Follows the workload watchers (the reducer calls it for every watch event).
    pub fn on_watch(&mut self, kind: Kind, event: &WatchEvent, now: Timestamp) {
        let wk = match kind {
            Kind::Deployments => WorkloadKind::Deployment,
            Kind::StatefulSets => WorkloadKind::StatefulSet,
            Kind::DaemonSets => WorkloadKind::DaemonSet,
            _ => return,
        };
        self.forget_summary();
        match event {
            WatchEvent::Reset(objs) => {
                let listed: Vec<&WorkloadInfo> = objs
                    .iter()
                    .filter_map(|o| match o {
                        Obj::Workload(w) => Some(w),
                        _ => None,
                    })
                    .collect();
                self.seen
                    .retain(|(key, k), _| *k != wk || listed.iter().any(|w| w.key == *key));
                for w in listed {
                    self.observe(w, now);
                }
            }
            WatchEvent::Apply(o) => {
                if let Obj::Workload(w) = o.as_ref() {
                    self.observe(w, now);
                }
            }
            WatchEvent::Delete(key) => {
                self.seen.remove(&(key.clone(), wk));
            }
            WatchEvent::State(_) => {}
        }
    }

    /// When the workload's rollout last changed, if it was ever seen.
    pub fn since(&self, w: &WorkloadInfo) -> Option<Timestamp> {
        self.seen.get(&(w.key.clone(), w.kind)).map(|s| s.since)
    }

    /// kubectl's status of `w`, and whether it is stuck at `now`.
    pub fn status(&self, w: &WorkloadInfo, now: Timestamp) -> (RolloutStatus, bool) {
        let s = rollout::status(w);
        let stuck = rollout::is_stuck(&s, self.since(w), now, self.stuck_after);
        (s, stuck)
    }

    /// Rollouts of `cache` by state at `now`. The workloads must change only with
    /// [`Self::on_watch`] (or [`Self::forget_summary`] after replacing them): the result is
    /// kept until then, or until the clock reaches the next deadline.
    pub fn summary(&self, cache: &ClusterCache, now: Timestamp) -> Summary {
        if let Some(k) = self.kept.get()
            && k.stuck_after == self.stuck_after
            && k.from <= now
            && k.until.is_none_or(|d| now < d)
        {
            return k.summary;
        }
        let mut summary = Summary::default();
        for w in cache.workloads.values() {
            match self.status(w, now) {
                (_, true) => summary.stuck += 1,
                (s, false) if s.phase.in_progress() => summary.running += 1,
                _ => {}
            }
        }
        self.kept.set(Some(KeptSummary {
            summary,
            stuck_after: self.stuck_after,
            from: now,
            until: self.next_deadline(now),
        }));
        summary
    }

    /// The workloads were replaced (a new context): the kept summary is of the old ones.
    pub fn forget_summary(&self) {
        self.kept.set(None);
    }

    fn deadlines(&self) -> impl Iterator<Item = Timestamp> + '_ {
        self.seen
            .values()
            .filter(|s| s.in_progress)
            .filter_map(|s| s.since.checked_add(self.stuck_after).ok())
    }

    /// The next moment an unfinished rollout turns stuck (after `now`): the loop sets a
    /// one-shot timer for it instead of polling.
    pub fn next_deadline(&self, now: Timestamp) -> Option<Timestamp> {
        self.deadlines().filter(|d| *d > now).min()
    }

    /// Whether a rollout turned stuck in `(from, to]`, i.e. a clock tick changes the screen.
    pub fn turned_stuck(&self, from: Timestamp, to: Timestamp) -> bool {
        self.deadlines().any(|d| from < d && d <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn cart(updated: i32, available: i32) -> WorkloadInfo {
        let mut w = WorkloadInfo {
            key: ObjKey::new("shop", "cart"),
            desired: 2,
            updated,
            ready: available,
            available,
            generation: Some(2),
            observed_generation: Some(2),
            ..Default::default()
        };
        w.rollout.total = 2;
        w
    }

    fn apply(r: &mut Rollouts, w: &WorkloadInfo, now: Timestamp) {
        let ev = WatchEvent::Apply(Box::new(Obj::Workload(w.clone())));
        r.on_watch(Kind::Deployments, &ev, now);
    }

    #[test]
    fn no_progress_for_the_configured_time_is_stuck_progress_resets_the_timer() {
        let mut r = Rollouts {
            stuck_after: SignedDuration::from_secs(60),
            ..Default::default()
        };
        let w = cart(2, 0);
        apply(&mut r, &w, t(0));
        assert_eq!(r.next_deadline(t(0)), Some(t(60)));
        assert!(!r.status(&w, t(59)).1);
        assert!(r.status(&w, t(60)).1, "no change for 60s: stuck");
        assert!(r.turned_stuck(t(30), t(60)) && !r.turned_stuck(t(60), t(90)));
        // The same counts again (a status-only resync) are no progress.
        apply(&mut r, &w, t(50));
        assert!(r.status(&w, t(60)).1);
        // One more pod available is progress: the timer starts again.
        let w = cart(2, 1);
        apply(&mut r, &w, t(70));
        assert!(!r.status(&w, t(100)).1);
        assert_eq!(r.next_deadline(t(100)), Some(t(130)));
        // Complete: never stuck, no deadline.
        let w = cart(2, 2);
        apply(&mut r, &w, t(80));
        assert!(!r.status(&w, t(10_000)).1);
        assert_eq!(r.next_deadline(t(80)), None);
    }

    #[test]
    fn summary_counts_running_and_stuck_and_deletes_forget() {
        let mut r = Rollouts {
            stuck_after: SignedDuration::from_secs(60),
            ..Default::default()
        };
        let mut cache = ClusterCache::default();
        let a = cart(1, 0);
        let mut b = cart(2, 2);
        b.key = ObjKey::new("shop", "web");
        let mut c = cart(2, 0);
        c.key = ObjKey::new("shop", "api");
        for w in [&a, &b, &c] {
            cache.apply(Obj::Workload(w.clone()));
        }
        let list = vec![Obj::Workload(a.clone()), Obj::Workload(b.clone())];
        r.on_watch(Kind::Deployments, &WatchEvent::Reset(list), t(0));
        apply(&mut r, &c, t(30));
        assert_eq!(
            r.summary(&cache, t(70)),
            Summary {
                running: 1,
                stuck: 1
            }
        );
        r.on_watch(Kind::Deployments, &WatchEvent::Delete(c.key.clone()), t(71));
        assert_eq!(r.since(&c), None);
        // Another kind's reset leaves Deployments alone.
        r.on_watch(Kind::DaemonSets, &WatchEvent::Reset(vec![]), t(72));
        assert_eq!(r.since(&a), Some(t(0)));
        // Not watched (yet): unfinished but not stuck.
        assert_eq!(r.summary(&cache, t(75)).running, 1);
    }

    #[test]
    fn the_summary_is_kept_until_a_workload_event_or_the_next_deadline() {
        let mut r = Rollouts {
            stuck_after: SignedDuration::from_secs(60),
            ..Default::default()
        };
        let mut cache = ClusterCache::default();
        let w = cart(2, 0);
        cache.apply(Obj::Workload(w.clone()));
        apply(&mut r, &w, t(0));
        let running = Summary {
            running: 1,
            stuck: 0,
        };
        let stuck = Summary {
            running: 0,
            stuck: 1,
        };
        assert_eq!(r.summary(&cache, t(10)), running);
        // The cache changed behind the summary's back: it is kept (this is what it saves).
        cache.apply(Obj::Workload(cart(2, 2)));
        assert_eq!(r.summary(&cache, t(20)), running);
        // Until the deadline passes: derived again, at the time asked.
        cache.apply(Obj::Workload(w.clone()));
        assert_eq!(r.summary(&cache, t(60)), stuck);
        // A workload event drops it.
        let done = cart(2, 2);
        cache.apply(Obj::Workload(done.clone()));
        apply(&mut r, &done, t(61));
        assert_eq!(r.summary(&cache, t(62)), Summary::default());
        // So does a new configuration, and a clock that went back.
        cache.apply(Obj::Workload(w.clone()));
        apply(&mut r, &w, t(63));
        assert_eq!(r.summary(&cache, t(64)), running);
        r.stuck_after = SignedDuration::from_secs(1);
        assert_eq!(r.summary(&cache, t(65)), stuck);
        r.stuck_after = SignedDuration::from_secs(60);
        assert_eq!(r.summary(&cache, t(66)), running);
        assert_eq!(r.summary(&cache, t(200)), stuck);
        assert_eq!(r.summary(&cache, t(70)), running, "clock went back");
    }
}
