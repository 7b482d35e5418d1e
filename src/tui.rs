//! Terminal enter/restore. The panic hook restores the terminal before color-eyre reports.

use ratatui::DefaultTerminal;

/// Enters the alternate screen in raw mode; `ratatui::init` also chains a panic hook that
/// restores the terminal first, so a panic never leaves the shell unusable.
pub fn enter() -> DefaultTerminal {
    ratatui::init()
}

pub fn restore() {
    ratatui::restore();
}
