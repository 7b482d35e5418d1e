//! Messages into the app loop, and effects out of the reducer.

use crossterm::event::KeyEvent;
use jiff::Timestamp;

use crate::cluster::watch::WatchMsg;
use crate::state::ConnInfo;
use crate::state::write::{Origin, WriteDone, WriteId, WriteOp};

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    /// A bracketed paste: one event, typed into the focused text input (never keys).
    Paste(String),
    /// A signal the process got (only when the loop owns the real terminal).
    Signal(Signal),
    Resize,
    /// Coarse clock for ages; redraws only when something shows time.
    Tick(Timestamp),
    Watch(WatchMsg),
    /// The result of an `Effect::Connect`.
    Connected {
        generation: u64,
        result: Result<ConnInfo, String>,
    },
    /// No watch event for a while after the last one (see `app::clock::SilenceTimer`):
    /// time for one probe of the API server.
    Silence {
        generation: u64,
    },
    /// The result of an `Effect::Probe`: the server answered, or why not.
    Probed {
        generation: u64,
        result: Result<(), String>,
    },
    /// A write just applied can be undone (sent before its `WriteDone`).
    Undoable(Box<crate::cluster::write::undo::Undoable>),
    /// The audit log as read for the `:audit` overlay.
    AuditLoaded(crate::audit::AuditRows),
    /// The answer to the `Effect::Write` with the same id.
    WriteDone(WriteDone),
}

/// Signals the loop handles like a full-screen program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM, SIGINT or SIGHUP (the number): restore the terminal, exit 128 + number.
    Exit(i32),
    /// SIGTSTP from outside (`kill -TSTP`): suspend, like the `suspend` key.
    Stop,
    /// SIGCONT: the terminal may have changed while stopped: take it again and repaint.
    Continue,
}

impl From<WatchMsg> for Msg {
    fn from(m: WatchMsg) -> Self {
        Msg::Watch(m)
    }
}

/// What the reducer asks the loop to do.
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
    /// One cheap request (`GET /readyz`, short timeout) to tell a silent connection from a
    /// dead one; answered by `Msg::Probed`.
    Probe {
        generation: u64,
    },
    /// A confirmed write, answered by `Msg::WriteDone` with the same id. Only
    /// `app::writes::issue` makes one, and never in read-only mode.
    Write {
        id: WriteId,
        origin: Origin,
        op: WriteOp,
    },
    /// Read the audit log (answered by `Msg::AuditLoaded`).
    LoadAudit,
    /// Restore the terminal and stop the process (job control); on `fg`, take it again.
    Suspend,
    /// Take the terminal again and repaint everything (after SIGCONT).
    Resume,
    Quit,
}
