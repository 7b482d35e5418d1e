//! In-cluster configuration, as in a pod: no kubeconfig anywhere, `KUBERNETES_SERVICE_HOST`
//! / `_PORT` set and the service-account files mounted at
//! `/var/run/secrets/kubernetes.io/serviceaccount`. The mount happens in a private mount
//! namespace (`unshare -m`, root): only the empty mount point is created on the machine.

use crate::support::{kube_env, machine, pty};

use std::fs;
use std::time::Duration;

use kube_env::{ADMIN_TOKEN, KubeEnv};
use pty::Console;

const SA_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

#[tokio::test]
async fn in_cluster_config_is_used_without_a_kubeconfig() {
    let _machine = machine::shared().await;
    let env = KubeEnv::start().await;
    env.apply_yaml(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-in-cluster\n  labels:\n    istio.io/rev: asm-1-22\n",
    )
    .await;
    let sa = env.dir().join("serviceaccount");
    fs::create_dir_all(&sa).expect("sa dir");
    fs::copy(env.dir().join("ca.crt"), sa.join("ca.crt")).expect("copy ca");
    fs::write(sa.join("token"), ADMIN_TOKEN).expect("token");
    fs::write(sa.join("namespace"), "default").expect("namespace");

    let url = env.server_url().trim_start_matches("https://").to_string();
    let (host, port) = url.rsplit_once(':').expect("host:port");
    let bin = env!("CARGO_BIN_EXE_meshctl-tui");
    let script = format!(
        "mkdir -p {SA_DIR} && mount --bind {} {SA_DIR} && exec {bin}",
        sa.display()
    );
    let unshare = which("unshare");
    let mut console = Console::start_with_program(
        &unshare,
        &["-m".into(), "sh".into(), "-c".into(), script],
        &[
            ("KUBERNETES_SERVICE_HOST", host),
            ("KUBERNETES_SERVICE_PORT", port),
        ],
    );
    let t = Duration::from_secs(30);
    console.wait_for_all(&["ctx:in-cluster", "● live"], t);
    console.send("4");
    console.wait_for_line(&["from-in-cluster", "istio.io/rev=asm-1-22"], t);
    console.send("q");
    assert!(console.wait_exit(t).success());
}

fn which(name: &str) -> String {
    for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
        let p = format!("{dir}/{name}");
        if fs::metadata(&p).is_ok() {
            return p;
        }
    }
    panic!("{name} not found (util-linux): needed to mount service-account files privately");
}
