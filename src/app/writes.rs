//! Every write the reducer asks for goes out through `issue`: the one read-only gate, and
//! where a write gets its id. Its answer comes back through `app::completions`.

use crate::app::msg::Effect;
use crate::state::write::{Origin, WriteId, WriteOp};
use crate::state::{AppState, Level};

const READ_ONLY: &str =
    "read-only mode: writes are disabled (started with --read-only or read_only = true)";

/// True (and says so) when writes are disabled. Flows call it before opening a dialog
/// whose only purpose is a write; `issue` calls it again, so no write escapes it.
pub fn refused(state: &mut AppState) -> bool {
    refused_for(state, "")
}

/// `refused`, with what was asked for in front of the message (`MESH003 fix (…): read-only…`).
pub fn refused_for(state: &mut AppState, what: &str) -> bool {
    if state.read_only {
        let text = if what.is_empty() {
            READ_ONLY.to_string()
        } else {
            format!("{what}: {READ_ONLY}")
        };
        state.flash(text, Level::Warn);
    }
    state.read_only
}

/// Write effects for `ops`, each with a new id recorded as in flight for `origin`. In
/// read-only mode: none, and the message says why.
pub fn issue(state: &mut AppState, origin: Origin, ops: Vec<WriteOp>) -> Vec<Effect> {
    if ops.is_empty() || refused(state) {
        return vec![];
    }
    ops.into_iter()
        .map(|op| Effect::Write {
            id: state.writes.start(origin),
            origin,
            op,
        })
        .collect()
}

/// One write effect, and its id (the weight editor keeps its draft under it).
pub fn issue_one(state: &mut AppState, origin: Origin, op: WriteOp) -> Option<(WriteId, Effect)> {
    let fx = issue(state, origin, vec![op]).pop()?;
    match &fx {
        Effect::Write { id, .. } => Some((*id, fx)),
        _ => None,
    }
}
