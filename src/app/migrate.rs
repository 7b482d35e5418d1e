//! The revision-migration screen's part of the reducer: `M` (Mesh) or `:migrate` opens it,
//! its keys edit waves and ask for a wave's confirm, and the answers of its writes drive
//! the next step (restarts after an applied label). The migration outlives the screen:
//! closing it while a wave runs does not stop the restarts that follow each label.

use crossterm::event::KeyEvent;

use crate::app::msg::Effect;
use crate::app::writes;
use crate::config::Keymap;
use crate::state::chooser::PAGE;
use crate::state::hazard;
use crate::state::migrate::{Direction, Migration, default_pair, pairs, plane_revisions};
use crate::state::modal_action::{DialogAction, MigrationAction};
use crate::state::write::{Origin, WriteDone};
use crate::state::{AppState, Level, Modal};

pub fn open(state: &mut AppState) -> Vec<Effect> {
    let available = pairs(&state.cache);
    let planes = plane_revisions(&state.cache);
    // A wave under way or done stays; otherwise a control plane that appeared (or went)
    // since the screen was set up makes it open on the pair towards the newest again.
    let keep = state.migration.as_ref().is_some_and(|m| {
        !m.steps.is_empty()
            || (available.contains(&(m.from.clone(), m.to.clone())) && m.planes == planes)
    });
    if !keep {
        let Some((from, to)) = default_pair(&state.cache) else {
            state.flash(
                "no revision migration possible: it needs namespaces labelled istio.io/rev=<rev> and \
                 a control plane of another revision (install the new one first, e.g. `az aks mesh \
                 upgrade start`)",
                Level::Warn,
            );
            return vec![];
        };
        state.migration = Some(Box::new(Migration::new(&state.cache, &from, &to)));
    }
    if !state.modals.iter().any(|m| matches!(m, Modal::Migrate)) {
        state.modals.push(Modal::Migrate);
    }
    vec![]
}

/// Keys while the screen is on top: `[keys.migration]`, and `[keys.dialog]` for a wave's
/// confirm.
pub fn key(state: &mut AppState, keymap: &Keymap, key: KeyEvent) -> Vec<Effect> {
    let Some(mut m) = state.migration.take() else {
        state.modals.pop();
        return vec![];
    };
    let effects = if m.confirm.is_some() {
        confirm_action(state, keymap, &mut m, keymap.modal(&key))
    } else {
        if let Some(action) = keymap.modal(&key) {
            screen_action(state, &mut m, action);
        }
        vec![]
    };
    state.migration = Some(m);
    effects
}

fn confirm_action(
    state: &mut AppState,
    keymap: &Keymap,
    m: &mut Migration,
    action: Option<DialogAction>,
) -> Vec<Effect> {
    let Some(c) = &mut m.confirm else {
        return vec![];
    };
    match action {
        Some(DialogAction::SwitchFocus) => {
            c.ok_focused = !c.ok_focused;
            hazard::disarm(&mut c.hazard);
        }
        Some(DialogAction::ScrollDown) => c.scroll = c.scroll.saturating_add(1),
        Some(DialogAction::ScrollUp) => c.scroll = c.scroll.saturating_sub(1),
        Some(DialogAction::PageDown) => c.scroll = c.scroll.saturating_add(PAGE),
        Some(DialogAction::PageUp) => c.scroll = c.scroll.saturating_sub(PAGE),
        Some(DialogAction::Choose) if c.ok_focused => {
            if !hazard::confirm_pressed(&mut c.hazard) {
                state.flash(crate::config::hints::armed(keymap), Level::Warn);
                return vec![];
            }
            let c = m.confirm.take().expect("confirm is open");
            // The reducer refuses, not only the keys: no write effect in read-only.
            if writes::refused(state) {
                return vec![];
            }
            state.flash(
                format!(
                    "{}: label writes sent; restarts follow each applied label",
                    c.title.trim_end_matches('?')
                ),
                Level::Info,
            );
            return writes::issue(state, Origin::MigrationWave, m.start(&c));
        }
        Some(DialogAction::Choose | DialogAction::Cancel) => {
            m.confirm = None;
            state.flash("cancelled; nothing was written", Level::Info);
        }
        None => {}
    }
    vec![]
}

