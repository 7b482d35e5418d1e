//! Themes: semantic roles (`ok`, `selection`, ...) mapped to ratatui styles.
//!
//! Built-in themes are embedded from `themes/*.toml`. A user file
//! `<config_dir>/themes/<name>.toml` adds a theme or overrides a built-in one; roles it does not
//! name come from its `base` theme (default: the built-in of the same name, else `dark`).
//!
//! File format:
//! ```toml
//! base = "dark"                       # optional, a built-in theme
//! [styles]
//! text = { fg = "reset" }
//! selection = { fg = "black", bg = "cyan", modifiers = ["bold"] }
//! ```
//! Colours: `reset`, the 16 ANSI names (`black`, `red`, ..., `gray`, `dark_gray`, `light_red`,
//! ..., `white`), `#rrggbb`, or an index 0-255. Modifiers: `bold`, `dim`, `italic`,
//! `underlined`, `reversed`, `crossed_out`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// What a piece of the screen means; views ask for a role, never for a colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Text,
    Muted,
    Accent,
    Ok,
    Warn,
    Error,
    Info,
    SeverityCritical,
    Selection,
    Header,
    HeaderAccent,
    Footer,
    KeyHint,
    Border,
    BorderFocus,
    Title,
    TreeBranch,
    TableHeader,
    Filter,
    FilterMatch,
    Modal,
}

impl Role {
    /// In declaration order (`Theme` indexes its styles by `role as usize`).
    pub const ALL: [Role; 21] = [
        Role::Text,
        Role::Muted,
        Role::Accent,
        Role::Ok,
        Role::Warn,
        Role::Error,
        Role::Info,
        Role::SeverityCritical,
        Role::Selection,
        Role::Header,
        Role::HeaderAccent,
        Role::Footer,
        Role::KeyHint,
        Role::Border,
        Role::BorderFocus,
        Role::Title,
        Role::TreeBranch,
        Role::TableHeader,
        Role::Filter,
        Role::FilterMatch,
        Role::Modal,
    ];

    /// The key used in theme files.
    pub fn name(self) -> &'static str {
        match self {
            Role::Text => "text",
            Role::Muted => "muted",
            Role::Accent => "accent",
            Role::Ok => "ok",
            Role::Warn => "warn",
            Role::Error => "error",
            Role::Info => "info",
            Role::SeverityCritical => "severity_critical",
            Role::Selection => "selection",
            Role::Header => "header",
            Role::HeaderAccent => "header_accent",
            Role::Footer => "footer",
            Role::KeyHint => "key_hint",
            Role::Border => "border",
            Role::BorderFocus => "border_focus",
            Role::Title => "title",
            Role::TreeBranch => "tree_branch",
            Role::TableHeader => "table_header",
            Role::Filter => "filter",
            Role::FilterMatch => "filter_match",
            Role::Modal => "modal",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

const BUILTIN: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("monochrome", include_str!("../../themes/monochrome.toml")),
];
const DEFAULT_THEME: &str = "dark";
const NO_COLOR_THEME: &str = "monochrome";

/// A resolved theme. Pass `&Theme` to draw code; there is no global.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    styles: [Style; Role::ALL.len()],
}

impl Default for Theme {
    /// The built-in dark theme (checked by tests, so the fallback never shows in practice).
    fn default() -> Self {
        builtin(DEFAULT_THEME)
            .and_then(Result::ok)
            .unwrap_or_else(|| Theme::plain(DEFAULT_THEME))
    }
}

impl Theme {
    pub fn style(&self, role: Role) -> Style {
        self.styles[role as usize]
    }

