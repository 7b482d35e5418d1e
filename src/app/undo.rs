//! `U`: revert this session's last applied write, after a confirm (Cancel focused).

use crate::app::msg::Effect;
use crate::cluster::write::undo::Undoable;
use crate::state::write::{Confirm, WriteOp};
use crate::state::{AppState, Level, Modal};

/// Opens the undo confirm, or says why there is nothing to undo.
pub fn request(state: &mut AppState) -> Vec<Effect> {
    if crate::app::writes::refused(state) {
        return vec![];
    }
    let Some(u) = state.undo.clone() else {
        state.flash(
            "nothing to undo: no change was applied in this session",
            Level::Info,
        );
        return vec![];
    };
    if u.context != state.conn.context {
        state.flash(
            format!(
                "the last change went to context {}; switch back (:ctx {}) to undo it",
                u.context, u.context
            ),
            Level::Warn,
        );
        return vec![];
    }
    let confirm = Confirm::new(WriteOp::Undo(u), &state.conn.context);
    state.modals.push(Modal::Confirm(Box::new(confirm)));
    vec![]
}

/// A write was applied: it is now the one `U` reverts.
pub fn undoable(state: &mut AppState, u: Box<Undoable>) {
    state.undo = Some(u);
}

/// An applied undo is used up (no redo); a refused one stays, so `U` explains again.
pub fn written(state: &mut AppState, op: &WriteOp, ok: bool) {
    if let (WriteOp::Undo(u), true) = (op, ok)
        && state.undo.as_ref().is_some_and(|cur| cur == u)
    {
        state.undo = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::write::{DryRun, Target, WriteOutcome, WriteReport, rollout_restart};
    use crate::state::ConnInfo;
    use serde_json::json;

    fn state(read_only: bool) -> AppState {
        let conn = ConnInfo {
            context: "prod".into(),
            ..Default::default()
        };
        AppState::new(conn, None, read_only, jiff::Timestamp::UNIX_EPOCH)
    }

    fn restart_undo(context: &str) -> Box<Undoable> {
        let req = rollout_restart(
            Target::deployment("shop", "cart"),
            "10",
            jiff::Timestamp::UNIX_EPOCH,
        );
        let before = json!({"metadata": {"resourceVersion": "10"},
            "spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"}}}}});
        let mut after = before.clone();
        after["metadata"]["resourceVersion"] = json!("11");
        let report = WriteReport {
            dry_run: DryRun::Passed,
            outcome: Some(WriteOutcome::Applied {
                resource_version: "11".into(),
                object: after,
            }),
        };
        Box::new(Undoable::of(context, &req, Some(before), &report).unwrap())
    }

    #[test]
    fn nothing_written_this_session_means_nothing_to_undo() {
        let mut s = state(false);
        assert_eq!(request(&mut s), vec![]);
        assert!(s.modals.is_empty());
        assert!(matches!(&s.flash, Some((m, _)) if m.starts_with("nothing to undo")));
    }

    #[test]
    fn read_only_refuses_in_the_reducer() {
        let mut s = state(true);
        undoable(&mut s, restart_undo("prod"));
        assert_eq!(request(&mut s), vec![]);
        assert!(s.modals.is_empty());
        assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.starts_with("read-only mode")));
    }

    #[test]
    fn undo_confirms_with_the_inverse_patch_and_is_used_up_when_applied() {
        let mut s = state(false);
        undoable(&mut s, restart_undo("prod"));
        assert_eq!(request(&mut s), vec![]);
        let Some(Modal::Confirm(c)) = s.modals.last() else {
            panic!("confirm expected")
        };
        assert!(!c.ok_focused, "Cancel focused first");
        let body = c.body.join("\n");
        for want in [
            "context:   prod",
            "object:    Deployment shop/cart",
            "namespace: shop",
            "reverts:   rollout restart Deployment shop/cart",
            "\"resourceVersion\": \"11\"",
            "\"kubectl.kubernetes.io/restartedAt\": \"2025-01-01T00:00:00Z\"",
            "starts a new rollout",
        ] {
            assert!(body.contains(want), "{want:?} missing in\n{body}");
        }
        let op = c.op.clone();
        // A refused undo stays available; an applied one is used up.
        written(&mut s, &op, false);
        assert!(s.undo.is_some());
        written(&mut s, &op, true);
        assert!(s.undo.is_none());
    }

    #[test]
    fn a_later_write_replaces_the_undo_and_another_context_is_refused() {
        let mut s = state(false);
        undoable(&mut s, restart_undo("prod"));
        let stale = WriteOp::Undo(restart_undo("prod"));
        undoable(&mut s, restart_undo("staging"));
        // The older undo finishing does not drop the newer one.
        written(&mut s, &stale, true);
        assert!(s.undo.as_ref().is_some_and(|u| u.context == "staging"));
        assert_eq!(request(&mut s), vec![]);
        assert!(s.modals.is_empty());
        assert!(matches!(&s.flash, Some((m, _)) if m.contains(":ctx staging")));
    }

    #[test]
    fn u_then_tab_enter_writes_the_undo_and_read_only_confirm_writes_nothing() {
        use crate::app::msg::Msg;
        use crate::app::update::update;
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let km = crate::config::Keymap::default();
        let mut ui = crate::state::view_state::ViewState::default();
        let k = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
        let mut s = state(false);
        update(&mut s, &mut ui, &km, Msg::Undoable(restart_undo("prod")));
        assert_eq!(update(&mut s, &mut ui, &km, k(KeyCode::Char('U'))), vec![]);
        assert_eq!(
            update(&mut s, &mut ui, &km, k(KeyCode::Enter)),
            vec![],
            "Cancel"
        );
        assert!(s.modals.is_empty() && s.undo.is_some());
        update(&mut s, &mut ui, &km, k(KeyCode::Char('U')));
        update(&mut s, &mut ui, &km, k(KeyCode::Tab));
        let fx = update(&mut s, &mut ui, &km, k(KeyCode::Enter));
        assert_eq!(
            crate::app::testkit::write_ops(&fx),
            vec![WriteOp::Undo(restart_undo("prod"))]
        );
        // The same dialog in read-only mode (e.g. opened before a config reload): no write.
        let mut s = state(true);
        let mut c = Confirm::new(WriteOp::Undo(restart_undo("prod")), "prod");
        c.ok_focused = true;
        s.modals.push(Modal::Confirm(Box::new(c)));
        assert_eq!(update(&mut s, &mut ui, &km, k(KeyCode::Enter)), vec![]);
    }
}
