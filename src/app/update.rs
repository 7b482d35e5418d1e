//! The reducer: `update(state, view, keymap, msg) -> effects`. Pure state transitions; the
//! loop performs the effects.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::msg::{Effect, Msg, Signal};
use crate::app::palette::{self, Command};
use crate::app::restart::selectable_workloads;
use crate::app::weights;
use crate::cluster::kinds::{Kind, WatchState};
use crate::cluster::watch::{WatchEvent, WatchMsg};
use crate::config::Keymap;
use crate::model::tree::Node;
use crate::state::action::{Action, ViewId};
use crate::state::input::TextInput;
use crate::state::modal_action::{DialogAction, FilterAction, PaletteAction};
use crate::state::view_state::ViewState;
use crate::state::{AppState, Detail, Level, Modal};

pub fn update(state: &mut AppState, ui: &mut ViewState, keymap: &Keymap, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(state, ui, keymap, key),
        Msg::Paste(text) => {
            on_paste(state, &text);
            vec![]
        }
        Msg::Signal(s) => on_signal(state, s),
        Msg::Resize => vec![],
        Msg::Tick(now) => {
            // Days left and bands move with the clock (the tick comes once a minute).
            if state.view == ViewId::Certs {
                state.stale = true;
            }
            // Certificate findings count days: re-judge them when the (UTC) day changes.
            let day = |t: jiff::Timestamp| t.as_second().div_euclid(86_400);
            if day(now) != day(state.now) {
                state.diagnostics.stale = true;
            }
            state.now = now;
            vec![]
        }
        Msg::Watch(w) => {
            on_watch(state, w);
            vec![]
        }
        Msg::Silence { generation } => crate::app::health::on_silence(state, generation),
        Msg::Probed { generation, result } => {
            crate::app::health::on_probed(state, generation, result)
        }
        Msg::Undoable(u) => {
            crate::app::undo::undoable(state, u);
            vec![]
        }
        Msg::AuditLoaded(rows) => {
            crate::app::audit_view::loaded(state, rows);
            vec![]
        }
        Msg::WriteDone(done) => crate::app::completions::done(state, done),
        Msg::Connected { generation, result } => {
            if generation != state.generation {
                return vec![];
            }
            match result {
                Ok(conn) => {
                    state.flash(format!("switched to context {}", conn.context), Level::Info);
                    state.conn = conn;
                }
                Err(e) => {
                    state.flash(e.clone(), Level::Error);
                    state.conn.error = Some(e);
                }
            }
            vec![]
        }
    }
}

fn on_watch(state: &mut AppState, w: WatchMsg) {
    if w.generation != state.generation {
        return; // from watchers of a previous context or namespace scope
    }
    state.rollouts.on_watch(w.kind, &w.event, state.now);
    if !matches!(w.event, WatchEvent::State(_)) {
        crate::app::health::on_data(state);
    }
    match w.event {
        WatchEvent::Reset(objs) => state.cache.reset(w.kind, objs),
        WatchEvent::Apply(o) => state.cache.apply(*o),
        WatchEvent::Delete(key) => state.cache.delete(w.kind, &key),
        WatchEvent::State(s) => {
            if s == WatchState::Live {
                state.ever_live.insert(w.kind);
            }
            state.watch.insert(w.kind, s);
            state.note_staleness();
        }
    }
    if matches!(
        w.kind,
        Kind::HttpRoutes | Kind::GrpcRoutes | Kind::VirtualServices
    ) {
        weights::on_route_change(state);
    }
    crate::state::diagnostics::on_watch(state, w.kind);
    // Pod churn must not re-derive the Routes table, and so on.
    state.stale |= crate::state::derived::inputs(state.view).contains(&w.kind);
}

/// Restarts the world for a new context or namespace scope.
fn new_generation(state: &mut AppState) -> u64 {
    state.generation += 1;
    state.cache = Default::default();
    state.ever_live.clear();
    state.probe_failed = None;
    state.stale_since = None;
    for s in state.watch.values_mut() {
        *s = WatchState::Syncing;
    }
    state.details.clear();
    state.stale = true;
    state.diagnostics.stale = true;
    state.generation
}

