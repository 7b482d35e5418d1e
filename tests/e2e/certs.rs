//! End-to-end tests of the certificate inventory against a real kube-apiserver 1.20 + etcd:
//! `meshctl-tui certs` and `check` (table, `-o json`, `--expiring-within`, `-n`, exit codes,
//! also for users RBAC limits) run as a process, and the console's Certificates view read in
//! a pseudo-terminal (160x48).
//!
//! Certificates are minted with rcgen relative to the real clock (5, 12, 25, 300 days left,
//! expired 3 days ago), next to a garbage `tls.crt`, a 3-certificate CA bundle ConfigMap, the
//! Istio `cacerts`, a Gateway listener and a cert-manager Certificate with a status. Every
//! `tls.key` holds a real private key: no output may contain any of it.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the tests FAIL with a message saying so, they are never skipped.

use crate::support::{certs, crds, kube_env, machine, pty, scenario};

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use certs::{Minted, days_from_now, mint};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::discovery::ApiResource;
use kube_env::KubeEnv;
use pty::{Console, ENTER, ESC};
use serde_json::{Value, json};

const STARTUP: Duration = Duration::from_secs(60);
const STEP: Duration = Duration::from_secs(15);

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_meshctl-tui")
}

/// Runs `meshctl-tui <args>` with a clean config dir; returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let home = std::env::temp_dir().join(format!("meshctl-e2e-certs-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let out: Output = std::process::Command::new(bin())
        .args(args)
        .env_clear()
        .env("HOME", &home)
        .env("MESHCTL_CONFIG_DIR", home.join("config"))
        .env("MESHCTL_DATA_DIR", home.join("data"))
        .output()
        .expect("run meshctl-tui");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn leaf(cn: &str, days: i64) -> Minted {
    mint(
        cn,
        &[cn.to_string()],
        &days_from_now(days.min(0) - 60),
        &days_from_now(days),
        false,
        None,
    )
}

fn tls_secret(ns: &str, name: &str, crt: &str, key: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": ns},
        "data": {"tls.crt": B64.encode(crt), "tls.key": B64.encode(key)}
    })
}

struct Fixture {
    /// Every private key put in the cluster, and the base64 body lines of each.
    key_lines: Vec<String>,
}

impl Fixture {
    /// Asserts that no line of any private key appears in `text`.
    fn assert_no_key(&self, what: &str, text: &str) {
        assert!(!text.contains("PRIVATE KEY"), "{what}: a key header leaked");
        for l in &self.key_lines {
            assert!(!text.contains(l.as_str()), "{what}: key material leaked");
        }
    }
}

