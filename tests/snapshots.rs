//! Screen snapshots of every view, drawn with ratatui's `TestBackend` from a fixed cluster
//! (`tests/fixtures/snapshot-cluster.yaml`). The state is built and changed only through the
//! reducer, the way the app loop does it; text snapshots are checked by hand against the
//! fixture (see the comment at its top), colours by assertions on cell styles.
//!
//! Review a changed screen with `INSTA_UPDATE=always cargo test --test snapshots` and the
//! diff of `tests/snapshots/`; CI (CI=true) never accepts new snapshots.

#[path = "support/fixtures.rs"]
mod fixtures;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use meshctl_tui::app::action::ViewId;
use meshctl_tui::app::msg::Msg;
use meshctl_tui::app::update::update;
use meshctl_tui::cluster::kinds::{Kind, WatchState};
use meshctl_tui::cluster::watch::{WatchEvent, WatchMsg};
use meshctl_tui::config::Keymap;
use meshctl_tui::state::{AppState, ConnInfo};
use meshctl_tui::ui::theme::{Role, Theme};
use meshctl_tui::ui::view_state::ViewState;
use meshctl_tui::ui::{Ctx, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Style;

const WIDTH: u16 = 150;
const HEIGHT: u16 = 40;
const NOW: &str = "2026-11-25T12:00:00Z";

fn conn() -> ConnInfo {
    ConnInfo {
        context: "snap".into(),
        cluster: "snap-cluster".into(),
        user: None,
        contexts: vec!["snap".into()],
        error: None,
    }
}

/// The app's state and widget state, driven through the reducer.
struct Screen {
    state: AppState,
    view: ViewState,
    keymap: Keymap,
    theme: Theme,
    width: u16,
    height: u16,
}

impl Screen {
    /// The fixture cluster, every watcher listed and live.
    fn new(theme: &str) -> Self {
        Self::with_states(theme, |_| WatchState::Live)
    }

    /// The fixture cluster with a chosen watch state per kind. Kinds that are not installed
    /// get an empty list, like the watcher sends before reporting NotInstalled.
    fn with_states(theme: &str, state_of: impl Fn(Kind) -> WatchState) -> Self {
        let now: Timestamp = NOW.parse().unwrap();
        let mut s = Screen {
            state: AppState::new(conn(), None, false, now),
            view: ViewState::default(),
            keymap: Keymap::default(),
            theme: Theme::load(theme, None).unwrap(),
            width: WIDTH,
            height: HEIGHT,
        };
        let objs = fixtures::objs_by_kind(&fixtures::read("snapshot-cluster.yaml"));
        for (kind, list) in objs {
            let ws = state_of(kind);
            let list = if ws == WatchState::NotInstalled || matches!(ws, WatchState::Forbidden(_)) {
                Vec::new()
            } else {
                list
            };
            if ws != WatchState::Syncing {
                s.watch(kind, WatchEvent::Reset(list));
            }
            s.watch(kind, WatchEvent::State(ws));
        }
        s
    }

    fn watch(&mut self, kind: Kind, event: WatchEvent) {
        let generation = self.state.generation;
        self.msg(Msg::Watch(WatchMsg {
            generation,
            kind,
            event,
        }));
    }

    fn msg(&mut self, msg: Msg) {
        update(&mut self.state, &mut self.view, &self.keymap, msg);
    }

    fn key(&mut self, code: KeyCode) -> &mut Self {
        self.msg(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        self
    }

    /// Types each character as a key press (`G`, `?`, `:` included).
    fn keys(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }

    /// Refreshes the derived rows and draws one frame, as the loop does.
    fn draw(&mut self) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(self.width, self.height)).unwrap();
        self.state.refresh();
        let ctx = Ctx {
            theme: &self.theme,
            keymap: &self.keymap,
        };
        terminal
            .draw(|f| draw(f, &self.state, &mut self.view, &ctx))
            .unwrap();
        terminal
    }
}

