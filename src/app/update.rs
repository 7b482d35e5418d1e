//! The reducer: `update(state, view, keymap, msg) -> effects`. Pure state transitions; the
//! loop performs the effects.

use crossterm::event::{KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::act::act;
use crate::app::confirm::confirm_key;
use crate::app::input::{filter_key, on_paste, typing_into_input};
use crate::app::msg::{Effect, Msg, Signal};
use crate::app::palette::palette_key;
use crate::app::scope::on_watch;
use crate::app::weights;
use crate::config::Keymap;
use crate::state::action::{Action, ViewId};
use crate::state::view_state::ViewState;
use crate::state::{AppState, Level, Modal};

pub fn update(state: &mut AppState, ui: &mut ViewState, keymap: &Keymap, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(state, ui, keymap, key),
        Msg::Paste(text) => {
            on_paste(state, &text);
            vec![]
        }
        Msg::Signal(s) => on_signal(state, s),
        Msg::Resize => vec![],
        Msg::Tick(now) => {
            // Days left and bands move with the clock (the tick comes once a minute).
            if state.view == ViewId::Certs {
                state.stale = true;
            }
            // Certificate findings count days: re-judge them when the (UTC) day changes.
            let day = |t: jiff::Timestamp| t.as_second().div_euclid(86_400);
            if day(now) != day(state.now) {
                state.diagnostics.stale = true;
            }
            state.now = now;
            vec![]
        }
        Msg::Watch(w) => {
            on_watch(state, w);
            vec![]
        }
        Msg::Silence { generation } => crate::app::health::on_silence(state, generation),
        Msg::Probed { generation, result } => {
            crate::app::health::on_probed(state, generation, result)
        }
        Msg::Undoable(u) => {
            crate::app::undo::undoable(state, u);
            vec![]
        }
        Msg::AuditLoaded(rows) => {
            crate::app::audit_view::loaded(state, rows);
            vec![]
        }
        Msg::WriteDone(done) => crate::app::completions::done(state, done),
        Msg::Connected { generation, result } => {
            if generation != state.generation {
                return vec![];
            }
            match result {
                Ok(conn) => {
                    state.flash(format!("switched to context {}", conn.context), Level::Info);
                    state.conn = conn;
                }
                Err(e) => {
                    state.flash(e.clone(), Level::Error);
                    state.conn.error = Some(e);
                }
            }
            vec![]
        }
    }
}

pub(super) fn on_key(
    state: &mut AppState,
    ui: &mut ViewState,
    keymap: &Keymap,
    key: KeyEvent,
) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return vec![];
    }
    // Suspending keeps everything as it is, so it works under any modal (a ctrl key is
    // never text).
    if key.modifiers.contains(KeyModifiers::CONTROL)
        && keymap.action(state.view, &key) == Some(Action::Suspend)
    {
        return vec![Effect::Suspend];
    }
    // Keys act on the rows as they are now, not as last drawn: keys queued behind a filter
    // change (typed fast) must not pick a row of the unfiltered list. A no-op unless
    // something changed. Typing into a text input does not act on rows, so it does not
    // re-derive them per key: the loop derives once per frame, whatever the typing speed.
    if !typing_into_input(state) {
        state.refresh();
    }
    state.flash = None;
    // Dialogs take the actions of their own `[keys.<section>]`; inputs edit text with the
    // keys those sections leave unbound.
    match state.modals.last_mut() {
        Some(Modal::Palette(_)) => return palette_key(state, keymap.modal(&key), key),
        Some(Modal::Filter(_)) => {
            filter_key(state, keymap.modal(&key), key);
            return vec![];
        }
        Some(Modal::Confirm(_)) => return confirm_key(state, keymap, keymap.modal(&key)),
        Some(Modal::Weights(_)) => return weights::key(state, keymap, key),
        Some(Modal::Migrate) => return crate::app::migrate::key(state, keymap, key),
        Some(Modal::Audit(_)) => {
            return match crate::app::audit_view::key(state, ui, keymap, key) {
                Ok(effects) => effects,
                Err(action) => act(state, ui, action),
            };
        }
        Some(Modal::Chooser(_)) => {
            return crate::app::inject::chooser_key(state, keymap.modal(&key));
        }
        Some(Modal::Plan(_)) => {
            return crate::app::plan::plan_key(state, keymap, keymap.modal(&key));
        }
        Some(Modal::Notice(_)) => {
            // Any key dismisses it; the key itself is not acted on.
            state.modals.pop();
            return vec![];
        }
        Some(Modal::Help { scroll }) => {
            match keymap.action(state.view, &key) {
                Some(Action::Down) => *scroll = scroll.saturating_add(1),
                Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                Some(Action::Quit) if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    state.quit = true;
                    return vec![Effect::Quit];
                }
                Some(Action::Back | Action::Help | Action::Quit) => {
                    state.modals.pop();
                }
                _ => {}
            }
            return vec![];
        }
        None => {}
    }
    match keymap.action(state.view, &key) {
        Some(a) => act(state, ui, a),
        None => vec![],
    }
}

fn on_signal(state: &mut AppState, signal: Signal) -> Vec<Effect> {
    match signal {
        Signal::Exit(signo) => {
            state.quit = true;
            state.exit_signal = Some(signo);
            vec![Effect::Quit]
        }
        Signal::Stop => vec![Effect::Suspend],
        Signal::Continue => vec![Effect::Resume],
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
