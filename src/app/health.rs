//! Is the data on screen still true? A watch that breaks says so at once (kube-runtime
//! reports the error and we mark what it had listed stale). A connection that dies without
//! a word (API server draining its watches on shutdown, a host or network gone without a
//! reset) leaves every watch silent instead, which looks like an idle cluster. So after
//! the watches have been silent for a while since their last event (`SilenceTimer`), the
//! loop sends ONE cheap probe; a failure marks everything stale and restarts the watchers
//! (which then retry by themselves). The probe is not repeated until an event arrives
//! again: an idle cluster costs one request after its last change, never a polling loop.

use crate::app::msg::Effect;
use crate::state::{AppState, Health};

/// `Msg::Silence`: probe once, if everything still claims to be live.
pub fn on_silence(state: &mut AppState, generation: u64) -> Vec<Effect> {
    if generation != state.generation || state.health() != Health::Live {
        // Not live: the watchers already report the trouble and retry by themselves.
        return vec![];
    }
    vec![Effect::Probe { generation }]
}

/// `Msg::Probed`: a failure makes the data stale and restarts the watchers, whose sockets
/// may be dead without knowing it.
pub fn on_probed(state: &mut AppState, generation: u64, result: Result<(), String>) -> Vec<Effect> {
    if generation != state.generation {
        return vec![];
    }
    match result {
        Ok(()) => {
            if state.probe_failed.take().is_some() {
                state.note_staleness();
                state.diagnostics.stale = true;
            }
            vec![]
        }
        Err(e) => {
            let first = state.probe_failed.is_none();
            state.probe_failed = Some(e);
            state.note_staleness();
            state.diagnostics.stale = true;
            if first {
                vec![Effect::Rewatch { generation }]
            } else {
                vec![]
            }
        }
    }
}

/// Objects arrived: the server is answering.
pub fn on_data(state: &mut AppState) {
    if state.probe_failed.take().is_some() {
        state.note_staleness();
        state.diagnostics.stale = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::msg::Msg;
    use crate::app::update::update;
    use crate::cluster::kinds::{Kind, WatchState};
    use crate::cluster::watch::{WatchEvent, WatchMsg};
    use crate::config::Keymap;
    use crate::state::ConnInfo;
    use crate::state::view_state::ViewState;
    use jiff::Timestamp;

    const T0: &str = "2026-11-25T12:00:00Z";

    fn live_state() -> AppState {
        let mut s = AppState::new(ConnInfo::default(), None, false, T0.parse().unwrap());
        for k in Kind::ALL {
            watch(&mut s, k, WatchEvent::Reset(vec![]));
            watch(&mut s, k, WatchEvent::State(WatchState::Live));
        }
        s
    }

    fn watch(s: &mut AppState, kind: Kind, event: WatchEvent) -> Vec<Effect> {
        let generation = s.generation;
        msg(
            s,
            Msg::Watch(WatchMsg {
                generation,
                kind,
                event,
            }),
        )
    }

    fn msg(s: &mut AppState, m: Msg) -> Vec<Effect> {
        update(s, &mut ViewState::default(), &Keymap::default(), m)
    }

    #[test]
    fn a_broken_watch_of_listed_data_is_stale_since_that_moment() {
        let mut s = live_state();
        assert_eq!(s.health(), Health::Live);
        let t1: Timestamp = "2026-11-25T12:03:07Z".parse().unwrap();
        s.now = t1;
        watch(
            &mut s,
            Kind::Pods,
            WatchEvent::State(WatchState::Failing("connection refused".into())),
        );
        assert_eq!(
            s.health(),
            Health::Stale {
                since: t1,
                reason: "connection refused".into()
            }
        );
        // Later failures keep the first moment.
        s.now = "2026-11-25T12:04:00Z".parse().unwrap();
        watch(
            &mut s,
            Kind::Services,
            WatchEvent::State(WatchState::Failing("connection refused".into())),
        );
        assert_eq!(s.stale_since, Some(t1));
        // Live again only when every listed kind is.
        watch(&mut s, Kind::Pods, WatchEvent::State(WatchState::Live));
        assert!(matches!(s.health(), Health::Stale { .. }));
        watch(&mut s, Kind::Services, WatchEvent::State(WatchState::Live));
        assert_eq!((s.health(), s.stale_since), (Health::Live, None));
    }

    #[test]
    fn never_listed_kinds_are_disconnected_or_forbidden_not_stale() {
        let mut s = AppState::new(ConnInfo::default(), None, false, T0.parse().unwrap());
        watch(
            &mut s,
            Kind::Pods,
            WatchEvent::State(WatchState::Failing("connection refused".into())),
        );
        assert_eq!(
            s.health(),
            Health::Disconnected("connection refused".into())
        );
        let mut s = live_state();
        // Forbidden from the start, and a CRD deleted since: not staleness.
        s.ever_live.remove(&Kind::TlsSecrets);
        watch(
            &mut s,
            Kind::TlsSecrets,
            WatchEvent::State(WatchState::Forbidden("no".into())),
        );
        watch(
            &mut s,
            Kind::ApplicationLoadBalancers,
            WatchEvent::State(WatchState::NotInstalled),
        );
        assert_eq!(s.stale_since, None);
        assert!(s.stale_kinds().is_empty());
    }

    #[test]
    fn silence_probes_once_and_only_while_live() {
        let mut s = live_state();
        let g = s.generation;
        assert_eq!(
            msg(&mut s, Msg::Silence { generation: g }),
            vec![Effect::Probe { generation: g }]
        );
        // Of another generation: nothing.
        assert!(msg(&mut s, Msg::Silence { generation: g + 1 }).is_empty());
        // A probe that succeeds changes nothing.
        assert!(
            msg(
                &mut s,
                Msg::Probed {
                    generation: g,
                    result: Ok(())
                }
            )
            .is_empty()
        );
        assert_eq!(s.health(), Health::Live);
        // Already broken: the watchers say so and retry; no probe.
        watch(
            &mut s,
            Kind::Pods,
            WatchEvent::State(WatchState::Failing("x".into())),
        );
        assert!(msg(&mut s, Msg::Silence { generation: g }).is_empty());
    }

    #[test]
    fn a_failed_probe_marks_everything_stale_and_restarts_the_watchers() {
        let mut s = live_state();
        let g = s.generation;
        let t1: Timestamp = "2026-11-25T12:10:00Z".parse().unwrap();
        s.now = t1;
        let fx = msg(
            &mut s,
            Msg::Probed {
                generation: g,
                result: Err("GET /readyz: timed out after 5s".into()),
            },
        );
        assert_eq!(fx, vec![Effect::Rewatch { generation: g }]);
        assert_eq!(
            s.health(),
            Health::Stale {
                since: t1,
                reason: "GET /readyz: timed out after 5s".into()
            }
        );
        assert_eq!(s.stale_kinds().len(), Kind::ALL.len());
        // The restarted watchers list again (Syncing): still stale, same moment.
        watch(&mut s, Kind::Pods, WatchEvent::State(WatchState::Syncing));
        assert_eq!(s.stale_since, Some(t1));
        // Data arrives again: the server answers.
        watch(&mut s, Kind::Pods, WatchEvent::Reset(vec![]));
        assert_eq!(s.probe_failed, None);
        watch(&mut s, Kind::Pods, WatchEvent::State(WatchState::Live));
        assert_eq!(s.health(), Health::Live);
    }
}
