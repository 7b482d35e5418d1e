//! `KeyChord`: one key plus modifiers, written in config files as `q`, `G`, `ctrl-d`, `pgdown`.
//!
//! Both parsing and event matching normalize the same way, so a chord parsed from config
//! equals the chord built from whatever the terminal sends for that key.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde::{Deserialize, Serialize};

/// Named keys; the first name for a code is the canonical (printed) one, later ones are aliases.
const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("space", KeyCode::Char(' ')),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pgup", KeyCode::PageUp),
    ("pageup", KeyCode::PageUp),
    ("pgdown", KeyCode::PageDown),
    ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
];

/// Modifier prefixes, canonical name first.
const MODIFIERS: &[(&str, KeyModifiers)] = &[
    ("ctrl", KeyModifiers::CONTROL),
    ("control", KeyModifiers::CONTROL),
    ("alt", KeyModifiers::ALT),
    ("meta", KeyModifiers::ALT),
    ("shift", KeyModifiers::SHIFT),
];

/// A key as bound in the keymap. Construct with [`KeyChord::new`], [`str::parse`] or
/// [`KeyChord::from_event`]; all three normalize identically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyChord {
    code: KeyCode,
    mods: KeyModifiers,
}

impl KeyChord {
    /// Builds a normalized chord:
    /// - only CONTROL, ALT and SHIFT count (SUPER/HYPER/META are dropped);
    /// - for characters SHIFT is already in the character (`G`, `?`), so it is dropped, and a
    ///   lowercase letter with SHIFT becomes uppercase (some terminals send `g`+SHIFT);
    /// - with CONTROL, letters are lowercase: terminals cannot tell ctrl-c from ctrl-C;
    /// - BackTab already means shift-tab.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Self {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) => {
                let shifted = mods.contains(KeyModifiers::SHIFT);
                mods.remove(KeyModifiers::SHIFT);
                let c = if mods.contains(KeyModifiers::CONTROL) {
                    c.to_ascii_lowercase()
                } else if shifted {
                    c.to_ascii_uppercase()
                } else {
                    c
                };
                KeyCode::Char(c)
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyChord { code, mods }
    }

    /// The chord for a terminal key event; `None` for key releases, which must not trigger
    /// actions (terminals with the kitty protocol report them).
    pub fn from_event(event: &KeyEvent) -> Option<Self> {
        match event.kind {
            KeyEventKind::Press | KeyEventKind::Repeat => {
                Some(KeyChord::new(event.code, event.modifiers))
            }
            KeyEventKind::Release => None,
        }
    }

    pub fn code(&self) -> KeyCode {
        self.code
    }

    pub fn modifiers(&self) -> KeyModifiers {
        self.mods
    }
}