fn set_namespace(state: &mut AppState, ns: Option<String>) -> Vec<Effect> {
    if ns == state.namespace {
        return vec![];
    }
    if state.namespace.is_some() {
        state.last_namespace = state.namespace.clone();
    }
    state.namespace = ns;
    let generation = new_generation(state);
    state.flash(
        format!("namespace: {}", state.namespace.as_deref().unwrap_or("all")),
        Level::Info,
    );
    vec![Effect::Rewatch { generation }]
}

fn on_key(state: &mut AppState, ui: &mut ViewState, keymap: &Keymap, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return vec![];
    }
    // Suspending keeps everything as it is, so it works under any modal (a ctrl key is
    // never text).
    if key.modifiers.contains(KeyModifiers::CONTROL)
        && keymap.action(state.view, &key) == Some(Action::Suspend)
    {
        return vec![Effect::Suspend];
    }
    // Keys act on the rows as they are now, not as last drawn: keys queued behind a filter
    // change (typed fast) must not pick a row of the unfiltered list. A no-op unless
    // something changed. Typing into a text input does not act on rows, so it does not
    // re-derive them per key: the loop derives once per frame, whatever the typing speed.
    if !typing_into_input(state) {
        state.refresh();
    }
    state.flash = None;
    // Dialogs take the actions of their own `[keys.<section>]`; inputs edit text with the
    // keys those sections leave unbound.
    match state.modals.last_mut() {
        Some(Modal::Palette(_)) => return palette_key(state, keymap.modal(&key), key),
        Some(Modal::Filter(_)) => {
            filter_key(state, keymap.modal(&key), key);
            return vec![];
        }
        Some(Modal::Confirm(_)) => return confirm_key(state, keymap.modal(&key)),
        Some(Modal::Weights(_)) => return weights::key(state, keymap, key),
        Some(Modal::Migrate) => return crate::app::migrate::key(state, keymap, key),
        Some(Modal::Audit(_)) => {
            return match crate::app::audit_view::key(state, ui, keymap, key) {
                Ok(effects) => effects,
                Err(action) => act(state, ui, action),
            };
        }
        Some(Modal::Chooser(_)) => {
            return crate::app::inject::chooser_key(state, keymap.modal(&key));
        }
        Some(Modal::Plan(_)) => return crate::app::inject::plan_key(state, keymap.modal(&key)),
        Some(Modal::Notice(_)) => {
            // Any key dismisses it; the key itself is not acted on.
            state.modals.pop();
            return vec![];
        }
        Some(Modal::Help { scroll }) => {
            match keymap.action(state.view, &key) {
                Some(Action::Down) => *scroll = scroll.saturating_add(1),
                Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                Some(Action::Quit) if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    state.quit = true;
                    return vec![Effect::Quit];
                }
                Some(Action::Back | Action::Help | Action::Quit) => {
                    state.modals.pop();
                }
                _ => {}
            }
            return vec![];
        }
        None => {}
    }
    match keymap.action(state.view, &key) {
        Some(a) => act(state, ui, a),
        None => vec![],
    }
}

