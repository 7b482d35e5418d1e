//! Pieces every dialog shares: where it goes, and the Cancel/Confirm buttons (Cancel is
//! drawn focused until Tab moves the focus, so an accidental Enter writes nothing).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::theme::{Role, Theme};

/// A `w`×`h` rectangle in the middle of `area` (clipped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The body area of a full-screen overlay: below the header's `top` rows, above the footer.
pub fn below_header(area: Rect, top: u16) -> Rect {
    Rect {
        y: area.y + top.min(area.height),
        height: area.height.saturating_sub(top + 1),
        ..area
    }
}

/// `[ Cancel ]   [ <ok> ]`, the focused one in the selection style.
/// The Confirm button's label, with the keys of an armed one as bound.
pub fn ok_label(
    keymap: &crate::config::Keymap,
    hazard: &Option<crate::state::hazard::Hazard>,
    ok: &str,
) -> String {
    crate::config::hints::fill::<crate::state::modal_action::DialogAction>(
        keymap,
        crate::state::hazard::ok_label(hazard, ok),
    )
}

pub fn buttons(th: &Theme, ok_label: &str, ok_focused: bool) -> Line<'static> {
    let button = |label: &str, focused: bool| {
        let role = if focused {
            Role::Selection
        } else {
            Role::Muted
        };
        Span::styled(format!("[ {label} ]"), th.style(role))
    };
    Line::from(vec![
        Span::raw("   "),
        button("Cancel", !ok_focused),
        Span::raw("   "),
        button(ok_label, ok_focused),
    ])
}