fn screen_action(state: &mut AppState, m: &mut Migration, action: MigrationAction) {
    match action {
        MigrationAction::Down => m.move_cursor(true),
        MigrationAction::Up => m.move_cursor(false),
        MigrationAction::LaterWave => m.shift_wave(true),
        MigrationAction::EarlierWave => m.shift_wave(false),
        MigrationAction::Toggle => m.toggle(),
        MigrationAction::NextWave => ask(state, m, Direction::Forward),
        MigrationAction::Rollback => ask(state, m, Direction::Rollback),
        MigrationAction::OtherPair => other_pair(state, m),
        MigrationAction::Close => state.modals.retain(|x| !matches!(x, Modal::Migrate)),
    }
}

fn ask(state: &mut AppState, m: &mut Migration, direction: Direction) {
    if writes::refused(state) {
        return;
    }
    let set = match direction {
        Direction::Forward => m.next_wave(&state.cache),
        Direction::Rollback => m.rollback_set(&state.cache),
    };
    let Some((wave, names)) = set else {
        let why = match direction {
            Direction::Forward => format!("no wave left: every included namespace is on {}", m.to),
            Direction::Rollback => format!(
                "nothing to roll back in the selected row's wave: none of its namespaces is on {}",
                m.to
            ),
        };
        state.flash(why, Level::Info);
        return;
    };
    match m.plan(&state.cache, &state.conn.context, direction, wave, &names) {
        Ok(c) => m.confirm = Some(c),
        Err(e) => state.flash(e, Level::Warn),
    }
}

/// `p`: the next (from, to) pair, when nothing is under way.
fn other_pair(state: &mut AppState, m: &mut Migration) {
    if m.steps.values().any(|s| {
        matches!(
            s,
            crate::state::migrate::Step::Relabeling(_)
                | crate::state::migrate::Step::Restarting { .. }
        )
    }) {
        state.flash(
            "a wave is running: switch pairs when it has finished",
            Level::Warn,
        );
        return;
    }
    let all = pairs(&state.cache);
    let at = all
        .iter()
        .position(|p| p.0 == m.from && p.1 == m.to)
        .map_or(0, |i| (i + 1) % all.len().max(1));
    if let Some((from, to)) = all.get(at) {
        *m = Migration::new(&state.cache, from, to);
    }
}

