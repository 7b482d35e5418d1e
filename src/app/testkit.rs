//! Test helpers for reducer tests: keys typed as a user types them.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::msg::{Effect, Msg};
use crate::app::update::update;
use crate::config::Keymap;
use crate::state::AppState;
use crate::ui::view_state::ViewState;

/// Each char is one key press: `\n` Enter, `\t` Tab, `\x1b` Esc, anything else itself.
/// Returns every effect the reducer asked for.
pub fn press(s: &mut AppState, ui: &mut ViewState, km: &Keymap, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| {
            let code = match c {
                '\n' => KeyCode::Enter,
                '\t' => KeyCode::Tab,
                '\x1b' => KeyCode::Esc,
                c => KeyCode::Char(c),
            };
            update(s, ui, km, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
        })
        .collect()
}