async fn setup(env: &KubeEnv) -> Fixture {
    env.install_crd_groups(&[crds::GATEWAY_API, crds::CERT_MANAGER])
        .await;
    let shop = leaf("shop.example.com", 5);
    let pay = leaf("pay.example.com", 12);
    let grpc = leaf("grpc.example.com", 25);
    let legacy = leaf("legacy.example.com", -3);
    let healthy = leaf("healthy.example.com", 300);
    let root = mint(
        "E2E Root CA",
        &[],
        &days_from_now(-400),
        &days_from_now(3000),
        true,
        None,
    );
    let inter = mint(
        "E2E Intermediate CA",
        &[],
        &days_from_now(-100),
        &days_from_now(700),
        true,
        Some(&root),
    );
    let internal = mint(
        "internal.shop.svc",
        &["internal.shop.svc".into()],
        &days_from_now(-10),
        &days_from_now(80),
        false,
        Some(&inter),
    );
    let key_lines = [&shop, &pay, &grpc, &legacy, &healthy, &root]
        .iter()
        .flat_map(|m| {
            m.key_pem()
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    let mut docs = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}}),
        tls_secret("shop", "shop-tls", &shop.pem, &shop.key_pem()),
        tls_secret("shop", "pay-tls", &pay.pem, &pay.key_pem()),
        tls_secret("shop", "grpc-tls", &grpc.pem, &grpc.key_pem()),
        tls_secret("shop", "legacy-tls", &legacy.pem, &legacy.key_pem()),
        tls_secret(
            "istio-system",
            "healthy-tls",
            &healthy.pem,
            &healthy.key_pem(),
        ),
        tls_secret("shop", "garbage-tls", "this is not PEM", &shop.key_pem()),
        // Not TLS-typed and not an Istio CA name: not listed at all (lean).
        json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
               "metadata": {"name": "app-config", "namespace": "shop"},
               "data": {"tls.crt": B64.encode(&healthy.pem)}}),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
               "metadata": {"name": "cacerts", "namespace": "istio-system"},
               "data": {"ca-cert.pem": B64.encode(&inter.pem),
                        "cert-chain.pem": B64.encode(format!("{}{}", inter.pem, root.pem)),
                        "root-cert.pem": B64.encode(&root.pem),
                        "ca-key.pem": B64.encode(root.key_pem())}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "ca-bundle", "namespace": "shop"},
               "data": {"bundle.pem": format!("{}{}{}", internal.pem, inter.pem, root.pem),
                        "settings": "timeout=5s"}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
               "metadata": {"name": "public", "namespace": "shop"},
               "spec": {"gatewayClassName": "istio", "listeners": [
                   {"name": "https-shop", "port": 443, "protocol": "HTTPS",
                    "hostname": "shop.example.com",
                    "tls": {"mode": "Terminate", "certificateRefs": [{"name": "shop-tls"}]}}]}}),
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
               "metadata": {"name": "shop", "namespace": "shop"},
               "spec": {"secretName": "shop-tls", "dnsNames": ["shop.example.com"],
                        "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt-prod"}}}),
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
               "metadata": {"name": "apex", "namespace": "shop"},
               "spec": {"secretName": "apex-tls", "dnsNames": ["example.com"],
                        "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt-prod"}}}),
    ];
    let yaml: String = docs
        .drain(..)
        .map(|d| format!("---\n{}\n", serde_json::to_string(&d).unwrap()))
        .collect();
    env.apply_yaml(&yaml).await;
    // Status is a subresource: written like cert-manager does.
    let ar = ApiResource {
        group: "cert-manager.io".into(),
        version: "v1".into(),
        api_version: "cert-manager.io/v1".into(),
        kind: "Certificate".into(),
        plural: "certificates".into(),
    };
    let api: Api<DynamicObject> = Api::namespaced_with(env.client(), "shop", &ar);
    for (name, status) in [
        (
            "shop",
            json!({"conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                   "message": "Certificate is up to date and has not expired",
                   "lastTransitionTime": days_from_now(-1)}],
                   "notBefore": days_from_now(-60), "notAfter": days_from_now(5),
                   "renewalTime": days_from_now(-25)}),
        ),
        (
            "apex",
            json!({"conditions": [{"type": "Ready", "status": "False", "reason": "DoesNotExist",
                   "message": "Issuing certificate as Secret does not exist",
                   "lastTransitionTime": days_from_now(-1)}],
                   "failedIssuanceAttempts": 4}),
        ),
    ] {
        api.patch_status(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": status})),
        )
        .await
        .unwrap_or_else(|e| panic!("status of Certificate {name}: {e}"));
    }
    Fixture { key_lines }
}

/// Read access to everything but Secrets.
const NO_SECRETS_RBAC: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: meshctl-e2e-no-secrets
rules:
- apiGroups: [""]
  resources: [namespaces, pods, services, configmaps]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets]
  verbs: [get, list, watch]
- apiGroups: [gateway.networking.k8s.io, cert-manager.io, apiextensions.k8s.io]
  resources: ["*"]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: meshctl-e2e-no-secrets
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: meshctl-e2e-no-secrets
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: e2e-limited
"#;

fn line_of<'a>(out: &'a str, needle: &str) -> &'a str {
    out.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{out}"))
}

fn cols(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

fn json_row<'a>(doc: &'a Value, kind: &str, name: &str, entry: u64) -> &'a Value {
    doc["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["source"]["kind"] == kind
                && r["source"]["name"] == name
                && r["source"]["entry"] == entry
        })
        .unwrap_or_else(|| panic!("no {kind} {name} #{entry} in {doc:#}"))
}

