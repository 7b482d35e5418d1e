//! The measurements on a running console, in order: first frame and live, idle (requests,
//! CPU, memory), keystrokes and bytes, CPU per view under churn, latency under churn.
//! `Server::Real` drives churn through the API server and reads its audit log;
//! `Server::Demo` cannot, and says so in those figures.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kube::Client;
use meshctl_tui::demo::synthetic::{self, Churn, ChurnReport, Size};

use super::options::Options;
use super::procfs::{self, CpuWindow};
use super::report::{self as r, Report};
use super::{audit, screen};
use crate::support::kube_env::CONSOLE_USER;
use crate::support::pty::Console;

/// Where the console's data comes from.
pub enum Server {
    /// A real API server: churn goes through `client`, requests are read from `audit_log`.
    Real {
        client: Client,
        audit_log: PathBuf,
        pods: usize,
    },
    /// The embedded demo, in the console's own process.
    Demo,
}

const IN_PROCESS_LIST: &str =
    "the demo server runs inside the console: nothing to list from outside";
const IN_PROCESS_AUDIT: &str = "the audit log is the API server's; the demo has none";
const IN_PROCESS_CHURN: &str = "churn is driven through a real API server";

/// A few seconds more than the slowest expected step at 10k pods.
const LIVE_TIMEOUT: Duration = Duration::from_secs(600);

fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// Runs every measurement on `console` (started just before) and records it in `report`.
/// `raw_list` is the floor measured beforehand (real server only).
pub async fn run(
    report: &mut Report,
    console: &mut Console,
    server: &Server,
    raw_list: Option<Duration>,
    o: &Options,
) {
    let pid = console.pid();
    match blocking(|| screen::first_frame(console, LIVE_TIMEOUT)) {
        Some(t) => report.set(r::FIRST_FRAME, r::millis(t), "<= 100 ms"),
        None => report.set(r::FIRST_FRAME, r::failed("no frame"), "<= 100 ms"),
    }
    let Some(live) = blocking(|| screen::live(console, LIVE_TIMEOUT)) else {
        report.set(r::LIVE, r::failed("never live"), "-");
        report.notes.push(format!(
            "\nThe console never showed `● live`:\n```\n{}\n```",
            console.screen()
        ));
        return;
    };
    report.set(r::LIVE, r::millis(live), "-");
    match raw_list {
        Some(floor) => {
            report.set(r::RAW_LIST, r::millis(floor), "(the floor)");
            let x = live.as_secs_f64() / floor.as_secs_f64().max(1e-6);
            report.set(r::LIVE_RATIO, r::ratio(x), "<= 1.5 x");
        }
        None => {
            report.set(
                r::RAW_LIST,
                r::not_available(IN_PROCESS_LIST),
                "(the floor)",
            );
            report.set(r::LIVE_RATIO, r::not_available(IN_PROCESS_LIST), "<= 1.5 x");
        }
    }

    idle(report, console, server, o).await;
    keystrokes_and_bytes(report, console, o);
    churn_per_view(report, console, server, o).await;
    match procfs::memory(pid) {
        Some(m) => report.set(
            r::RSS_AFTER_CHURN,
            format!("{} / {}", r::megabytes(m.rss_kb), r::megabytes(m.hwm_kb)),
            "memory linear in objects",
        ),
        None => report.set(r::RSS_AFTER_CHURN, r::failed("process gone"), ""),
    }
    latency_under_churn(report, console, server, o).await;
}

async fn idle(report: &mut Report, console: &mut Console, server: &Server, o: &Options) {
    let pid = console.pid();
    // Let the first frames after `live` settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let from = jiff::Timestamp::now();
    let cpu = CpuWindow::start(pid);
    tokio::time::sleep(Duration::from_secs(o.idle_secs.into())).await;
    let to = jiff::Timestamp::now();
    let secs = o.idle_secs;
    match cpu.and_then(|c| c.percent()) {
        Some(p) => report.set(r::IDLE_CPU, r::percent(p, &format!("{secs} s")), "<= 0.5 %"),
        None => report.set(r::IDLE_CPU, r::failed("process gone"), "<= 0.5 %"),
    }
    match procfs::memory(pid) {
        Some(m) => {
            report.set(r::RSS_STEADY, r::megabytes(m.rss_kb), "<= 60 MB");
            let limit = r::megabytes(m.rss_kb * 3 / 2);
            report.set(
                r::RSS_PEAK,
                r::megabytes(m.hwm_kb),
                format!("<= 1.5x steady ({limit})"),
            );
        }
        None => report.set(r::RSS_STEADY, r::failed("process gone"), "<= 60 MB"),
    }
    let target = "0 LIST (one `get /readyz` after 10 s of silence is expected)";
    match server {
        Server::Real { audit_log, .. } => {
            // The log backend writes as requests complete; give the last line a moment.
            tokio::time::sleep(Duration::from_millis(500)).await;
            match audit::requests_by_verb(audit_log, CONSOLE_USER, from, to) {
                Ok(by) => report.set(
                    r::IDLE_REQUESTS,
                    format!("{} in {secs} s", r::requests(&by)),
                    target,
                ),
                Err(e) => report.set(r::IDLE_REQUESTS, r::failed(&e), target),
            }
        }
        Server::Demo => report.set(r::IDLE_REQUESTS, r::not_available(IN_PROCESS_AUDIT), target),
    }
}

