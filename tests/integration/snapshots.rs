//! Screen snapshots of every view, drawn with ratatui's `TestBackend` from a fixed cluster
//! (`tests/fixtures/snapshot-cluster.yaml`). The state is built and changed only through the
//! reducer, the way the app loop does it; text snapshots are checked by hand against the
//! fixture (see the comment at its top), colours by assertions on cell styles.
//!
//! Review a changed screen with `INSTA_UPDATE=always cargo test --test integration snapshots::` and the
//! diff of `tests/snapshots/`; CI (CI=true) never accepts new snapshots.

use crate::support::fixtures;

/// `insta::assert_snapshot!` under the names these snapshots had when this file was its own
/// test binary: `tests/snapshots/snapshots__NAME.snap`, NAME being the test function's name
/// unless given. (insta would name them after the module path `integration::snapshots` and
/// look next to `tests/integration/`.)
macro_rules! assert_snapshot {
    ($value:expr $(,)?) => {
        assert_snapshot!(
            insta::_function_name!().rsplit("::").next().unwrap_or_default(),
            $value
        )
    };
    ($name:expr, $value:expr $(,)?) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("snapshots__{}", $name), $value)
        })
    };
}

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use meshctl_tui::app::msg::Msg;
use meshctl_tui::app::update::update;
use meshctl_tui::cluster::kinds::{Kind, WatchState};
use meshctl_tui::cluster::watch::{WatchEvent, WatchMsg};
use meshctl_tui::config::Keymap;
use meshctl_tui::state::action::ViewId;
use meshctl_tui::state::view_state::ViewState;
use meshctl_tui::state::{AppState, ConnInfo};
use meshctl_tui::ui::theme::{Role, Theme};
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
        self.state.refresh_keeping(&mut self.view);
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
    assert_snapshot!(t.backend());
}

#[test]
fn gateways_tree_expanded() {
    let mut s = Screen::new("monochrome");
    (s.width, s.height) = (200, 44);
    s.draw(); // the first frame derives the tree and opens the class level
    s.keys("E");
    let t = s.draw();
    assert_snapshot!(t.backend());
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
    assert_snapshot!(t.backend());
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
    assert_snapshot!(t.backend());
}

#[test]
fn routes_detail_of_a_broken_route() {
    let mut s = Screen::new("monochrome");
    s.keys("2");
    s.draw();
    s.keys("jj"); // shop/missing-svc
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_snapshot!(t.backend());
}

// ---------------------------------------------------------------------------- weight editor

/// Routes view, `W` on infra/split-50-50, first backend +10: the draft beside what it was.
fn split_editor() -> Screen {
    let mut s = Screen::new("monochrome");
    s.keys("2");
    s.draw();
    s.keys("WL");
    s
}

