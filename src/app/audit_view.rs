//! Keys of the `:audit` overlay (see `state::audit_view` for why it is an overlay).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::msg::Effect;
use crate::config::Keymap;
use crate::state::action::Action;
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

/// Movement through the bindings (j/k, g/G, page keys), Enter toggles the detail,
/// esc/q close, ctrl-c quits. Other keys (global actions like undo) go to `act`.
pub fn key(
    state: &mut AppState,
    ui: &mut ViewState,
    keymap: &Keymap,
    key: KeyEvent,
) -> Result<Vec<Effect>, Action> {
    let action = keymap.action(state.view, &key);
    let Some(Modal::Audit(v)) = state.modals.last_mut() else {
        return Ok(vec![]);
    };
    let last = v.len().saturating_sub(1);
    // In the whole-overlay detail, movement scrolls the entry (a long patch is read to its
    // end); the drawing clamps the scroll to the wrapped rows.
    let scroll = &mut ui.audit_scroll;
    match action {
        Some(Action::Quit) if key.modifiers.contains(KeyModifiers::CONTROL) => {
            state.quit = true;
            return Ok(vec![Effect::Quit]);
        }
        Some(Action::Back | Action::Quit) => {
            state.modals.pop();
        }
        Some(Action::Down) if v.detail_only => *scroll = scroll.saturating_add(1),
        Some(Action::Up) if v.detail_only => *scroll = scroll.saturating_sub(1),
        Some(Action::PageDown) if v.detail_only => *scroll = scroll.saturating_add(10),
        Some(Action::PageUp) if v.detail_only => *scroll = scroll.saturating_sub(10),
        Some(Action::Top) if v.detail_only => *scroll = 0,
        Some(Action::Bottom) if v.detail_only => *scroll = u16::MAX,
        Some(Action::Down) => v.selected = (v.selected + 1).min(last),
        Some(Action::Up) => v.selected = v.selected.saturating_sub(1),
        Some(Action::PageDown) => v.selected = (v.selected + 10).min(last),
        Some(Action::PageUp) => v.selected = v.selected.saturating_sub(10),
        Some(Action::Top) => v.selected = 0,
        Some(Action::Bottom) => v.selected = last,
        Some(Action::Enter) => {
            v.detail_only = !v.detail_only;
            *scroll = 0;
        }
        Some(Action::ShowAudit) => return Ok(vec![Effect::LoadAudit]),
        Some(a @ (Action::Undo | Action::Help | Action::CommandPalette)) => return Err(a),
        _ if key.code == KeyCode::Enter => {
            v.detail_only = !v.detail_only;
            *scroll = 0;
        }
        _ => {}
    }
    Ok(vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditRow, AuditRows};

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
