//! The real binary in a pseudo-terminal on the embedded demo cluster (`--demo`): what a new
//! user sees first, and what user configuration does to it. No API server needed.

use crate::support::pty;

use std::time::Duration;

use pty::{Console, ENTER};

const T: Duration = Duration::from_secs(20);

fn demo(config: Option<&str>, extra: &[&str], env: &[(&str, &str)]) -> Console {
    let mut args = vec!["--demo".to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    Console::start_with(&args, config, env)
}

#[test]
fn demo_opens_on_the_aks_and_agc_world() {
    let mut c = demo(None, &[], &[]);
    c.wait_for_all(
        &[
            "ctx:demo",
            "cluster:meshctl-demo",
            "● live",
            "test-infra/gateway-01",
            ".alb.azure.com",
        ],
        T,
    );
    c.send("4");
    c.wait_for_line(&["legacy-orders", "CONFLICT"], T);
    c.wait_for_line(&["canary-checkout", "MISSING for asm-1-23"], T);
    c.wait_for_line(&["aks-istio-ingress", "+4 gw"], T);
    c.send(":q");
    c.send(ENTER);
    assert!(c.wait_exit(T).success());
}

#[test]
fn a_user_config_rebinds_only_the_keys_it_names() {
    let config = "[keys.global]\n\"x\" = \"quit\"\n\"q\" = \"none\"\n";
    let mut c = demo(Some(config), &[], &[]);
    c.wait_for("test-infra/gateway-01", T);
    // Help lists the new binding and the untouched defaults.
    c.send("?");
    c.wait_for_line(&["x", "quit"], T);
    c.wait_for_line(&["j", "move down"], T);
    c.send("\x1b");
    c.wait_for_absent("Help (esc to close)", T);
    // q is unbound now: the console keeps running and still answers keys.
    c.send("q");
    c.send("2");
    c.wait_for("Routes [all]", T);
    c.send("x");
    assert!(c.wait_exit(T).success(), "x quits after the rebinding");
}

#[test]
fn broken_config_and_unknown_theme_are_reported_not_fatal() {
    let mut c = demo(
        Some("theme = [not toml"),
        &["--theme", "no-such-theme"],
        &[],
    );
    // Both problems are shown in full, on top of a working console.
    c.wait_for_all(
        &[
            "Started with warnings",
            "config.toml",
            "unclosed array",
            "no-such-theme",
        ],
        T,
    );
    c.wait_for("test-infra/gateway-01", T);
    c.send("q"); // any key dismisses the notice, and does nothing else
    c.wait_for_absent("Started with warnings", T);
    c.send("2");
    c.wait_for("Routes [all]", T);
    c.send("q");
    assert!(c.wait_exit(T).success());
}

/// Any SGR colour sequence crossterm emits (16 colours as 3x/9x, indexed/RGB as 38;/48;).
fn has_colour(raw: &[u8]) -> bool {
    let text = String::from_utf8_lossy(raw);
    text.split("\x1b[").skip(1).any(|seq| {
        let params: String = seq
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ';')
            .collect();
        seq[params.len()..].starts_with('m')
            && params.split(';').any(|p| {
                matches!(
                    p.parse::<u16>(),
                    Ok(30..=37 | 40..=47 | 90..=97 | 100..=107)
                ) || p == "38"
                    || p == "48"
            })
    })
}

#[test]
fn no_color_gives_a_colourless_screen_and_dark_has_colour() {
    let mut plain = demo(None, &[], &[("NO_COLOR", "1")]);
    plain.wait_for("test-infra/gateway-01", T);
    plain.send("q");
    assert!(plain.wait_exit(T).success());
    assert!(
        !has_colour(&plain.raw_output()),
        "NO_COLOR output contains colour sequences"
    );

    let mut dark = demo(None, &[], &[]);
    dark.wait_for("test-infra/gateway-01", T);
    dark.send("q");
    assert!(dark.wait_exit(T).success());
    assert!(
        has_colour(&dark.raw_output()),
        "the dark theme shows colours"
    );
}

/// The weight editor on the demo's VirtualService: canary preset, diff, confirm; the demo
/// server applies the JSON patch and the Routes table shows the new split.
#[test]
fn demo_weight_edit_is_applied_and_shown() {
    let mut c = demo(None, &[], &[]);
    c.wait_for("● live", T);
    c.send("2");
    c.wait_for_line(&["bookinfo/reviews", "reviews/v1 80%"], T);
    c.send("/bookinfo/reviews");
    c.send(ENTER);
    c.wait_for_absent("type to filter", T);
    c.send("W");
    c.wait_for("Weights · VirtualService bookinfo/reviews", T);
    c.send("jc"); // v2: 10% -> 50%, v1 and v3 keep their 8:1 proportion of the rest
    c.wait_for("canary preset: 50% to bookinfo/reviews subset v2", T);
    c.send(ENTER);
    c.wait_for_all(
        &[
            "spec.http[0].route:",
            "-     weight: 80",
            "+     weight: 44",
        ],
        T,
    );
    c.send("\t");
    c.send(ENTER);
    c.wait_for("set weights VirtualService bookinfo/reviews: applied", T);
    c.wait_for_line(&["bookinfo/reviews", "reviews/v1 44%"], T);
    c.send(ENTER); // the route detail lists every destination
    c.wait_for_line(&["bookinfo/reviews subset v2", "weight 50", "50%"], T);
    c.wait_for_line(&["bookinfo/reviews subset v3", "weight 6", "6%"], T);
    let audit = std::fs::read_to_string(c.data_dir().join("audit.jsonl")).unwrap();
    assert!(audit.contains("\"verb\":\"set-weights\"") && audit.contains("\"applied\""));
    c.send("q");
    assert!(c.wait_exit(T).success());
}

