//! Keymap: key chord -> `Action`, one global table plus one table per view, and one table
//! per modal context (`[keys.dialog]`, `[keys.chooser]`, …) whose actions are that
//! context's own enum (`state::modal_action`).
//!
//! Defaults come from the embedded `default_keymap.toml`; a user's `[keys.*]` tables are
//! applied on top key by key, so naming one key changes only that key.

use std::collections::{BTreeMap, HashMap};

use crossterm::event::KeyEvent;
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Serialize};

use super::keys::KeyChord;
use crate::state::action::{Action, ViewId};
use crate::state::modal_action::{
    AuditAction, ChooserAction, DialogAction, FilterAction, MigrationAction, ModalAction,
    PaletteAction, WeightsAction,
};

const DEFAULT_KEYMAP: &str = include_str!("default_keymap.toml");
const GLOBAL: &str = "global";

/// The raw `[keys.<section>]` tables of a config file: section -> key name -> action name.
/// Kept as strings so one bad entry becomes a warning instead of rejecting the whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyOverrides {
    pub sections: BTreeMap<String, BTreeMap<String, String>>,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    View(ViewId),
}

/// One line of the `?` help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub key: String,
    pub action: Action,
    pub scope: Scope,
}

/// A key in a modal context's table: the action's index in its enum's `ALL` (`None`: unbound
/// by `"none"`), and the rank hints use to pick the key they show: a user's own keys first,
/// then the default file's order (so `tab`, listed first, is the hint for switching focus,
/// not `h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ModalBinding {
    action: Option<usize>,
    rank: i64,
}

/// Reads an action name of one modal context's enum into the variant's index.
type ParseAction = fn(&str) -> Result<usize, String>;

/// Every modal context: its section name and how to read an action name of its enum.
const MODAL_SECTIONS: &[(&str, ParseAction)] = &[
    (DialogAction::SECTION, index_of::<DialogAction>),
    (ChooserAction::SECTION, index_of::<ChooserAction>),
    (WeightsAction::SECTION, index_of::<WeightsAction>),
    (MigrationAction::SECTION, index_of::<MigrationAction>),
    (PaletteAction::SECTION, index_of::<PaletteAction>),
    (FilterAction::SECTION, index_of::<FilterAction>),
    (AuditAction::SECTION, index_of::<AuditAction>),
];

/// User overrides rank before every default key.
const USER_RANK: i64 = -1_000_000;

/// What a `[keys.<section>]` name refers to.
#[derive(Clone, Copy)]
enum Section {
    Scope(Scope),
    Modal(&'static str, fn(&str) -> Result<usize, String>),
}

/// `Action::None` entries are kept in the tables: in a view table they shadow a global binding
/// of the same key, which is how a user unbinds a global key for one view only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    global: HashMap<KeyChord, Action>,
    views: HashMap<ViewId, HashMap<KeyChord, Action>>,
    modal: HashMap<&'static str, HashMap<KeyChord, ModalBinding>>,
}

impl Default for Keymap {
    /// The built-in bindings. The embedded file is checked by a unit test, so warnings here
    /// cannot happen in a released build.
    fn default() -> Self {
        let mut keymap = Keymap::empty();
        for (rank, (section, key, action)) in default_entries().iter().enumerate() {
            if let Some(section) = parse_section(section) {
                keymap.apply_entry(section, key, action, rank as i64);
            }
        }
        keymap
    }
}

