//! Where text meets ratatui: every span is passed through the one sanitizer
//! (`crate::text`) so cluster data shows control and format characters as visible escapes,
//! one-line places cut with `…`, long text is wrapped (and so reachable by scrolling), and a
//! last pass over the frame guarantees no control/format character reaches the terminal even
//! if a call site forgets.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use crate::text::{self, ELLIPSIS};

fn clean_cow(c: Cow<'_, str>) -> Cow<'_, str> {
    match c {
        Cow::Borrowed(s) => text::sanitize(s),
        Cow::Owned(s) => Cow::Owned(text::sanitize_owned(s)),
    }
}

/// The span with its text sanitised (no copy when clean).
pub fn span(mut s: Span<'_>) -> Span<'_> {
    s.content = clean_cow(s.content);
    s
}

/// The line with every span sanitised.
pub fn line(mut l: Line<'_>) -> Line<'_> {
    l.spans = l.spans.into_iter().map(span).collect();
    l
}

/// Columns a sanitised line takes.
pub fn width(l: &Line<'_>) -> usize {
    l.spans.iter().map(|s| text::width(&s.content)).sum()
}

/// The line sanitised and cut to `max` columns; a cut line ends with `…` in the style of the
/// span that was cut.
pub fn fit(l: Line<'_>, max: usize) -> Line<'_> {
    let l = line(l);
    if width(&l) <= max {
        return l;
    }
    if max == 0 {
        return Line::default();
    }
    let Line {
        spans,
        style,
        alignment,
        ..
    } = l;
    let mut room = max - 1;
    let mut out = Vec::new();
    for s in spans {
        let w = text::width(&s.content);
        if w <= room {
            room -= w;
            out.push(s);
            continue;
        }
        let p = text::prefix(&s.content, room);
        if !p.is_empty() {
            out.push(Span::styled(p.to_string(), s.style));
        }
        out.push(Span::styled(ELLIPSIS.to_string(), s.style));
        break;
    }
    let mut l = Line::from(out).style(style);
    l.alignment = alignment;
    l
}

/// The line sanitised and broken into rows of at most `max` columns: after a space when
/// the row has one, else anywhere (long hosts and SAN lists have no spaces). Never empty.
pub fn wrap(l: Line<'_>, max: usize) -> Vec<Line<'static>> {
    let max = max.max(1);
    let l = line(l);
    if width(&l) <= max {
        return vec![owned(l)];
    }
    let style = l.style;
    // (grapheme, columns, span index): the unit rows are cut from.
    // (ASCII, the common case, is one column per byte once sanitised: no grapheme search.)
    let mut cells: Vec<(&str, usize, usize)> = Vec::new();
    for (i, s) in l.spans.iter().enumerate() {
        let c: &str = &s.content;
        if c.is_ascii() {
            cells.extend((0..c.len()).map(|b| (&c[b..b + 1], 1, i)));
        } else {
            cells.extend(c.graphemes(true).map(|g| (g, g.width(), i)));
        }
    }
    let mut rows = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let mut used = 0;
        let mut end = start;
        let mut after_space = None;
        while end < cells.len() && (used + cells[end].1 <= max || end == start) {
            used += cells[end].1;
            if cells[end].0 == " " {
                after_space = Some(end + 1);
            }
            end += 1;
        }
        // The space a row breaks at ends that row: it is not carried to the next one.
        let mut next = end;
        if end < cells.len() {
            if cells[end].0 == " " {
                next = end + 1;
            } else if let Some(b) = after_space {
                (end, next) = (b, b);
            }
        }
        let mut spans: Vec<Span<'static>> = Vec::new();
        for &(g, _, i) in &cells[start..end] {
            match spans.last_mut() {
                Some(last) if last.style == l.spans[i].style => last.content.to_mut().push_str(g),
                _ => spans.push(Span::styled(g.to_string(), l.spans[i].style)),
            }
        }
        rows.push(Line::from(spans).style(style));
        start = next;
    }
    rows
}

fn owned(l: Line<'_>) -> Line<'static> {
    let mut out = Line::from(
        l.spans
            .into_iter()
            .map(|s| Span::styled(s.content.into_owned(), s.style))
            .collect::<Vec<_>>(),
    )
    .style(l.style);
    out.alignment = l.alignment;
    out
}

/// Wraps every line to `max` columns; also returns where each input line starts.
pub fn wrap_all(lines: Vec<Line<'_>>, max: usize) -> (Vec<Line<'static>>, Vec<usize>) {
    let mut out = Vec::with_capacity(lines.len());
    let mut starts = Vec::with_capacity(lines.len());
    for l in lines {
        starts.push(out.len());
        out.extend(wrap(l, max));
    }
    (out, starts)
}

/// The rows of `lines` wrapped to `width` that a `height`-row pane shows from `*scroll`.
/// The scroll counts wrapped rows and is clamped so the last row is reachable and no more;
/// `follow` (an index into `lines`) is brought into view.
pub fn scroll_window(
    lines: Vec<Line<'_>>,
    width: usize,
    height: usize,
    scroll: &mut u16,
    follow: Option<usize>,
) -> Vec<Line<'static>> {
    let (rows, starts) = wrap_all(lines, width);
    let height = height.max(1);
    let mut top = usize::from(*scroll);
    if let Some(&first) = follow.and_then(|i| starts.get(i)) {
        let end = follow
            .and_then(|i| starts.get(i + 1))
            .copied()
            .unwrap_or(rows.len());
        if first < top {
            top = first;
        } else if end > top + height {
            top = (end - height).min(first);
        }
    }
    top = top
        .min(rows.len().saturating_sub(height))
        .min(usize::from(u16::MAX));
    *scroll = top as u16;
    rows.into_iter().skip(top).take(height).collect()
}

/// The last line of defence, run on the finished frame: a cell whose symbol still holds a
/// control or format character (a call site that skipped `line`/`fit`) shows `�` instead.
/// The visible escapes and the widths come from the text-level sanitizer, not from here.
pub fn guard(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        if cell.symbol().chars().any(text::is_unsafe) {
            cell.set_symbol("\u{FFFD}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Style};

    fn plain(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn lines_are_sanitised_span_by_span_keeping_styles() {
        let red = Style::new().fg(Color::Red);
        let l = line(Line::from(vec![
            Span::raw("ok"),
            Span::styled("\x1b]0;pwned\x07", red),
        ]));
        assert_eq!(plain(&l), "ok\\e]0;pwned\\x07");
        assert_eq!(l.spans[1].style, red);
        assert!(matches!(l.spans[0].content, Cow::Borrowed(_)));
    }

    #[test]
    fn fit_cuts_with_an_ellipsis_only_when_needed() {
        let l = Line::from(vec![Span::raw("abc"), Span::raw("defgh")]);
        assert_eq!(plain(&fit(l.clone(), 8)), "abcdefgh");
        assert_eq!(plain(&fit(l.clone(), 7)), "abcdef…");
        assert_eq!(plain(&fit(l.clone(), 4)), "abc…");
        assert_eq!(plain(&fit(l.clone(), 3)), "ab…");
        assert_eq!(plain(&fit(l.clone(), 1)), "…");
        assert_eq!(plain(&fit(l, 0)), "");
        // The width counts the escape, not the raw byte.
        let l = fit(Line::raw("a\u{202E}bcdef"), 9);
        assert_eq!(plain(&l), "a<U+202E…");
        assert_eq!(width(&l), 9);
    }

    #[test]
    fn wrap_breaks_long_values_into_rows_that_fit() {
        let long = "x".repeat(25);
        let rows = wrap(Line::from(vec![Span::raw("SANs: "), Span::raw(long)]), 10);
        let texts: Vec<String> = rows.iter().map(plain).collect();
        assert_eq!(texts, ["SANs: ", "xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"]);
        let rows = wrap(Line::raw("a condition message that is long"), 12);
        let texts: Vec<String> = rows.iter().map(plain).collect();
        assert_eq!(texts, ["a condition ", "message that", "is long"]);
        let (all, starts) = wrap_all(vec![Line::raw("a"), Line::raw("\x1b".repeat(8))], 10);
        assert_eq!(starts, [0, 1]);
        assert_eq!(all.len(), 3); // 16 columns of `\e` escapes
        assert_eq!(plain(&wrap(Line::raw(""), 10)[0]), "");
    }

    #[test]
    fn scroll_window_reaches_the_last_wrapped_row_and_follows_a_line() {
        let lines = vec![Line::raw("x".repeat(100)), Line::raw("end")];
        let mut scroll = u16::MAX / 2;
        let rows = scroll_window(lines.clone(), 10, 4, &mut scroll, None);
        assert_eq!(scroll, 7); // 11 rows, 4 shown
        assert_eq!(plain(rows.last().unwrap()), "end");
        let mut scroll = 0;
        scroll_window(lines, 10, 4, &mut scroll, Some(1));
        assert_eq!(scroll, 7);
    }

    #[test]
    fn guard_replaces_any_unsafe_symbol_left_in_the_frame() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 1));
        buf[(0, 0)].set_symbol("a\u{200D}");
        buf[(1, 0)].set_symbol("b");
        buf[(2, 0)].set_symbol("\u{1b}");
        guard(&mut buf);
        assert_eq!(buf[(0, 0)].symbol(), "\u{FFFD}");
        assert_eq!(buf[(1, 0)].symbol(), "b");
        assert_eq!(buf[(2, 0)].symbol(), "\u{FFFD}");
    }
}