/// The revision migration on the demo's canary control plane: wave 1 (analytics) moves to
/// asm-1-24, the simulated controllers replace its pods with asm-1-24 sidecars.
#[test]
fn demo_revision_migration_moves_a_wave() {
    let mut c = demo(None, &[], &[]);
    c.wait_for("● live", T);
    c.send("4");
    c.wait_for_line(&["analytics", "istio.io/rev=asm-1-22"], T);
    c.send("M");
    c.wait_for_all(&["asm-1-22 → asm-1-24", "next: wave 1 (analytics)"], T);
    c.send("w");
    c.wait_for_all(
        &[
            "migrate wave 1 to asm-1-24?",
            "Namespace analytics: label istio.io/rev=asm-1-22 -> asm-1-24",
        ],
        T,
    );
    c.send("\t");
    c.send(ENTER);
    c.wait_for("analytics: 5 restart(s) applied", T);
    c.wait_for_line(&["analytics", "0 / 17 / 0", "migrated to asm-1-24"], T);
    c.send("q");
    c.send("q");
    assert!(c.wait_exit(T).success());
}

/// The Diagnostics view on the demo: every deliberate problem has its code (certificates
/// included), a healthy namespace has none, the header counts them from any
/// view, and F on the conflicting-labels finding opens the injection chooser for
/// legacy-orders (Esc: nothing written).
#[test]
fn demo_diagnostics_show_the_deliberate_problems_and_jump_to_a_fix() {
    let mut c = demo(None, &[], &[]);
    c.wait_for("● live", T);
    c.wait_for("findings: 11 errors 5 warnings 3 infos", T);
    c.send("6");
    c.wait_for("Diagnostics [all]", T);
    for (code, what) in [
        ("MESH001", "legacy-orders"),
        ("MESH002", "canary-checkout"),
        ("MESH003", "shop/cart"),
        ("MESH004", "payments/payments-api"),
        ("MESH006", "reporting-batch"),
        ("MESH007", "ambient-lab"),
        ("MTLS001", "shop/storefront-legacy"),
        ("ROUTE001", "search/route-orphan-parent"),
        ("ROUTE002", "shop/route-missing-backend"),
        ("ROUTE004", "shop/route-zero-weights"),
        ("ROUTE007", "test-infra/route-cross-ns-no-grant"),
        ("ROUTE010", "shop/route-configmap-backend"),
        ("GW003", "istio-public"),
        ("CERT001", "legacy-contoso-tls"),
        ("CERT002", "shop-contoso-tls"),
        ("CERT003", "payments-contoso-tls"),
        ("CERT004", "grpc-contoso-tls"),
        ("CERT006", "shop/shop-apex"),
        (
            "GW005",
            "listener https-legacy serves an expired certificate",
        ),
    ] {
        c.wait_for_line(&[code, what], T);
    }
    let screen = c.screen();
    for healthy in [
        "bookinfo",
        "test-infra/traffic-split",
        "gateway-01",
        "MTLS002",
    ] {
        assert!(
            !screen.contains(healthy),
            "{healthy} has no finding:\n{screen}"
        );
    }
    // The conflicting labels: its detail, then the fix opens the existing chooser.
    c.send("/MESH001");
    c.send(ENTER);
    c.wait_for_absent("type to filter", T);
    c.send(ENTER);
    c.wait_for_all(&["IST0123 NamespaceMultipleInjectionLabels", "Fix (F):"], T);
    c.send("F");
    c.wait_for_all(
        &[
            "Sidecar injection for namespace legacy-orders",
            "fix conflict: keep istio.io/rev=asm-1-22, remove istio-injection=enabled",
        ],
        T,
    );
    c.send("\x1b");
    c.wait_for("cancelled; nothing was written", T);
    c.send("q");
    assert!(c.wait_exit(T).success());
}

/// Runs the binary (no terminal) in a clean environment plus `env`; (code, stdout, stderr).
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let home = std::env::temp_dir().join(format!("meshctl-e2e-demo-run-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meshctl-tui"))
        .args(args)
        .env_clear()
        .env("HOME", &home)
        .env("MESHCTL_CONFIG_DIR", home.join("config"))
        .env("MESHCTL_DATA_DIR", home.join("data"))
        .envs(env.iter().copied())
        .output()
        .expect("run meshctl-tui");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The README's first command in an operator's shell, which exports KUBECONFIG: the