/// The default file's `(section, key, action)` entries in file order: serde's tables are
/// sorted by key, but the first key listed for an action is the one its hint shows.
fn default_entries() -> Vec<(String, String, String)> {
    let Ok(doc) = toml::de::DeTable::parse(DEFAULT_KEYMAP) else {
        return Vec::new();
    };
    fn tables<'a, 'i>(v: &'a toml::de::DeValue<'i>) -> Option<&'a toml::de::DeTable<'i>> {
        match v {
            toml::de::DeValue::Table(t) => Some(t),
            _ => None,
        }
    }
    let keys = doc.get_ref().iter().find(|(k, _)| k.get_ref() == "keys");
    let Some(sections) = keys.and_then(|(_, v)| tables(v.get_ref())) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (section, entries) in sections.iter() {
        let Some(entries) = tables(entries.get_ref()) else {
            continue;
        };
        for (key, action) in entries.iter() {
            if let toml::de::DeValue::String(name) = action.get_ref() {
                let entry = (section.get_ref().to_string(), key.get_ref().to_string());
                found.push((key.span().start, entry, name.to_string()));
            }
        }
    }
    found.sort_by_key(|(at, _, _)| *at);
    found
        .into_iter()
        .map(|(_, (section, key), action)| (section, key, action))
        .collect()
}

impl Keymap {
    /// A keymap with no bindings at all (tests, or building one from scratch).
    pub fn empty() -> Self {
        Keymap {
            global: HashMap::new(),
            views: HashMap::new(),
            modal: HashMap::new(),
        }
    }

    /// Binds (or with `Action::None`, unbinds) one key.
    pub fn bind(&mut self, scope: Scope, key: KeyChord, action: Action) {
        let table = match scope {
            Scope::Global => &mut self.global,
            Scope::View(view) => self.views.entry(view).or_default(),
        };
        table.insert(key, action);
    }