impl FromStr for KeyChord {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err("empty key".to_string());
        }
        let mut rest = s;
        let mut mods = KeyModifiers::NONE;
        // Strip `ctrl-` style prefixes; a lone `-` (or `ctrl--`) is the minus key itself.
        'prefixes: while rest.chars().count() > 1 {
            for (name, m) in MODIFIERS {
                if let Some(tail) = strip_prefix_ci(rest, name).and_then(|t| t.strip_prefix('-'))
                    && !tail.is_empty()
                {
                    mods |= *m;
                    rest = tail;
                    continue 'prefixes;
                }
            }
            break;
        }
        let code = parse_code(rest).ok_or_else(|| format!("unknown key {s:?}"))?;
        if let KeyCode::Char(c) = code
            && mods.contains(KeyModifiers::SHIFT)
            && !c.is_ascii_alphabetic()
        {
            return Err(format!(
                "{s:?}: shift with a symbol depends on the keyboard layout; write the symbol itself"
            ));
        }
        Ok(KeyChord::new(code, mods))
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn parse_code(s: &str) -> Option<KeyCode> {
    let mut chars = s.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    let lower = s.to_ascii_lowercase();
    if let Some((_, code)) = NAMED.iter().find(|(name, _)| *name == lower) {
        return Some(*code);
    }
    let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
    (1..=24).contains(&n).then_some(KeyCode::F(n))
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, m) in [
            ("ctrl", KeyModifiers::CONTROL),
            ("alt", KeyModifiers::ALT),
            ("shift", KeyModifiers::SHIFT),
        ] {
            if self.mods.contains(m) {
                write!(f, "{name}-")?;
            }
        }
        if let Some((name, _)) = NAMED.iter().find(|(_, code)| *code == self.code) {
            return f.write_str(name);
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

impl TryFrom<String> for KeyChord {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<KeyChord> for String {
    fn from(k: KeyChord) -> String {
        k.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn parse(s: &str) -> KeyChord {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn event(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn canonical_names_round_trip() {
        let names = [
            "q",
            "Q",
            "?",
            ":",
            "/",
            "G",
            "-",
            "ctrl-c",
            "ctrl-d",
            "alt-x",
            "enter",
            "esc",
            "tab",
            "backtab",
            "space",
            "up",
            "down",
            "left",
            "right",
            "pgup",
            "pgdown",
            "home",
            "end",
            "f1",
            "f12",
            "1",
            "9",
            "backspace",
            "delete",
            "ctrl-alt-x",
            "shift-up",
            "ctrl--",
        ];
        for name in names {
            assert_eq!(parse(name).to_string(), name, "round trip of {name}");
        }
    }

    #[test]
    fn aliases_normalize() {
        assert_eq!(parse("Enter").to_string(), "enter");
        assert_eq!(parse("CTRL-C").to_string(), "ctrl-c");
        assert_eq!(parse("ctrl-C").to_string(), "ctrl-c");
        assert_eq!(parse("shift-tab").to_string(), "backtab");
        assert_eq!(parse("shift-g").to_string(), "G");
        assert_eq!(parse("pagedown").to_string(), "pgdown");
        assert_eq!(parse("F5").to_string(), "f5");
        assert_eq!(parse(" ").to_string(), "space");
    }

    #[test]
    fn bad_keys_are_errors() {
        for bad in ["", "ctrl-", "nope", "f0", "f99", "shift-?", "hyper-x"] {
            assert!(bad.parse::<KeyChord>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn uppercase_with_or_without_shift_is_the_same_key() {
        let g = parse("G");
        let with_shift = event(KeyCode::Char('G'), KeyModifiers::SHIFT);
        let without = event(KeyCode::Char('G'), KeyModifiers::NONE);
        let lower_shift = event(KeyCode::Char('g'), KeyModifiers::SHIFT);
        for e in [with_shift, without, lower_shift] {
            assert_eq!(KeyChord::from_event(&e), Some(g), "{e:?}");
        }
        assert_ne!(
            KeyChord::from_event(&event(KeyCode::Char('g'), KeyModifiers::NONE)),
            Some(g)
        );
        let q = event(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&q), Some(parse("?")));
        let backtab = event(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&backtab), Some(parse("backtab")));
    }

    #[test]
    fn ctrl_keys_match_events() {
        let e = event(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(KeyChord::from_event(&e), Some(parse("ctrl-c")));
        let upper = event(
            KeyCode::Char('C'),
            KeyModifiers::CONTROL | KeyModifiers::SHIFT,
        );
        assert_eq!(KeyChord::from_event(&upper), Some(parse("ctrl-c")));
        assert_ne!(
            KeyChord::from_event(&event(KeyCode::Char('c'), KeyModifiers::NONE)),
            Some(parse("ctrl-c"))
        );
    }

    #[test]
    fn releases_are_ignored_repeats_are_not() {
        let mut e = KeyEvent::new_with_kind_and_state(
            KeyCode::Char('j'),
            KeyModifiers::NONE,
            KeyEventKind::Release,
            KeyEventState::NONE,
        );
        assert_eq!(KeyChord::from_event(&e), None);
        e.kind = KeyEventKind::Repeat;
        assert_eq!(KeyChord::from_event(&e), Some(parse("j")));
    }
}
