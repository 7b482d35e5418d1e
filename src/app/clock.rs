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
