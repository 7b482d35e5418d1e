//! Terminal-safe text: the one sanitizer every byte of cluster data passes before it reaches
//! a terminal (console, `certs`/`check` tables, error messages).
//!
//! Rule: control characters (general category Cc: C0, DEL, C1) become a visible escape —
//! `\e` for ESC, `\n`, `\r`, `\t`, `\xNN` for the other C0 and DEL, `\u{NN}` for C1 — and
//! format characters (category Cf: bidi overrides, zero-width space/joiners, BOM, tags…)
//! plus the line/paragraph separators U+2028/U+2029 become `<U+XXXX>`. Everything else
//! passes unchanged, so clean text is borrowed, not copied: this runs on every visible cell.
//!
//! Sanitise at output, never at ingest: names are also used to build write patches, which
//! must keep the raw value. Depends on nothing in the crate, so every layer may use it.

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// What ends a value cut to fit.
pub const ELLIPSIS: char = '…';

/// Unicode general category Cf (Unicode 15.1).
const FORMAT: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// A format character, or a line/paragraph separator (which terminals may treat as a newline).
pub fn is_format(c: char) -> bool {
    let c = c as u32;
    c == 0x2028
        || c == 0x2029
        || FORMAT
            .binary_search_by(|&(lo, hi)| {
                if hi < c {
                    std::cmp::Ordering::Less
                } else if lo > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
}

/// A character that must never reach a terminal as itself.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_format(c)
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\x1b' => out.push_str("\\e"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if c.is_control() => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => {
            let _ = write!(out, "<U+{:04X}>", c as u32);
        }
    }
}

/// `s` with every unsafe character replaced by its visible escape; borrowed when clean.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    let Some(first) = s.find(is_unsafe) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if is_unsafe(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Like `sanitize`, for an owned string (no copy when clean).
pub fn sanitize_owned(s: String) -> String {
    match sanitize(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(o) => o,
    }
}

/// Columns of an already sanitised string, as the terminal buffer counts them: the sum of
/// its graphemes' widths.
fn clean_width(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.graphemes(true).map(UnicodeWidthStr::width).sum()
}

/// Columns `s` takes once sanitised (escapes included): what padding must count.
pub fn width(s: &str) -> usize {
    clean_width(&sanitize(s))
}

/// `s` sanitised and cut to at most `max` columns; a cut value ends with `…`.
pub fn truncate_to(s: &str, max: usize) -> Cow<'_, str> {
    let clean = sanitize(s);
    if clean_width(&clean) <= max {
        return clean;
    }
    Cow::Owned(cut(&clean, max))
}

/// Cut clean `s` to `max - 1` columns and end it with `…` (nothing at all when max = 0).
fn cut(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let mut out = prefix(s, max - 1).to_string();
    out.push(ELLIPSIS);
    out
}

/// The longest prefix of already sanitised `s` that fits `cols` columns (whole graphemes).
pub fn prefix(s: &str, cols: usize) -> &str {
    let mut used = 0;
    for (i, g) in s.grapheme_indices(true) {
        used += UnicodeWidthStr::width(g);
        if used > cols {
            return &s[..i];
        }
    }
    s
}

/// Clean `s` padded with spaces (left-aligned) or cut to exactly `w` columns.
pub fn pad_to(s: &str, w: usize) -> String {
    let t = truncate_to(s, w);
    let fill = w.saturating_sub(clean_width(&t));
    let mut out = t.into_owned();
    out.extend(std::iter::repeat_n(' ', fill));
    out
}

