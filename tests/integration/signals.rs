//! The real binary in a pseudo-terminal on the demo cluster (`--demo`), under signals and
//! input bursts: SIGTERM/SIGINT/SIGHUP restore the terminal and exit 128 + signo, SIGTSTP
//! and ctrl-z suspend like any full-screen program and `fg` (SIGCONT) repaints, a bracketed
//! paste is one capped text into the filter, and a burst of keys is read at once.

use crate::support::pty;

use std::time::{Duration, Instant};

use pty::{Console, ENTER_ALT_SCREEN, ESC, LEAVE_ALT_SCREEN, rfind_bytes};

/// Generous: debug builds on a loaded machine. The failures these tests catch are not slow
/// answers but none at all (bytes left unread, a process killed or stopped for good).
const T: Duration = Duration::from_secs(20);

const SHOW_CURSOR: &[u8] = b"\x1b[?25h";
const HIDE_CURSOR: &[u8] = b"\x1b[?25l";
const PASTE_ON: &[u8] = b"\x1b[?2004h";
const PASTE_OFF: &[u8] = b"\x1b[?2004l";

fn demo() -> Console {
    let mut c = Console::start_with_args(&["--demo".to_string()]);
    c.wait_for_all(&["● live", "test-infra/gateway-01"], T);
    assert!(!c.cooked_mode(), "the console runs the terminal raw");
    c
}

/// `on` was written at some point and the last `off` comes after the last `on`.
fn turned_off(raw: &[u8], on: &[u8], off: &[u8]) -> bool {
    match (rfind_bytes(raw, on), rfind_bytes(raw, off)) {
        (Some(on), Some(off)) => off > on,
        _ => false,
    }
}

fn tail(raw: &[u8]) -> String {
    String::from_utf8_lossy(&raw[raw.len().saturating_sub(120)..]).into_owned()
}

/// The terminal as a shell needs it back: main screen, cursor shown, paste mode off, cooked.
fn assert_restored(c: &Console, raw: &[u8], when: &str) {
    assert!(
        turned_off(raw, ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN),
        "{when}: the alternate screen was not left; last bytes {:?}",
        tail(raw)
    );
    assert!(
        turned_off(raw, HIDE_CURSOR, SHOW_CURSOR),
        "{when}: the cursor was left hidden; last bytes {:?}",
        tail(raw)
    );
    assert!(
        turned_off(raw, PASTE_ON, PASTE_OFF),
        "{when}: bracketed paste was left on; last bytes {:?}",
        tail(raw)
    );
    assert!(c.cooked_mode(), "{when}: the tty was left raw");
}

const SYNC_BEGIN: &[u8] = b"\x1b[?2026h";
const SYNC_END: &[u8] = b"\x1b[?2026l";

/// Every frame is one synchronized update (the terminal shows a full repaint whole): each
/// begin is ended before the next, and what a frame draws comes between the two.
#[test]
fn every_frame_is_one_synchronized_update() {
    let mut c = demo();
    c.send("2");
    c.wait_for("Routes [all]", T);
    c.send("q");
    assert!(c.wait_exit(T).success());
    c.wait_output_end(T);
    let raw = c.raw_output();
    let mut frames = Vec::new();
    let mut rest = &raw[..];
    while let Some(b) = pty::find_bytes(rest, SYNC_BEGIN) {
        let frame = &rest[b + SYNC_BEGIN.len()..];
        let e = pty::find_bytes(frame, SYNC_END).expect("every frame is ended");
        assert!(
            pty::find_bytes(&frame[..e], SYNC_BEGIN).is_none(),
            "a frame began inside another"
        );
        frames.push(&frame[..e]);
        rest = &frame[e + SYNC_END.len()..];
    }
    assert!(frames.len() >= 2, "{} synchronized frames", frames.len());
    assert!(
        frames
            .iter()
            .any(|f| pty::find_bytes(f, b"Routes").is_some()),
        "the Routes view was drawn inside a frame"
    );
}

#[test]
fn sigterm_sigint_sighup_restore_the_terminal_and_exit_128_plus_signo() {
    for (signal, name, code) in [
        (libc::SIGTERM, "SIGTERM", 143),
        (libc::SIGINT, "SIGINT", 130),
        (libc::SIGHUP, "SIGHUP", 129),
    ] {
        let mut c = demo();
        c.signal(signal);
        let status = c.wait_exit(T);
        assert_eq!(
            (status.exit_code(), status.signal()),
            (code, None),
            "{name}: exits {code} by itself, not killed by the signal"
        );
        c.wait_output_end(T);
        assert_restored(&c, &c.raw_output(), name);
        assert!(
            !c.on_alternate_screen(),
            "{name}: still on the alternate screen"
        );
    }
}

