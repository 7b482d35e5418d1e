//! Keys of the `:audit` overlay (see `state::audit_view` for why it is an overlay).

use crossterm::event::{KeyEvent, KeyModifiers};

use crate::app::msg::Effect;
use crate::config::Keymap;
use crate::state::action::Action;
use crate::state::modal_action::AuditAction;
use crate::state::view_state::ViewState;
use crate::state::{AppState, Modal};

/// Opens the overlay (or re-reads the log if it is open) and asks the loop to read the log.
pub fn open(state: &mut AppState) -> Vec<Effect> {
    if !state.modals.iter().any(|m| matches!(m, Modal::Audit(_))) {
        state.modals.push(Modal::Audit(Box::default()));
    }
    vec![Effect::LoadAudit]
}

/// The overlay is open somewhere in the stack (e.g. under a confirm).
pub fn is_open(state: &AppState) -> bool {
    state.modals.iter().any(|m| matches!(m, Modal::Audit(_)))
}

pub fn loaded(state: &mut AppState, rows: crate::audit::AuditRows) {
    for m in state.modals.iter_mut() {
        if let Modal::Audit(v) = m {
            v.loaded(rows.clone());
        }
    }
}

/// An action of `[keys.audit]` (movement, the detail, close, reload). Keys it does not bind
/// reach the global table for a few actions only: a quit key with ctrl quits, the audit key
/// re-reads, and undo, help and the command palette go to `act` (the `Err`). A key unbound
/// here with `"none"` does nothing else, so it is not a global quit either.
pub fn key(
    state: &mut AppState,
    ui: &mut ViewState,
    keymap: &Keymap,
    key: KeyEvent,
) -> Result<Vec<Effect>, Action> {
    let Some(action) = keymap.modal::<AuditAction>(&key) else {
        return match keymap.action(state.view, &key) {
            Some(Action::Quit) if key.modifiers.contains(KeyModifiers::CONTROL) => {
                state.quit = true;
                Ok(vec![Effect::Quit])
            }
            Some(Action::ShowAudit) => Ok(vec![Effect::LoadAudit]),
            Some(a @ (Action::Undo | Action::Help | Action::CommandPalette)) => Err(a),
            _ => Ok(vec![]),
        };
    };
    Ok(apply(state, &mut ui.audit_scroll, action))
}

/// One overlay action. In the whole-overlay detail, movement scrolls the entry (a long patch
/// is read to its end); the drawing clamps the scroll to the wrapped rows.
fn apply(state: &mut AppState, scroll: &mut u16, action: AuditAction) -> Vec<Effect> {
    let Some(Modal::Audit(v)) = state.modals.last_mut() else {
        return vec![];
    };
    let last = v.len().saturating_sub(1);
    match action {
        AuditAction::Close => {
            state.modals.pop();
        }
        AuditAction::Down if v.detail_only => *scroll = scroll.saturating_add(1),
        AuditAction::Up if v.detail_only => *scroll = scroll.saturating_sub(1),
        AuditAction::PageDown if v.detail_only => *scroll = scroll.saturating_add(10),
        AuditAction::PageUp if v.detail_only => *scroll = scroll.saturating_sub(10),
        AuditAction::Top if v.detail_only => *scroll = 0,
        AuditAction::Bottom if v.detail_only => *scroll = u16::MAX,
        AuditAction::Down => v.selected = (v.selected + 1).min(last),
        AuditAction::Up => v.selected = v.selected.saturating_sub(1),
        AuditAction::PageDown => v.selected = (v.selected + 10).min(last),
        AuditAction::PageUp => v.selected = v.selected.saturating_sub(10),
        AuditAction::Top => v.selected = 0,
        AuditAction::Bottom => v.selected = last,
        AuditAction::ToggleDetail => {
            v.detail_only = !v.detail_only;
            *scroll = 0;
        }
        AuditAction::Reload => return vec![Effect::LoadAudit],
    }
    vec![]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditRow, AuditRows};
    use crossterm::event::KeyCode;

    fn state() -> AppState {
        AppState::new(Default::default(), None, false, jiff::Timestamp::UNIX_EPOCH)
    }

    fn k(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn rows(n: usize) -> AuditRows {
        AuditRows {
            rows: (0..n)
                .map(|i| AuditRow::Unreadable {
                    line: i + 1,
                    text: "x".into(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn opens_once_loads_moves_within_rows_and_closes() {
        let (mut s, km) = (state(), Keymap::default());
        let mut ui = ViewState::default();
        assert_eq!(open(&mut s), vec![Effect::LoadAudit]);
        assert_eq!(open(&mut s), vec![Effect::LoadAudit]);
        assert_eq!(s.modals.len(), 1, "one overlay, re-read");
        let cur = |s: &AppState| match s.modals.last() {
            Some(Modal::Audit(v)) => (v.selected, v.detail_only, v.len()),
            other => panic!("{other:?}"),
        };
        assert_eq!(cur(&s), (0, false, 0));
        let _ = key(&mut s, &mut ui, &km, k('j'));
        assert_eq!(cur(&s), (0, false, 0), "no rows: stays");
        loaded(&mut s, rows(3));
        for c in "jjjj".chars() {
            let _ = key(&mut s, &mut ui, &km, k(c));
        }
        assert_eq!(cur(&s), (2, false, 3));
        let _ = key(&mut s, &mut ui, &km, k('g'));
        assert_eq!(cur(&s).0, 0);
        let _ = key(
            &mut s,
            &mut ui,
            &km,
            KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
        );
        assert!(cur(&s).1);
        // In the whole-overlay detail, movement scrolls the entry, not the selection.
        let _ = key(&mut s, &mut ui, &km, k('j'));
        let _ = key(&mut s, &mut ui, &km, k('j'));
        assert_eq!((cur(&s).0, ui.audit_scroll), (0, 2));
        let _ = key(&mut s, &mut ui, &km, k('G'));
        assert_eq!((cur(&s).0, ui.audit_scroll), (0, u16::MAX));
        let _ = key(&mut s, &mut ui, &km, k('g'));
        assert_eq!(ui.audit_scroll, 0);
        // A shorter log after a reload keeps the cursor in range.
        let _ = key(&mut s, &mut ui, &km, k('G'));
        loaded(&mut s, rows(1));
        assert_eq!(cur(&s).0, 0);
        assert_eq!(
            key(&mut s, &mut ui, &km, k('U')),
            Err(Action::Undo),
            "global keys pass"
        );
        assert_eq!(key(&mut s, &mut ui, &km, k('q')), Ok(vec![]));
        assert!(
            s.modals.is_empty() && !s.quit,
            "q closes the overlay, not the app"
        );
    }
}
