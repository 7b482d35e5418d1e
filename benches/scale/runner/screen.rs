//! Reading the console's screen and timing it, through the PTY (`support::pty`): the first
//! frame, `● live`, which table row is selected, keystroke latency, bytes per change.
//! Everything here blocks; async callers wrap it in `tokio::task::block_in_place`.

use std::time::{Duration, Instant};

use crate::support::pty::Console;

/// The benchmark's terminal: 200 columns, 50 rows.
pub const ROWS: u16 = 50;
pub const COLS: u16 = 200;

/// How long one keystroke may take to show before the sample counts as lost.
const KEY_TIMEOUT: Duration = Duration::from_secs(5);
/// No output for this long: the console has finished drawing.
const QUIET: Duration = Duration::from_millis(200);

fn header(screen: &vt100::Screen) -> String {
    screen
        .rows(0, screen.size().1.get())
        .next()
        .unwrap_or_default()
}

/// Process start to the first frame that shows the header.
pub fn first_frame(console: &Console, timeout: Duration) -> Option<Duration> {
    let at = console.wait_screen(timeout, |s| header(s).contains("meshctl"))?;
    Some(at.duration_since(console.started()))
}

/// Process start to the frame whose header says `● live` (every kind listed).
pub fn live(console: &Console, timeout: Duration) -> Option<Duration> {
    let at = console.wait_screen(timeout, |s| header(s).contains("● live"))?;
    Some(at.duration_since(console.started()))
}

/// Types `keys` one at a time, letting the console finish drawing after each.
pub fn keys(console: &mut Console, keys: &str) {
    for k in keys.chars() {
        let from = console.raw_len();
        console.send(&k.to_string());
        settle_after(console, from);
    }
}

/// Waits for output past `from` (a key that changes nothing writes nothing: at most a
/// second), then until the console has finished drawing.
fn settle_after(console: &Console, from: usize) {
    let deadline = Instant::now() + Duration::from_secs(1);
    while console.raw_len() == from && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    console.wait_quiet(QUIET, Duration::from_secs(10));
}

/// How the selection is drawn (background, inverse): the current view's tab in the header
/// uses the same role as the selected row, so read it there, whatever the theme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelectionStyle {
    bg: vt100::Color,
    inverse: bool,
}

pub fn selection_style(console: &Console, tab: &str) -> Option<SelectionStyle> {
    let s = console.style_of(tab)?;
    Some(SelectionStyle {
        bg: s.bg,
        inverse: s.inverse,
    })
}

/// The screen row of the selected table row (below the header), if one is drawn.
fn selected_row(screen: &vt100::Screen, style: SelectionStyle) -> Option<u16> {
    let rows = screen.size().0.get();
    (3..rows.saturating_sub(1)).find(|&row| {
        screen
            .cell(row, 2)
            .is_some_and(|c| c.bgcolor() == style.bg && c.inverse() == style.inverse)
    })
}

/// Alternates `j` and `k` until `samples` keystrokes were timed or `stop()` says so: the
/// time from writing the key to the read that carried the moved selection. A key whose
/// effect never showed within a few seconds is left out (and so lowers `n`).
pub fn key_latencies(
    console: &mut Console,
    style: SelectionStyle,
    samples: usize,
    stop: impl Fn() -> bool,
) -> Vec<Duration> {
    let mut out = Vec::new();
    for i in 0..samples {
        if stop() {
            break;
        }
        let Some(before) = console.with_screen(|s| selected_row(s, style)) else {
            break;
        };
        let sent = console.send_timed(if i % 2 == 0 { "j" } else { "k" });
        let moved = console.wait_screen(KEY_TIMEOUT, |s| {
            selected_row(s, style).is_some_and(|r| r != before)
        });
        if let Some(at) = moved {
            out.push(at.saturating_duration_since(sent));
        }
        // Let the rest of the frame arrive, as a person would not type faster.
        std::thread::sleep(Duration::from_millis(30));
    }
    out
}

/// Bytes written for one selection move (`j`/`k` alternately), median of `moves`.
pub fn selection_move_bytes(
    console: &mut Console,
    style: SelectionStyle,
    moves: usize,
) -> Option<usize> {
    let mut sizes = Vec::new();
    for i in 0..moves {
        console.wait_quiet(QUIET, Duration::from_secs(5));
        let from = console.raw_len();
        let before = console.with_screen(|s| selected_row(s, style))?;
        console.send(if i % 2 == 0 { "j" } else { "k" });
        console.wait_screen(KEY_TIMEOUT, |s| {
            selected_row(s, style).is_some_and(|r| r != before)
        })?;
        settle_after(console, from);
        sizes.push(console.raw_len() - from);
    }
    sizes.sort();
    sizes.get(sizes.len() / 2).copied()
}

/// A full repaint at [`COLS`]x[`ROWS`]: shrink by a row, let it draw, grow back; the bytes
/// of the redraw after growing back and whether they start synchronized output
/// (`ESC[?2026h`).
pub fn full_repaint(console: &mut Console) -> Option<(usize, bool)> {
    let from = console.raw_len();
    console.resize(ROWS - 1, COLS);
    settle_after(console, from);
    let from = console.raw_len();
    console.resize(ROWS, COLS);
    settle_after(console, from);
    let bytes = console.raw_from(from);
    let synchronized = bytes.windows(8).any(|w| w == b"\x1b[?2026h");
    (!bytes.is_empty()).then_some((bytes.len(), synchronized))
}