/// The answer of a write: if the migration started it, the next writes (restarts after an
/// applied label), and the message. None when it is not the migration's.
pub fn on_write_done(state: &mut AppState, done: &WriteDone) -> Option<Vec<Effect>> {
    let op = &done.op;
    let result = done.result();
    let result = &result;
    let m = state.migration.as_mut()?;
    let next = m.on_write_done(&state.cache, op, result)?;
    let last = m.log.last().cloned().unwrap_or_default();
    let level = if result.is_err() {
        Level::Error
    } else {
        Level::Info
    };
    match result {
        Err(e) => state.flash(
            format!("migration: {} {} failed: {e}", op.verb(), op.object()),
            level,
        ),
        Ok(_) => state.flash(format!("migration: {last}"), level),
    }
    Some(writes::issue(state, Origin::MigrationWave, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testkit::press;
    use crate::cluster::objects::{NamespaceInfo, ObjKey, WorkloadInfo, WorkloadKind};
    use crate::config::Keymap;
    use crate::state::ConnInfo;
    use crate::state::action::ViewId;
    use crate::state::view_state::ViewState;
    use std::collections::BTreeMap;

    fn world(read_only: bool) -> (AppState, ViewState, Keymap) {
        let mut s = AppState::new(
            ConnInfo::default(),
            None,
            read_only,
            jiff::Timestamp::UNIX_EPOCH,
        );
        for rev in ["asm-1-22", "asm-1-23"] {
            let w = WorkloadInfo {
                kind: WorkloadKind::Deployment,
                key: ObjKey::new("aks-istio-system", format!("istiod-{rev}")),
                labels: BTreeMap::from([
                    ("app".into(), "istiod".into()),
                    ("istio.io/rev".into(), rev.into()),
                ]),
                desired: 1,
                ready: 1,
                ..Default::default()
            };
            s.cache.control_planes.insert(w.key.clone(), w);
        }
        s.cache.namespaces.insert(
            "shop".into(),
            NamespaceInfo {
                name: "shop".into(),
                labels: BTreeMap::from([("istio.io/rev".into(), "asm-1-22".into())]),
                phase: None,
                resource_version: Some("5".into()),
            },
        );
        s.view = ViewId::Mesh;
        (s, ViewState::default(), Keymap::default())
    }

    #[test]
    fn m_opens_the_screen_and_only_a_confirmed_wave_writes() {
        let (mut s, mut ui, km) = world(false);
        assert_eq!(press(&mut s, &mut ui, &km, "M"), vec![]);
        assert!(matches!(s.modals.last(), Some(Modal::Migrate)));
        assert_eq!(press(&mut s, &mut ui, &km, "w"), vec![]);
        assert!(s.migration.as_ref().unwrap().confirm.is_some());
        // Enter on Cancel: nothing.
        assert_eq!(press(&mut s, &mut ui, &km, "\n"), vec![]);
        assert!(s.migration.as_ref().unwrap().confirm.is_none());
        let fx = press(&mut s, &mut ui, &km, "w\t\n");
        assert_eq!(
            crate::app::testkit::write_ops(&fx),
            vec![crate::state::write::WriteOp::SetNamespaceLabels {
                namespace: "shop".into(),
                resource_version: "5".into(),
                set: vec![("istio.io/rev".into(), "asm-1-23".into())],
                remove: vec![],
            }]
        );
        // Esc closes the screen; the migration and its steps stay.
        press(&mut s, &mut ui, &km, "\x1b");
        assert!(s.modals.is_empty());
        assert!(s.migration.as_ref().unwrap().steps.contains_key("shop"));
    }

    #[test]
    fn a_wave_to_a_not_ready_control_plane_needs_a_second_enter() {
        let (mut s, mut ui, km) = world(false);
        s.cache
            .control_planes
            .get_mut(&ObjKey::new("aks-istio-system", "istiod-asm-1-23"))
            .unwrap()
            .ready = 0;
        press(&mut s, &mut ui, &km, "M");
        press(&mut s, &mut ui, &km, "w");
        let c = s.migration.as_ref().unwrap().confirm.clone().unwrap();
        assert!(c.hazard.unwrap().lines[0].contains("NOT READY"));
        // Tab to Confirm, Enter: armed, no write, a message says why.
        assert_eq!(
            press(
                &mut s, &mut ui, &km, "	
"
            ),
            vec![]
        );
        assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.contains("press enter again")));
        let m = s.migration.as_ref().unwrap();
        assert!(m.confirm.as_ref().unwrap().hazard.as_ref().unwrap().armed);
        // Moving the focus disarms: Tab Tab Enter arms again, writes nothing.
        assert_eq!(
            press(
                &mut s, &mut ui, &km, "		
"
            ),
            vec![]
        );
        // The deliberate second Enter writes.
        assert_eq!(
            press(
                &mut s, &mut ui, &km, "
"
            )
            .len(),
            1
        );
        assert!(s.migration.as_ref().unwrap().confirm.is_none());
    }

    #[test]
    fn reopening_after_a_newer_control_plane_appeared_goes_towards_it() {
        let (mut s, mut ui, km) = world(false);
        press(&mut s, &mut ui, &km, "M");
        let m = s.migration.as_ref().unwrap();
        assert_eq!((m.from.as_str(), m.to.as_str()), ("asm-1-22", "asm-1-23"));
        let mut w = s.cache.control_planes.values().next().unwrap().clone();
        w.key = ObjKey::new("aks-istio-system", "istiod-asm-1-24");
        w.labels.insert("istio.io/rev".into(), "asm-1-24".into());
        w.created = Some("2026-11-30T00:00:00Z".parse().unwrap());
        w.ready = 0;
        s.cache.control_planes.insert(w.key.clone(), w);
        press(&mut s, &mut ui, &km, "M");
        let m = s.migration.as_ref().unwrap();
        assert_eq!((m.from.as_str(), m.to.as_str()), ("asm-1-22", "asm-1-24"));
        // A pair picked with p is kept on reopening while the control planes stay.
        press(&mut s, &mut ui, &km, "pM");
        let m = s.migration.as_ref().unwrap();
        assert_ne!(m.to.as_str(), "asm-1-24");
    }

    #[test]
    fn read_only_refuses_the_confirm_and_the_write() {
        let (mut s, mut ui, km) = world(true);
        press(&mut s, &mut ui, &km, "M");
        assert_eq!(press(&mut s, &mut ui, &km, "w"), vec![]);
        assert!(s.migration.as_ref().unwrap().confirm.is_none());
        assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.contains("read-only")));
    }

    #[test]
    fn without_a_second_control_plane_it_explains() {
        let (mut s, mut ui, km) = world(false);
        s.cache
            .control_planes
            .retain(|k, _| k.name == "istiod-asm-1-22");
        press(&mut s, &mut ui, &km, "M");
        assert!(s.modals.is_empty());
        assert!(
            matches!(&s.flash, Some((m, Level::Warn)) if m.contains("no revision migration possible"))
        );
    }
}