    /// Applies a user's `[keys.*]` tables on top of the current bindings. Bad sections, keys
    /// or action names are skipped and reported; the rest still applies.
    pub fn apply_overrides(&mut self, overrides: &KeyOverrides) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut rank = USER_RANK;
        for (name, entries) in &overrides.sections {
            let Some(section) = parse_section(name) else {
                warnings.push(format!(
                    "[keys.{name}]: unknown section, expected one of: {}",
                    section_names().join(", ")
                ));
                continue;
            };
            for (key, action) in entries {
                rank += 1;
                if let Some(w) = self.apply_entry(section, key, action, rank) {
                    warnings.push(format!("[keys.{name}] {w}"));
                }
            }
        }
        warnings
    }

    /// One `"key" = "action"` entry; the warning when it cannot apply.
    fn apply_entry(
        &mut self,
        section: Section,
        key: &str,
        action: &str,
        rank: i64,
    ) -> Option<String> {
        let chord = match key.parse::<KeyChord>() {
            Ok(chord) => chord,
            Err(e) => return Some(format!("{e}, binding ignored")),
        };
        match section {
            Section::Scope(scope) => match parse_name::<Action>(action) {
                Ok(action) => self.bind(scope, chord, action),
                Err(e) => return Some(format!("{key:?}: {e}")),
            },
            Section::Modal(name, index_of) => {
                let action = match action {
                    "none" => None,
                    other => match index_of(other) {
                        Ok(i) => Some(i),
                        Err(e) => return Some(format!("{key:?}: {e}")),
                    },
                };
                let table = self.modal.entry(name).or_default();
                table.insert(chord, ModalBinding { action, rank });
            }
        }
        None
    }

    /// Binds (or with `None`, unbinds) one key of a modal context, ranked after its other keys.
    pub fn bind_modal<A: ModalAction>(&mut self, key: KeyChord, action: Option<A>) {
        let table = self.modal.entry(A::SECTION).or_default();
        let rank = table.values().map(|b| b.rank).max().unwrap_or(0) + 1;
        let action = action.and_then(|a| A::ALL.iter().position(|x| *x == a));
        table.insert(key, ModalBinding { action, rank });
    }

    /// The action of a modal context for a key event; releases and unbound keys give `None`.
    pub fn modal<A: ModalAction>(&self, key: &KeyEvent) -> Option<A> {
        self.modal_for_chord(KeyChord::from_event(key)?)
    }

    pub fn modal_for_chord<A: ModalAction>(&self, chord: KeyChord) -> Option<A> {
        let binding = self.modal.get(A::SECTION)?.get(&chord)?;
        A::ALL.get(binding.action?).copied()
    }

    /// Every key bound to `action`, the one hints show first (see `ModalBinding`).
    pub fn modal_keys<A: ModalAction>(&self, action: A) -> Vec<KeyChord> {
        let Some(table) = self.modal.get(A::SECTION) else {
            return Vec::new();
        };
        let mut keys: Vec<(i64, KeyChord)> = table
            .iter()
            .filter(|(_, b)| b.action.and_then(|i| A::ALL.get(i)) == Some(&action))
            .map(|(k, b)| (b.rank, *k))
            .collect();
        keys.sort_by_key(|(rank, k)| (*rank, k.to_string()));
        keys.into_iter().map(|(_, k)| k).collect()
    }

    /// The key hints and help show for `action`; `None` when it is unbound.
    pub fn modal_key<A: ModalAction>(&self, action: A) -> Option<KeyChord> {
        self.modal_keys(action).into_iter().next()
    }

    /// The action for a key event in `view`: the view's table first, then the global one.
    /// Key releases and unbound keys give `None`.
    pub fn action(&self, view: ViewId, key: &KeyEvent) -> Option<Action> {
        self.action_for_chord(view, KeyChord::from_event(key)?)
    }

    pub fn action_for_chord(&self, view: ViewId, chord: KeyChord) -> Option<Action> {
        let from_view = self.views.get(&view).and_then(|t| t.get(&chord));
        let action = from_view.or_else(|| self.global.get(&chord))?;
        (*action != Action::None).then_some(*action)
    }

    /// Effective bindings in `view` for the help screen: view bindings first, then global ones
    /// not shadowed by the view; within a scope by action (declaration order), then shortest key.
    pub fn bindings(&self, view: ViewId) -> Vec<Binding> {
        let empty = HashMap::new();
        let view_table = self.views.get(&view).unwrap_or(&empty);
        let from_view = view_table.iter().map(|(k, a)| (k, a, Scope::View(view)));
        let from_global = self
            .global
            .iter()
            .filter(|(k, _)| !view_table.contains_key(*k))
            .map(|(k, a)| (k, a, Scope::Global));
        let mut out: Vec<Binding> = from_view
            .chain(from_global)
            .filter(|(_, a, _)| **a != Action::None)
            .map(|(k, a, scope)| Binding {
                key: k.to_string(),
                action: *a,
                scope,
            })
            .collect();
        out.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        out
    }

    /// The preferred key for `action` in `view` (shortest, e.g. `q` over `ctrl-c`), for
    /// footer hints.
    pub fn key_for(&self, view: ViewId, action: Action) -> Option<String> {
        self.bindings(view)
            .into_iter()
            .filter(|b| b.action == action)
            .min_by(|a, b| (a.key.len(), &a.key).cmp(&(b.key.len(), &b.key)))
            .map(|b| b.key)
    }
}

fn sort_key(b: &Binding) -> (bool, u8, usize, &str) {
    // `as u8` on a field-less enum is its declaration order: help lists actions as declared.
    let is_global = b.scope == Scope::Global;
    (is_global, b.action as u8, b.key.len(), b.key.as_str())
}

fn parse_section(section: &str) -> Option<Section> {
    if section == GLOBAL {
        return Some(Section::Scope(Scope::Global));
    }
    if let Some((name, index_of)) = MODAL_SECTIONS.iter().find(|(n, _)| *n == section) {
        return Some(Section::Modal(name, *index_of));
    }
    parse_name::<ViewId>(section)
        .ok()
        .map(|v| Section::Scope(Scope::View(v)))
}

/// A snake_case config name of an enum (`"quit"`, `"switch_focus"`).
fn parse_name<T: DeserializeOwned>(name: &str) -> Result<T, String> {
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        name.into_deserializer();
    T::deserialize(de).map_err(|e| e.to_string().replace("unknown variant", "unknown action"))
}