/// variable must not count as `--kubeconfig` and clash with `--demo`.
#[test]
fn demo_opens_with_kubeconfig_exported() {
    let mut c = demo(None, &[], &[("KUBECONFIG", "/nonexistent/kubeconfig")]);
    c.wait_for_all(&["ctx:demo", "● live", "test-infra/gateway-01"], T);
    c.send("q");
    assert!(c.wait_exit(T).success());
}

#[test]
fn the_commands_run_on_the_demo_with_kubeconfig_exported() {
    let env = [("KUBECONFIG", "/nonexistent/kubeconfig")];
    let (code, out, err) = run(&["certs", "--demo"], &env);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("shop-contoso-tls"), "{out}");
    let (code, out, err) = run(&["--demo", "check", "-o", "json"], &env);
    assert_eq!(code, 2, "the demo has errors\nstderr:\n{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["complete"], true, "{}", doc["summary"]);
    assert_eq!(doc["summary"]["not_checked"], 0);
    // Without --demo the variable is still the kubeconfig, as for kubectl.
    let (code, _, err) = run(&["certs"], &env);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("/nonexistent/kubeconfig"), "{err}");
}

/// `MESHCTL_DEMO_PODS` adds the synthetic cluster to the demo; a bad value is refused.
#[test]
fn the_demo_grows_by_meshctl_demo_pods() {
    let (code, out, err) = run(&["certs", "--demo"], &[("MESHCTL_DEMO_PODS", "120")]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("shop-contoso-tls"), "{out}");
    assert!(out.contains("scale-0003/scale-0003-api-tls"), "{out}");
    // The console's own derivations see the generated facts: a workload on a stale
    // sidecar revision needs a restart, an expired certificate is served; the routes and
    // their backends resolve.
    let (_, out, err) = run(
        &["--demo", "check", "-o", "json"],
        &[("MESHCTL_DEMO_PODS", "120")],
    );
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let scale: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["objects"].to_string().contains("\"scale-"))
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["objects"].to_string(),
            )
        })
        .collect();
    let has = |code: &str, needle: &str| scale.iter().any(|(c, o)| c == code && o.contains(needle));
    assert!(
        has("MESH004", "\"name\":\"api\",\"namespace\":\"scale-0001\""),
        "{scale:?}"
    );
    assert!(has("GW005", "\"kind\":\"Gateway\""), "{scale:?}");
    assert!(
        !scale.iter().any(|(c, _)| c.starts_with("ROUTE")),
        "{scale:?}"
    );
    let (code, _, err) = run(&["certs", "--demo"], &[("MESHCTL_DEMO_PODS", "many")]);
    assert_ne!(code, 0);
    assert!(err.contains("MESHCTL_DEMO_PODS=\"many\""), "{err}");
}

/// An explicit --kubeconfig or --context does clash with --demo, and says so.
#[test]
fn explicit_connection_flags_with_demo_are_refused_clearly() {
    for flag in ["--kubeconfig", "--context"] {
        let (code, out, err) = run(&["--demo", flag, "x", "certs"], &[]);
        assert_eq!(code, 2, "usage error\n{out}");
        assert!(
            err.contains("'--demo' cannot be used with") && err.contains(flag),
            "{err}"
        );
    }
}

/// `completions` and `man` print what the README tells to install.
#[test]
fn completions_and_man_page_are_printed() {
    let (code, bash, err) = run(&["completions", "bash"], &[]);
    assert_eq!(code, 0, "{err}");
    for w in ["certs", "check", "--context", "--demo", "--allow-partial"] {
        assert!(bash.contains(w), "{w} not in the bash completion");
    }
    let (code, zsh, _) = run(&["completions", "zsh"], &[]);
    assert_eq!(code, 0);
    assert!(zsh.starts_with("#compdef meshctl-tui"));
    let (code, fish, _) = run(&["completions", "fish"], &[]);
    assert_eq!(code, 0);
    assert!(fish.contains("complete -c meshctl-tui"));
    let (code, _, err) = run(&["completions", "tcsh"], &[]);
    assert_eq!(code, 2, "an unknown shell is a usage error: {err}");

    let (code, man, err) = run(&["man"], &[]);
    assert_eq!(code, 0, "{err}");
    for w in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH SUBCOMMANDS",
        "EXIT STATUS OF CHECK",
    ] {
        assert!(man.contains(w), "{w} not in the man page");
    }
    let dir = std::env::temp_dir().join(format!("meshctl-e2e-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (code, out, err) = run(&["man", "--dir", dir.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    for page in [
        "meshctl-tui.1",
        "meshctl-tui-check.1",
        "meshctl-tui-certs.1",
    ] {
        assert!(dir.join(page).is_file(), "{page} not written:\n{out}");
        assert!(out.contains(page), "{out}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
