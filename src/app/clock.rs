//! A one-shot wake-up for the next moment a rollout turns stuck: the screen changes then
//! although no watch event arrives. One timer at a time, re-armed only when the deadline
//! moves (never a polling loop).

use jiff::Timestamp;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::app::msg::Msg;

#[derive(Default)]
pub struct StuckTimer {
    armed: Option<(Timestamp, JoinHandle<()>)>,
}

impl StuckTimer {
    /// Arms the timer for `next` (sending `Msg::Tick` then), replacing one set for another
    /// moment; `None` disarms it.
    pub fn arm(&mut self, next: Option<Timestamp>, tx: &UnboundedSender<Msg>) {
        if self.armed.as_ref().map(|(at, _)| *at) == next {
            return;
        }
        if let Some((_, h)) = self.armed.take() {
            h.abort();
        }
        let Some(at) = next else { return };
        let wait = Timestamp::now()
            .duration_until(at)
            .max(jiff::SignedDuration::ZERO)
            .unsigned_abs();
        let tx = tx.clone();
        let h = tokio::spawn(async move {
            // A little past the deadline, so the tick's time is at or after it.
            tokio::time::sleep(wait + std::time::Duration::from_millis(5)).await;
            let _ = tx.send(Msg::Tick(Timestamp::now()));
        });
        self.armed = Some((at, h));
    }
}

impl Drop for StuckTimer {
    fn drop(&mut self) {
        if let Some((_, h)) = self.armed.take() {
            h.abort();
        }
    }
}

/// How long the watches may be silent after their last event before one probe asks the API
/// server whether it is still there (see `app::health`).
pub const SILENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// Sends one `Msg::Silence` when no watch event came for [`SILENCE`] since the last one.
/// One task at a time; every event only moves the deadline. After it fired it stays quiet
/// until the next event: no periodic wake-ups on an idle cluster.
pub struct SilenceTimer {
    after: std::time::Duration,
    /// Time of the last event and its generation, read by the running task.
    last: std::sync::Arc<std::sync::Mutex<Option<(tokio::time::Instant, u64)>>>,
    task: Option<JoinHandle<()>>,
}

impl Default for SilenceTimer {
    fn default() -> Self {
        SilenceTimer::new(SILENCE)
    }
}

impl SilenceTimer {
    pub fn new(after: std::time::Duration) -> Self {
        SilenceTimer {
            after,
            last: Default::default(),
            task: None,
        }
    }

    pub fn saw_event(&mut self, generation: u64, tx: &UnboundedSender<Msg>) {
        if let Ok(mut last) = self.last.lock() {
            *last = Some((tokio::time::Instant::now(), generation));
        }
        if self.task.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        let (last, tx, after) = (self.last.clone(), tx.clone(), self.after);
        self.task = Some(tokio::spawn(async move {
            loop {
                let Some((at, generation)) = last.lock().ok().and_then(|l| *l) else {
                    return;
                };
                if at.elapsed() >= after {
                    let _ = tx.send(Msg::Silence { generation });
                    return;
                }
                tokio::time::sleep_until(at + after).await;
            }
        }));
    }
}

impl Drop for SilenceTimer {
    fn drop(&mut self) {
        if let Some(h) = self.task.take() {
            h.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::sync::mpsc::unbounded_channel;

    #[tokio::test]
    async fn one_silence_after_the_last_event_then_quiet_until_the_next() {
        let (tx, mut rx) = unbounded_channel();
        let mut t = SilenceTimer::new(Duration::from_millis(150));
        let start = tokio::time::Instant::now();
        t.saw_event(1, &tx);
        tokio::time::sleep(Duration::from_millis(80)).await;
        t.saw_event(1, &tx); // moves the deadline
        let msg = rx.recv().await;
        assert_eq!(msg, Some(Msg::Silence { generation: 1 }));
        assert!(
            start.elapsed() >= Duration::from_millis(230),
            "{:?}",
            start.elapsed()
        );
        // No event: no second wake-up.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(rx.try_recv().is_err());
        // The next event arms it again, with its generation.
        t.saw_event(2, &tx);
        assert_eq!(rx.recv().await, Some(Msg::Silence { generation: 2 }));
    }
}
