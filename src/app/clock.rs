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
#[derive(Default)]
pub struct SilenceTimer {
    /// Time of the last event and its generation, read by the running task.
    last: std::sync::Arc<std::sync::Mutex<Option<(tokio::time::Instant, u64)>>>,
    task: Option<JoinHandle<()>>,
}

impl SilenceTimer {
    pub fn saw_event(&mut self, generation: u64, tx: &UnboundedSender<Msg>) {
        if let Ok(mut last) = self.last.lock() {
            *last = Some((tokio::time::Instant::now(), generation));
        }
        if self.task.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        let (last, tx) = (self.last.clone(), tx.clone());
        self.task = Some(tokio::spawn(async move {
            loop {
                let Some((at, generation)) = last.lock().ok().and_then(|l| *l) else {
                    return;
                };
                if at.elapsed() >= SILENCE {
                    let _ = tx.send(Msg::Silence { generation });
                    return;
                }
                tokio::time::sleep_until(at + SILENCE).await;
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
