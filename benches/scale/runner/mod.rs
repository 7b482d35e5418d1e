//! The scale benchmark (`cargo bench --bench scale`, issue 10 section 1): for each size, a
//! real kube-apiserver + etcd loaded with the demo's base assets and
//! `meshctl_tui::demo::synthetic`'s shape, the real binary in a 200x50 PTY, and one
//! markdown table of every figure next to its target. Shared by the bench
//! (`benches/scale/main.rs`) and its CI smoke run (`tests/e2e/bench_smoke.rs`), each of which
//! declares `crate::support` (tests/support) at its root.

mod audit;
mod cluster;
pub mod existing;
mod machine;
mod measure;
pub mod options;
mod procfs;
mod raw_list;
pub mod report;
mod screen;

use std::time::Duration;

use crate::support::pty::Console;

pub use self::options::Options;
pub use self::report::Report;

/// The document: what was run where, then one table per size (real server, then the demo
/// when `--demo`). `on_table` sees each table as soon as it is measured.
pub async fn run(o: &Options, mut on_table: impl FnMut(&str)) -> String {
    let mut out = format!(
        "## meshctl-tui scale benchmark\n\n\
         - date: {}\n- machine: {}\n- git commit: {}\n- console binary: {}\n\
         - windows: idle {} s, churn {} s per rate and view, {} keystrokes per latency figure\n\n",
        machine::date(),
        machine::machine(),
        machine::commit(),
        binary_profile(),
        o.idle_secs,
        o.churn_secs,
        o.samples,
    );
    for &pods in &o.pods {
        let mut tables = vec![real(pods, o).await];
        if o.demo {
            tables.push(demo(pods, o).await);
        }
        for t in tables {
            let md = t.markdown();
            on_table(&md);
            out.push_str(&md);
            out.push('\n');
        }
    }
    out
}

/// `release` or `debug`, from where cargo built the binary.
fn binary_profile() -> String {
    let bin = env!("CARGO_BIN_EXE_meshctl-tui");
    let profile = if bin.contains("/release/") {
        "release"
    } else {
        "debug"
    };
    format!("{profile} build")
}

/// One size on a real API server.
pub async fn real(pods: usize, o: &Options) -> Report {
    let mut report = Report::new(format!("{pods} pods, real kube-apiserver"));
    let loaded = match cluster::start(pods).await {
        Ok(l) => l,
        Err(e) => {
            report
                .notes
                .push(format!("\nThe cluster could not be set up: {e}"));
            return report;
        }
    };
    report.context.push(format!(
        "kube-apiserver {} on loopback, audit log on (Metadata, console user only)",
        loaded.server_version
    ));
    report.context.push(loaded.summary.clone());
    let raw = match raw_list::median(&loaded.env.client(), 3).await {
        Ok((t, objects)) => {
            report
                .context
                .push(format!("raw LIST: {objects} objects in the 25 kinds"));
            Some(t)
        }
        Err(e) => {
            report.set(report::RAW_LIST, report::failed(&e), "(the floor)");
            None
        }
    };
    let kubeconfig = loaded.env.console_kubeconfig_path().display().to_string();
    let args = ["--kubeconfig".to_string(), kubeconfig, "-A".to_string()];
    let mut console = Console::start_sized(&args, &[], screen::ROWS, screen::COLS);
    let server = measure::Server::Real {
        client: loaded.env.client(),
        audit_log: loaded
            .env
            .audit_log_path()
            .expect("started with the audit log")
            .to_path_buf(),
        pods,
    };
    measure::run(&mut report, &mut console, &server, raw, o).await;
    quit(console);
    report
}

/// One size on the embedded demo (`MESHCTL_DEMO_PODS=N meshctl-tui --demo`).
pub async fn demo(pods: usize, o: &Options) -> Report {
    let mut report = Report::new(format!("{pods} pods, embedded demo (`--demo`)"));
    report
        .context
        .push("in-process demo server: no API server, audit log or external churn".into());
    let n = pods.to_string();
    let mut console = Console::start_sized(
        &["--demo".to_string(), "-A".to_string()],
        &[("MESHCTL_DEMO_PODS", &n)],
        screen::ROWS,
        screen::COLS,
    );
    measure::run(&mut report, &mut console, &measure::Server::Demo, None, o).await;
    quit(console);
    report
}

fn quit(mut console: Console) {
    tokio::task::block_in_place(|| {
        console.send("q");
        let _ = console.wait_screen(Duration::from_secs(5), |_| false);
    });
}
