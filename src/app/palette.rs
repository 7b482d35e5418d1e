//! The `:` command language (k9s habit) and its completion.

use crossterm::event::KeyEvent;

use crate::app::input::{edit, full};
use crate::app::msg::Effect;
use crate::app::navigate::show;
use crate::app::scope::{new_generation, set_namespace};
use crate::cluster::kinds::Kind;
use crate::state::action::ViewId;
use crate::state::modal_action::PaletteAction;
use crate::state::{AppState, Level, Modal};

/// A parsed palette command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Show(ViewId),
    /// `:ns name`, `:ns all` / `:ns -A` (None), `:ns` alone lists namespaces.
    Namespace(Option<Option<String>>),
    /// `:ctx name`; `:ctx` alone lists contexts.
    Context(Option<String>),
    Help,
    Quit,
    /// `:audit`: the audit log overlay.
    Audit,
    /// `:migrate`: the revision-migration screen.
    Migrate,
}

pub const VERBS: [&str; 7] = ["ns", "ctx", "audit", "migrate", "help", "quit", "q"];

pub fn parse(input: &str) -> Result<Command, String> {
    let mut words = input.split_whitespace();
    let Some(verb) = words.next() else {
        return Err("empty command".into());
    };
    let arg = words.next().map(String::from);
    if words.next().is_some() {
        return Err(format!("too many words in {input:?}"));
    }
    let verb_l = verb.to_lowercase();
    if let Some(v) = ViewId::ALL
        .iter()
        .find(|v| v.commands().contains(&verb_l.as_str()))
    {
        return Ok(Command::Show(*v));
    }
    match verb_l.as_str() {
        "ns" | "namespace" | "namespaces" => {
            Ok(Command::Namespace(arg.map(|a| match a.as_str() {
                "all" | "-A" | "*" => None,
                _ => Some(a),
            })))
        }
        "ctx" | "context" | "contexts" => Ok(Command::Context(arg)),
        "help" | "?" => Ok(Command::Help),
        "audit" | "audit-log" => Ok(Command::Audit),
        "migrate" | "migration" => Ok(Command::Migrate),
        "q" | "quit" | "q!" | "exit" => Ok(Command::Quit),
        _ => Err(format!(
            "unknown command :{verb} (try :gw :routes :fe :mesh :certs :ns :ctx :audit :migrate :q)"
        )),
    }
}

/// Candidates for what is typed so far.
pub fn candidates(input: &str, namespaces: &[&str], contexts: &[String]) -> Vec<String> {
    let (verb, rest) = match input.split_once(' ') {
        Some((v, r)) => (v, Some(r.trim_start())),
        None => (input, None),
    };
    match rest {
        None => {
            let mut all: Vec<String> = ViewId::ALL
                .iter()
                .flat_map(|v| v.commands().iter().map(|c| c.to_string()))
                .collect();
            all.extend(VERBS.iter().map(|s| s.to_string()));
            all.retain(|c| c.starts_with(&verb.to_lowercase()));
            all.dedup();
            all
        }
        Some(arg) => {
            let pool: Vec<String> = match verb {
                "ns" | "namespace" => std::iter::once("all".to_string())
                    .chain(namespaces.iter().map(|s| s.to_string()))
                    .collect(),
                "ctx" | "context" => contexts.to_vec(),
                _ => vec![],
            };
            pool.into_iter()
                .filter(|c| c.starts_with(arg))
                .map(|c| format!("{verb} {c}"))
                .collect()
        }
    }
}

/// Tab: the longest common prefix of the candidates (the whole one when it is unique).
pub fn complete(input: &str, cands: &[String]) -> String {
    let Some(first) = cands.first() else {
        return input.to_string();
    };
    let mut prefix = first.clone();
    for c in &cands[1..] {
        let common = prefix
            .chars()
            .zip(c.chars())
            .take_while(|(a, b)| a == b)
            .count();
        prefix = prefix.chars().take(common).collect();
    }
    if cands.len() == 1 && !prefix.contains(' ') && (prefix == "ns" || prefix == "ctx") {
        prefix.push(' ');
    }
    if prefix.len() >= input.len() {
        prefix
    } else {
        input.to_string()
    }
}

/// An action of `[keys.palette]`, or else a key that edits the command's text.
pub(super) fn palette_key(
    state: &mut AppState,
    action: Option<PaletteAction>,
    key: KeyEvent,
) -> Vec<Effect> {
    let Some(Modal::Palette(input)) = state.modals.last_mut() else {
        return vec![];
    };
    match action {
        Some(PaletteAction::Cancel) => {
            state.modals.pop();
        }
        Some(PaletteAction::Run) => {
            let text = input.text.trim().to_string();
            state.modals.pop();
            if text.is_empty() {
                return vec![];
            }
            return run_command(state, &text);
        }
        Some(PaletteAction::Complete) => {
            let cands = palette_candidates(state);
            if let Some(Modal::Palette(input)) = state.modals.last_mut() {
                let done = complete(&input.text, &cands);
                input.set(&done);
            }
        }
        None => {
            if !edit(input, key) {
                state.flash(full("a command"), Level::Warn);
            }
        }
    }
    vec![]
}