#[test]
fn weight_editor_with_a_draft() {
    let mut s = split_editor();
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn weight_editor_confirm_shows_the_object_diff() {
    let mut s = split_editor();
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn weight_editor_on_a_virtual_service_that_does_not_sum_to_100() {
    let mut s = Screen::new("dark");
    s.keys("2");
    s.draw();
    s.keys("jjjjW"); // shop/reviews, 80 + 10
    let t = s.draw();
    let buf = t.backend().buffer();
    assert_role(buf, &s.theme, "(must be 100", Role::Error);
    find(buf, "reviews subset v1");
    find(buf, "reviews subset v2");
    find(buf, "VirtualService: percentages, must sum to 100");
    // n normalises: 89 + 11.
    s.keys("n");
    let t = s.draw();
    let buf = t.backend().buffer();
    find(buf, "normalised to 100");
    let (_, y) = find(buf, "reviews subset v1");
    assert!(row_text(buf, y).contains("89"), "{}", row_text(buf, y));
}

// ------------------------------------------------------------------------ revision migration

/// The fixture plus a canary control plane asm-1-23 (created after asm-1-22), Mesh view, `M`.
fn migration_screen() -> Screen {
    let mut s = Screen::new("monochrome");
    s.canary(1);
    s.keys("4");
    s.draw();
    s.keys("M");
    s
}

impl Screen {
    /// A canary control plane asm-1-23 (created after asm-1-22) with `ready` of 1 replicas.
    fn canary(&mut self, ready: i32) {
        let cp = meshctl_tui::cluster::objects::WorkloadInfo {
            key: meshctl_tui::cluster::objects::ObjKey::new("aks-istio-system", "istiod-asm-1-23"),
            labels: [("app", "istiod"), ("istio.io/rev", "asm-1-23")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            desired: 1,
            ready,
            available: ready,
            updated: 1,
            created: Some("2026-11-24T08:00:00Z".parse().unwrap()),
            ..Default::default()
        };
        self.watch(
            Kind::ControlPlanes,
            WatchEvent::Apply(Box::new(meshctl_tui::cluster::cache::Obj::ControlPlane(cp))),
        );
    }
}

#[test]
fn revision_migration_screen() {
    let mut s = migration_screen();
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn revision_migration_wave_confirm() {
    let mut s = migration_screen();
    s.keys(" w"); // bookinfo out: the next wave is shop's
    let t = s.draw();
    assert_snapshot!(t.backend());
}

/// asm-1-23 installed but 0/1 ready: the screen says so under the title, the wave confirm
/// opens with the warning, and the first Enter on Confirm only arms it.
#[test]
fn revision_migration_towards_a_not_ready_control_plane() {
    let mut s = Screen::new("dark");
    s.canary(0);
    s.keys("4");
    s.draw();
    s.keys("M");
    let t = s.draw();
    let buf = t.backend().buffer();
    assert_role(
        buf,
        &s.theme,
        "istiod asm-1-23 (aks-istio-system) has 0 of 1 replica ready: NOT READY",
        Role::Error,
    );
    assert_role(buf, &s.theme, "asm-1-23 ready 0/1 NOT READY", Role::Error);
    s.theme = Theme::load("monochrome", None).unwrap();
    let t = s.draw();
    assert_snapshot!("revision_migration_screen_not_ready", t.backend());
    s.keys(" w"); // bookinfo out (no resourceVersion in the fixture): shop's wave
    let t = s.draw();
    assert_snapshot!("revision_migration_wave_confirm_not_ready", t.backend());
    s.key(KeyCode::Tab);
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_snapshot!("revision_migration_wave_confirm_armed", t.backend());
}

/// The injection chooser of `shop` with asm-1-23 installed but not ready: the option is
/// flagged; its label confirm opens with the warning and asks twice.
#[test]
fn injection_towards_a_not_ready_control_plane() {
    let mut s = Screen::new("dark");
    s.canary(0);
    s.keys("4");
    let t = s.draw();
    // The Mesh view says it too, for namespaces already on that revision.
    assert_role(
        t.backend().buffer(),
        &s.theme,
        "asm-1-23 0/1 NOT READY",
        Role::Error,
    );
    s.keys("G"); // shop: istio.io/rev=asm-1-22
    s.keys("I");
    let t = s.draw();
    let buf = t.backend().buffer();
    assert_role(
        buf,
        &s.theme,
        "enable revision asm-1-23: istio.io/rev=asm-1-23  istiod 0/1 ready — NOT READY",
        Role::Error,
    );
    s.theme = Theme::load("monochrome", None).unwrap();
    let t = s.draw();
    assert_snapshot!("injection_chooser_not_ready", t.backend());
    // enabled (default asm-1-22), asm-1-23, disable, disable for every pod.
    s.keys("j");
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_snapshot!("injection_label_confirm_not_ready", t.backend());
    s.key(KeyCode::Tab);
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_snapshot!("injection_label_confirm_armed", t.backend());
}

#[test]
fn frontends() {
    let mut s = Screen::new("monochrome");
    s.width = 220; // the DETAILS column (mode, FrontendTLSPolicy, hosts) is long
    s.keys("3");
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn mesh() {
    let mut s = Screen::new("monochrome");
    s.keys("4");
    let t = s.draw();
    assert_snapshot!(t.backend());
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
    assert_snapshot!(t.backend());
}

/// The shop detail during rollouts: cart stuck (no progress for the configured time), web
/// in progress, and the header indicator; then web finished.
#[test]
fn mesh_namespace_detail_rollouts() {
    use meshctl_tui::cluster::cache::Obj;
    let mut s = Screen::new("dark");
    s.state.rollouts.stuck_after = jiff::SignedDuration::from_secs(90);
    let workload = |s: &Screen, name: &str| {
        s.state
            .cache
            .workloads
            .values()
            .find(|w| w.key.name == name)
            .cloned()
            .unwrap()
    };
    let apply = |s: &mut Screen, w: meshctl_tui::cluster::objects::WorkloadInfo| {
        s.watch(
            Kind::Deployments,
            WatchEvent::Apply(Box::new(Obj::Workload(w))),
        );
    };
    // A restart of both: new spec observed, no new pod available yet.
    let mut cart = workload(&s, "cart");
    (cart.generation, cart.observed_generation, cart.updated) = (Some(2), Some(2), 0);
    cart.rollout.total = 1;
    apply(&mut s, cart);
    s.msg(Msg::Tick(s.state.now + jiff::SignedDuration::from_secs(60)));
    let mut web = workload(&s, "web");
    (web.generation, web.observed_generation) = (Some(5), Some(5));
    (web.updated, web.available, web.ready) = (2, 1, 1);
    web.rollout.total = 3;
    apply(&mut s, web.clone());
    s.msg(Msg::Tick(s.state.now + jiff::SignedDuration::from_secs(30)));
    s.keys("4");
    s.draw();
    s.keys("G");
    s.key(KeyCode::Enter);
    let t = s.draw();
    let buf = t.backend().buffer();
    assert_role(buf, &s.theme, "STUCK", Role::Error);
    assert_role(buf, &s.theme, "1 stuck", Role::Error);
    assert_role(buf, &s.theme, "1 running", Role::Warn);
    assert_role(
        buf,
        &s.theme,
        "1 old replicas are pending termination",
        Role::Muted,
    );
    assert_snapshot!(
        "mesh_namespace_detail_rollouts_stuck_and_running",
        t.backend()
    );

    // web finishes: a mark instead of a bar; cart stays stuck.
    (web.updated, web.available, web.ready) = (2, 2, 2);
    web.rollout.total = 2;
    apply(&mut s, web);
    let t = s.draw();
    assert_role(t.backend().buffer(), &s.theme, "✓ rolled out", Role::Ok);
    assert_snapshot!("mesh_namespace_detail_rollouts_one_done", t.backend());
}

/// Nothing of a private key reaches the screen (the fixture's keys all hold this text).
fn assert_no_key_material(t: &Terminal<TestBackend>) {
    let buf = t.backend().buffer();
    let all: String = (0..buf.area.height).map(|y| row_text(buf, y)).collect();
    assert!(!all.contains("TESTKEYMATERIAL"), "key material on screen");
}

#[test]
fn certificates() {
    let mut s = Screen::new("dark");
    s.keys("5");
    let t = s.draw();
    let buf = t.backend().buffer();
    assert_role(buf, &s.theme, "EXPIRED", Role::SeverityCritical);
    assert_role(buf, &s.theme, "CRITICAL", Role::Error);
    assert_role(buf, &s.theme, "WARNING", Role::Warn);
    assert_role(buf, &s.theme, "SOON", Role::Info);
    // (The first row, UNPARSEABLE, is drawn selected.)
    assert_role(buf, &s.theme, "not a certificate (PRIVATE", Role::Error);
    assert_no_key_material(&t);
    assert_snapshot!(t.backend());
}

#[test]
fn certificates_filtered_and_detail_of_a_bundle_entry() {
    let mut s = Screen::new("monochrome");
    s.keys("5/trust");
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_snapshot!("certificates_filtered", t.backend());
    // The first row: the partner intermediate (entry 2 of 3), expiring first.
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_no_key_material(&t);
    assert_snapshot!("certificates_detail_bundle_entry", t.backend());
}

#[test]
fn certificates_detail_of_a_leaf_and_of_a_failing_cert_manager_certificate() {
    let mut s = Screen::new("monochrome");
    s.keys("5/web-tls");
    s.key(KeyCode::Enter);
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_snapshot!("certificates_detail_leaf", t.backend());
    s.key(KeyCode::Esc).key(KeyCode::Esc);
    s.keys("/apex");
    s.key(KeyCode::Enter);
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_snapshot!("certificates_detail_cert_manager", t.backend());
}

#[test]
fn certificates_when_secrets_are_forbidden() {
    let forbidden = "secrets is forbidden: User \"dev@contoso.com\" cannot list resource \"secrets\" in API group \"\" at the cluster scope";
    let mut s = Screen::with_states("dark", |k| match k {
        Kind::TlsSecrets | Kind::IstioCaCerts | Kind::IstioCaSecrets => {
            WatchState::Forbidden(forbidden.into())
        }
        Kind::CertManagerCertificates => WatchState::NotInstalled,
        _ => WatchState::Live,
    });
    s.keys("5");
    let t = s.draw();
    assert_role(
        t.backend().buffer(),
        &s.theme,
        "forbidden: secrets (type=kubernetes.io/tls)",
        Role::Error,
    );
    assert_snapshot!(t.backend());
}

#[test]
fn help_certificates() {
    let mut s = Screen::new("monochrome");
    s.keys("5?");
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn diagnostics() {
    let mut s = Screen::new("monochrome");
    s.keys("6");
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn diagnostics_colours() {
    let mut s = Screen::new("dark");
    s.keys("6");
    let t = s.draw();
    let buf = t.backend().buffer();
    let th = &s.theme;
    // The first row (an ERROR) is selected; the others show their severity's colour.
    assert_role(buf, th, "WARNING", Role::Warn);
    assert_role(buf, th, "INFO ", Role::Info);
    // The header count takes the colour of the worst severity.
    assert_role(buf, th, "9 errors", Role::Error);
    s.keys("G");
    let t = s.draw();
    assert_role(t.backend().buffer(), &s.theme, "ERROR", Role::Error);
}

#[test]
fn diagnostics_detail_with_its_fix() {
    let mut s = Screen::new("monochrome");
    s.keys("6").keys("/MESH001");
    s.key(KeyCode::Enter);
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn diagnostics_detail_read_only_and_without_fix() {
    let mut s = Screen::new("monochrome");
    s.state.read_only = true;
    s.keys("6").keys("/MTLS001");
    s.key(KeyCode::Enter);
    s.key(KeyCode::Enter);
    let t = s.draw();
    let text = format!("{:?}", t.backend());
    assert!(text.contains("Fix: none the console can make"), "{text}");
    s.key(KeyCode::Esc).key(KeyCode::Esc).keys("/MESH001");
    s.key(KeyCode::Enter);
    s.key(KeyCode::Enter);
    let t = s.draw();
    let text = format!("{:?}", t.backend());
    assert!(
        text.contains("(read-only mode: writes are disabled)"),
        "{text}"
    );
}

#[test]
fn diagnostics_in_a_namespace_says_what_is_skipped() {
    let mut s = Screen::new("monochrome");
    s.state.namespace = Some("shop".into());
    s.state.diagnostics.stale = true;
    s.keys("6");
    let t = s.draw();
    let text = format!("{:?}", t.backend());
    assert!(
        text.contains("namespace shop only: checks across namespaces"),
        "{text}"
    );
    assert!(
        text.contains("MESH003") && !text.contains("MESH001"),
        "{text}"
    );
}

#[test]
fn help_diagnostics() {
    let mut s = Screen::new("monochrome");
    s.height = 60;
    s.keys("6?");
    s.keys(&"j".repeat(36)); // to the findings notes and the code list
    let t = s.draw();
    assert_snapshot!(t.backend());
}

// ---------------------------------------------------------------------------------- modals

fn restart_request() -> meshctl_tui::cluster::write::WriteRequest {
    use meshctl_tui::cluster::write::{Target, rollout_restart};
    rollout_restart(
        Target::deployment("shop", "cart"),
        "41",
        "2026-11-25T11:58:00Z".parse().unwrap(),
    )
}

/// The audit overlay over the Mesh view: an applied restart (newest, selected, its patch in
/// the pane), an unreadable line, a forbidden one.
#[test]
fn audit_view() {
    use meshctl_tui::audit::{AuditEntry, AuditRow, AuditRows};
    use meshctl_tui::cluster::write::{DryRun, WriteOutcome, WriteReport};
    let mut s = Screen::new("dark");
    s.keys("4:audit");
    s.key(KeyCode::Enter);
    let entry = |report: &WriteReport, time: &str, user: Option<&str>| {
        let mut e = AuditEntry::from_report("snap", user, &restart_request(), report, Some("41"));
        e.time = time.into();
        AuditRow::Entry(Box::new(e))
    };
    let applied = WriteReport {
        dry_run: DryRun::Passed,
        outcome: Some(WriteOutcome::Applied {
            resource_version: "42".into(),
            object: serde_json::Value::Null,
        }),
    };
    let forbidden = WriteReport {
        dry_run: DryRun::Rejected(WriteOutcome::Forbidden(
            "deployments.apps \"cart\" is forbidden".into(),
        )),
        outcome: None,
    };
    s.msg(Msg::AuditLoaded(AuditRows {
        rows: vec![
            entry(&applied, "2026-11-25T11:58:00.5Z", Some("alice")),
            AuditRow::Unreadable {
                line: 2,
                text: "{truncated".into(),
            },
            entry(&forbidden, "2026-11-25T11:50:00Z", None),
        ],
        path: Some("/data/audit.jsonl".into()),
        error: None,
    }));
    let t = s.draw();
    let buf = t.backend().buffer();
    assert_role(buf, &s.theme, "rejected", Role::Error);
    assert_role(buf, &s.theme, "unreadable line", Role::Warn);
    assert_snapshot!(t.backend());
}

/// A long audit entry is never cut without a word: the split pane says where the rest is,
/// and the whole-overlay detail scrolls to its end.
#[test]
fn a_long_audit_entry_is_marked_and_scrolls_to_its_end() {
    use meshctl_tui::audit::{AuditRow, AuditRows};
    let mut s = Screen::new("monochrome");
    s.keys("4:audit");
    s.key(KeyCode::Enter);
    let text = format!("{}THE-END", "garbage in the audit log; ".repeat(400));
    s.msg(Msg::AuditLoaded(AuditRows {
        rows: vec![AuditRow::Unreadable { line: 1, text }],
        path: Some("/data/audit.jsonl".into()),
        error: None,
    }));
    let t = s.draw();
    find(
        t.backend().buffer(),
        "… (enter: the whole entry, j/k to scroll)",
    );
    assert!(!screen_text(&t).contains("THE-END"));
    s.key(KeyCode::Enter);
    s.keys("G");
    let t = s.draw();
    find(t.backend().buffer(), "THE-END");
    s.keys("g");
    let t = s.draw();
    assert!(!screen_text(&t).contains("THE-END"), "back at the top");
}

/// `U` after a restart applied in this session: the confirm names the object and shows the
/// inverse patch, Cancel focused.
#[test]
fn undo_confirm() {
    use meshctl_tui::cluster::write::undo::Undoable;
    use meshctl_tui::cluster::write::{DryRun, WriteOutcome, WriteReport};
    let mut s = Screen::new("monochrome");
    let before = serde_json::json!({"metadata": {"resourceVersion": "41"},
        "spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": "2026-11-01T09:00:00Z"}}}}});
    let mut after = before.clone();
    after["metadata"]["resourceVersion"] = "42".into();
    let report = WriteReport {
        dry_run: DryRun::Passed,
        outcome: Some(WriteOutcome::Applied {
            resource_version: "42".into(),
            object: after,
        }),
    };
    let u = Undoable::of("snap", &restart_request(), Some(before), &report).unwrap();
    s.msg(Msg::Undoable(Box::new(u)));
    s.keys("4U");
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn help_gateways() {
    let mut s = Screen::new("monochrome");
    s.keys("?");
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn help_mesh() {
    let mut s = Screen::new("monochrome");
    s.keys("4?");
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn palette_completes_namespaces() {
    let mut s = Screen::new("monochrome");
    s.keys(":ns b");
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn filter_while_typing() {
    let mut s = Screen::new("monochrome");
    s.keys("2/shop");
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn filter_kept_on_the_gateways_tree() {
    let mut s = Screen::new("dark");
    s.keys("/odd");
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_snapshot!(t.backend());
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
    assert_snapshot!(t.backend());
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
    assert_snapshot!(t.backend());
}

// ---------------------------------------------------------------------------------- header

#[test]
fn header_live() {
    let mut s = Screen::new("dark");
    let t = s.draw();
    assert_role(t.backend().buffer(), &s.theme, "● live", Role::Ok);
    assert_snapshot!(header_text(&t));
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
    assert_snapshot!(header_text(&t));
}

#[test]
fn header_connecting() {
    let mut s = Screen::with_states("dark", |_| WatchState::Syncing);
    let t = s.draw();
    assert_snapshot!(t.backend());
}

/// Never reached the server (nothing listed yet): disconnected. Once data was listed, a
/// broken watch makes it stale instead (see `header_stale_since_keeps_the_findings_marked_stale`).
#[test]
fn header_disconnected() {
    let mut s = Screen::with_states("dark", |_| WatchState::Syncing);
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
    assert_snapshot!(header_text(&t));
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
    assert_snapshot!(t.backend());
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
    assert_snapshot!(t.backend());
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
    assert_snapshot!(t.backend());
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
    assert_snapshot!(t.backend());
}

#[test]
fn bulk_restart_confirm_lists_the_workloads() {
    let mut s = Screen::new("monochrome");
    s.keys("4");
    s.draw();
    s.keys("B");
    let t = s.draw();
    assert_snapshot!("bulk_restart_chooser", t.backend());
    s.key(KeyCode::Enter);
    let t = s.draw();
    assert_snapshot!(t.backend());
}

#[test]
fn help_mesh_explains_injection() {
    let mut s = Screen::new("monochrome");
    s.keys("4?");
    s.keys(&"j".repeat(32)); // to the end: the injection notes
    let t = s.draw();
    assert_snapshot!(t.backend());
}

// ------------------------------------------------------------------ stale data, odd backends

/// Every row of the screen, joined.
fn screen_text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| row_text(buf, y))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn header_stale_since_keeps_the_findings_marked_stale() {
    let mut s = Screen::new("dark");
    s.draw();
    let before = s.state.diagnostics.findings.clone();
    assert!(!before.is_empty());
    // The API server goes away: every watch breaks.
    for k in Kind::ALL {
        s.watch(
            k,
            WatchEvent::State(WatchState::Failing("connection refused".into())),
        );
    }
    let t = s.draw();
    let since = meshctl_tui::ui::time::local_hms(NOW.parse().unwrap());
    let header = header_text(&t);
    assert!(
        header.contains(&format!("● stale since {since}, retrying")),
        "{header}"
    );
    assert!(header.contains("(stale)"), "{header}");
    assert_role(t.backend().buffer(), &s.theme, "● stale since", Role::Error);
    // Nothing vanished: the same findings, all marked stale.
    assert_eq!(s.state.diagnostics.findings, before);
    assert_eq!(s.state.diagnostics.stale_ids.len(), before.len());
    s.keys("6");
    let t = s.draw();
    let text = screen_text(&t);
    assert!(text.contains("(stale) "), "{text}");
    assert!(
        header_text(&t).contains("● stale since"),
        "the header says it in every view"
    );
    // A finding's detail says so too.
    s.key(KeyCode::Enter);
    let text = screen_text(&s.draw());
    assert!(
        text.contains(&format!(
            "Stale: judged on the last known objects; their watch has not been live since {since}."
        )),
        "{text}"
    );
    s.key(KeyCode::Esc);
    // Live again: re-judged, nothing stale.
    for k in Kind::ALL {
        s.watch(k, WatchEvent::State(WatchState::Live));
    }
    let t = s.draw();
    let header = header_text(&t);
    assert!(
        header.contains("● live") && !header.contains("stale"),
        "{header}"
    );
    assert!(!screen_text(&t).contains("(stale)"));
    assert!(s.state.diagnostics.stale_ids.is_empty());
}

#[test]
fn only_the_findings_of_a_broken_watch_are_stale() {
    let mut s = Screen::new("dark");
    s.draw();
    let n = s.state.diagnostics.findings.len();
    s.watch(
        Kind::Pods,
        WatchEvent::State(WatchState::Failing("connection reset".into())),
    );
    let t = s.draw();
    let stale = s.state.diagnostics.stale_ids.len();
    assert!(stale > 0 && stale < n, "{stale} of {n}");
    assert_eq!(s.state.diagnostics.findings.len(), n);
    assert!(
        header_text(&t).contains(&format!("({stale} stale)")),
        "{}",
        header_text(&t)
    );
    // The sidecar findings rest on pods; the gateway's own conditions do not.
    let d = &s.state.diagnostics;
    assert!(
        d.findings
            .iter()
            .filter(|f| f.code == "MESH003")
            .all(|f| d.is_stale(f))
    );
    assert!(
        d.findings
            .iter()
            .filter(|f| f.code.starts_with("GW00"))
            .all(|f| !d.is_stale(f))
    );
}

/// HTTPRoute infra/odd-kinds on gw-agc: Service backend-v1 (weight 2), ConfigMap infra/cm
/// (1) and example.com/Bar infra/bar (1); the controller has not reported yet.
fn odd_kinds_route() -> meshctl_tui::cluster::cache::Obj {
    let doc = serde_json::json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "odd-kinds", "namespace": "infra", "generation": 1, "resourceVersion": "900"},
        "spec": {
            "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw-agc", "sectionName": "http"}],
            "rules": [{"backendRefs": [
                {"name": "backend-v1", "port": 8080, "weight": 2},
                {"group": "", "kind": "ConfigMap", "name": "cm", "weight": 1},
                {"group": "example.com", "kind": "Bar", "name": "bar", "weight": 1}
            ]}]
        }
    });
    fixtures::to_obj(&doc).expect("an HTTPRoute").1
}

#[test]
fn a_backend_of_an_unsupported_kind_shows_its_share_as_http_500() {
    let mut s = Screen::new("monochrome");
    s.watch(
        Kind::HttpRoutes,
        WatchEvent::Apply(Box::new(odd_kinds_route())),
    );
    s.keys("2");
    s.draw();
    let row = s
        .state
        .derived
        .routes
        .iter()
        .find(|r| r.key.name == "odd-kinds")
        .expect("the route is listed")
        .clone();
    assert_eq!(
        row.backends,
        "backend-v1 50%, ConfigMap cm 25%→500, Bar bar 25%→500"
    );
    assert!(
        row.problems.iter().any(|p| p
            .contains("ConfigMap infra/cm: unsupported kind (InvalidKind), its 25% get HTTP 500")),
        "{:?}",
        row.problems
    );
    // The findings: one ROUTE010 per backend.
    let route010: Vec<_> = s
        .state
        .diagnostics
        .findings
        .iter()
        .filter(|f| f.code == "ROUTE010")
        .collect();
    assert_eq!(route010.len(), 2);
    // The route detail (the Gateways tree draws the same nodes).
    s.keys("/odd-kinds");
    s.key(KeyCode::Enter);
    s.draw();
    s.key(KeyCode::Enter);
    let t = s.draw();
    let text = screen_text(&t);
    assert!(
        text.contains("→ ConfigMap infra/cm  weight 1  25% → HTTP 500: unsupported kind ConfigMap (InvalidKind)"),
        "{text}"
    );
    assert!(
        text.contains("→ Bar infra/bar  weight 1  25% → HTTP 500: unsupported kind example.com/Bar (InvalidKind)"),
        "{text}"
    );
    assert_snapshot!(t.backend());
    // The weight editor marks those rows: their weight only sets how many requests fail.
    s.keys("W");
    let t = s.draw();
    let text = screen_text(&t);
    let marked = text
        .lines()
        .filter(|l| l.contains("→ HTTP 500: unsupported kind"))
        .count();
    assert_eq!(marked, 2, "{text}");
}

// ------------------------------------------------------------------ hostile cluster text

/// Objects whose free-text fields carry terminal escapes (OSC 52 clipboard write, window
/// title, reset) and a right-to-left override, plus a 10k-character condition message.
fn hostile_cluster() -> String {
    let message = format!("{}THE-END", "backend refused the request; ".repeat(350));
    format!(
        r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: "evil", namespace: shop, generation: 1, resourceVersion: '1'}}
spec:
  hosts: ["a\e]52;c;aGVsbG8=\a.example.com", "x\e]0;pwned\a\ec", "gnp.\u202Eexe.com"]
  http:
  - route:
    - destination: {{host: reviews}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: long-message, namespace: shop, generation: 1}}
spec:
  parentRefs:
  - {{name: gw-istio, namespace: istio-ingress}}
  rules:
  - backendRefs:
    - {{name: web, port: 80}}
status:
  parents:
  - parentRef: {{group: gateway.networking.k8s.io, kind: Gateway, name: gw-istio, namespace: istio-ingress}}
    controllerName: istio.io/gateway-controller
    conditions:
    - {{type: Accepted, status: 'False', reason: Invalid, message: "{message}", lastTransitionTime: '2026-04-08T14:06:02Z'}}
"#
    )
}

