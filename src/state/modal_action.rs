//! The keys of dialogs as named actions, one small enum per modal context, so a dialog's
//! state transition takes an action, never a key code, and config.toml can rebind every key
//! (`[keys.dialog]`, `[keys.chooser]`, …; the keymap in the config layer reads them).
//!
//! Typed text stays text: printable keys in the filter, the palette and a weight being typed
//! are characters, not actions; only command keys (enter, esc, tab, …) are named here.

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// One modal context's action enum: its `[keys.<SECTION>]` config section, every action
/// (the order help lists them in) and a line of help for each.
pub trait ModalAction: Copy + Eq + std::fmt::Debug + DeserializeOwned + 'static {
    const SECTION: &'static str;
    const ALL: &'static [Self];
    fn describe(self) -> &'static str;
}

/// Declares one context's enum; config names are the variants in snake_case.
macro_rules! modal_actions {
    ($(#[$doc:meta])* $name:ident, $section:literal { $($variant:ident => $help:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant,)+
        }

        impl ModalAction for $name {
            const SECTION: &'static str = $section;
            const ALL: &'static [Self] = &[$($name::$variant,)+];
            fn describe(self) -> &'static str {
                match self {
                    $($name::$variant => $help,)+
                }
            }
        }
    };
}

modal_actions!(
    /// A confirm dialog: one write (`Confirm`), a list of writes (`Plan`) or a migration wave.
    /// Cancel has the focus first; `choose` presses the focused button.
    DialogAction, "dialog" {
        SwitchFocus => "switch between Cancel and Confirm",
        ScrollDown => "scroll the dialog down",
        ScrollUp => "scroll the dialog up",
        PageDown => "scroll a page down",
        PageUp => "scroll a page up",
        Choose => "press the focused button (Confirm needs a 2nd press when flagged)",
        Cancel => "cancel; nothing is written",
    }
);

modal_actions!(
    /// Pick one of a few options (injection labels, bulk restart scope).
    ChooserAction, "chooser" {
        Down => "next option",
        Up => "previous option",
        Top => "first option",
        Bottom => "last option",
        Pick => "pick the option (a confirm follows)",
        Cancel => "cancel; nothing is written",
    }
);

modal_actions!(
    /// The traffic-weight editor. While a value is typed, printable keys are its text, the
    /// keys of `review` commit it and those of `close` cancel it; an unbound digit starts
    /// typing a value.
    WeightsAction, "weights" {
        Down => "select the next backend",
        Up => "select the previous backend",
        Increase => "weight +1",
        Decrease => "weight -1",
        IncreaseMore => "weight +10",
        DecreaseMore => "weight -10",
        TypeValue => "type a value (validated on review; a digit also starts one)",
        EvenSplit => "even split (sums to 100)",
        CanaryPreset => "canary preset: 0/10/50/100% to the selected backend",
        Normalise => "normalise to 100 (VirtualService weights must sum to 100)",
        Reset => "reset to the cluster's weights",
        Rebase => "keep the draft on a route that changed meanwhile",
        NextRule => "next rule of the route",
        PreviousRule => "previous rule of the route",
        Review => "review the diff, then confirm (all-zero needs a 2nd press)",
        Close => "close (twice if the draft is modified)",
    }
);

modal_actions!(
    /// The revision-migration screen (its wave confirm is a `DialogAction` dialog).
    MigrationAction, "migration" {
        Down => "select the next namespace",
        Up => "select the previous namespace",
        LaterWave => "move the selected namespace to a later wave",
        EarlierWave => "move the selected namespace to an earlier wave",
        Toggle => "include / exclude the selected namespace",
        NextWave => "migrate the next wave (confirm)",
        Rollback => "roll back the selected row's wave (confirm)",
        OtherPair => "other revision pair",
        Close => "close (a running wave goes on)",
    }
);

modal_actions!(
    /// The `:` command line (other keys edit its text).
    PaletteAction, "palette" {
        Run => "run the command",
        Complete => "complete the command or name",
        Cancel => "close the command line",
    }
);

modal_actions!(
    /// The `/` filter prompt (other keys edit its text).
    FilterAction, "filter" {
        Keep => "keep the filter",
        Clear => "clear the filter",
    }
);

modal_actions!(
    /// The `:audit` overlay. Keys it does not bind reach the global table (quit, undo, help,
    /// the command palette).
    AuditAction, "audit" {
        Close => "close the audit log",
        Down => "next entry / scroll the detail",
        Up => "previous entry / scroll the detail",
        PageDown => "ten entries down / scroll a page",
        PageUp => "ten entries up / scroll a page",
        Top => "newest entry / top of the detail",
        Bottom => "oldest entry / end of the detail",
        ToggleDetail => "the whole entry / back to the list",
        Reload => "re-read the log",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_are_snake_case() {
        let de = |s: &str| -> Result<WeightsAction, serde::de::value::Error> {
            WeightsAction::deserialize(serde::de::IntoDeserializer::into_deserializer(s))
        };
        assert_eq!(de("increase_more"), Ok(WeightsAction::IncreaseMore));
        assert!(de("IncreaseMore").is_err());
        assert_eq!(WeightsAction::ALL.len(), 16);
        assert_eq!(DialogAction::SECTION, "dialog");
    }
}
