//! Messages into the app loop, and effects out of the reducer.

use crossterm::event::KeyEvent;
use jiff::Timestamp;

use crate::cluster::watch::WatchMsg;
use crate::state::ConnInfo;

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Resize,
    /// Coarse clock for ages; redraws only when something shows time.
    Tick(Timestamp),
    Watch(WatchMsg),
    /// The result of an `Effect::Connect`.
    Connected {
        generation: u64,
        result: Result<ConnInfo, String>,
    },
}

impl From<WatchMsg> for Msg {
    fn from(m: WatchMsg) -> Self {
        Msg::Watch(m)
    }
}

/// What the reducer asks the loop to do. Nothing here writes to the cluster yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Connect to another kubeconfig context (None = the current one again).
    Connect {
        context: Option<String>,
        generation: u64,
    },
    /// Restart the watchers for the current namespace scope.
    Rewatch {
        generation: u64,
    },
    Quit,
}