fn hostile_screen() -> Screen {
    let mut s = Screen::new("monochrome");
    for (kind, list) in fixtures::objs_by_kind(&hostile_cluster()) {
        for o in list {
            s.watch(kind, WatchEvent::Apply(Box::new(o)));
        }
    }
    s
}

/// No cell holds a control or format character: the terminal gets none from cluster text.
fn assert_no_raw_controls(buf: &Buffer) {
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(meshctl_tui::text::is_unsafe),
            "raw control in cell {:?}",
            cell.symbol()
        );
    }
}

#[test]
fn hostile_hosts_are_shown_escaped_cut_with_a_marker_and_aligned() {
    let mut s = hostile_screen();
    s.width = 200;
    s.keys("2/evil");
    s.key(KeyCode::Enter);
    let t = s.draw();
    let buf = t.backend().buffer();
    assert_no_raw_controls(buf);
    // HOSTNAMES is capped at 28 columns: the escaped host is cut there, with `…`.
    let (x, y) = find(buf, "a\\e]52;c;aGVsbG8=\\x07");
    let (hx, _) = find(buf, "HOSTNAMES");
    let (px, _) = find(buf, "PARENTS");
    assert_eq!(x, hx);
    let cell: String = (hx..px).map(|c| buf[(c, y)].symbol()).collect();
    assert_eq!(cell.trim_end(), "a\\e]52;c;aGVsbG8=\\x07.examp…");
    assert_snapshot!(t.backend());
}

