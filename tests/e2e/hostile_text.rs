//! End-to-end test of terminal safety against a real kube-apiserver 1.20 + etcd: cluster text
//! carrying terminal escapes must reach the terminal as visible text, never as escapes.
//!
//! The cluster holds a TLS Secret whose certificate CN writes the clipboard (OSC 52), sets
//! the window title (OSC 0) and hides its end behind a right-to-left override (U+202E), a
//! certificate with 20,000 SANs, and a VirtualService (hosts are free text, unlike
//! HTTPRoute hostnames) whose hosts carry the same escapes plus a terminal reset (`ESC c`)
//! and a C1 CSI (U+009B). `certs` and `check` print their tables on a pseudo-terminal, and
//! the console shows the Certificates view, a certificate's detail and the Routes view. In
//! every raw byte stream read from the PTY: no OSC (`ESC ]`), no reset (`ESC c`), no BEL, no
//! C1, and every ESC starts one of the console's own CSI sequences (`ESC [`). The escapes
//! show as `\e]52;…`, the override as `<U+202E>`.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the test FAILS with a message saying so, it is never skipped.

use crate::support::{certs, crds, kube_env, machine, pty};

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use certs::{days_from_now, mint};
use kube_env::KubeEnv;
use pty::{Console, ENTER, ESC};
use serde_json::{Value, json};

const STARTUP: Duration = Duration::from_secs(60);
const STEP: Duration = Duration::from_secs(20);

/// Clipboard write, title change, then a right-to-left override: "evil" would read "exe.gnp".
const HOSTILE_CN: &str = "evil\x1b]52;c;aGVsbG8=\x07\x1b]0;pwned\x07\u{202E}gnp.exe";
/// How the CN must look on screen.
const SHOWN_CN: &str = "evil\\e]52;c;aGVsbG8=\\x07\\e]0;pwned\\x07<U+202E>gnp.exe";
const SANS: usize = 20_000;

fn tls_secret(name: &str, crt: &str, key: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": "shop"},
        "data": {"tls.crt": B64.encode(crt), "tls.key": B64.encode(key)}
    })
}

async fn setup(env: &KubeEnv) {
    env.install_crd_groups(&[crds::ISTIO_NETWORKING, crds::ISTIO_SECURITY])
        .await;
    // 5 days left: CRITICAL, so `check` reports it (CERT002) with the CN in the title.
    let evil = mint(
        HOSTILE_CN,
        &["evil.example.com".into()],
        &days_from_now(-60),
        &days_from_now(5),
        false,
        None,
    );
    let sans: Vec<String> = (0..SANS).map(|i| format!("h{i}.example.com")).collect();
    let many = mint(
        "many.example.com",
        &sans,
        &days_from_now(-60),
        &days_from_now(300),
        false,
        None,
    );
    let docs = [
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        tls_secret("evil-tls", &evil.pem, &evil.key_pem()),
        tls_secret("many-tls", &many.pem, &many.key_pem()),
        json!({"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
               "metadata": {"name": "evil", "namespace": "shop"},
               "spec": {"hosts": ["a\x1b]52;c;aGVsbG8=\x07.example.com",
                                  "x\x1b]0;pwned\x07\x1bc\u{9b}2J",
                                  "gnp.\u{202E}exe.com"],
                        "http": [{"route": [{"destination": {"host": "reviews"}}]}]}}),
    ];
    // JSON is YAML: the escapes travel as \u001b, \u0007, \u202e.
    let yaml: String = docs
        .iter()
        .map(|d| format!("---\n{}\n", serde_json::to_string(d).unwrap()))
        .collect();
    env.apply_yaml(&yaml).await;
}

