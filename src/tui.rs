//! Terminal enter/restore, and suspend/resume around a stop. The panic hook restores the
//! terminal before color-eyre reports.

use std::io::{self, Write, stdout};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode,
    enable_raw_mode, is_raw_mode_enabled,
};
use ratatui::DefaultTerminal;

/// Enters the alternate screen in raw mode with bracketed paste (a paste arrives as one
/// event, its line breaks are text, not keys). `ratatui::init` chains a panic hook that
/// restores raw mode and the screen; ours runs first and also turns paste mode off and shows
/// the cursor, so a panic never leaves the shell unusable.
pub fn enter() -> DefaultTerminal {
    let terminal = ratatui::init();
    let next = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), EndSynchronizedUpdate, DisableBracketedPaste, Show);
        next(info);
    }));
    let _ = execute!(stdout(), EnableBracketedPaste);
    terminal
}

/// Gives the terminal back as it was: no synchronized update pending, paste mode off, raw mode off, main screen, cursor
/// shown. Errors are ignored: the terminal may be gone (SIGHUP) and there is nothing left
/// to tell.
pub fn restore() {
    // A frame cut short (a signal's grace ran out mid-draw) must not leave the terminal
    // holding back its output.
    let _ = execute!(stdout(), EndSynchronizedUpdate, DisableBracketedPaste);
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), LeaveAlternateScreen, Show);
    let _ = stdout().flush();
}

/// Takes the terminal again after [`suspend`] gave it back. The caller repaints everything.
fn reenter() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste, Hide)
}

/// After a SIGCONT: raw mode and paste mode again, as the shell may have reset them while
/// we were stopped (an external SIGSTOP does not let us restore first). The alternate
/// screen is already on: a stop we saw re-entered it, one we did not never left it. The
/// caller repaints everything.
pub fn retake() -> io::Result<()> {
    if is_raw_mode_enabled()? {
        // crossterm skips enabling when it believes raw mode is on: apply it afresh.
        disable_raw_mode()?;
    }
    enable_raw_mode()?;
    execute!(stdout(), EnableBracketedPaste, Hide)
}

/// Suspends like any full-screen program: restores the terminal, then stops the process
/// with SIGSTOP so that the shell's job control sees a stopped job (SIGTSTP could be
/// ignored in an orphaned process group, SIGSTOP cannot). Returns once continued (`fg`),
/// with the terminal taken again; the caller repaints everything.
pub fn suspend() -> io::Result<()> {
    restore();
    // SAFETY: raise only sends a signal to this process.
    if unsafe { libc::raise(libc::SIGSTOP) } != 0 {
        let e = io::Error::last_os_error();
        reenter()?;
        return Err(e);
    }
    reenter()
}
