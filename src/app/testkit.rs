//! Test helpers for reducer tests: keys typed as a user types them.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::msg::{Effect, Msg};
use crate::app::update::update;
use crate::config::Keymap;
use crate::state::AppState;
use crate::state::view_state::ViewState;

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

/// A namespace with `labels` and a resourceVersion (so writes can be prepared).
pub fn namespace(name: &str, labels: &[(&str, &str)]) -> crate::cluster::objects::NamespaceInfo {
    crate::cluster::objects::NamespaceInfo {
        name: name.into(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        phase: None,
        resource_version: Some("7".into()),
    }
}

/// A ready one-replica Deployment selecting `app=<name>`, with `labels` and a
/// resourceVersion `rv-<name>`.
pub fn workload(
    ns: &str,
    name: &str,
    labels: &[(&str, &str)],
) -> crate::cluster::objects::WorkloadInfo {
    crate::cluster::objects::WorkloadInfo {
        key: crate::cluster::objects::ObjKey::new(ns, name),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        selector: [("app".to_string(), name.to_string())].into(),
        resource_version: Some(format!("rv-{name}")),
        desired: 1,
        ready: 1,
        ..Default::default()
    }
}

/// The ops of the write effects among `fx`, in order.
pub fn write_ops(fx: &[Effect]) -> Vec<crate::state::write::WriteOp> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Write { op, .. } => Some(op.clone()),
            _ => None,
        })
        .collect()
}

/// The answer to a write effect, as the console sends it.
pub fn answer(fx: &Effect, outcome: crate::state::write::Outcome, text: &str) -> Msg {
    let Effect::Write { id, op, .. } = fx else {
        panic!("not a write effect: {fx:?}");
    };
    Msg::WriteDone(crate::state::write::WriteDone {
        id: *id,
        op: op.clone(),
        outcome,
        text: text.into(),
    })
}

/// The answer "applied" to a write effect.
pub fn applied(fx: &Effect) -> Msg {
    answer(
        fx,
        crate::state::write::Outcome::Applied,
        "applied (resourceVersion 8)",
    )
}