/// Nothing in `raw` but the console's own CSI sequences: no OSC, no reset, no BEL, no C1.
fn assert_no_foreign_escapes(what: &str, raw: &[u8]) {
    let text = String::from_utf8_lossy(raw);
    let context = |i: usize| {
        String::from_utf8_lossy(&raw[i.saturating_sub(40)..(i + 40).min(raw.len())]).into_owned()
    };
    for (i, w) in raw.windows(2).enumerate() {
        assert!(
            w[0] != 0x1b || w[1] == b'[',
            "{what}: ESC {:?} that is not CSI at byte {i}: {:?}",
            w[1] as char,
            context(i)
        );
    }
    assert!(!raw.contains(&0x07), "{what}: BEL in the output");
    assert!(
        !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)),
        "{what}: a C1 control in the output"
    );
    assert!(
        !text.contains('\u{202E}'),
        "{what}: a raw U+202E in the output"
    );
}

/// Runs a command in a PTY (table output, as a person at a terminal sees it) and returns
/// its whole output once it has exited.
fn run_on_pty(args: &[String]) -> String {
    let mut c = Console::start_with_args(args);
    c.wait_exit(STARTUP);
    c.wait_output_end(STEP);
    let raw = c.raw_output();
    assert_no_foreign_escapes(&args[0], &raw);
    assert!(
        !raw.contains(&0x1b),
        "{}: the table needs no escape at all",
        args[0]
    );
    String::from_utf8_lossy(&raw).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_text_never_reaches_the_terminal_as_escapes() {
    let _machine = machine::shared().await;
    let env = KubeEnv::start().await;
    setup(&env).await;
    let kc = env.kubeconfig_path().display().to_string();
    let args = |cmd: &str| vec![cmd.to_string(), "--kubeconfig".into(), kc.clone()];

    // --- `certs`: the CN escaped in full (a table that scripts grep cuts nothing).
    let out = run_on_pty(&args("certs"));
    let row = out
        .lines()
        .find(|l| l.contains("Secret shop/evil-tls"))
        .unwrap_or_else(|| panic!("no evil-tls row in:\n{out}"));
    assert!(row.contains(SHOWN_CN), "{row}");
    assert!(row.starts_with("CRITICAL"), "{row}");

    // --- `check`: CERT002 names the certificate by its CN, escaped.
    let out = run_on_pty(&args("check"));
    let row = out
        .lines()
        .find(|l| l.contains("CERT002"))
        .unwrap_or_else(|| panic!("no CERT002 in:\n{out}"));
    assert!(row.contains(SHOWN_CN), "{row}");

    // --- the console
    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for("● live", STARTUP);
    console.send("5");
    console.wait_for_line(
        &["CRITICAL", "Secret shop/evil-tls tls.crt", "evil\\e]52;c;"],
        STEP,
    );
    // SUBJECT is cut to its column, and says so.
    console.wait_for_line(&["Secret shop/evil-tls tls.crt", "…"], STEP);
    console.send("/evil");
    console.send(ENTER);
    console.send(ENTER);
    console.wait_for_all(
        &[
            &format!("subject       CN={SHOWN_CN}"),
            "SANs          evil.example.com",
        ],
        STEP,
    );
    console.send(ESC);
    console.send(ESC);
    // 20,000 SANs: wrapped in the detail, the last one reachable with G.
    console.send("/many");
    console.send(ENTER);
    console.send(ENTER);
    console.wait_for("SANs          h0.example.com, h1.example.com", STEP);
    console.send("G");
    console.wait_for(&format!("h{}.example.com", SANS - 1), STEP);
    console.send(ESC);
    console.send(ESC);
    // Routes: the VirtualService's hosts, escaped; the C1 CSI and the reset too.
    console.send("2");
    console.wait_for_line(
        &["VirtualService", "shop/evil", "a\\e]52;c;aGVsbG8=\\x07"],
        STEP,
    );
    console.send("/evil");
    console.send(ENTER);
    console.send(ENTER);
    console.wait_for_all(
        &["x\\e]0;pwned\\x07\\ec\\u{9b}2J", "gnp.<U+202E>exe.com"],
        STEP,
    );
    console.send(ESC);
    console.send("q");
    console.wait_exit(STEP);
    console.wait_output_end(STEP);
    assert_no_foreign_escapes("console", &console.raw_output());
}