/// Applies one action outside any modal. Public so tests and the palette can drive it.
pub fn act(state: &mut AppState, ui: &mut ViewState, action: Action) -> Vec<Effect> {
    let view = state.view;
    let in_detail = state.detail().is_some();
    match action {
        Action::Quit => {
            state.quit = true;
            return vec![Effect::Quit];
        }
        Action::Suspend => return vec![Effect::Suspend],
        Action::Help => state.modals.push(Modal::Help { scroll: 0 }),
        Action::CommandPalette => state.modals.push(Modal::Palette(TextInput::default())),
        Action::Filter => state
            .modals
            .push(Modal::Filter(TextInput::with(state.filter(view)))),
        Action::Back => {
            // Close the drill-in first; a second esc clears the filter.
            if state.details.remove(&view).is_some() || state.filters.remove(&view).is_some() {
                state.stale = true;
            }
        }
        Action::ShowGateways => show(state, ViewId::Gateways),
        Action::ShowRoutes => show(state, ViewId::Routes),
        Action::ShowFrontends => show(state, ViewId::Frontends),
        Action::ShowMesh => show(state, ViewId::Mesh),
        Action::ShowCerts => show(state, ViewId::Certs),
        Action::ShowDiagnostics => show(state, ViewId::Diagnostics),
        Action::FixFinding => return crate::app::diagnostics::fix(state, ui),
        Action::ToggleAllNamespaces => {
            let next = if state.namespace.is_some() {
                None
            } else {
                state.last_namespace.clone()
            };
            if next.is_none() && state.namespace.is_none() {
                state.flash(
                    "showing all namespaces; pick one with :ns <name>",
                    Level::Info,
                );
                return vec![];
            }
            return set_namespace(state, next);
        }
        Action::RolloutRestart => return crate::app::restart::rollout_restart(state, ui),
        Action::EditWeights => return weights::open(state, ui),
        Action::Migrate => return crate::app::migrate::open(state),
        Action::Undo => return crate::app::undo::request(state),
        Action::ShowAudit => return crate::app::audit_view::open(state),
        Action::ToggleInjection => return crate::app::inject::open_injection(state, ui),
        Action::WorkloadInjection => return crate::app::inject::open_workload(state, ui),
        Action::BulkRestart => return crate::app::inject::open_bulk(state, ui),
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom
            if matches!(state.detail(), Some(Detail::Namespace(_))) =>
        {
            let last = selectable_workloads(state).len().saturating_sub(1);
            let page = usize::from(ui.page.max(1));
            let c = ui.detail_cursor.entry(view).or_default();
            *c = moved(*c, action, page, last);
        }
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom
            if in_detail =>
        {
            let page = usize::from(ui.page.max(1));
            let s = ui.detail_scroll.entry(view).or_default();
            // The draw clamps the scroll to the text's length.
            *s = moved(usize::from(*s), action, page, usize::from(u16::MAX / 2)) as u16;
        }
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom
        | Action::Left
        | Action::Right
            if view == ViewId::Gateways =>
        {
            tree_move(ui, action)
        }
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => {
            let last = rows_len(state).saturating_sub(1);
            let page = usize::from(ui.page.max(1));
            let t = ui.table(view);
            let next = moved(t.selected().unwrap_or(0), action, page, last);
            t.select(Some(next));
        }
        Action::Enter => enter(state, ui),
        Action::ExpandAll if view == ViewId::Gateways => {
            let mut paths = Vec::new();
            collect_paths(&state.derived.gateway_tree, &mut Vec::new(), &mut paths);
            for p in paths {
                ui.tree.open(p);
            }
        }
        Action::CollapseAll if view == ViewId::Gateways => {
            ui.tree.close_all();
        }
        Action::Left | Action::Right | Action::ExpandAll | Action::CollapseAll | Action::None => {}
    }
    vec![]
}

/// An action of `[keys.dialog]` on a one-write confirm (its body does not scroll).
fn confirm_key(state: &mut AppState, action: Option<DialogAction>) -> Vec<Effect> {
    let Some(Modal::Confirm(c)) = state.modals.last_mut() else {
        return vec![];
    };
    match action {
        Some(DialogAction::SwitchFocus) => {
            c.ok_focused = !c.ok_focused;
            crate::state::hazard::disarm(&mut c.hazard);
        }
        Some(DialogAction::Choose)
            if c.ok_focused && !crate::state::hazard::confirm_pressed(&mut c.hazard) =>
        {
            state.flash(crate::state::hazard::ARMED, Level::Warn);
        }
        Some(DialogAction::Choose) if c.ok_focused => {
            let op = c.op.clone();
            state.modals.pop();
            return crate::app::completions::confirmed(state, op);
        }
        Some(DialogAction::Choose | DialogAction::Cancel) => {
            state.modals.pop();
            state.flash("cancelled; nothing was written", Level::Info);
        }
        _ => {}
    }
    vec![]
}

/// Where a cursor goes for a movement action, within `0..=last`.
fn moved(cur: usize, action: Action, page: usize, last: usize) -> usize {
    match action {
        Action::Up => cur.saturating_sub(1),
        Action::Down => cur.saturating_add(1),
        Action::PageUp => cur.saturating_sub(page),
        Action::PageDown => cur.saturating_add(page),
        Action::Top => 0,
        _ => last,
    }
    .min(last)
}

fn show(state: &mut AppState, view: ViewId) {
    if state.view != view {
        state.view = view;
        state.stale = true;
    }
}

fn tree_move(ui: &mut ViewState, action: Action) {
    let t = &mut ui.tree;
    match action {
        Action::Up => {
            t.key_up();
        }
        Action::Down => {
            t.key_down();
        }
        Action::Left => {
            t.key_left();
        }
        Action::Right => {
            t.key_right();
        }
        Action::Top => {
            t.select_first();
        }
        Action::Bottom => {
            t.select_last();
        }
        Action::PageUp => {
            let page = usize::from(ui.page.max(1));
            t.select_relative(|c| c.map_or(0, |c| c.saturating_sub(page)));
        }
        Action::PageDown => {
            let page = usize::from(ui.page.max(1));
            t.select_relative(|c| c.map_or(0, |c| c.saturating_add(page)));
        }
        _ => {}
    }
}

