//! The scale benchmark's CI smoke run (`cargo bench --bench scale` runs the same
//! `bench_runner` code at full size): a tiny cluster, 2 s windows, the debug binary. Asserts
//! every figure of the report is there and reads as a value with its unit (or n/a with a
//! reason on the demo). No timing is asserted.

use crate::bench_runner::{self, Options, report};
use crate::support::machine;

fn smoke_options() -> Options {
    Options {
        pods: vec![100],
        demo: true,
        idle_secs: 2,
        churn_secs: 2,
        samples: 10,
        out: None,
    }
}

/// Every figure of `markdown`'s table, each readable; returns those that are n/a.
fn check_every_figure(markdown: &str) -> Vec<String> {
    let table = report::parse_table(markdown);
    let mut not_available = Vec::new();
    for figure in report::figures() {
        let value = table
            .get(&figure)
            .unwrap_or_else(|| panic!("no figure {figure:?} in\n{markdown}"));
        if let Err(e) = report::check_value(value) {
            panic!("figure {figure:?}: {e}\n{markdown}");
        }
        if value.starts_with(report::IN_PROCESS) {
            not_available.push(figure);
        }
    }
    not_available
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_benchmark_reports_every_figure_on_a_real_server_and_on_the_demo() {
    let _machine = machine::shared().await;
    let o = smoke_options();

    let document = bench_runner::run(&o, |table| eprintln!("{table}")).await;
    for header in [
        "date: ",
        "machine: ",
        "git commit: ",
        "kube-apiserver v1.20",
    ] {
        assert!(document.contains(header), "no {header:?} in\n{document}");
    }
    let tables: Vec<&str> = document.split("\n### ").skip(1).collect();
    let [real, demo] = tables[..] else {
        panic!("expected two tables (real server, demo):\n{document}");
    };
    assert!(real.starts_with("100 pods, real") && demo.starts_with("100 pods, embedded demo"));

    assert_eq!(check_every_figure(real), Vec::<String>::new(), "{real}");

    let mut expected = vec![
        report::RAW_LIST.to_string(),
        report::LIVE_RATIO.into(),
        report::IDLE_REQUESTS.into(),
    ];
    for rate in report::CHURN_RATES {
        for (view, _) in report::CHURN_VIEWS {
            expected.push(report::churn_figure(rate, view));
        }
    }
    expected.push(report::latency_churn_figure());
    let mut got = check_every_figure(demo);
    got.sort();
    expected.sort();
    assert_eq!(
        got, expected,
        "only what the in-process server cannot give is n/a"
    );
}

/// `cargo bench --bench scale -- generate` / `churn` on a cluster of one's own: here a
/// fresh API server with no CRDs, reached through its kubeconfig as a user would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_and_churn_work_on_any_cluster_through_its_kubeconfig() {
    use crate::bench_runner::existing::Task;
    use crate::support::kube_env::KubeEnv;
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, ListParams};

    let _machine = machine::shared().await;
    let env = KubeEnv::start().await;
    let kubeconfig = env.kubeconfig_path().display().to_string();
    let task = |line: String| {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        Task::parse(&args).expect("a task").expect("valid flags")
    };

    let text = task(format!(
        "generate --pods 60 --crds --kubeconfig {kubeconfig}"
    ))
    .run()
    .await
    .unwrap_or_else(|e| panic!("generate: {e}"));
    assert!(text.contains("synthetic"), "{text}");
    let pods: Api<Pod> = Api::namespaced(env.client(), "scale-0001");
    let listed = pods.list(&ListParams::default()).await.expect("list pods");
    assert_eq!(listed.items.len(), 50, "the first namespace holds 50 pods");

    let text = task(format!(
        "churn --pods 60 --rate 20 --seconds 1 --kubeconfig {kubeconfig}"
    ))
    .run()
    .await
    .unwrap_or_else(|e| panic!("churn: {e}"));
    let issued: usize = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {text:?}"));
    assert!(issued >= 10, "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
}
