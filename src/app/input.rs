//! Text typed or pasted into the focused one-line input (filter, palette): the keys the
//! input's keymap section leaves unbound edit the text.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::weights;
use crate::state::input::TextInput;
use crate::state::modal_action::FilterAction;
use crate::state::{AppState, Level, Modal};

/// The focused element is a one-line text input (its keys edit text, not rows).
pub(super) fn typing_into_input(state: &AppState) -> bool {
    matches!(
        state.modals.last(),
        Some(Modal::Filter(_) | Modal::Palette(_))
    )
}

/// A paste goes into the focused text input as text (first line, capped); elsewhere it is
/// ignored: pasted text must never act as keys.
pub(super) fn on_paste(state: &mut AppState, text: &str) {
    state.flash = None;
    let cut = match state.modals.last_mut() {
        Some(Modal::Filter(input)) => {
            state.refilter = true;
            input.paste(text).message("the filter")
        }
        Some(Modal::Palette(input)) => input.paste(text).message("a command"),
        Some(Modal::Weights(_)) => weights::paste(state, text).message("a weight"),
        _ => None,
    };
    if let Some(m) = cut {
        state.flash(m, Level::Warn);
    }
}

/// An action of `[keys.filter]`, or else a key that edits the filter's text.
pub(super) fn filter_key(state: &mut AppState, action: Option<FilterAction>, key: KeyEvent) {
    let view = state.view;
    let Some(Modal::Filter(input)) = state.modals.last_mut() else {
        return;
    };
    match action {
        Some(FilterAction::Clear) => {
            state.modals.pop();
            state.filters.remove(&view);
        }
        Some(FilterAction::Keep) => {
            let text = input.text.clone();
            state.modals.pop();
            if text.is_empty() {
                state.filters.remove(&view);
            } else {
                state.filters.insert(view, text);
            }
        }
        None => {
            if !edit(input, key) {
                state.flash(full("the filter"), Level::Warn);
            }
        }
    }
    state.refilter = true;
}

pub(super) fn full(what: &str) -> String {
    format!(
        "{what} is limited to {} characters",
        crate::state::input::MAX_CHARS
    )
}

/// Edits the input; false when a char was refused because the input is full.
pub(super) fn edit(input: &mut TextInput, key: KeyEvent) -> bool {
    match key.code {
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            return input.insert(c);
        }
        KeyCode::Backspace => input.backspace(),
        KeyCode::Delete => input.delete(),
        KeyCode::Left => input.left(),
        KeyCode::Right => input.right(),
        KeyCode::Home => input.cursor = 0,
        KeyCode::End => input.cursor = input.text.chars().count(),
        _ => {}
    }
    true
}