pub fn palette_candidates(state: &AppState) -> Vec<String> {
    let Some(Modal::Palette(input)) = state.modals.last() else {
        return vec![];
    };
    let ns: Vec<&str> = state.cache.namespaces.keys().map(String::as_str).collect();
    candidates(&input.text, &ns, &state.conn.contexts)
}

pub(super) fn run_command(state: &mut AppState, text: &str) -> Vec<Effect> {
    match parse(text) {
        Err(e) => {
            state.flash(e, Level::Error);
            vec![]
        }
        Ok(Command::Show(v)) => {
            show(state, v);
            vec![]
        }
        Ok(Command::Audit) => crate::app::audit_view::open(state),
        Ok(Command::Migrate) => crate::app::migrate::open(state),
        Ok(Command::Help) => {
            state.modals.push(Modal::Help { scroll: 0 });
            vec![]
        }
        Ok(Command::Quit) => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Ok(Command::Namespace(None)) => {
            let names: Vec<&str> = state
                .cache
                .namespaces
                .keys()
                .map(String::as_str)
                .take(12)
                .collect();
            state.flash(
                format!(
                    "namespaces: {} … (type :ns <name> or :ns all; Tab completes)",
                    names.join(" ")
                ),
                Level::Info,
            );
            vec![]
        }
        Ok(Command::Namespace(Some(ns))) => {
            if let Some(n) = &ns
                && state.is_live(Kind::Namespaces)
                && !state.cache.namespaces.contains_key(n)
            {
                state.flash(format!("namespace {n:?} not found"), Level::Error);
                return vec![];
            }
            set_namespace(state, ns)
        }
        Ok(Command::Context(None)) => {
            let list = if state.conn.contexts.is_empty() {
                "(none)".to_string()
            } else {
                state.conn.contexts.join(" ")
            };
            state.flash(
                format!("contexts: {list} (current: {})", state.conn.context),
                Level::Info,
            );
            vec![]
        }
        Ok(Command::Context(Some(ctx))) => {
            if !state.conn.contexts.contains(&ctx) {
                state.flash(format!("context {ctx:?} not in kubeconfig"), Level::Error);
                return vec![];
            }
            let generation = new_generation(state);
            state.conn.error = None;
            state.flash(format!("connecting to {ctx}…"), Level::Info);
            vec![Effect::Connect {
                context: Some(ctx),
                generation,
            }]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_views_and_aliases() {
        assert_eq!(parse("gw"), Ok(Command::Show(ViewId::Gateways)));
        assert_eq!(parse("gateways"), Ok(Command::Show(ViewId::Gateways)));
        assert_eq!(parse("fe"), Ok(Command::Show(ViewId::Frontends)));
        assert_eq!(parse(" mesh "), Ok(Command::Show(ViewId::Mesh)));
        assert_eq!(parse("certs"), Ok(Command::Show(ViewId::Certs)));
        assert_eq!(parse("routes"), Ok(Command::Show(ViewId::Routes)));
    }

    #[test]
    fn parses_ns_ctx_quit() {
        assert_eq!(
            parse("ns bookinfo"),
            Ok(Command::Namespace(Some(Some("bookinfo".into()))))
        );
        assert_eq!(parse("ns all"), Ok(Command::Namespace(Some(None))));
        assert_eq!(parse("ns -A"), Ok(Command::Namespace(Some(None))));
        assert_eq!(parse("ns"), Ok(Command::Namespace(None)));
        assert_eq!(parse("ctx prod"), Ok(Command::Context(Some("prod".into()))));
        assert_eq!(parse("q"), Ok(Command::Quit));
        assert_eq!(parse("audit"), Ok(Command::Audit));
        assert!(parse("frobnicate").unwrap_err().contains("unknown command"));
        assert!(parse("ns a b").is_err());
    }

    #[test]
    fn completes_commands_and_arguments() {
        let c = candidates("ga", &[], &[]);
        assert_eq!(c, vec!["gateways", "gateway"]);
        assert_eq!(complete("ga", &c), "gateway");
        let c = candidates("ns bo", &["bookinfo", "bookstore", "shop"], &[]);
        assert_eq!(complete("ns bo", &c), "ns book");
        let c = candidates("ns sh", &["bookinfo", "shop"], &[]);
        assert_eq!(complete("ns sh", &c), "ns shop");
        let c = candidates("ctx ", &[], &["aks-prod".into(), "kind".into()]);
        assert_eq!(c, vec!["ctx aks-prod", "ctx kind"]);
        assert_eq!(complete("zz", &candidates("zz", &[], &[])), "zz");
    }
}