#[test]
fn hostile_hosts_in_the_route_detail_are_escaped_in_full() {
    let mut s = hostile_screen();
    s.width = 200;
    s.keys("2/evil");
    s.key(KeyCode::Enter);
    s.draw();
    s.key(KeyCode::Enter);
    let t = s.draw();
    let buf = t.backend().buffer();
    assert_no_raw_controls(buf);
    find(buf, "x\\e]0;pwned\\x07\\ec");
    find(buf, "gnp.<U+202E>exe.com");
    assert_snapshot!(t.backend());
}

#[test]
fn a_ten_thousand_character_message_wraps_and_its_end_is_reachable() {
    let mut s = hostile_screen();
    s.keys("2/long-message");
    s.key(KeyCode::Enter);
    s.draw();
    s.key(KeyCode::Enter);
    let t = s.draw();
    let buf = t.backend().buffer();
    // Wrapped at the border: the first rows are full, not one line cut off.
    find(buf, "backend refused the request; backend refused");
    s.key(KeyCode::Char('G'));
    let t = s.draw();
    find(t.backend().buffer(), "THE-END");
}

// -------------------------------------------------------------------------- rebound dialog keys
//
// One test per modal context: a config.toml override rebinds one key; the new key acts, the
// old one no longer does, and the footer or the dialog's own hint names the new key.

