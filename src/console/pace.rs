//! When the loop draws: at once for what the user did, at a steady pace for what the cluster
//! did. A rollout or a node drain streams hundreds of watch events a second; drawing each
//! (or 30 frames a second) costs CPU the jumpbox needs, and nobody reads a table faster than
//! 10 times a second. A key must never wait behind that pace.

use std::time::{Duration, Instant};

/// While only cluster data changes, at most one frame per this interval.
pub const DATA_INTERVAL: Duration = Duration::from_millis(100);

/// Why the screen must change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// Watch data or the clock: drawn at the data pace.
    Data,
    /// A key, a paste, a resize, a signal, an answer to something the user did: drawn at
    /// once.
    Now,
}

/// The frame schedule: what is waiting to be drawn and when the last frame was.
#[derive(Debug, Clone, Default)]
pub struct Pacer {
    pending: Option<Urgency>,
    last_frame: Option<Instant>,
}

impl Pacer {
    /// The screen is out of date for this reason.
    pub fn note(&mut self, why: Urgency) {
        self.pending = self.pending.max(Some(why));
    }

    /// When the next frame is due, as seen at `now`; None when nothing waits to be drawn.
    /// A time at or before `now` means draw now.
    pub fn due(&self, now: Instant) -> Option<Instant> {
        match (self.pending?, self.last_frame) {
            (_, None) => Some(now),
            (Urgency::Now, Some(last)) => Some(last),
            (Urgency::Data, Some(last)) => Some(last + DATA_INTERVAL),
        }
    }

    /// Whether a frame is due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        self.due(now).is_some_and(|at| at <= now)
    }

    /// A frame was drawn at `at`: nothing waits any more.
    pub fn drawn(&mut self, at: Instant) {
        self.pending = None;
        self.last_frame = Some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn_at(t: Instant) -> Pacer {
        let mut p = Pacer::default();
        p.note(Urgency::Now);
        p.drawn(t);
        p
    }

    #[test]
    fn the_first_frame_is_due_at_once() {
        let mut p = Pacer::default();
        assert_eq!(p.due(Instant::now()), None, "nothing to draw yet");
        p.note(Urgency::Data);
        assert!(p.is_due(Instant::now()));
    }

    #[test]
    fn data_changes_draw_at_most_once_per_interval() {
        let t0 = Instant::now();
        let mut p = drawn_at(t0);
        assert_eq!(p.due(t0), None, "idle: no frame");
        // A burst of watch events right after a frame: one frame, an interval later.
        for ms in [1, 5, 40, 99] {
            p.note(Urgency::Data);
            assert!(!p.is_due(t0 + Duration::from_millis(ms)), "{ms} ms");
        }
        assert_eq!(p.due(t0), Some(t0 + DATA_INTERVAL));
        assert!(p.is_due(t0 + DATA_INTERVAL));
        p.drawn(t0 + DATA_INTERVAL);
        // Data that arrives long after the last frame is drawn at once.
        p.note(Urgency::Data);
        assert!(p.is_due(t0 + DATA_INTERVAL * 3));
    }

    #[test]
    fn a_key_draws_at_once_even_while_data_waits_for_its_interval() {
        let t0 = Instant::now();
        let mut p = drawn_at(t0);
        p.note(Urgency::Data);
        let key_at = t0 + Duration::from_millis(3);
        assert!(!p.is_due(key_at));
        p.note(Urgency::Now);
        assert!(p.is_due(key_at), "no added latency for a key");
        p.drawn(key_at);
        // The data was drawn with that frame; more data waits for the interval again.
        assert_eq!(p.due(t0), None);
        p.note(Urgency::Data);
        assert_eq!(p.due(t0), Some(key_at + DATA_INTERVAL));
    }

    #[test]
    fn data_after_a_key_does_not_lower_its_urgency() {
        let t0 = Instant::now();
        let mut p = drawn_at(t0);
        p.note(Urgency::Now);
        p.note(Urgency::Data);
        assert!(p.is_due(t0 + Duration::from_millis(1)));
    }
}