#[test]
fn sigtstp_suspends_with_the_terminal_restored_and_sigcont_repaints() {
    let mut c = demo();
    c.send("2");
    c.wait_for("Routes [all]", T);
    let before = c.raw_output().len();

    c.signal(libc::SIGTSTP);
    c.wait_proc_state("stopped (T) after SIGTSTP", T, |s| s == Some('T'));
    // Stopped with the shell's terminal back: main screen, cursor, cooked.
    let stopped = c.raw_output();
    assert_restored(&c, &stopped, "stopped by SIGTSTP");
    assert!(!c.on_alternate_screen());

    c.signal(libc::SIGCONT);
    c.wait_proc_state("running after SIGCONT", T, |s| s.is_some_and(|s| s != 'T'));
    let deadline = Instant::now() + T;
    while !c.on_alternate_screen() {
        assert!(
            Instant::now() < deadline,
            "SIGCONT: the alternate screen was not re-entered"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // A full repaint: the Routes view is drawn again on the fresh alternate screen (which
    // starts blank), not only what changed.
    c.wait_for_all(&["Routes [all]", "shop/checkout"], T);
    let resumed = c.raw_output();
    let after_stop = &resumed[stopped.len()..];
    assert!(
        rfind_bytes(after_stop, ENTER_ALT_SCREEN).is_some()
            && rfind_bytes(after_stop, PASTE_ON).is_some(),
        "continue must take the terminal again: {:?}",
        String::from_utf8_lossy(&after_stop[..after_stop.len().min(200)])
    );
    assert!(!c.cooked_mode(), "raw again after SIGCONT");
    assert!(resumed.len() > before);

    // The console still answers keys, and quits normally.
    c.send("3");
    c.wait_for("Frontends", T);
    c.send("q");
    assert!(c.wait_exit(T).success());
}

#[test]
fn ctrl_z_suspends_and_fg_resumes() {
    let mut c = demo();
    // ctrl-z reaches a raw terminal as a byte, not as SIGTSTP: the suspend key.
    c.send("\x1a");
    c.wait_proc_state("stopped (T) after ctrl-z", T, |s| s == Some('T'));
    assert_restored(&c, &c.raw_output(), "suspended by ctrl-z");
    c.signal(libc::SIGCONT);
    c.wait_proc_state("running after SIGCONT", T, |s| s.is_some_and(|s| s != 'T'));
    c.wait_for_all(&["● live", "test-infra/gateway-01"], T);
    assert!(c.on_alternate_screen());
    c.send("q");
    assert!(c.wait_exit(T).success());
    c.wait_output_end(T);
    assert_restored(&c, &c.raw_output(), "after q");
}

#[test]
fn a_burst_of_keys_then_q_quits_at_once() {
    let mut c = demo();
    c.send("2");
    c.wait_for("Routes [all]", T);
    // One write: 2,000 moves then q. Before the fix the tty was read edge-triggered and the
    // rest of the burst (with the q) stayed unread until another key came: never, here.
    let burst = format!("{}q", "j".repeat(2_000));
    let start = Instant::now();
    c.send(&burst);
    let status = c.wait_exit(T);
    let took = start.elapsed();
    assert!(status.success(), "q quits: {status:?}");
    assert!(
        took < Duration::from_secs(5),
        "the burst must be read at once; quitting took {took:?}"
    );
}

#[test]
fn a_bracketed_paste_into_the_filter_is_one_capped_line_of_text() {
    let mut c = demo();
    let raw = c.raw_output();
    assert!(
        rfind_bytes(&raw, PASTE_ON).is_some(),
        "the console turns bracketed paste on"
    );
    c.send("2");
    c.wait_for("Routes [all]", T);
    c.send("/");
    c.wait_for("/", T);
    // 10,000 chars with line breaks and q's in it: text for the filter, never keys.
    let body = format!("{}\rq\r2", "a".repeat(10_000));
    let start = Instant::now();
    c.send(&format!("\x1b[200~{body}\x1b[201~"));
    c.wait_for("the filter is limited to 256 characters", T);
    let took = start.elapsed();
    let capped = "a".repeat(150);
    c.wait_for(&format!("/{capped}"), T);
    assert!(
        took < Duration::from_secs(5),
        "a paste must cost about one keystroke; it took {took:?}"
    );
    // The rows are filtered live, and the input is still open on Routes: the pasted line
    // breaks did not press enter, the q did not quit, the 2 switched nothing.
    c.wait_for_absent("analytics/dashboard-api", T);
    assert!(c.screen().contains(&format!("/{capped}")));
    // The console answers keys: esc drops the filter, 3 switches view.
    c.send(ESC);
    c.wait_for_absent(&capped, T);
    c.wait_for("analytics/dashboard-api", T);
    c.send("3");
    c.wait_for("Frontends", T);
    c.send("q");
    assert!(c.wait_exit(T).success());
}

#[test]
fn typing_10000_chars_into_the_filter_costs_keystrokes_not_re_derivations() {
    let mut c = demo();
    c.send("2");
    c.wait_for("Routes [all]", T);
    c.send("/");
    // Not bracketed: a terminal without paste support, or a very fast typist. Each key is
    // one edit; the rows are re-derived at most once per frame, and the input stops at 256.
    let start = Instant::now();
    c.send(&"b".repeat(10_000));
    c.wait_for("the filter is limited to 256 characters", T);
    c.send(ESC);
    c.wait_for_absent(&"b".repeat(100), T);
    let took = start.elapsed();
    eprintln!("10,000 keys into the filter: {took:?}");
    assert!(
        took < Duration::from_secs(3),
        "10,000 keys into the filter took {took:?}"
    );
    c.send("q");
    assert!(c.wait_exit(T).success());
}