fn index_of<A: ModalAction>(name: &str) -> Result<usize, String> {
    let action = parse_name::<A>(name)?;
    A::ALL
        .iter()
        .position(|a| *a == action)
        .ok_or_else(|| format!("{name:?} is not an action of [keys.{}]", A::SECTION))
}

/// `global`, every view's config name (from serde, so it cannot drift from `ViewId`) and
/// every modal context.
fn section_names() -> Vec<String> {
    let views = ViewId::ALL
        .iter()
        .filter_map(|v| toml::Value::try_from(v).ok())
        .filter_map(|v| v.as_str().map(str::to_string));
    let modal = MODAL_SECTIONS.iter().map(|(n, _)| n.to_string());
    std::iter::once(GLOBAL.to_string())
        .chain(views)
        .chain(modal)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(s: &str) -> KeyEvent {
        let chord: KeyChord = s.parse().expect("test key parses");
        KeyEvent::new(chord.code(), chord.modifiers())
    }

    fn overrides(toml_src: &str) -> KeyOverrides {
        #[derive(Deserialize)]
        struct File {
            keys: KeyOverrides,
        }
        toml::from_str::<File>(toml_src).expect("test toml").keys
    }

    #[test]
    fn embedded_defaults_have_no_warnings() {
        let file: toml::Table = toml::from_str(DEFAULT_KEYMAP).expect("default keymap parses");
        let keys = KeyOverrides::deserialize(file["keys"].clone()).expect("keys table");
        let warnings = Keymap::empty().apply_overrides(&keys);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn default_bindings() {
        let km = Keymap::default();
        let v = ViewId::Routes;
        let expect = [
            ("q", Action::Quit),
            ("ctrl-c", Action::Quit),
            ("ctrl-z", Action::Suspend),
            ("?", Action::Help),
            (":", Action::CommandPalette),
            ("/", Action::Filter),
            ("esc", Action::Back),
            ("j", Action::Down),
            ("down", Action::Down),
            ("k", Action::Up),
            ("g", Action::Top),
            ("G", Action::Bottom),
            ("home", Action::Top),
            ("end", Action::Bottom),
            ("ctrl-d", Action::PageDown),
            ("ctrl-u", Action::PageUp),
            ("pgdown", Action::PageDown),
            ("enter", Action::Enter),
            ("h", Action::Left),
            ("l", Action::Right),
            ("1", Action::ShowGateways),
            ("2", Action::ShowRoutes),
            ("3", Action::ShowFrontends),
            ("4", Action::ShowMesh),
            ("5", Action::ShowCerts),
            ("0", Action::ToggleAllNamespaces),
        ];
        for (k, action) in expect {
            assert_eq!(km.action(v, &key(k)), Some(action), "key {k}");
        }
        assert_eq!(km.action(v, &key("E")), None, "E is gateways-only");
        assert_eq!(
            km.action(ViewId::Gateways, &key("E")),
            Some(Action::ExpandAll)
        );
        assert_eq!(
            km.action(ViewId::Gateways, &key("C")),
            Some(Action::CollapseAll)
        );
    }

    #[test]
    fn shifted_uppercase_event_matches() {
        let km = Keymap::default();
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(km.action(ViewId::Mesh, &shifted), Some(Action::Bottom));
    }

    #[test]
    fn override_of_one_key_keeps_the_others() {
        let mut km = Keymap::default();
        let warnings = km.apply_overrides(&overrides("[keys.global]\n\"x\" = \"quit\"\n"));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(km.action(ViewId::Certs, &key("x")), Some(Action::Quit));
        assert_eq!(km.action(ViewId::Certs, &key("q")), Some(Action::Quit));
        assert_eq!(km.action(ViewId::Certs, &key("j")), Some(Action::Down));
        assert_eq!(
            km.action(ViewId::Gateways, &key("E")),
            Some(Action::ExpandAll)
        );
    }

    #[test]
    fn none_unbinds_globally_or_per_view() {
        let mut km = Keymap::default();
        let src = "[keys.global]\n\"q\" = \"none\"\n[keys.mesh]\n\"j\" = \"none\"\n";
        assert!(km.apply_overrides(&overrides(src)).is_empty());
        assert_eq!(km.action(ViewId::Routes, &key("q")), None);
        assert_eq!(km.action(ViewId::Mesh, &key("j")), None);
        assert_eq!(km.action(ViewId::Routes, &key("j")), Some(Action::Down));
        assert!(!km.bindings(ViewId::Routes).iter().any(|b| b.key == "q"));
        assert!(!km.bindings(ViewId::Mesh).iter().any(|b| b.key == "j"));
        assert_eq!(
            km.key_for(ViewId::Routes, Action::Quit).as_deref(),
            Some("ctrl-c")
        );
    }

    #[test]
    fn bad_entries_warn_and_the_rest_applies() {
        let mut km = Keymap::default();
        let src = "[keys.global]\n\"q\" = \"quitt\"\n\"ctrl-\" = \"help\"\n\"x\" = \"help\"\n\
                   [keys.nosuchview]\n\"y\" = \"quit\"\n";
        let warnings = km.apply_overrides(&overrides(src));
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("unknown action `quitt`"))
        );
        assert!(warnings.iter().any(|w| w.contains("\"ctrl-\"")));
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("nosuchview") && w.contains("gateways"))
        );
        assert_eq!(km.action(ViewId::Routes, &key("q")), Some(Action::Quit));
        assert_eq!(km.action(ViewId::Routes, &key("x")), Some(Action::Help));
    }

    #[test]
    fn view_bindings_shadow_global_ones_in_help() {
        let mut km = Keymap::default();
        km.apply_overrides(&overrides("[keys.gateways]\n\"q\" = \"collapse_all\"\n"));
        let b = km.bindings(ViewId::Gateways);
        let q: Vec<_> = b.iter().filter(|b| b.key == "q").collect();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].scope, Scope::View(ViewId::Gateways));
        assert_eq!(
            b[0].scope,
            Scope::View(ViewId::Gateways),
            "view keys come first"
        );
        assert_eq!(
            km.action(ViewId::Gateways, &key("q")),
            Some(Action::CollapseAll)
        );
    }

    #[test]
    fn key_for_prefers_short_keys() {
        let km = Keymap::default();
        let v = ViewId::Routes;
        assert_eq!(km.key_for(v, Action::Quit).as_deref(), Some("q"));
        assert_eq!(km.key_for(v, Action::Top).as_deref(), Some("g"));
        assert_eq!(km.key_for(v, Action::Help).as_deref(), Some("?"));
        assert_eq!(km.key_for(v, Action::ExpandAll), None);
        assert_eq!(
            km.key_for(ViewId::Gateways, Action::ExpandAll).as_deref(),
            Some("E")
        );
    }
    /// The actions of `A` with no key in `km`.
    fn unbound<A: ModalAction>(km: &Keymap) -> Vec<A> {
        A::ALL
            .iter()
            .copied()
            .filter(|a| km.modal_key(*a).is_none())
            .collect()
    }

    #[test]
    fn the_default_file_binds_every_modal_action() {
        let km = Keymap::default();
        assert_eq!(unbound::<DialogAction>(&km), vec![]);
        assert_eq!(unbound::<ChooserAction>(&km), vec![]);
        assert_eq!(unbound::<WeightsAction>(&km), vec![]);
        assert_eq!(unbound::<MigrationAction>(&km), vec![]);
        assert_eq!(unbound::<PaletteAction>(&km), vec![]);
        assert_eq!(unbound::<FilterAction>(&km), vec![]);
        assert_eq!(unbound::<AuditAction>(&km), vec![]);
        // Every modal section of the file is one the keymap knows, and file order was read.
        let file: toml::Table = toml::from_str(DEFAULT_KEYMAP).expect("default keymap parses");
        let entries: usize = file["keys"]
            .as_table()
            .expect("keys table")
            .values()
            .filter_map(|t| t.as_table())
            .map(|t| t.len())
            .sum();
        assert_eq!(default_entries().len(), entries);
    }

    #[test]
    fn modal_defaults_reproduce_the_old_keys() {
        let km = Keymap::default();
        let d = |k: &str| km.modal_for_chord::<DialogAction>(k.parse().expect("key"));
        for k in ["tab", "backtab", "left", "right", "h", "l"] {
            assert_eq!(d(k), Some(DialogAction::SwitchFocus), "{k}");
        }
        for k in ["esc", "n", "q"] {
            assert_eq!(d(k), Some(DialogAction::Cancel), "{k}");
        }
        assert_eq!(d("enter"), Some(DialogAction::Choose));
        assert_eq!(d("x"), None);
        let w = |k: &str| km.modal_for_chord::<WeightsAction>(k.parse().expect("key"));
        for k in ["+", "=", "l", "right"] {
            assert_eq!(w(k), Some(WeightsAction::Increase), "{k}");
        }
        for k in ["L", ">", "]"] {
            assert_eq!(w(k), Some(WeightsAction::IncreaseMore), "{k}");
        }
        assert_eq!(w("5"), None, "digits are text: they start a value");
        let p = |k: &str| km.modal_for_chord::<PaletteAction>(k.parse().expect("key"));
        assert_eq!(p("ctrl-c"), Some(PaletteAction::Cancel));
        assert_eq!(p("q"), None, "typed text stays text");
        // The first key listed is the one hints show.
        assert_eq!(
            km.modal_key(DialogAction::SwitchFocus)
                .map(|k| k.to_string()),
            Some("tab".into())
        );
        assert_eq!(
            km.modal_key(ChooserAction::Down).map(|k| k.to_string()),
            Some("j".into())
        );
    }

    #[test]
    fn a_users_modal_key_acts_shows_first_and_none_unbinds() {
        let mut km = Keymap::default();
        let src = "[keys.dialog]\n\"y\" = \"choose\"\n\"enter\" = \"none\"\n";
        assert!(km.apply_overrides(&overrides(src)).is_empty());
        assert_eq!(km.modal(&key("y")), Some(DialogAction::Choose));
        assert_eq!(km.modal::<DialogAction>(&key("enter")), None);
        assert_eq!(
            km.modal_key(DialogAction::Choose).map(|k| k.to_string()),
            Some("y".into())
        );
        // Other contexts keep their enter.
        assert_eq!(km.modal(&key("enter")), Some(ChooserAction::Pick));
        // A second user key for an action that keeps its defaults shows before them.
        km.apply_overrides(&overrides("[keys.dialog]\n\"ctrl-x\" = \"cancel\"\n"));
        assert_eq!(
            km.modal_keys(DialogAction::Cancel)
                .iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>(),
            ["ctrl-x", "esc", "n", "q"]
        );
    }

    #[test]
    fn bad_modal_entries_warn_and_name_the_sections() {
        let mut km = Keymap::default();
        let src = "[keys.chooser]\n\"x\" = \"quit\"\n\"y\" = \"pick\"\n[keys.dialogs]\n\"z\" = \"cancel\"\n";
        let warnings = km.apply_overrides(&overrides(src));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("[keys.chooser]") && w.contains("unknown action `quit`")),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("dialogs") && w.contains("dialog, chooser, weights")),
            "{warnings:?}"
        );
        assert_eq!(km.modal(&key("y")), Some(ChooserAction::Pick));
        assert_eq!(km.modal::<ChooserAction>(&key("x")), None);
    }
}