impl Screen {
    /// The keymap of a config.toml with these `[keys.*]` tables, as the app builds it at start.
    fn rebind(&mut self, config_toml: &str) -> &mut Self {
        let (config, warnings) =
            meshctl_tui::config::parse(config_toml, std::path::Path::new("config.toml"));
        assert!(warnings.is_empty(), "{warnings:?}");
        let (keymap, warnings) = config.keymap();
        assert!(warnings.is_empty(), "{warnings:?}");
        self.keymap = keymap;
        self
    }

    fn press(&mut self, key: &str) -> &mut Self {
        let chord: meshctl_tui::config::KeyChord = key.parse().unwrap();
        self.msg(Msg::Key(KeyEvent::new(chord.code(), chord.modifiers())));
        self
    }

    fn text(&mut self) -> String {
        let t = self.draw();
        screen_text(&t)
    }

    fn top(&self) -> Option<&Modal> {
        self.state.modals.last()
    }
}

use meshctl_tui::state::Modal;

#[test]
fn rebound_confirm_cancel_key() {
    let mut s = Screen::new("monochrome");
    s.rebind("[keys.dialog]\n\"x\" = \"cancel\"\n\"esc\" = \"none\"\n");
    s.keys("4");
    s.draw();
    s.keys("G");
    s.key(KeyCode::Enter);
    s.draw();
    s.keys("R"); // restart the namespace's first workload: a confirm
    assert!(matches!(s.top(), Some(Modal::Confirm(_))));
    let text = s.text();
    assert!(
        text.contains(" tab switch Cancel/Confirm  enter choose  x cancel"),
        "{text}"
    );
    s.key(KeyCode::Esc);
    assert!(matches!(s.top(), Some(Modal::Confirm(_))), "esc is unbound");
    s.keys("x");
    assert!(s.top().is_none(), "x cancels");
}

