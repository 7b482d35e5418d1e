//! User configuration: `<config_dir>/config.toml`, key bindings and directories.
//!
//! Loading never fails the app: a missing file means defaults, a broken one means defaults
//! plus a warning the UI shows.

pub mod hints;
pub mod keymap;
pub mod keys;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use directories::ProjectDirs;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

pub use keymap::{Binding, KeyOverrides, Keymap, Scope};
pub use keys::KeyChord;

/// Overrides the config directory (tests, portable setups).
pub const CONFIG_DIR_ENV: &str = "MESHCTL_CONFIG_DIR";
/// Overrides the data directory, like `MESHCTL_CONFIG_DIR`.
pub const DATA_DIR_ENV: &str = "MESHCTL_DATA_DIR";
pub const CONFIG_FILE: &str = "config.toml";

/// Contents of `config.toml`. Every field is optional in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Theme name (built-in or `<config_dir>/themes/<name>.toml`); `--theme` wins over it.
    pub theme: Option<String>,
    /// Hide every action that would change the cluster.
    pub read_only: bool,
    /// An unfinished rollout whose counts do not change for this long is flagged STUCK
    /// (`"5m"`, `"90s"`, `"1h 30m"`; default 5m). ProgressDeadlineExceeded flags it at once.
    pub rollout_stuck_after: Option<String>,
    /// `[certs]`: certificate severity bands.
    pub certs: CertsConfig,
    /// `[keys.global]`, `[keys.<view>]` and dialog (`[keys.dialog]`, …) tables; see
    /// `default_keymap.toml`.
    pub keys: KeyOverrides,
}

/// `[certs]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CertsConfig {
    /// Days left at which a certificate is SOON / WARNING / CRITICAL (default [30, 14, 7]).
    pub bands: Option<Vec<i64>>,
}

impl Config {
    /// The certificate bands; a bad list gives the default and a warning.
    pub fn cert_bands(&self) -> (crate::model::certs::Bands, Option<String>) {
        let default = crate::model::certs::Bands::default();
        match &self.certs.bands {
            None => (default, None),
            Some(list) => match crate::model::certs::Bands::from_list(list) {
                Ok(b) => (b, None),
                Err(e) => (default, Some(format!("[certs] {e}; using [30, 14, 7]"))),
            },
        }
    }

    /// `rollout_stuck_after` as a duration; a bad or non-positive value gives the default
    /// and a warning.
    pub fn rollout_stuck_after(&self) -> (jiff::SignedDuration, Option<String>) {
        let default = crate::state::rollout::DEFAULT_STUCK_AFTER;
        let Some(text) = &self.rollout_stuck_after else {
            return (default, None);
        };
        match text.trim().parse::<jiff::SignedDuration>() {
            Ok(d) if d.is_positive() => (d, None),
            Ok(_) => (
                default,
                Some(format!(
                    "rollout_stuck_after = {text:?} must be positive; using 5m"
                )),
            ),
            Err(e) => (
                default,
                Some(format!(
                    "rollout_stuck_after = {text:?} is not a duration like \"5m\" ({e}); using 5m"
                )),
            ),
        }
    }

    /// The default keymap with this config's `[keys.*]` applied, plus warnings for bad entries.
    pub fn keymap(&self) -> (Keymap, Vec<String>) {
        let mut keymap = Keymap::default();
        let warnings = keymap.apply_overrides(&self.keys);
        (keymap, warnings)
    }
}

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("dev", "meshctl", "meshctl-tui")
}

fn env_dir(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `$MESHCTL_CONFIG_DIR`, else the platform config dir (`~/.config/meshctl-tui` on Linux).
pub fn config_dir() -> Option<PathBuf> {
    env_dir(CONFIG_DIR_ENV).or_else(|| project_dirs().map(|d| d.config_dir().to_path_buf()))
}

/// `$MESHCTL_DATA_DIR`, else the platform data dir (`~/.local/share/meshctl-tui` on Linux).
pub fn data_dir() -> Option<PathBuf> {
    env_dir(DATA_DIR_ENV).or_else(|| project_dirs().map(|d| d.data_dir().to_path_buf()))
}

/// Loads `explicit` (e.g. `--config`) or `<config_dir>/config.toml`.
/// A missing default file is silent; a missing explicit file, an unreadable or a broken file
/// give defaults and a warning naming the file (and line, for parse errors).
pub fn load(explicit: Option<&Path>) -> (Config, Vec<String>) {
    load_from(explicit, config_dir())
}

/// `load` with the config dir passed in, so tests need no environment variables.
fn load_from(explicit: Option<&Path>, config_dir: Option<PathBuf>) -> (Config, Vec<String>) {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match config_dir {
            Some(dir) => dir.join(CONFIG_FILE),
            None => return (Config::default(), Vec::new()),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(src) => parse(&src, &path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
            (Config::default(), Vec::new())
        }
        Err(e) => (
            Config::default(),
            vec![format!(
                "{}: cannot read config ({e}); using defaults",
                path.display()
            )],
        ),
    }
}

/// Parses config text; `origin` only names the file in warnings.
pub fn parse(src: &str, origin: &Path) -> (Config, Vec<String>) {
    match toml::from_str::<Config>(src) {
        Ok(config) => {
            let warnings = unknown_fields(src)
                .into_iter()
                .map(|f| format!("{}: unknown setting {f:?} ignored", origin.display()))
                .collect();
            (config, warnings)
        }
        Err(e) => (Config::default(), vec![describe_error(&e, src, origin)]),
    }
}

/// Top-level keys `Config` does not know. A second pass with a flattened catch-all, so the
/// first pass keeps exact error positions and the known-field list cannot drift from `Config`.
fn unknown_fields(src: &str) -> Vec<String> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(flatten)]
        _known: Config,
        #[serde(flatten)]
        rest: BTreeMap<String, IgnoredAny>,
    }
    toml::from_str::<Probe>(src)
        .map(|p| p.rest.into_keys().collect())
        .unwrap_or_default()
}