fn kubeconfig(p: &Path) -> String {
    p.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certs_command_and_console_on_a_real_apiserver() {
    let _machine = machine::alone().await;
    let env = KubeEnv::start().await;
    let fx = setup(&env).await;
    let kc = kubeconfig(env.kubeconfig_path());

    // --- the table
    let (code, out, err) = run(&["certs", "--kubeconfig", &kc]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    fx.assert_no_key("table", &out);
    fx.assert_no_key("stderr", &err);
    let shop = cols(line_of(&out, "Secret shop/shop-tls tls.crt"));
    assert_eq!(&shop[..2], ["CRITICAL", "5"], "{shop:?}");
    assert!(shop.contains(&"shop.example.com"));
    assert!(
        shop.iter()
            .any(|c| c.contains("Gateway shop/public listener https-shop")
                && c.contains("cert-manager Certificate shop/shop"))
    );
    assert_eq!(
        &cols(line_of(&out, "Secret shop/pay-tls"))[..2],
        ["WARNING", "12"]
    );
    assert_eq!(
        &cols(line_of(&out, "Secret shop/grpc-tls"))[..2],
        ["SOON", "25"]
    );
    assert_eq!(
        &cols(line_of(&out, "Secret shop/legacy-tls"))[..2],
        ["EXPIRED", "-3"]
    );
    assert_eq!(
        &cols(line_of(&out, "Secret istio-system/healthy-tls"))[..2],
        ["OK", "300"]
    );
    let garbage = line_of(&out, "Secret shop/garbage-tls tls.crt");
    assert!(garbage.starts_with("UNPARSEABLE"), "{garbage}");
    assert!(
        garbage.contains("unparseable: no PEM block found"),
        "{garbage}"
    );
    for (i, cn) in [
        (1, "internal.shop.svc"),
        (2, "E2E Intermediate CA"),
        (3, "E2E Root CA"),
    ] {
        let l = line_of(&out, &format!("ConfigMap shop/ca-bundle bundle.pem #{i}/3"));
        assert!(l.contains(cn), "{l}");
    }
    assert!(line_of(&out, "Secret istio-system/cacerts root-cert.pem").contains("Istio plugin CA"));
    assert!(line_of(&out, "Certificate shop/apex").starts_with("NOT READY"));
    assert!(!out.contains("app-config"), "an Opaque secret was listed");
    // Soonest first: problems, then expired, then by days left.
    let pos = |n: &str| out.find(n).unwrap();
    assert!(pos("garbage-tls") < pos("legacy-tls"));
    assert!(pos("legacy-tls") < pos("shop/shop-tls"));
    assert!(pos("shop/shop-tls") < pos("pay-tls"));
    assert!(pos("pay-tls") < pos("grpc-tls"));
    assert!(pos("grpc-tls") < pos("healthy-tls"));

    // --- JSON
    let (code, out, err) = run(&["certs", "--kubeconfig", &kc, "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    fx.assert_no_key("json", &out);
    let doc: Value = serde_json::from_str(&out).expect("valid JSON");
    let shop = json_row(&doc, "Secret", "shop-tls", 1);
    assert_eq!(shop["days_left"], 5);
    assert_eq!(shop["band"], "critical");
    assert_eq!(shop["chain"], "leaf (self-signed)");
    assert_eq!(shop["sans"], json!(["shop.example.com"]));
    assert_eq!(shop["key_type"], "EC P-256");
    assert_eq!(json_row(&doc, "Secret", "legacy-tls", 1)["band"], "expired");
    let garbage = json_row(&doc, "Secret", "garbage-tls", 1);
    assert_eq!(garbage["band"], "unparseable");
    assert!(
        garbage["error"]
            .as_str()
            .unwrap()
            .starts_with("no PEM block found")
    );
    assert_eq!(
        json_row(&doc, "ConfigMap", "ca-bundle", 2)["chain"],
        "intermediate"
    );
    assert_eq!(
        json_row(&doc, "ConfigMap", "ca-bundle", 3)["source"]["of"],
        3
    );
    let cm = json_row(&doc, "Certificate", "shop", 1);
    assert_eq!(cm["cert_manager"]["ready"], true);
    assert_eq!(cm["days_left"], 5);
    let apex = json_row(&doc, "Certificate", "apex", 1);
    assert_eq!(apex["band"], "not-ready");
    assert_eq!(apex["cert_manager"]["failed_issuance_attempts"], 4);
    let sources = doc["sources"].as_array().unwrap();
    // AGC is not installed here: its kinds say so, the rest is live.
    for s in sources {
        let agc = s["resource"]
            .as_str()
            .unwrap()
            .ends_with("alb.networking.azure.io");
        let want = if agc { "not-installed" } else { "live" };
        assert_eq!(s["state"], want, "{s}");
    }

    // --- --expiring-within, -n
    let (code, out, _) = run(&["certs", "--kubeconfig", &kc, "--expiring-within", "14d"]);
    assert_eq!(code, 0);
    for n in [
        "shop/shop-tls",
        "pay-tls",
        "legacy-tls",
        "garbage-tls",
        "Certificate shop/apex",
    ] {
        assert!(out.contains(n), "{n} missing:\n{out}");
    }
    for n in ["grpc-tls", "healthy-tls", "ca-bundle"] {
        assert!(!out.contains(n), "{n} listed:\n{out}");
    }
    let (code, out, _) = run(&["certs", "--kubeconfig", &kc, "-n", "istio-system"]);
    assert_eq!(code, 0);
    assert!(out.contains("healthy-tls") && out.contains("cacerts"));
    assert!(!out.contains("shop-tls"), "{out}");

    // --- a user who may not read Secrets: a clear warning, the rest still listed
    env.apply_yaml(NO_SECRETS_RBAC).await;
    let limited = kubeconfig(env.limited_kubeconfig_path());
    let (code, out, err) = kube_env::eventually(STEP, "RBAC for the limited user", || {
        let limited = limited.clone();
        async move {
            let r = run(&["certs", "--kubeconfig", &limited]);
            r.1.contains("ca-bundle").then_some(r)
        }
    })
    .await;
    assert_eq!(code, 4, "the list is incomplete\n{err}");
    assert!(
        err.contains("secrets (type=kubernetes.io/tls): forbidden — certificates in TLS Secrets"),
        "{err}"
    );
    assert!(
        err.contains("incomplete: 3 of 5 certificate sources not listed (forbidden: secrets"),
        "{err}"
    );
    let (code, _, _) = run(&["certs", "--kubeconfig", &limited, "--allow-partial"]);
    assert_eq!(code, 0, "--allow-partial: the list as it is");
    assert!(!out.contains("Secret shop/shop-tls tls.crt"), "{out}");
    // Unknown, not missing: the Secret could not be listed.
    let apex = line_of(&out, "Certificate shop/apex");
    assert!(
        apex.contains("issues Secret shop/apex-tls") && !apex.contains("not found"),
        "{apex}"
    );

    // --- the console
    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for("● live", STARTUP);
    console.send("5");
    console.wait_for_line(&["CRITICAL", "5", "Secret shop/shop-tls tls.crt"], STEP);
    console.wait_for_line(&["EXPIRED", "-3", "Secret shop/legacy-tls tls.crt"], STEP);
    console.wait_for_line(&["UNPARSEABLE", "Secret shop/garbage-tls"], STEP);
    console.wait_for_line(&["NOT READY", "Certificate shop/apex"], STEP);
    console.wait_for_line(&["OK", "300", "healthy-tls"], STEP);
    fx.assert_no_key("console table", &console.screen());
    console.send("/shop-tls");
    console.send(ENTER);
    console.send(ENTER);
    console.wait_for_all(
        &[
            "Secret shop/shop-tls tls.crt",
            "CRITICAL: 5 days left",
            "SANs          shop.example.com",
            "key           EC P-256",
            "Gateway shop/public listener https-shop (shop.example.com)",
            "cert-manager Certificate shop/shop",
        ],
        STEP,
    );
    fx.assert_no_key("console detail", &console.screen());
    console.send(ESC);
    console.send("q");
    console.wait_exit(STEP);
}

#[tokio::test]
async fn certs_command_fails_clearly_when_the_api_is_unreachable() {
    let dir = std::env::temp_dir().join(format!("meshctl-e2e-unreach-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kc = dir.join("kubeconfig");
    // Nothing listens on port 9.
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster: {server: 'https://127.0.0.1:9'}\n  name: c\n\
         contexts:\n- context: {cluster: c, user: u}\n  name: gone\ncurrent-context: gone\n\
         users:\n- name: u\n  user: {token: t}\n",
    )
    .unwrap();
    let (code, out, err) = run(&["certs", "--kubeconfig", &kubeconfig(&kc)]);
    assert_eq!(code, 3, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("cannot reach the API server of context gone"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one clear line:\n{err}");
    // A broken kubeconfig: same code, the reason.
    let (code, _, err) = run(&[
        "certs",
        "--kubeconfig",
        &kubeconfig(&kc),
        "--context",
        "nope",
    ]);
    assert_eq!(code, 3);
    assert!(err.contains("context \"nope\" not found"), "{err}");
}

/// `meshctl-tui check` on the same cluster: the certificate and mesh findings, the JSON
/// report, `--min-severity`, and the exit codes 0 (clean scope), 1 (warnings), 2 (errors).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_command_findings_and_exit_codes_on_a_real_apiserver() {
    let _machine = machine::alone().await;
    let env = KubeEnv::start().await;
    let fx = setup(&env).await;
    // istiod asm-1-22; a namespace with both injection labels (a warning); a listener
    // whose certificateRef names no TLS Secret (an error).
    env.apply_yaml(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod-asm-1-22
  namespace: istio-system
  labels: {app: istiod, istio.io/rev: asm-1-22}
spec:
  replicas: 1
  selector:
    matchLabels: {app: istiod, istio.io/rev: asm-1-22}
  template:
    metadata:
      labels: {app: istiod, istio.io/rev: asm-1-22}
    spec:
      containers:
      - {name: discovery, image: mcr.microsoft.com/oss/istio/pilot:1.22.5}
---
apiVersion: v1
kind: Namespace
metadata:
  name: legacy
  labels: {istio-injection: enabled, istio.io/rev: asm-1-22}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  gatewayClassName: istio
  listeners:
  - name: https-gone
    port: 443
    protocol: HTTPS
    tls: {mode: Terminate, certificateRefs: [{name: gone-tls}]}
"#,
    )
    .await;
    // No controller manager here: istiod's status says its replica is ready (else every
    // namespace injected by asm-1-22 would be MESH008).
    scenario::set_ready_status(&env, "istio-system", "istiod-asm-1-22").await;
    let kc = kubeconfig(env.kubeconfig_path());

    // Clean scope: exit 0.
    let (code, out, err) = run(&["check", "--kubeconfig", &kc, "-n", "istio-system"]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(out, "no findings\n");

    // Warnings only: exit 1.
    let (code, out, err) = run(&["check", "--kubeconfig", &kc, "-n", "legacy"]);
    assert_eq!(code, 1, "stdout:\n{out}\nstderr:\n{err}");
    assert!(line_of(&out, "MESH001").starts_with("WARNING  MESH001   IST0123  Namespace/legacy"));
    assert_eq!(out.lines().last(), Some("1 warning"));

    // Everything: errors, exit 2; each certificate in its band, the missing listener Secret.
    let (code, out, err) = run(&["check", "--kubeconfig", &kc]);
    assert_eq!(code, 2, "stdout:\n{out}\nstderr:\n{err}");
    fx.assert_no_key("check table", &out);
    for (severity, code, what) in [
        ("ERROR", "CERT001", "Secret shop/legacy-tls tls.crt"),
        ("ERROR", "CERT002", "Secret shop/shop-tls tls.crt"),
        ("WARNING", "CERT003", "Secret shop/pay-tls tls.crt"),
        ("INFO", "CERT004", "Secret shop/grpc-tls tls.crt"),
        ("WARNING", "CERT005", "Secret shop/garbage-tls"),
        ("ERROR", "CERT006", "shop/apex"),
        (
            "ERROR",
            "GW004",
            "listener https-gone certificateRef shop/gone-tls not found",
        ),
        ("WARNING", "MESH001", "istio.io/rev=asm-1-22 both set"),
    ] {
        let l = line_of(&out, what);
        assert!(
            l.starts_with(severity) && l.contains(code),
            "{code} {what}: {l:?}\n{out}"
        );
    }
    assert!(
        !out.contains("healthy-tls"),
        "300 days left is no finding:\n{out}"
    );

    // JSON: the same findings, the summary, and no key material.
    let (code, out, _) = run(&["check", "--kubeconfig", &kc, "-o", "json"]);
    assert_eq!(code, 2);
    fx.assert_no_key("check json", &out);
    let doc: Value = serde_json::from_str(&out).expect("check -o json is JSON");
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for c in [
        "CERT001", "CERT002", "CERT003", "CERT004", "CERT005", "CERT006", "GW004", "MESH001",
    ] {
        assert!(codes.contains(&c), "{c} in {codes:?}");
    }
    assert_eq!(doc["context"], "e2e");
    assert!(
        doc["summary"]["errors"].as_u64().unwrap() >= 4,
        "{}",
        doc["summary"]
    );
    let mesh001 = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "MESH001")
        .unwrap();
    assert_eq!(mesh001["istio"]["code"], "IST0123");
    assert_eq!(mesh001["fix"]["action"], "toggle_injection");

    // --min-severity error: only errors are shown (and still exit 2).
    let (code, out, _) = run(&["check", "--kubeconfig", &kc, "--min-severity", "error"]);
    assert_eq!(code, 2);
    assert!(!out.contains("WARNING") && !out.contains("INFO "), "{out}");
    let (code, _, _) = run(&[
        "check",
        "--kubeconfig",
        &kc,
        "-n",
        "legacy",
        "--min-severity",
        "error",
    ]);
    assert_eq!(code, 0, "the warning is below the threshold");

    // Unreachable: exit 3.
    let (code, _, err) = run(&["check", "--kubeconfig", "/nonexistent/kubeconfig"]);
    assert_eq!(code, 3, "{err}");

    // The console's Diagnostics view shows the same certificate findings.
    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for("● live", STARTUP);
    console.send("6");
    console.wait_for("Diagnostics [all]", STEP);
    for (code, what) in [
        ("CERT001", "Secret/shop/legacy-tls"),
        ("CERT002", "Secret/shop/shop-tls"),
        ("CERT005", "Secret/shop/garbage-tls"),
        ("GW004", "Gateway/shop/edge"),
        ("MESH001", "Namespace/legacy"),
    ] {
        console.wait_for_line(&[code, what], STEP);
    }
    let screen = console.screen();
    fx.assert_no_key("diagnostics view", &screen);
    assert!(!screen.contains("healthy-tls"), "{screen}");
    console.send("q");
    assert!(console.wait_exit(STEP).success());
}

/// Only namespaces and pods: what a namespace-watcher role typically grants.
const NAMESPACES_AND_PODS_RBAC: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: meshctl-e2e-ns-pods
rules:
- apiGroups: [""]
  resources: [namespaces, pods]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: meshctl-e2e-ns-pods
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: meshctl-e2e-ns-pods
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: e2e-limited
"#;

/// A cron or CI job must not go green on a cluster it could not read: `check` and `certs`
/// exit 4 for a user with no permissions at all and for one who may only list namespaces
/// and pods, the summary says how many kinds were not checked, stderr says per kind what
/// that means; `--allow-partial` lets the findings decide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_and_certs_exit_4_when_rbac_hides_kinds() {
    let _machine = machine::alone().await;
    let env = KubeEnv::start().await;
    setup(&env).await;
    env.apply_yaml(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: legacy\n  labels: \
         {istio-injection: enabled, istio.io/rev: asm-1-22}\n",
    )
    .await;
    let limited = kubeconfig(env.limited_kubeconfig_path());
    let kinds = meshctl_tui::commands::check::kinds().len();
    // What the administrator finds not installed (Istio and AGC CRDs are not installed
    // here): a user without permissions must find the same through discovery, not call
    // those kinds forbidden.
    let admin = kubeconfig(env.kubeconfig_path());
    let (_, out, _) = run(&["check", "--kubeconfig", &admin, "-o", "json"]);
    let admin_doc: Value = serde_json::from_str(&out).expect("JSON");
    let absent = admin_doc["not_installed"]
        .as_array()
        .expect("not_installed")
        .clone();
    assert!(
        absent
            .iter()
            .any(|r| r == "virtualservices.networking.istio.io"),
        "{absent:?}"
    );
    let m = absent.len();
    let seen = kinds - m;

    // --- (a) no permissions at all (the user exists, nothing is bound to it)
    let (code, out, err) = run(&["check", "--kubeconfig", &limited]);
    assert_eq!(code, 4, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(
        out,
        format!(
            "no findings; {seen} of {kinds} kinds not checked (forbidden: namespaces, pods, \
             services, … and {} more)\n",
            seen - 3
        )
    );
    assert!(
        err.contains("warning: pods: forbidden — sidecar and restart checks"),
        "{err}"
    );
    assert!(
        err.contains("warning: services: forbidden — route backend checks"),
        "{err}"
    );
    assert!(!err.contains("certificates there are not listed"), "{err}");
    assert!(
        !err.contains("virtualservices.networking.istio.io"),
        "not installed is not forbidden:\n{err}"
    );
    assert_eq!(err.lines().count(), seen, "one line per kind:\n{err}");
    let (code, out, _) = run(&["check", "--kubeconfig", &limited, "--allow-partial"]);
    assert_eq!(code, 0, "--allow-partial: no finding, exit 0\n{out}");
    let (code, out, _) = run(&["check", "--kubeconfig", &limited, "-o", "json"]);
    assert_eq!(code, 4);
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["complete"], false);
    assert_eq!(doc["summary"]["kinds"], kinds);
    assert_eq!(doc["summary"]["not_checked"], seen);
    assert_eq!(doc["not_checked"].as_array().unwrap().len(), seen);
    assert_eq!(doc["not_installed"], admin_doc["not_installed"]);
    assert!(
        doc["not_checked"][1]["skipped"]
            .as_str()
            .unwrap()
            .contains("sidecar"),
        "{}",
        doc["not_checked"][1]
    );

    // Certificate sources: cert-manager may be among the CRDs not installed.
    let sources = if absent.iter().any(|r| r == "certificates.cert-manager.io") {
        4
    } else {
        5
    };
    let (code, out, err) = run(&["certs", "--kubeconfig", &limited]);
    assert_eq!(code, 4, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("(no certificates)"), "{out}");
    assert!(
        err.contains(&format!(
            "meshctl-tui certs: incomplete: {sources} of 5 certificate sources not listed (forbidden: "
        )),
        "{err}"
    );
    assert!(
        err.contains("gateways.gateway.networking.k8s.io: forbidden — USED BY does not name"),
        "{err}"
    );
    let (code, _, _) = run(&["certs", "--kubeconfig", &limited, "--allow-partial"]);
    assert_eq!(code, 0);
    let (code, out, _) = run(&["certs", "--kubeconfig", &limited, "-o", "json"]);
    assert_eq!(code, 4);
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["complete"], false);
    assert_eq!(doc["sources_not_listed"], sources);

    // --- (b) namespaces and pods only: the label conflict is found, the rest is not checked
    env.apply_yaml(NAMESPACES_AND_PODS_RBAC).await;
    let (code, out, err) = kube_env::eventually(STEP, "RBAC for namespaces and pods", || {
        let limited = limited.clone();
        async move {
            let r = run(&["check", "--kubeconfig", &limited]);
            r.1.contains("MESH001").then_some(r)
        }
    })
    .await;
    assert_eq!(code, 4, "warnings do not beat incomplete\n{out}\n{err}");
    assert_eq!(
        out.lines().last().unwrap(),
        format!(
            "1 warning; {} of {kinds} kinds not checked (forbidden: services, \
             deployments.apps, statefulsets.apps, … and {} more)",
            seen - 2,
            seen - 5
        )
    );
    assert!(
        !err.contains("warning: pods:"),
        "pods are listed now:\n{err}"
    );
    assert!(!err.contains("warning: namespaces:"), "{err}");
    assert_eq!(err.lines().count(), seen - 2, "{err}");
    let (code, out, _) = run(&["check", "--kubeconfig", &limited, "--allow-partial"]);
    assert_eq!(code, 1, "--allow-partial: the warning decides\n{out}");
    let (code, out, _) = run(&["check", "--kubeconfig", &limited, "-o", "json"]);
    assert_eq!(code, 4);
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["summary"]["not_checked"], seen - 2);
    assert_eq!(doc["summary"]["warnings"], 1);
    let (code, _, err) = run(&["certs", "--kubeconfig", &limited]);
    assert_eq!(code, 4, "Secrets and ConfigMaps are still forbidden\n{err}");

    // The administrator sees everything (Istio and AGC CRDs are not installed: that is
    // complete, not "not checked").
    let (code, out, err) = run(&["check", "--kubeconfig", &admin, "-o", "json"]);
    assert_eq!(code, 2, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["complete"], true, "{}", doc["not_checked"]);
    assert_eq!(doc["summary"]["not_checked"], 0);
}