#[test]
fn rebound_plan_scroll_key() {
    let mut s = Screen::new("monochrome");
    s.rebind("[keys.dialog]\n\"ctrl-n\" = \"scroll_down\"\n\"j\" = \"none\"\n");
    s.keys("4");
    s.draw();
    s.keys("B");
    s.key(KeyCode::Enter); // the chooser's first option: a plan of restarts
    let scroll = |s: &Screen| match s.top() {
        Some(Modal::Plan(p)) => p.scroll,
        other => panic!("plan expected, got {other:?}"),
    };
    s.keys("j");
    assert_eq!(scroll(&s), 0, "j is unbound");
    s.press("ctrl-n");
    assert_eq!(scroll(&s), 1, "ctrl-n scrolls");
    let text = s.text();
    assert!(text.contains(" ctrl-n/k scroll  tab switch"), "{text}");
}

#[test]
fn rebound_chooser_pick_key() {
    let mut s = Screen::new("monochrome");
    s.rebind("[keys.chooser]\n\"space\" = \"pick\"\n\"enter\" = \"none\"\n");
    s.keys("4");
    s.draw();
    s.keys("B");
    assert!(matches!(s.top(), Some(Modal::Chooser(_))));
    let text = s.text();
    assert!(
        text.contains(" j/k choose  space next  esc cancel"),
        "{text}"
    );
    assert!(
        text.contains("j/k choose  space next (a confirm follows)  esc cancel"),
        "{text}"
    );
    s.key(KeyCode::Enter);
    assert!(
        matches!(s.top(), Some(Modal::Chooser(_))),
        "enter is unbound"
    );
    s.keys(" ");
    assert!(matches!(s.top(), Some(Modal::Plan(_))), "space picks");
}