/// One line: `file:line:col: message; using defaults`.
fn describe_error(e: &toml::de::Error, src: &str, origin: &Path) -> String {
    let position = e
        .span()
        .map(|span| {
            let before = &src[..span.start.min(src.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!(":{line}:{col}")
        })
        .unwrap_or_default();
    let message = e.message().trim().replace('\n', " ");
    format!(
        "{}{position}: {message}; using default settings",
        origin.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::action::{Action, ViewId};

    fn origin() -> &'static Path {
        Path::new("/tmp/meshctl/config.toml")
    }

    #[test]
    fn empty_file_is_defaults() {
        let (config, warnings) = parse("", origin());
        assert_eq!(config, Config::default());
        assert!(warnings.is_empty());
    }

    #[test]
    fn full_file_parses() {
        let src = "theme = \"light\"\nread_only = true\n[keys.global]\n\"x\" = \"quit\"\n";
        let (config, warnings) = parse(src, origin());
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(config.theme.as_deref(), Some("light"));
        assert!(config.read_only);
        let (keymap, kw) = config.keymap();
        assert!(kw.is_empty());
        let x = "x".parse::<KeyChord>().expect("key");
        assert_eq!(keymap.action_for_chord(ViewId::Mesh, x), Some(Action::Quit));
    }

    #[test]
    fn rollout_stuck_after_parses_durations_and_warns_on_bad_ones() {
        let d = |src: &str| parse(src, origin()).0.rollout_stuck_after();
        assert_eq!(d(""), (jiff::SignedDuration::from_mins(5), None));
        assert_eq!(
            d("rollout_stuck_after = \"90s\""),
            (jiff::SignedDuration::from_secs(90), None)
        );
        assert_eq!(d("rollout_stuck_after = \"2m\"").0.as_secs(), 120);
        for bad in ["\"soon\"", "\"0s\""] {
            let (v, w) = d(&format!("rollout_stuck_after = {bad}"));
            assert_eq!(v.as_secs(), 300);
            assert!(
                w.is_some_and(|w| w.contains("rollout_stuck_after")),
                "{bad}"
            );
        }
    }

    #[test]
    fn cert_bands_are_configurable_and_checked() {
        let b = |src: &str| parse(src, origin()).0.cert_bands();
        assert_eq!(b(""), (crate::model::certs::Bands::default(), None));
        let (bands, w) = b("[certs]\nbands = [60, 21, 3]\n");
        assert_eq!(
            (bands.soon, bands.warning, bands.critical, w),
            (60, 21, 3, None)
        );
        let (bands, w) = b("[certs]\nbands = [30, 14]\n");
        assert_eq!(bands, crate::model::certs::Bands::default());
        assert!(w.is_some_and(|w| w.contains("[certs]")));
        // A typo inside [certs] is a located error, not silently ignored.
        let (_, warnings) = parse("[certs]\nband = [1, 2, 3]\n", origin());
        assert!(warnings[0].contains("band"), "{warnings:?}");
    }

    #[test]
    fn broken_file_gives_defaults_and_a_located_warning() {
        let src = "theme = \"light\"\nread_only = \"yes\"\n";
        let (config, warnings) = parse(src, origin());
        assert_eq!(config, Config::default());
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("/tmp/meshctl/config.toml:2:"),
            "{}",
            warnings[0]
        );
        assert!(warnings[0].contains("bool"), "{}", warnings[0]);

        let (_, warnings) = parse("theme = [\n", origin());
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("config.toml:"), "{}", warnings[0]);
    }

    #[test]
    fn unknown_settings_warn_but_the_rest_applies() {
        let (config, warnings) = parse("read_only = true\ncolour = \"red\"\n", origin());
        assert!(config.read_only);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("\"colour\""), "{}", warnings[0]);
    }

    #[test]
    fn missing_explicit_file_warns_missing_default_does_not() {
        let dir = std::env::temp_dir().join(format!("meshctl-cfg-test-{}", std::process::id()));
        let missing = dir.join("nope.toml");
        let (config, warnings) = load_from(Some(&missing), None);
        assert_eq!(config, Config::default());
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("nope.toml"));

        let (config, warnings) = load_from(None, Some(dir));
        assert_eq!(config, Config::default());
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn load_reads_an_explicit_file() {
        let dir = std::env::temp_dir().join(format!("meshctl-cfg-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(CONFIG_FILE);
        std::fs::write(&path, "read_only = true\n").expect("write");
        let (config, warnings) = load(Some(&path));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(config.read_only);
        assert!(warnings.is_empty());
    }
}
