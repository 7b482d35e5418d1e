//! `cargo bench --bench scale -- [--pods 1000,10000] [--demo] [--idle-secs 60]
//! [--churn-secs 10] [--samples 100] [--out FILE]`: the scale benchmark of issue 10 (see
//! `runner`). Needs nothing set up beforehand but the kube-apiserver/etcd binaries the e2e
//! tests use (`$KUBEBUILDER_ASSETS` or `tests/e2e/kube-assets.sh`'s cache). Prints one
//! markdown table per size; `--out FILE` also writes them there (e.g. under assets/bench/).
//! `generate` and `churn` run the generator or the churn driver on a cluster of your own
//! (`runner::existing`).

// `cargo bench` builds this target with cfg(test) but no test harness: the unit tests'
// `use super::*` then goes unused.
#[path = "../../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

// Reading a report back (`report::check_value`, …) is for the smoke run only.
#[allow(dead_code, unused_imports)]
mod runner;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(task) = runner::existing::Task::parse(&args) {
        return existing(task);
    }
    let options = match runner::Options::parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = runtime.block_on(runner::run(&options, |table| eprintln!("{table}")));
    println!("{text}");
    if let Some(path) = &options.out {
        if let Err(e) = std::fs::write(path, &text) {
            eprintln!("write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("written to {}", path.display());
    }
    ExitCode::SUCCESS
}

/// `generate` / `churn` on the kubeconfig's cluster.
fn existing(task: Result<runner::existing::Task, String>) -> ExitCode {
    let task = match task {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(task.run()) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