#[test]
fn rebound_weight_editor_step_key() {
    let mut s = Screen::new("monochrome");
    s.rebind("[keys.weights]\n\"u\" = \"increase\"\n\"+\" = \"none\"\n");
    s.keys("2");
    s.draw();
    s.keys("W");
    let first = |s: &Screen| match s.top() {
        Some(Modal::Weights(e)) => e.backends[0].weight,
        other => panic!("editor expected, got {other:?}"),
    };
    let before = first(&s);
    s.keys("+");
    assert_eq!(first(&s), before, "+ is unbound");
    s.keys("u");
    assert_eq!(first(&s), before + 1, "u adds one");
    let text = s.text();
    assert!(text.contains("j/k backend   u/- or ←/→ ±1"), "{text}");
}

#[test]
fn rebound_migration_close_key() {
    let mut s = migration_screen();
    s.rebind("[keys.migration]\n\"c\" = \"close\"\n\"esc\" = \"none\"\n\"q\" = \"none\"\n");
    let open = |s: &Screen| s.state.modals.iter().any(|m| matches!(m, Modal::Migrate));
    assert!(open(&s));
    let text = s.text();
    assert!(
        text.contains("p other revision pair   c close (a running wave goes on; M reopens)"),
        "{text}"
    );
    s.key(KeyCode::Esc);
    s.keys("q");
    assert!(open(&s), "esc and q are unbound");
    s.keys("c");
    assert!(!open(&s), "c closes");
}

