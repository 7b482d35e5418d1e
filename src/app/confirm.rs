//! The one-write confirm dialog: Cancel focused first; only an explicit yes writes.

use crate::app::msg::Effect;
use crate::config::Keymap;
use crate::config::hints::armed;
use crate::state::modal_action::DialogAction;
use crate::state::{AppState, Level, Modal};

/// An action of `[keys.dialog]` on a one-write confirm (its body does not scroll).
pub(super) fn confirm_key(
    state: &mut AppState,
    keymap: &Keymap,
    action: Option<DialogAction>,
) -> Vec<Effect> {
    let Some(Modal::Confirm(c)) = state.modals.last_mut() else {
        return vec![];
    };
    match action {
        Some(DialogAction::SwitchFocus) => {
            c.ok_focused = !c.ok_focused;
            crate::state::hazard::disarm(&mut c.hazard);
        }
        Some(DialogAction::Choose)
            if c.ok_focused && !crate::state::hazard::confirm_pressed(&mut c.hazard) =>
        {
            state.flash(armed(keymap), Level::Warn);
        }
        Some(DialogAction::Choose) if c.ok_focused => {
            let op = c.op.clone();
            state.modals.pop();
            return crate::app::completions::confirmed(state, op);
        }
        Some(DialogAction::Choose | DialogAction::Cancel) => {
            state.modals.pop();
            state.flash("cancelled; nothing was written", Level::Info);
        }
        _ => {}
    }
    vec![]
}