fn keystrokes_and_bytes(report: &mut Report, console: &mut Console, o: &Options) {
    blocking(|| {
        screen::keys(console, "2g");
        let Some(style) = screen::selection_style(console, "2 Routes") else {
            report.set(
                r::LATENCY_IDLE,
                r::failed("no selected tab"),
                "p99 <= 16 ms",
            );
            return;
        };
        let samples = screen::key_latencies(console, style, o.samples, || false);
        match r::percentiles(&samples) {
            Some(v) => report.set(r::LATENCY_IDLE, v, "p99 <= 16 ms"),
            None => report.set(
                r::LATENCY_IDLE,
                r::failed("no selection moved"),
                "p99 <= 16 ms",
            ),
        }
        match screen::selection_move_bytes(console, style, 9) {
            Some(n) => report.set(r::SELECTION_BYTES, r::bytes(n), "<= 500 B at 200 columns"),
            None => report.set(
                r::SELECTION_BYTES,
                r::failed("no selection moved"),
                "<= 500 B",
            ),
        }
        match screen::full_repaint(console) {
            Some((n, sync)) => {
                report.set(r::REPAINT_BYTES, r::bytes(n), "bounded by the screen size");
                report.set(r::REPAINT_SYNC, r::yes_no(sync), "yes");
            }
            None => {
                report.set(r::REPAINT_BYTES, r::failed("no repaint"), "");
                report.set(r::REPAINT_SYNC, r::failed("no repaint"), "yes");
            }
        }
    });
}

fn churn_target(rate: u32) -> &'static str {
    if rate <= 50 { "<= 5 %" } else { "<= 25 %" }
}

/// For the cell: `47.0/s applied of 50.3/s issued, 17 failed, 0 skipped` (a failed change
/// made no event, so the applied rate is what the console saw).
fn achieved(c: &ChurnReport) -> String {
    let secs = c.elapsed.as_secs_f64().max(1e-6);
    format!(
        "{:.1}/s applied of {:.1}/s issued, {} failed, {} skipped",
        c.issued.saturating_sub(c.failed) as f64 / secs,
        c.issued as f64 / secs,
        c.failed,
        c.skipped
    )
}

/// For the notes below the table: the mix of changes and the first error.
fn churn_note(what: &str, c: &ChurnReport) -> String {
    let mut s = format!(
        "- {what}: {} changes issued in {:.1} s ({} pod labels, {} readiness flips, {} pods \
         re-created, {} route weights), {} failed, {} skipped",
        c.issued,
        c.elapsed.as_secs_f64(),
        c.labels,
        c.readiness,
        c.recreated,
        c.weights,
        c.failed,
        c.skipped
    );
    if let Some(e) = &c.first_error {
        s.push_str(&format!("; first error: {}", r::one_line(e, 160)));
    }
    s
}

async fn churn_per_view(report: &mut Report, console: &mut Console, server: &Server, o: &Options) {
    let pid = console.pid();
    if matches!(server, Server::Real { .. }) {
        report
            .notes
            .push("What each churn window did (`demo::synthetic::churn`):\n".into());
    }
    for rate in r::CHURN_RATES {
        for (view, keys) in r::CHURN_VIEWS {
            let figure = r::churn_figure(rate, view);
            let Server::Real { client, pods, .. } = server else {
                report.set(
                    figure,
                    r::not_available(IN_PROCESS_CHURN),
                    churn_target(rate),
                );
                continue;
            };
            blocking(|| screen::keys(console, keys));
            let cpu = CpuWindow::start(pid);
            let churn = Churn {
                rate,
                seconds: o.churn_secs,
            };
            let result = synthetic::churn(client, &Size { pods: *pods }, churn).await;
            // The events still queued when the churn stops are part of its cost.
            blocking(|| console.wait_quiet(Duration::from_millis(300), Duration::from_secs(10)));
            let value = match (result, cpu.and_then(|c| c.percent())) {
                (Ok(c), Some(p)) => {
                    report.notes.push(churn_note(&figure, &c));
                    r::percent(p, &achieved(&c))
                }
                (Err(e), _) => r::failed(&format!("churn: {e}")),
                (_, None) => r::failed("process gone"),
            };
            report.set(figure, value, churn_target(rate));
        }
    }
}

async fn latency_under_churn(
    report: &mut Report,
    console: &mut Console,
    server: &Server,
    o: &Options,
) {
    let figure = r::latency_churn_figure();
    let target = "p99 <= 33 ms";
    let Server::Real { client, pods, .. } = server else {
        report.set(figure, r::not_available(IN_PROCESS_CHURN), target);
        return;
    };
    let Some(style) = blocking(|| {
        screen::keys(console, "2g");
        screen::selection_style(console, "2 Routes")
    }) else {
        report.set(figure, r::failed("no selected tab"), target);
        return;
    };
    let done = Arc::new(AtomicBool::new(false));
    let churn = tokio::spawn({
        let (client, done, size) = (client.clone(), done.clone(), Size { pods: *pods });
        let churn = Churn {
            rate: r::LATENCY_CHURN_RATE,
            seconds: o.churn_secs,
        };
        async move {
            let result = synthetic::churn(&client, &size, churn).await;
            done.store(true, Ordering::SeqCst);
            result
        }
    });
    let started = Instant::now();
    let samples = blocking(|| {
        screen::key_latencies(console, style, o.samples, || done.load(Ordering::SeqCst))
    });
    let value = match (churn.await, r::percentiles(&samples)) {
        (Ok(Ok(c)), Some(p)) => {
            report.notes.push(churn_note(&figure, &c));
            format!("{p}; {}", achieved(&c))
        }
        (Ok(Err(e)), _) => r::failed(&format!("churn: {e}")),
        (Err(e), _) => r::failed(&format!("churn task: {e}")),
        (_, None) => r::failed(&format!(
            "no selection moved in {:.0} s",
            started.elapsed().as_secs_f64()
        )),
    };
    report.set(figure, value, target);
}