#[test]
fn rebound_palette_run_key() {
    let mut s = Screen::new("monochrome");
    s.rebind("[keys.palette]\n\"ctrl-j\" = \"run\"\n\"enter\" = \"none\"\n");
    s.keys(":fe");
    let text = s.text();
    assert!(
        text.contains(" ctrl-j run  tab complete  esc cancel"),
        "{text}"
    );
    s.key(KeyCode::Enter);
    assert!(
        matches!(s.top(), Some(Modal::Palette(_))),
        "enter is unbound"
    );
    s.press("ctrl-j");
    assert!(s.top().is_none());
    assert_eq!(s.state.view, ViewId::Frontends, "ctrl-j runs");
}

#[test]
fn rebound_filter_keep_key() {
    let mut s = Screen::new("monochrome");
    s.rebind("[keys.filter]\n\"tab\" = \"keep\"\n\"enter\" = \"none\"\n");
    s.keys("2/shop");
    let text = s.text();
    assert!(
        text.contains(" type to filter  tab keep  esc clear"),
        "{text}"
    );
    s.key(KeyCode::Enter);
    assert!(
        matches!(s.top(), Some(Modal::Filter(_))),
        "enter is unbound"
    );
    s.key(KeyCode::Tab);
    assert!(s.top().is_none());
    assert_eq!(s.state.filter(ViewId::Routes), "shop", "tab keeps it");
}

#[test]
fn rebound_audit_close_key() {
    let mut s = Screen::new("monochrome");
    s.rebind("[keys.audit]\n\"x\" = \"close\"\n\"esc\" = \"none\"\n");
    s.keys(":audit");
    s.key(KeyCode::Enter);
    assert!(matches!(s.top(), Some(Modal::Audit(_))));
    let text = s.text();
    assert!(text.contains("<x> back"), "{text}");
    assert!(text.contains("x: close"), "{text}");
    s.key(KeyCode::Esc);
    assert!(matches!(s.top(), Some(Modal::Audit(_))), "esc is unbound");
    s.keys("x");
    assert!(s.top().is_none(), "x closes");
}

#[test]
fn help_lists_dialog_keys_from_the_keymap() {
    let mut s = Screen::new("monochrome");
    s.height = 120;
    s.rebind("[keys.dialog]\n\"y\" = \"choose\"\n[keys.weights]\n\"i\" = \"none\"\n");
    s.keys("2?");
    let text = s.text();
    assert!(
        text.contains("confirm   tab switch Cancel/Confirm  y choose"),
        "{text}"
    );
    assert!(
        text.contains("Weight editor (W on a route, rule or backend)"),
        "{text}"
    );
    assert!(
        text.contains("unbound   type a value (validated on review; a digit also starts one)"),
        "{text}"
    );
}