    pub fn builtin_names() -> &'static [&'static str] {
        &["dark", "light", "high-contrast", "monochrome"]
    }

    /// Built-in names plus user themes found in `<config_dir>/themes/`, sorted, no duplicates.
    pub fn available(config_dir: Option<&Path>) -> Vec<String> {
        let mut names: Vec<String> = Theme::builtin_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let entries = config_dir.and_then(|d| std::fs::read_dir(d.join("themes")).ok());
        for entry in entries.into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                && valid_name(stem)
                && !names.iter().any(|n| n == stem)
            {
                names.push(stem.to_string());
            }
        }
        names.sort();
        names
    }

    /// Loads a user theme file if there is one, else a built-in theme.
    pub fn load(name: &str, config_dir: Option<&Path>) -> Result<Theme, String> {
        if !valid_name(name) {
            return Err(format!(
                "invalid theme name {name:?} (letters, digits, '-' and '_' only)"
            ));
        }
        if let Some(path) = config_dir.map(|d| user_theme_path(d, name)) {
            match std::fs::read_to_string(&path) {
                Ok(src) => return user_theme(name, &src, &path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
        builtin(name).unwrap_or_else(|| {
            Err(format!(
                "unknown theme {name:?}; available: {}",
                Theme::available(config_dir).join(", ")
            ))
        })
    }

    /// Picks the theme to use. `requested` is the user's explicit choice (`--theme`, else the
    /// config file's `theme`); per no-color.org an explicit choice wins over `NO_COLOR`.
    /// Without one, `no_color` selects `monochrome`, otherwise `dark`. A bad choice falls back
    /// to that default with a warning; this never fails.
    pub fn resolve(
        requested: Option<&str>,
        no_color: bool,
        config_dir: Option<&Path>,
    ) -> (Theme, Vec<String>) {
        let default = if no_color {
            NO_COLOR_THEME
        } else {
            DEFAULT_THEME
        };
        let mut warnings = Vec::new();
        if let Some(name) = requested {
            match Theme::load(name, config_dir) {
                Ok(theme) => return (theme, warnings),
                Err(e) => warnings.push(format!("theme: {e}; using {default:?}")),
            }
        }
        match Theme::load(default, config_dir) {
            Ok(theme) => (theme, warnings),
            Err(e) => {
                warnings.push(format!("theme: {e}; using built-in {default:?}"));
                let theme = builtin(default)
                    .and_then(Result::ok)
                    .unwrap_or_else(|| Theme::plain(default));
                (theme, warnings)
            }
        }
    }

    /// Every role unstyled: the last resort if even a built-in theme failed to parse.
    fn plain(name: &str) -> Theme {
        Theme {
            name: name.to_string(),
            styles: [Style::new(); Role::ALL.len()],
        }
    }
}

/// True when the `NO_COLOR` environment variable is set and non-empty (no-color.org).
pub fn no_color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn user_theme_path(config_dir: &Path, name: &str) -> PathBuf {
    config_dir.join("themes").join(format!("{name}.toml"))
}

/// Also keeps names from escaping the themes directory (`../x`).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn builtin(name: &str) -> Option<Result<Theme, String>> {
    let (_, src) = BUILTIN.iter().find(|(n, _)| *n == name)?;
    Some(parse_file(src).and_then(|file| {
        let mut theme = Theme::plain(name);
        apply(&mut theme, &file.styles)?;
        Ok(theme)
    }))
}

fn user_theme(name: &str, src: &str, path: &Path) -> Result<Theme, String> {
    let in_file = |e: String| format!("{}: {e}", path.display());
    let file = parse_file(src).map_err(in_file)?;
    let base_name = match &file.base {
        Some(base) => base.as_str(),
        None if builtin(name).is_some() => name,
        None => DEFAULT_THEME,
    };
    let mut theme = builtin(base_name)
        .ok_or_else(|| {
            in_file(format!(
                "base {base_name:?} is not a built-in theme ({})",
                Theme::builtin_names().join(", ")
            ))
        })?
        .map_err(in_file)?;
    theme.name = name.to_string();
    apply(&mut theme, &file.styles).map_err(in_file)?;
    Ok(theme)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    base: Option<String>,
    #[serde(default)]
    styles: BTreeMap<String, StyleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<toml::Value>,
    bg: Option<toml::Value>,
    #[serde(default)]
    modifiers: Vec<String>,
}

fn parse_file(src: &str) -> Result<ThemeFile, String> {
    toml::from_str(src).map_err(|e| e.to_string().trim().replace('\n', " "))
}

/// Sets each named role, replacing the base style of that role entirely.
fn apply(theme: &mut Theme, styles: &BTreeMap<String, StyleSpec>) -> Result<(), String> {
    for (name, spec) in styles {
        let role = Role::from_name(name).ok_or_else(|| {
            let known: Vec<_> = Role::ALL.iter().map(|r| r.name()).collect();
            format!("unknown role {name:?}; roles: {}", known.join(", "))
        })?;
        let at = |e: String| format!("styles.{name}: {e}");
        let mut style = Style::new();
        if let Some(fg) = &spec.fg {
            style = style.fg(parse_color(fg).map_err(at)?);
        }
        if let Some(bg) = &spec.bg {
            style = style.bg(parse_color(bg).map_err(at)?);
        }
        for m in &spec.modifiers {
            style = style.add_modifier(parse_modifier(m).map_err(at)?);
        }
        theme.styles[role as usize] = style;
    }
    Ok(())
}

fn parse_color(value: &toml::Value) -> Result<Color, String> {
    match value {
        toml::Value::Integer(i) => u8::try_from(*i)
            .map(Color::Indexed)
            .map_err(|_| format!("colour index {i} is not 0-255")),
        toml::Value::String(s) => parse_color_str(s).ok_or_else(|| {
            format!("unknown colour {s:?} (ANSI name like \"light_red\", \"#rrggbb\" or 0-255)")
        }),
        other => Err(format!("colour must be a string or 0-255, not {other}")),
    }
}

fn parse_color_str(s: &str) -> Option<Color> {
    if let Some(hex) = s.strip_prefix('#') {
        let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        return (hex.len() == 6)
            .then(|| Some(Color::Rgb(channel(0)?, channel(2)?, channel(4)?)))
            .flatten();
    }
    if let Ok(i) = s.parse::<u8>() {
        return Some(Color::Indexed(i));
    }
    let name = s.to_ascii_lowercase().replace(['-', ' '], "_");
    let color = match name.as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        // ANSI 7 and 8; ratatui's `White` is bright white (15).
        "gray" | "grey" => Color::Gray,
        "dark_gray" | "dark_grey" | "bright_black" => Color::DarkGray,
        "light_red" | "bright_red" => Color::LightRed,
        "light_green" | "bright_green" => Color::LightGreen,
        "light_yellow" | "bright_yellow" => Color::LightYellow,
        "light_blue" | "bright_blue" => Color::LightBlue,
        "light_magenta" | "bright_magenta" => Color::LightMagenta,
        "light_cyan" | "bright_cyan" => Color::LightCyan,
        "white" | "bright_white" => Color::White,
        _ => return None,
    };
    Some(color)
}

