//! Key hints of dialogs and prompts, built from the keymap (`[keys.dialog]`, …): each action
//! shows its first key (`Keymap::modal_key`), so a rebinding shows at once and an action
//! with no key drops out of the hint.

use crate::config::Keymap;
pub use crate::config::hints::{fill, key, keys, shown};
use crate::state::modal_action::ModalAction;

/// One hint: the actions whose first keys are shown joined by `/`, and what they do.
pub type Item<'a, A> = (&'a [A], &'a str);

/// The second key of each action, joined by `/` (`←/→` beside `+/-`); `None` unless every
/// action has one.
pub fn second_keys<A: ModalAction>(km: &Keymap, actions: &[A]) -> Option<String> {
    let keys: Option<Vec<String>> = actions
        .iter()
        .map(|a| km.modal_keys(*a).get(1).copied().map(shown))
        .collect();
    keys.map(|k| k.join("/"))
}

/// The keys that scroll a dialog's body (`j/k`), for its "(j/k scroll)" note.
pub fn scroll_keys(km: &Keymap) -> Option<String> {
    use crate::state::modal_action::DialogAction;
    keys(km, &[DialogAction::ScrollDown, DialogAction::ScrollUp])
}

/// `keys label` items joined by `sep`; items whose actions are all unbound are left out.
pub fn line<A: ModalAction>(km: &Keymap, items: &[Item<'_, A>], sep: &str) -> String {
    items
        .iter()
        .filter_map(|(actions, label)| Some(format!("{} {label}", keys(km, actions)?)))
        .collect::<Vec<_>>()
        .join(sep)
}

/// The `?` help lines of one modal context: every action with its first key, or `unbound`.
pub fn help<A: ModalAction>(km: &Keymap) -> Vec<(String, &'static str)> {
    A::ALL
        .iter()
        .map(|a| {
            let k = keys(km, &[*a]).unwrap_or_else(|| "unbound".to_string());
            (k, a.describe())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::modal_action::{DialogAction, WeightsAction};

    #[test]
    fn hints_show_the_first_listed_key_and_drop_unbound_actions() {
        let mut km = Keymap::default();
        let items: [Item<'_, DialogAction>; 3] = [
            (
                &[DialogAction::ScrollDown, DialogAction::ScrollUp],
                "scroll",
            ),
            (&[DialogAction::SwitchFocus], "switch Cancel/Confirm"),
            (&[DialogAction::Cancel], "cancel"),
        ];
        assert_eq!(
            line(&km, &items, "  "),
            "j/k scroll  tab switch Cancel/Confirm  esc cancel"
        );
        for k in ["esc", "n", "q"] {
            km.bind_modal::<DialogAction>(k.parse().unwrap(), None);
        }
        assert_eq!(
            line(&km, &items, "  "),
            "j/k scroll  tab switch Cancel/Confirm"
        );
        assert_eq!(
            keys(&km, &[WeightsAction::NextRule, WeightsAction::PreviousRule]).as_deref(),
            Some("tab/shift-tab")
        );
        let arrows = [WeightsAction::Decrease, WeightsAction::Increase];
        assert_eq!(second_keys(&km, &arrows).as_deref(), Some("←/→"));
        km.bind_modal::<WeightsAction>("left".parse().unwrap(), None);
        assert_eq!(second_keys(&km, &arrows).as_deref(), Some("h/→"));
        assert_eq!(
            fill::<WeightsAction>(&km, "{Review} sets it, {Close} cancels, {x} stays"),
            "enter sets it, esc cancels, {x} stays"
        );
        km.bind_modal::<WeightsAction>("ctrl-s".parse().unwrap(), Some(WeightsAction::Review));
        km.bind_modal::<WeightsAction>("enter".parse().unwrap(), None);
        assert_eq!(fill::<WeightsAction>(&km, "{Review}"), "ctrl-s");
    }
}
