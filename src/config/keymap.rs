//! Keymap: key chord -> `Action`, one global table plus one table per view.
//!
//! Defaults come from the embedded `default_keymap.toml`; a user's `[keys.*]` tables are
//! applied on top key by key, so naming one key changes only that key.

use std::collections::{BTreeMap, HashMap};

use crossterm::event::KeyEvent;
use serde::de::IntoDeserializer;
use serde::{Deserialize, Serialize};

use super::keys::KeyChord;
use crate::state::action::{Action, ViewId};

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

/// `Action::None` entries are kept in the tables: in a view table they shadow a global binding
/// of the same key, which is how a user unbinds a global key for one view only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    global: HashMap<KeyChord, Action>,
    views: HashMap<ViewId, HashMap<KeyChord, Action>>,
}

impl Default for Keymap {
    /// The built-in bindings. The embedded file is checked by a unit test, so warnings here
    /// cannot happen in a released build.
    fn default() -> Self {
        let mut keymap = Keymap::empty();
        #[derive(Deserialize)]
        struct File {
            keys: KeyOverrides,
        }
        if let Ok(file) = toml::from_str::<File>(DEFAULT_KEYMAP) {
            keymap.apply_overrides(&file.keys);
        }
        keymap
    }
}

impl Keymap {
    /// A keymap with no bindings at all (tests, or building one from scratch).
    pub fn empty() -> Self {
        Keymap {
            global: HashMap::new(),
            views: HashMap::new(),
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
        for (section, entries) in &overrides.sections {
            let Some(scope) = parse_scope(section) else {
                warnings.push(format!(
                    "[keys.{section}]: unknown section, expected one of: {}",
                    section_names().join(", ")
                ));
                continue;
            };
            for (key, action) in entries {
                let chord = match key.parse::<KeyChord>() {
                    Ok(chord) => chord,
                    Err(e) => {
                        warnings.push(format!("[keys.{section}] {e}, binding ignored"));
                        continue;
                    }
                };
                match parse_action(action) {
                    Ok(action) => self.bind(scope, chord, action),
                    Err(e) => warnings.push(format!("[keys.{section}] {key:?}: {e}")),
                }
            }
        }
        warnings
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

fn parse_scope(section: &str) -> Option<Scope> {
    if section == GLOBAL {
        return Some(Scope::Global);
    }
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        section.into_deserializer();
    ViewId::deserialize(de).ok().map(Scope::View)
}

fn parse_action(name: &str) -> Result<Action, String> {
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        name.into_deserializer();
    Action::deserialize(de).map_err(|e| e.to_string().replace("unknown variant", "unknown action"))
}

/// `global` plus every view's config name, from serde so it cannot drift from `ViewId`.
fn section_names() -> Vec<String> {
    let views = ViewId::ALL
        .iter()
        .filter_map(|v| toml::Value::try_from(v).ok())
        .filter_map(|v| v.as_str().map(str::to_string));
    std::iter::once(GLOBAL.to_string()).chain(views).collect()
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
}