/// The properties of the sanitizer on any input; the fuzz target
/// (fuzz/fuzz_targets/sanitize.rs) and a unit test over generated strings check them.
#[cfg(any(test, fuzzing))]
pub fn check_properties(s: &str) {
    let out = sanitize(s);
    assert!(!out.chars().any(is_unsafe), "{s:?} -> {out:?}");
    assert_eq!(sanitize(&out), out, "not idempotent: {s:?}");
    assert_eq!(width(s), clean_width(&out));
    if !s.chars().any(is_unsafe) {
        assert!(matches!(out, Cow::Borrowed(_)));
    }
    for max in [0, 1, 2, 5, 13] {
        let t = truncate_to(s, max);
        assert!(clean_width(&t) <= max, "{s:?} cut to {max}: {t:?}");
        assert!(!t.chars().any(is_unsafe));
        if clean_width(&out) > max && max > 0 {
            assert!(t.ends_with(ELLIPSIS), "{s:?} cut to {max}: {t:?}");
        } else if clean_width(&out) <= max {
            assert_eq!(t, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed_and_unchanged() {
        for s in ["", "istio-system/gateway", "héllo wörld", "日本語", "a\\eb"] {
            assert!(matches!(sanitize(s), Cow::Borrowed(x) if x == s), "{s:?}");
        }
    }

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(
            sanitize("\x1b]52;c;aGVsbG8=\x07x\x1bc"),
            "\\e]52;c;aGVsbG8=\\x07x\\ec"
        );
        assert_eq!(sanitize("a\nb\rc\td"), "a\\nb\\rc\\td");
        assert_eq!(sanitize("\0\x7f"), "\\x00\\x7f");
        // C1: CSI (0x9b) and OSC (0x9d) are single-character escapes on some terminals.
        assert_eq!(sanitize("\u{9b}2J\u{9d}0;t"), "\\u{9b}2J\\u{9d}0;t");
        assert_eq!(sanitize("\u{80}\u{9f}"), "\\u{80}\\u{9f}");
    }

    #[test]
    fn format_characters_become_code_points() {
        assert_eq!(sanitize("abc\u{202E}fed"), "abc<U+202E>fed");
        assert_eq!(sanitize("a\u{200B}b\u{200D}c"), "a<U+200B>b<U+200D>c");
        assert_eq!(sanitize("\u{FEFF}\u{00AD}"), "<U+FEFF><U+00AD>");
        assert_eq!(sanitize("\u{2066}\u{2069}"), "<U+2066><U+2069>");
        assert_eq!(sanitize("\u{E0041}"), "<U+E0041>");
        assert_eq!(sanitize("\u{2028}\u{2029}"), "<U+2028><U+2029>");
        // Neighbours of the ranges stay as they are.
        assert_eq!(
            sanitize("\u{2010}\u{2030}\u{E0080}"),
            "\u{2010}\u{2030}\u{E0080}"
        );
    }

    #[test]
    fn every_format_range_is_caught_and_sorted() {
        for w in FORMAT.windows(2) {
            assert!(w[0].1 < w[1].0, "{w:x?}");
        }
        for &(lo, hi) in FORMAT {
            for c in [lo, hi] {
                let c = char::from_u32(c).unwrap();
                assert!(is_unsafe(c), "U+{:04X}", c as u32);
            }
        }
    }

    #[test]
    fn width_counts_the_escapes_not_the_raw_bytes() {
        assert_eq!(width("ab"), 2);
        assert_eq!(width("a\x1bb"), 4); // a \e b
        assert_eq!(width("a\u{202E}b"), 10); // a <U+202E> b
        assert_eq!(width("日本"), 4);
    }

    #[test]
    fn truncation_ends_with_an_ellipsis_and_fits() {
        assert_eq!(truncate_to("abcdef", 6), "abcdef");
        assert_eq!(truncate_to("abcdef", 4), "abc…");
        assert_eq!(truncate_to("abcdef", 1), "…");
        assert_eq!(truncate_to("abcdef", 0), "");
        // A wide character that does not fit leaves the column to padding.
        assert_eq!(truncate_to("a日本", 4), "a日…");
        assert_eq!(truncate_to("日本語", 4), "日…");
        // Escapes are cut like text: never half a raw control.
        assert_eq!(truncate_to("\x1b]0;x", 3), "\\e…");
        assert_eq!(pad_to("ab", 4), "ab  ");
        assert_eq!(pad_to("a\u{202E}bcdefghijk", 6), "a<U+2…");
        assert_eq!(width(&pad_to("日本語", 5)), 5);
    }

    fn random_string(rng: &mut fastrand::Rng) -> String {
        let len = rng.usize(0..40);
        (0..len)
            .map(|_| match rng.u8(0..6) {
                0 => char::from(rng.u8(0..0x20)),
                1 => char::from_u32(rng.u32(0x7f..0xa0)).unwrap(),
                2 => {
                    let (lo, hi) = FORMAT[rng.usize(0..FORMAT.len())];
                    char::from_u32(rng.u32(lo..=hi)).unwrap()
                }
                3 => ['\\', 'e', '<', 'U', '+', '日', '\u{301}', '…', '🙂'][rng.usize(0..9)],
                4 => rng.alphanumeric(),
                _ => rng.char(..),
            })
            .collect()
    }

    /// The properties the fuzz target (fuzz/fuzz_targets/sanitize.rs) checks, over many
    /// generated strings so they also run in CI.
    #[test]
    fn properties_hold_on_generated_strings() {
        let mut rng = fastrand::Rng::with_seed(8);
        for _ in 0..20_000 {
            let s = random_string(&mut rng);
            check_properties(&s);
        }
    }
}