/// The text of one buffer row.
fn row_text(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

/// The first row whose text contains `needle`, and the cell column where it starts.
fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    for y in 0..buf.area.height {
        // One entry per char with the column of the cell it came from.
        let mut text = String::new();
        let mut cols = Vec::new();
        for x in 0..buf.area.width {
            for c in buf[(x, y)].symbol().chars() {
                text.push(c);
                cols.push(x);
            }
        }
        if let Some(byte) = text.find(needle) {
            let ch = text[..byte].chars().count();
            return (cols[ch], y);
        }
    }
    panic!(
        "{needle:?} is not on the screen:\n{}",
        (0..buf.area.height)
            .map(|y| row_text(buf, y))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The style of the cell where `needle` starts.
fn style_at(buf: &Buffer, needle: &str) -> Style {
    let (x, y) = find(buf, needle);
    buf[(x, y)].style()
}

/// Asserts that the text starts in the colour (and modifiers) of `role`.
fn assert_role(buf: &Buffer, theme: &Theme, needle: &str, role: Role) {
    let got = style_at(buf, needle);
    let want = theme.style(role);
    assert_eq!(
        (got.fg, got.add_modifier & want.add_modifier),
        (want.fg, want.add_modifier),
        "style of {needle:?} should be {role:?}"
    );
}

/// The header rows only (first two lines), for header-state snapshots.
fn header_text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    (0..2)
        .map(|y| format!("{:?}", row_text(buf, y)))
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------- views

#[test]
fn gateways_tree_collapsed() {
    let mut s = Screen::new("monochrome");
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn gateways_tree_expanded() {
    let mut s = Screen::new("monochrome");
    (s.width, s.height) = (200, 44);
    s.draw(); // the first frame derives the tree and opens the class level
    s.keys("E");
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn gateways_tree_colours() {
    let mut s = Screen::new("dark");
    (s.width, s.height) = (200, 44);
    s.draw();
    s.keys("E");
    let t = s.draw();
    let buf = t.backend().buffer();
    let th = &s.theme;
    assert_role(buf, th, "all weights 0: no traffic", Role::Error);
    assert_role(
        buf,
        th,
        "⚠ ResolvedRefs=False on istio-ingress/gw-istio: BackendNotFound",
        Role::Error,
    );
    assert_role(buf, th, "Service not found", Role::Error);
    assert_role(buf, th, "routes 0", Role::Warn);
    assert_role(
        buf,
        th,
        "ResolvedRefs=False InvalidCertificateRef",
        Role::Error,
    );
    assert_role(buf, th, "Programmed ✓", Role::Ok);
    // A pod that is not ready is a warning, a ready one is fine.
    assert_role(buf, th, "Pending 0/1", Role::Warn);
    assert_role(buf, th, "Running 1/1", Role::Ok);
    // A backend with weight 0 is muted, one with a share is highlighted.
    assert_role(buf, th, "66.7%", Role::Accent);
}

#[test]
fn routes() {
    let mut s = Screen::new("monochrome");
    s.width = 200; // whole BACKENDS and PROBLEMS cells
    s.keys("2");
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn routes_colours() {
    let mut s = Screen::new("dark");
    s.width = 200;
    s.keys("2");
    let t = s.draw();
    let buf = t.backend().buffer();
    let th = &s.theme;
    assert_role(buf, th, "RefsNotResolved", Role::Warn);
    assert_role(buf, th, "Pending", Role::Warn);
    assert_role(buf, th, "ResolvedRefs=False on istio", Role::Error);
    assert_role(buf, th, "parent Gateway infra/gw-missing", Role::Error);
    assert_role(buf, th, "rule 1 has all backend weights 0", Role::Error);
    // The first row is selected: its status keeps the selection colours, the others are Ok.
    let (_, y) = find(buf, "infra/split-odd");
    let (x, _) = find(buf, "STATUS");
    assert_eq!(buf[(x, y)].style().fg, th.style(Role::Ok).fg);
}

#[test]
fn routes_detail() {
    let mut s = Screen::new("monochrome");
    s.keys("2");
    s.draw();
    s.key(KeyCode::Enter);
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn routes_detail_of_a_broken_route() {
    let mut s = Screen::new("monochrome");
    s.keys("2");
    s.draw();
    s.keys("jj"); // shop/missing-svc
    s.key(KeyCode::Enter);
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn frontends() {
    let mut s = Screen::new("monochrome");
    s.width = 220; // the DETAILS column (mode, FrontendTLSPolicy, hosts) is long
    s.keys("3");
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn mesh() {
    let mut s = Screen::new("monochrome");
    s.keys("4");
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn mesh_colours() {
    let mut s = Screen::new("dark");
    s.keys("4");
    let t = s.draw();
    let buf = t.backend().buffer();
    let th = &s.theme;
    assert_role(buf, th, "MISSING for asm-1-23", Role::Error);
    assert_role(buf, th, " CONFLICT: both labels", Role::Error);
    assert_role(buf, th, "asm-1-22 (aks-istio-system 2/2)", Role::Ok);
    assert_role(buf, th, "PERMISSIVE (ns)", Role::Text);
    assert_role(buf, th, "STRICT (mesh) +1", Role::Ok);
    // The shop row's need-restart count is an error; a zero is muted.
    let (_, shop) = find(buf, "shop ");
    let (col, _) = find(buf, "NEED RESTART");
    assert_eq!(buf[(col, shop)].symbol(), "2");
    assert_eq!(buf[(col, shop)].style().fg, th.style(Role::Error).fg);
    let (_, bookinfo) = find(buf, "bookinfo ");
    assert_eq!(buf[(col, bookinfo)].style().fg, th.style(Role::Muted).fg);
}

#[test]
fn mesh_namespace_detail() {
    let mut s = Screen::new("monochrome");
    s.keys("4");
    s.draw();
    s.keys("G"); // shop is the last namespace
    s.key(KeyCode::Enter);
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn certificates_placeholder() {
    let mut s = Screen::new("monochrome");
    s.keys("5");
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

// ---------------------------------------------------------------------------------- modals

#[test]
fn help_gateways() {
    let mut s = Screen::new("monochrome");
    s.keys("?");
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn help_mesh() {
    let mut s = Screen::new("monochrome");
    s.keys("4?");
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn palette_completes_namespaces() {
    let mut s = Screen::new("monochrome");
    s.keys(":ns b");
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn filter_while_typing() {
    let mut s = Screen::new("monochrome");
    s.keys("2/shop");
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn filter_kept_on_the_gateways_tree() {
    let mut s = Screen::new("dark");
    s.keys("/odd");
    s.key(KeyCode::Enter);
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

// ---------------------------------------------------------------------------------- banners

#[test]
fn gateways_when_gateway_api_is_not_installed() {
    let gateway_api = [
        Kind::GatewayClasses,
        Kind::Gateways,
        Kind::HttpRoutes,
        Kind::GrpcRoutes,
    ];
    let mut s = Screen::with_states("dark", |k| {
        if gateway_api.contains(&k) {
            WatchState::NotInstalled
        } else {
            WatchState::Live
        }
    });
    let t = s.draw();
    let buf = t.backend().buffer();
    assert_role(
        buf,
        &s.theme,
        "Gateway API CRDs not installed: gatewayclasses",
        Role::Warn,
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn mesh_when_pods_are_forbidden() {
    let forbidden = "pods is forbidden: User \"dev@contoso.com\" cannot list resource \"pods\" in API group \"\" at the cluster scope";
    let mut s = Screen::with_states("dark", |k| {
        if k == Kind::Pods {
            WatchState::Forbidden(forbidden.into())
        } else {
            WatchState::Live
        }
    });
    s.keys("4");
    let t = s.draw();
    let buf = t.backend().buffer();
    assert_role(
        buf,
        &s.theme,
        "forbidden: pods: pods is forbidden",
        Role::Error,
    );
    // Unknown, not zero: no pod counts and no "0 need restart" while pods can't be listed.
    let (_, shop) = find(buf, "shop ");
    for header in ["SIDECARS", "NEED RESTART"] {
        let (col, _) = find(buf, header);
        assert_eq!(
            (buf[(col, shop)].symbol(), buf[(col + 1, shop)].symbol()),
            ("?", " "),
            "{header} of shop"
        );
    }
    insta::assert_snapshot!(t.backend());
}

// ---------------------------------------------------------------------------------- header

#[test]
fn header_live() {
    let mut s = Screen::new("dark");
    let t = s.draw();
    assert_role(t.backend().buffer(), &s.theme, "● live", Role::Ok);
    insta::assert_snapshot!(header_text(&t));
}

#[test]
fn header_syncing() {
    let mut s = Screen::with_states("dark", |k| {
        if k == Kind::Pods {
            WatchState::Syncing
        } else {
            WatchState::Live
        }
    });
    let t = s.draw();
    assert_role(t.backend().buffer(), &s.theme, "● syncing", Role::Warn);
    insta::assert_snapshot!(header_text(&t));
}

#[test]
fn header_connecting() {
    let mut s = Screen::with_states("dark", |_| WatchState::Syncing);
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn header_disconnected() {
    let mut s = Screen::new("dark");
    let msg = "error trying to connect: tcp connect error: Connection refused (os error 111)";
    s.watch(
        Kind::Pods,
        WatchEvent::State(WatchState::Failing(msg.into())),
    );
    let t = s.draw();
    assert_role(
        t.backend().buffer(),
        &s.theme,
        "● disconnected",
        Role::Error,
    );
    insta::assert_snapshot!(header_text(&t));
}

#[test]
fn header_read_only_in_a_namespace() {
    let now: Timestamp = NOW.parse().unwrap();
    let mut s = Screen::new("dark");
    s.state = AppState::new(conn(), Some("shop".into()), true, now);
    s.state.conn.user = Some("dev@contoso.com".into());
    let objs = fixtures::objs_by_kind(&fixtures::read("snapshot-cluster.yaml"));
    for (kind, list) in objs {
        s.watch(kind, WatchEvent::Reset(list));
        s.watch(kind, WatchEvent::State(WatchState::Live));
    }
    s.keys("4");
    let t = s.draw();
    assert_role(t.backend().buffer(), &s.theme, "[read-only]", Role::Warn);
    assert_eq!(s.state.view, ViewId::Mesh);
    insta::assert_snapshot!(t.backend());
}

// ------------------------------------------------------------- injection toggles, restarts

#[test]
fn injection_chooser_on_a_conflicting_namespace() {
    let mut s = Screen::new("monochrome");
    s.keys("4");
    s.draw();
    s.keys("Gk"); // legacy: istio-injection=enabled and istio.io/rev=asm-1-22
    s.keys("I");
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn injection_label_confirm_lists_the_pods_that_change() {
    let mut s = Screen::new("monochrome");
    s.keys("4");
    s.draw();
    s.keys("G"); // shop: istio.io/rev=asm-1-22
    s.keys("I");
    s.keys("G"); // the last choice: istio-injection=disabled
    s.key(KeyCode::Enter);
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn workload_inject_label_confirm() {
    let mut s = Screen::new("monochrome");
    s.keys("4");
    s.draw();
    s.keys("G");
    s.key(KeyCode::Enter);
    s.draw();
    s.keys("S");
    s.keys("j"); // sidecar.istio.io/inject=false
    s.key(KeyCode::Enter);
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn bulk_restart_confirm_lists_the_workloads() {
    let mut s = Screen::new("monochrome");
    s.keys("4");
    s.draw();
    s.keys("B");
    let t = s.draw();
    insta::assert_snapshot!("bulk_restart_chooser", t.backend());
    s.key(KeyCode::Enter);
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn help_mesh_explains_injection() {
    let mut s = Screen::new("monochrome");
    s.keys("4?");
    s.keys(&"j".repeat(24));
    let t = s.draw();
    insta::assert_snapshot!(t.backend());
}