fn collect_paths(nodes: &[Node], prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for n in nodes {
        prefix.push(n.id.clone());
        if !n.children.is_empty() {
            out.push(prefix.clone());
            collect_paths(&n.children, prefix, out);
        }
        prefix.pop();
    }
}

fn rows_len(state: &AppState) -> usize {
    match state.view {
        ViewId::Routes => state.derived.routes.len(),
        ViewId::Frontends => state.derived.albs.len() + state.derived.frontends.len(),
        ViewId::Mesh => state.derived.mesh.len(),
        ViewId::Diagnostics => state.derived.findings.len(),
        ViewId::Certs => state.derived.certs.len(),
        ViewId::Gateways => 0,
    }
}

fn enter(state: &mut AppState, ui: &mut ViewState) {
    let view = state.view;
    if state.detail().is_some() {
        return;
    }
    let i = ui.selected(view);
    let detail = match view {
        ViewId::Gateways => {
            ui.tree.toggle_selected();
            None
        }
        ViewId::Routes => state.derived.routes.get(i).map(|r| Detail::Route {
            kind: r.kind,
            key: r.key.clone(),
        }),
        ViewId::Mesh => state
            .derived
            .mesh
            .get(i)
            .map(|r| Detail::Namespace(r.namespace.clone())),
        ViewId::Frontends => {
            let albs = state.derived.albs.len();
            if i < albs {
                state
                    .derived
                    .albs
                    .get(i)
                    .map(|a| Detail::Alb(a.alb.key.clone()))
            } else {
                state
                    .derived
                    .frontends
                    .get(i - albs)
                    .map(|f| Detail::Gateway(f.gateway.clone()))
            }
        }
        ViewId::Certs => state
            .derived
            .certs
            .get(i)
            .map(|r| Detail::Cert(r.id.clone())),
        ViewId::Diagnostics => state
            .derived
            .findings
            .get(i)
            .map(|f| Detail::Finding(f.id.clone())),
    };
    if let Some(d) = detail {
        ui.detail_scroll.insert(view, 0);
        state.details.insert(view, d);
        // The certificate detail is derived (it follows its row across recomputations).
        state.stale |= view == ViewId::Certs;
    }
}

/// An action of `[keys.palette]`, or else a key that edits the command's text.
fn palette_key(state: &mut AppState, action: Option<PaletteAction>, key: KeyEvent) -> Vec<Effect> {
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
                let done = palette::complete(&input.text, &cands);
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
    palette::candidates(&input.text, &ns, &state.conn.contexts)
}

