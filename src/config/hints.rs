//! Keys written into text: an action's first bound key as a hint shows it (`j/k`), and
//! sentences that name keys as actions in braces (`{Choose}`) with the bound key filled in.
//! Here (below `app` and `ui`) so that both the reducer's messages and the drawing follow
//! the keymap.

use super::{KeyChord, Keymap};
use crate::state::modal_action::ModalAction;

/// How a key reads in a hint: arrows as arrows, `backtab` as the shift-tab users press.
pub fn shown(key: KeyChord) -> String {
    match key.to_string().as_str() {
        "backtab" => "shift-tab".to_string(),
        "left" => "←".to_string(),
        "right" => "→".to_string(),
        "up" => "↑".to_string(),
        "down" => "↓".to_string(),
        other => other.to_string(),
    }
}

/// The first key of each action, joined by `/` (`j/k`); `None` when none is bound.
pub fn keys<A: ModalAction>(km: &Keymap, actions: &[A]) -> Option<String> {
    let keys: Vec<String> = actions
        .iter()
        .filter_map(|a| km.modal_key(*a))
        .map(shown)
        .collect();
    (!keys.is_empty()).then(|| keys.join("/"))
}

/// The key of one action inside a sentence ("b keeps your draft"); `(unbound)` if it has none.
pub fn key<A: ModalAction>(km: &Keymap, action: A) -> String {
    keys(km, &[action]).unwrap_or_else(|| "(unbound)".to_string())
}

/// A text with keys written as actions in braces (`{Review}`, the variant's name) with the
/// bound key in their place, so a note written by the state follows the keymap.
pub fn fill<A: ModalAction>(km: &Keymap, text: &str) -> String {
    if !text.contains('{') {
        return text.to_string();
    }
    A::ALL.iter().fold(text.to_string(), |out, a| {
        out.replace(&format!("{{{a:?}}}"), &key(km, *a))
    })
}

/// The message when a first press armed a write towards a control plane that is not ready
/// (`state::hazard::ARMED`), with the keys as bound.
pub fn armed(keymap: &Keymap) -> String {
    fill::<crate::state::modal_action::DialogAction>(keymap, crate::state::hazard::ARMED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::modal_action::DialogAction;

    #[test]
    fn the_armed_warning_names_the_keys_as_bound() {
        let mut km = Keymap::default();
        assert_eq!(
            armed(&km),
            "the control plane is NOT READY: press enter again to write anyway (esc cancels)"
        );
        km.bind_modal::<DialogAction>("y".parse().unwrap(), Some(DialogAction::Choose));
        km.bind_modal::<DialogAction>("enter".parse().unwrap(), None);
        km.bind_modal::<DialogAction>("esc".parse().unwrap(), None);
        let text = armed(&km);
        assert!(text.contains("press y again"), "{text}");
        assert!(!text.contains("esc"), "{text}");
        let label = fill::<DialogAction>(&km, crate::state::hazard::AGAIN);
        assert_eq!(label, "Press y again to write anyway");
    }
}