fn parse_modifier(s: &str) -> Result<Modifier, String> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        "crossed_out" | "strikethrough" => Modifier::CROSSED_OUT,
        _ => {
            return Err(format!(
                "unknown modifier {s:?} (bold, dim, italic, underlined, reversed, crossed_out)"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_config_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("meshctl-theme-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("themes")).expect("temp dir");
        dir
    }

    #[test]
    fn role_order_matches_all() {
        for (i, role) in Role::ALL.iter().enumerate() {
            assert_eq!(*role as usize, i, "{role:?}");
            assert_eq!(Role::from_name(role.name()), Some(*role));
        }
    }

    #[test]
    fn builtin_list_matches_embedded_files() {
        let embedded: Vec<_> = BUILTIN.iter().map(|(n, _)| *n).collect();
        assert_eq!(Theme::builtin_names(), embedded.as_slice());
    }

    #[test]
    fn every_builtin_theme_parses_and_defines_every_role() {
        for (name, src) in BUILTIN {
            let file = parse_file(src).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(file.base.is_none(), "{name}: built-ins must be complete");
            for role in Role::ALL {
                assert!(
                    file.styles.contains_key(role.name()),
                    "theme {name} misses role {}",
                    role.name()
                );
            }
            let theme = Theme::load(name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(theme.name, name);
        }
    }

    #[test]
    fn dark_uses_only_named_ansi_colours() {
        let dark = Theme::load("dark", None).expect("dark");
        for role in Role::ALL {
            let style = dark.style(role);
            for c in [style.fg, style.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "{role:?} uses {c:?}"
                );
            }
        }
    }

    #[test]
    fn monochrome_has_no_colours() {
        let mono = Theme::load("monochrome", None).expect("monochrome");
        for role in Role::ALL {
            let style = mono.style(role);
            for c in [style.fg, style.bg].into_iter().flatten() {
                assert_eq!(c, Color::Reset, "{role:?}");
            }
        }
        assert!(mono.style(Role::Selection).add_modifier != Modifier::empty());
    }

    #[test]
    fn no_color_selects_monochrome_unless_a_theme_is_requested() {
        assert_eq!(Theme::resolve(None, true, None).0.name, "monochrome");
        assert_eq!(Theme::resolve(None, false, None).0.name, "dark");
        let (theme, warnings) = Theme::resolve(Some("light"), true, None);
        assert_eq!(theme.name, "light");
        assert!(warnings.is_empty());
    }

    #[test]
    fn unknown_theme_lists_available_and_resolve_falls_back() {
        let err = Theme::load("nope", None).expect_err("unknown");
        assert!(
            err.contains("dark") && err.contains("high-contrast"),
            "{err}"
        );
        let (theme, warnings) = Theme::resolve(Some("nope"), true, None);
        assert_eq!(theme.name, "monochrome");
        assert_eq!(warnings.len(), 1);
        assert!(Theme::load("../etc/passwd", None).is_err());
    }

    #[test]
    fn user_theme_overrides_some_roles_and_inherits_the_rest() {
        let dir = temp_config_dir("user");
        let src =
            "[styles]\nok = { fg = \"#00ff00\", modifiers = [\"bold\"] }\nerror = { fg = 196 }\n";
        std::fs::write(user_theme_path(&dir, "mine"), src).expect("write");
        std::fs::write(
            user_theme_path(&dir, "light"),
            "[styles]\ntext = { fg = \"black\" }\n",
        )
        .expect("write");
        let mine = Theme::load("mine", Some(&dir));
        let light = Theme::load("light", Some(&dir));
        let available = Theme::available(Some(&dir));
        let _ = std::fs::remove_dir_all(&dir);

        let mine = mine.expect("user theme");
        let dark = Theme::default();
        assert_eq!(mine.name, "mine");
        assert_eq!(
            mine.style(Role::Ok),
            Style::new()
                .fg(Color::Rgb(0, 255, 0))
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(
            mine.style(Role::Error),
            Style::new().fg(Color::Indexed(196))
        );
        assert_eq!(mine.style(Role::Selection), dark.style(Role::Selection));

        let light = light.expect("light override");
        let builtin_light = Theme::load("light", None).expect("light");
        assert_eq!(light.style(Role::Text), Style::new().fg(Color::Black));
        assert_eq!(light.style(Role::Header), builtin_light.style(Role::Header));
        assert!(available.contains(&"mine".to_string()));
    }

    #[test]
    fn bad_user_theme_is_an_error_naming_the_file() {
        let dir = temp_config_dir("bad");
        std::fs::write(
            user_theme_path(&dir, "bad"),
            "[styles]\nok = { fg = \"chartreuse\" }\n",
        )
        .expect("write");
        std::fs::write(
            user_theme_path(&dir, "typo"),
            "[styles]\ntxt = { fg = \"red\" }\n",
        )
        .expect("write");
        let bad = Theme::load("bad", Some(&dir));
        let typo = Theme::load("typo", Some(&dir));
        let (fallback, warnings) = Theme::resolve(Some("bad"), false, Some(&dir));
        let _ = std::fs::remove_dir_all(&dir);

        let bad = bad.expect_err("bad colour");
        assert!(
            bad.contains("bad.toml") && bad.contains("chartreuse"),
            "{bad}"
        );
        assert!(typo.expect_err("bad role").contains("unknown role \"txt\""));
        assert_eq!(fallback.name, "dark");
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn colour_and_modifier_parsing() {
        assert_eq!(parse_color_str("light-red"), Some(Color::LightRed));
        assert_eq!(parse_color_str("Dark_Grey"), Some(Color::DarkGray));
        assert_eq!(parse_color_str("#0a0B0c"), Some(Color::Rgb(10, 11, 12)));
        assert_eq!(parse_color_str("42"), Some(Color::Indexed(42)));
        assert_eq!(parse_color_str("#12345"), None);
        assert_eq!(parse_color_str("#zz0000"), None);
        assert!(parse_color(&toml::Value::Integer(256)).is_err());
        assert!(parse_modifier("blink").is_err());
    }
}