fn run_command(state: &mut AppState, text: &str) -> Vec<Effect> {
    match palette::parse(text) {
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

/// The focused element is a one-line text input (its keys edit text, not rows).
fn typing_into_input(state: &AppState) -> bool {
    matches!(
        state.modals.last(),
        Some(Modal::Filter(_) | Modal::Palette(_))
    )
}

/// A paste goes into the focused text input as text (first line, capped); elsewhere it is
/// ignored: pasted text must never act as keys.
fn on_paste(state: &mut AppState, text: &str) {
    state.flash = None;
    let cut = match state.modals.last_mut() {
        Some(Modal::Filter(input)) => {
            state.refilter = true;
            input.paste(text).message("the filter")
        }
        Some(Modal::Palette(input)) => input.paste(text).message("a command"),
        Some(Modal::Weights(_)) => weights::paste(state, text).message("a weight"),
        _ => None,
    };
    if let Some(m) = cut {
        state.flash(m, Level::Warn);
    }
}

fn on_signal(state: &mut AppState, signal: Signal) -> Vec<Effect> {
    match signal {
        Signal::Exit(signo) => {
            state.quit = true;
            state.exit_signal = Some(signo);
            vec![Effect::Quit]
        }
        Signal::Stop => vec![Effect::Suspend],
        Signal::Continue => vec![Effect::Resume],
    }
}

/// An action of `[keys.filter]`, or else a key that edits the filter's text.
fn filter_key(state: &mut AppState, action: Option<FilterAction>, key: KeyEvent) {
    let view = state.view;
    let Some(Modal::Filter(input)) = state.modals.last_mut() else {
        return;
    };
    match action {
        Some(FilterAction::Clear) => {
            state.modals.pop();
            state.filters.remove(&view);
        }
        Some(FilterAction::Keep) => {
            let text = input.text.clone();
            state.modals.pop();
            if text.is_empty() {
                state.filters.remove(&view);
            } else {
                state.filters.insert(view, text);
            }
        }
        None => {
            if !edit(input, key) {
                state.flash(full("the filter"), Level::Warn);
            }
        }
    }
    state.refilter = true;
}

fn full(what: &str) -> String {
    format!(
        "{what} is limited to {} characters",
        crate::state::input::MAX_CHARS
    )
}

/// Edits the input; false when a char was refused because the input is full.
fn edit(input: &mut TextInput, key: KeyEvent) -> bool {
    match key.code {
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            return input.insert(c);
        }
        KeyCode::Backspace => input.backspace(),
        KeyCode::Delete => input.delete(),
        KeyCode::Left => input.left(),
        KeyCode::Right => input.right(),
        KeyCode::Home => input.cursor = 0,
        KeyCode::End => input.cursor = input.text.chars().count(),
        _ => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::cache::Obj;
    use crate::cluster::objects::NamespaceInfo;
    use crate::state::ConnInfo;
    use crate::state::write::{Confirm, WriteOp};

    fn state() -> AppState {
        let conn = ConnInfo {
            context: "a".into(),
            cluster: "c".into(),
            user: None,
            contexts: vec!["a".into(), "b".into()],
            error: None,
        };
        AppState::new(conn, None, false, jiff::Timestamp::UNIX_EPOCH)
    }

    fn key(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    fn code(c: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    fn typed(s: &mut AppState, ui: &mut ViewState, km: &Keymap, text: &str) -> Vec<Effect> {
        let mut effects = Vec::new();
        for c in text.chars() {
            effects.extend(update(s, ui, km, key(c)));
        }
        effects
    }

    fn ns_msg(generation: u64, name: &str) -> Msg {
        Msg::Watch(WatchMsg {
            generation,
            kind: Kind::Namespaces,
            event: WatchEvent::Apply(Box::new(Obj::Namespace(NamespaceInfo {
                name: name.into(),
                labels: Default::default(),
                phase: None,
                resource_version: None,
            }))),
        })
    }

    #[test]
    fn a_new_day_re_judges_certificate_findings() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        let t0: jiff::Timestamp = "2026-11-23T23:58:00Z".parse().unwrap();
        s.now = t0;
        s.diagnostics.stale = false;
        let minute = jiff::SignedDuration::from_secs(60);
        update(&mut s, &mut ui, &km, Msg::Tick(t0 + minute));
        assert!(!s.diagnostics.stale, "same day: nothing to re-judge");
        update(&mut s, &mut ui, &km, Msg::Tick(t0 + minute * 3));
        assert!(s.diagnostics.stale, "a new day: days left changed");
    }

    #[test]
    fn number_keys_and_palette_switch_views() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        update(&mut s, &mut ui, &km, key('4'));
        assert_eq!(s.view, ViewId::Mesh);
        typed(&mut s, &mut ui, &km, ":fe");
        assert!(matches!(s.modals.last(), Some(Modal::Palette(_))));
        update(&mut s, &mut ui, &km, code(KeyCode::Enter));
        assert_eq!(s.view, ViewId::Frontends);
        assert!(s.modals.is_empty());
        typed(&mut s, &mut ui, &km, ":nonsense");
        update(&mut s, &mut ui, &km, code(KeyCode::Enter));
        assert!(matches!(&s.flash, Some((m, Level::Error)) if m.contains("unknown command")));
    }

    #[test]
    fn namespace_switch_restarts_watchers_and_drops_old_messages() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        update(&mut s, &mut ui, &km, ns_msg(1, "bookinfo"));
        s.watch.insert(Kind::Namespaces, WatchState::Live);
        typed(&mut s, &mut ui, &km, ":ns bookinfo");
        let fx = update(&mut s, &mut ui, &km, code(KeyCode::Enter));
        assert_eq!(fx, vec![Effect::Rewatch { generation: 2 }]);
        assert_eq!(s.namespace.as_deref(), Some("bookinfo"));
        assert!(
            s.cache.namespaces.is_empty(),
            "cache is rebuilt by the new watchers"
        );
        update(&mut s, &mut ui, &km, ns_msg(1, "stale"));
        assert!(
            s.cache.namespaces.is_empty(),
            "messages of the old generation are ignored"
        );
        update(&mut s, &mut ui, &km, ns_msg(2, "bookinfo"));
        assert_eq!(s.cache.namespaces.len(), 1);
        // 0 toggles to all namespaces and back.
        assert_eq!(
            update(&mut s, &mut ui, &km, key('0')),
            vec![Effect::Rewatch { generation: 3 }]
        );
        assert_eq!(s.namespace, None);
        update(&mut s, &mut ui, &km, key('0'));
        assert_eq!(s.namespace.as_deref(), Some("bookinfo"));
    }

    #[test]
    fn unknown_namespace_and_context_are_refused() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        s.watch.insert(Kind::Namespaces, WatchState::Live);
        typed(&mut s, &mut ui, &km, ":ns nope");
        assert_eq!(update(&mut s, &mut ui, &km, code(KeyCode::Enter)), vec![]);
        assert_eq!(s.namespace, None);
        typed(&mut s, &mut ui, &km, ":ctx zzz");
        assert_eq!(update(&mut s, &mut ui, &km, code(KeyCode::Enter)), vec![]);
        typed(&mut s, &mut ui, &km, ":ctx b");
        assert_eq!(
            update(&mut s, &mut ui, &km, code(KeyCode::Enter)),
            vec![Effect::Connect {
                context: Some("b".into()),
                generation: 2
            }]
        );
    }

    #[test]
    fn filter_is_live_kept_on_enter_and_cleared_by_esc() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        typed(&mut s, &mut ui, &km, "/shop");
        assert_eq!(s.active_filter(), "shop");
        assert!(
            s.filter(ViewId::Gateways).is_empty(),
            "not kept until enter"
        );
        update(&mut s, &mut ui, &km, code(KeyCode::Enter));
        assert_eq!(s.filter(ViewId::Gateways), "shop");
        // q inside the filter is text, not quit.
        typed(&mut s, &mut ui, &km, "/q");
        assert!(!s.quit);
        update(&mut s, &mut ui, &km, code(KeyCode::Esc));
        assert_eq!(s.filter(ViewId::Gateways), "");
    }

    fn ctrl(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
    }

    #[test]
    fn typing_into_the_filter_does_not_re_derive_per_key() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        update(&mut s, &mut ui, &km, key('2'));
        typed(&mut s, &mut ui, &km, "/");
        let version = s.derived_version;
        typed(&mut s, &mut ui, &km, &"x".repeat(100));
        assert_eq!(
            s.derived_version, version,
            "keys into the filter edit text; the loop derives once per frame"
        );
        assert!(
            s.refilter,
            "the next frame (or row key) filters with the new filter"
        );
        update(&mut s, &mut ui, &km, code(KeyCode::Enter));
        update(&mut s, &mut ui, &km, key('j'));
        assert_eq!(
            s.derived_version,
            version + 1,
            "a key on rows sees them filtered"
        );
        assert_eq!(s.filter(ViewId::Routes), "x".repeat(100));
    }

    #[test]
    fn the_filter_and_palette_stop_at_256_chars_and_say_so() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        typed(&mut s, &mut ui, &km, "/");
        typed(&mut s, &mut ui, &km, &"y".repeat(300));
        assert_eq!(s.active_filter(), "y".repeat(256));
        assert!(
            matches!(&s.flash, Some((m, Level::Warn)) if m.contains("limited to 256")),
            "{:?}",
            s.flash
        );
        update(&mut s, &mut ui, &km, code(KeyCode::Backspace));
        assert!(s.flash.is_none(), "room again: no message");
        update(&mut s, &mut ui, &km, code(KeyCode::Esc));
        typed(&mut s, &mut ui, &km, ":");
        typed(&mut s, &mut ui, &km, &"n".repeat(257));
        let Some(Modal::Palette(input)) = s.modals.last() else {
            panic!("palette open")
        };
        assert_eq!(input.text.len(), 256);
        assert!(matches!(&s.flash, Some((m, _)) if m.contains("a command is limited")));
    }

    #[test]
    fn a_paste_is_text_for_the_focused_input_and_never_keys() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        // No input focused: ignored, even when it spells keys.
        let fx = update(&mut s, &mut ui, &km, Msg::Paste("2q:quit\r".into()));
        assert_eq!(fx, vec![]);
        assert_eq!((s.view, s.quit), (ViewId::Gateways, false));
        assert!(s.modals.is_empty());
        // Into the filter: the first line, live, the input stays open.
        typed(&mut s, &mut ui, &km, "/sh");
        update(&mut s, &mut ui, &km, Msg::Paste("op\nq\n".into()));
        assert_eq!(s.active_filter(), "shop");
        assert!(matches!(s.modals.last(), Some(Modal::Filter(_))));
        assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.contains("first line only")));
        update(&mut s, &mut ui, &km, Msg::Paste("z".repeat(10_000)));
        assert_eq!(s.active_filter().len(), 256);
        assert!(matches!(&s.flash, Some((m, _)) if m.contains("the filter is limited to 256")));
        update(&mut s, &mut ui, &km, code(KeyCode::Esc));
        // Into the palette.
        typed(&mut s, &mut ui, &km, ":");
        update(&mut s, &mut ui, &km, Msg::Paste("rt".into()));
        update(&mut s, &mut ui, &km, code(KeyCode::Enter));
        assert_eq!(s.view, ViewId::Routes);
    }

    #[test]
    fn ctrl_z_suspends_from_anywhere_and_signals_end_or_suspend() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        assert_eq!(
            update(&mut s, &mut ui, &km, ctrl('z')),
            vec![Effect::Suspend]
        );
        typed(&mut s, &mut ui, &km, "/ab");
        assert_eq!(
            update(&mut s, &mut ui, &km, ctrl('z')),
            vec![Effect::Suspend]
        );
        assert_eq!(s.active_filter(), "ab", "the filter being typed is kept");
        assert!(matches!(s.modals.last(), Some(Modal::Filter(_))));
        // Rebound away: ctrl-z is no suspend (and no text).
        let mut km2 = Keymap::default();
        km2.bind(
            crate::config::keymap::Scope::Global,
            "ctrl-z".parse().unwrap(),
            Action::None,
        );
        assert_eq!(update(&mut s, &mut ui, &km2, ctrl('z')), vec![]);
        assert_eq!(s.active_filter(), "ab");

        let sig = Msg::Signal;
        assert_eq!(
            update(&mut s, &mut ui, &km, sig(Signal::Stop)),
            vec![Effect::Suspend]
        );
        assert_eq!(
            update(&mut s, &mut ui, &km, sig(Signal::Continue)),
            vec![Effect::Resume]
        );
        assert!(!s.quit);
        assert_eq!(
            update(&mut s, &mut ui, &km, sig(Signal::Exit(15))),
            vec![Effect::Quit]
        );
        assert!(s.quit);
        assert_eq!(s.exit_signal, Some(15));
    }

    #[test]
    fn only_changes_to_the_views_inputs_re_derive_it() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        update(&mut s, &mut ui, &km, key('2'));
        s.refresh();
        let msg = |kind| {
            Msg::Watch(WatchMsg {
                generation: 1,
                kind,
                event: WatchEvent::State(WatchState::Live),
            })
        };
        update(&mut s, &mut ui, &km, msg(Kind::Pods));
        assert!(!s.stale, "pods do not feed the Routes table");
        update(&mut s, &mut ui, &km, msg(Kind::HttpRoutes));
        assert!(s.stale);
        s.refresh();
        update(&mut s, &mut ui, &km, key('4'));
        assert!(s.stale, "switching view derives the new one");
    }

    fn shop_with_cart(read_only: bool) -> (AppState, ViewState, Keymap) {
        use crate::cluster::objects::{WorkloadInfo, WorkloadKind};
        let (mut s, ui, km) = (state(), ViewState::default(), Keymap::default());
        s.read_only = read_only;
        s.cache.namespaces.insert(
            "shop".into(),
            NamespaceInfo {
                name: "shop".into(),
                labels: Default::default(),
                phase: None,
                resource_version: None,
            },
        );
        let w = WorkloadInfo {
            kind: WorkloadKind::Deployment,
            key: crate::cluster::objects::ObjKey::new("shop", "cart"),
            labels: Default::default(),
            selector: Default::default(),
            template_inject: None,
            template_rev: None,
            images: vec![],
            desired: 3,
            updated: 3,
            ready: 3,
            available: 3,
            generation: None,
            resource_version: Some("42".into()),
            observed_generation: None,
            conditions: vec![],
            created: None,
            ..Default::default()
        };
        s.cache.workloads.insert((w.key.clone(), w.kind), w);
        s.view = ViewId::Mesh;
        s.details
            .insert(ViewId::Mesh, Detail::Namespace("shop".into()));
        (s, ui, km)
    }

    #[test]
    fn rollout_restart_needs_a_selection_and_an_explicit_confirm() {
        let (mut s, mut ui, km) = shop_with_cart(false);
        s.details.clear();
        assert_eq!(update(&mut s, &mut ui, &km, key('R')), vec![]);
        assert!(s.modals.is_empty(), "no workload selected: no dialog");
        let (mut s, mut ui, km) = shop_with_cart(false);
        assert_eq!(update(&mut s, &mut ui, &km, key('R')), vec![]);
        let Some(Modal::Confirm(c)) = s.modals.last() else {
            panic!("confirm dialog expected")
        };
        assert!(!c.ok_focused, "Cancel has the focus");
        assert!(
            c.body.iter().any(|l| l.contains("context:   a"))
                && c.body.iter().any(|l| l.contains("\"42\""))
        );
        // Enter on Cancel writes nothing.
        assert_eq!(update(&mut s, &mut ui, &km, code(KeyCode::Enter)), vec![]);
        assert!(s.modals.is_empty());
        // R, Tab to Confirm, Enter: one write, with the precondition.
        update(&mut s, &mut ui, &km, key('R'));
        update(&mut s, &mut ui, &km, code(KeyCode::Tab));
        let fx = update(&mut s, &mut ui, &km, code(KeyCode::Enter));
        assert_eq!(
            crate::app::testkit::write_ops(&fx),
            vec![WriteOp::RolloutRestart {
                kind: crate::cluster::objects::WorkloadKind::Deployment,
                key: crate::cluster::objects::ObjKey::new("shop", "cart"),
                resource_version: "42".into(),
            }]
        );
    }

    #[test]
    fn read_only_refuses_writes_in_the_reducer() {
        let (mut s, mut ui, km) = shop_with_cart(true);
        assert_eq!(update(&mut s, &mut ui, &km, key('R')), vec![]);
        assert!(s.modals.is_empty());
        assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.contains("read-only")));
        // Even a confirm dialog that is already open (e.g. from a stale binding) yields no write.
        let op = WriteOp::RolloutRestart {
            kind: crate::cluster::objects::WorkloadKind::Deployment,
            key: crate::cluster::objects::ObjKey::new("shop", "cart"),
            resource_version: "42".into(),
        };
        let mut c = Confirm::new(op, "a");
        c.ok_focused = true;
        s.modals.push(Modal::Confirm(Box::new(c)));
        assert_eq!(update(&mut s, &mut ui, &km, code(KeyCode::Enter)), vec![]);
    }

    #[test]
    fn any_key_dismisses_a_notice_without_acting() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        s.modals.push(Modal::Notice(vec!["bad config".into()]));
        assert_eq!(update(&mut s, &mut ui, &km, key('q')), vec![]);
        assert!(!s.quit && s.modals.is_empty());
    }

    #[test]
    fn movement_stays_within_rows() {
        assert_eq!(moved(0, Action::Up, 10, 5), 0);
        assert_eq!(moved(4, Action::Down, 10, 5), 5);
        assert_eq!(moved(5, Action::Down, 10, 5), 5);
        assert_eq!(moved(1, Action::PageDown, 10, 5), 5);
        assert_eq!(moved(5, Action::PageUp, 3, 5), 2);
        assert_eq!(moved(3, Action::Top, 3, 5), 0);
        assert_eq!(moved(0, Action::Bottom, 3, 5), 5);
        assert_eq!(moved(0, Action::Down, 3, 0), 0, "no rows: stays at 0");
    }

    #[test]
    fn help_opens_and_closes_and_quit_quits() {
        let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
        update(&mut s, &mut ui, &km, key('?'));
        assert!(matches!(s.modals.last(), Some(Modal::Help { .. })));
        update(&mut s, &mut ui, &km, code(KeyCode::Esc));
        assert!(s.modals.is_empty());
        assert_eq!(update(&mut s, &mut ui, &km, key('q')), vec![Effect::Quit]);
        assert!(s.quit);
    }
}
