//! A one-line text input (palette, filter) with a cursor, at most [`MAX_CHARS`] long.

/// The longest text a one-line input holds: longer is never a useful filter or command, and
/// a bound keeps every edit and every match against it cheap (a paste can be megabytes).
pub const MAX_CHARS: usize = 256;

/// What a paste left out (both can happen at once).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cut {
    /// The paste had more than one line: only the first was taken.
    pub lines: bool,
    /// The input reached [`MAX_CHARS`]: the rest was dropped.
    pub length: bool,
}

impl Cut {
    pub fn any(self) -> bool {
        self.lines || self.length
    }

    /// The message for the user, `None` when nothing was cut.
    pub fn message(self, what: &str) -> Option<String> {
        let limit = format!("{what} is limited to {MAX_CHARS} characters; the rest was cut");
        match (self.lines, self.length) {
            (false, false) => None,
            (true, false) => Some("pasted the first line only".into()),
            (false, true) => Some(limit),
            (true, true) => Some(format!("pasted the first line only; {limit}")),
        }
    }
}

/// The part of a paste a one-line input takes: the first line, without control characters
/// (a pasted line break or escape must never act as a key), at most `room` chars.
pub fn one_line(text: &str, room: usize) -> (String, Cut) {
    let mut lines = text.split(['\r', '\n']);
    let first = lines.next().unwrap_or_default();
    let mut cut = Cut {
        lines: lines.any(|l| !l.is_empty()),
        length: false,
    };
    let mut out = String::new();
    for (taken, c) in first.chars().filter(|c| !c.is_control()).enumerate() {
        if taken == room {
            cut.length = true;
            break;
        }
        out.push(c);
    }
    (out, cut)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    pub text: String,
    /// Cursor position in chars.
    pub cursor: usize,
}

impl TextInput {
    pub fn with(text: &str) -> Self {
        TextInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(b, _)| b)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Inserts at the cursor; false (and nothing inserted) when the input is full.
    pub fn insert(&mut self, c: char) -> bool {
        if self.len() >= MAX_CHARS {
            return false;
        }
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
        true
    }

    /// Inserts the first line of a paste at the cursor, as far as it fits.
    pub fn paste(&mut self, text: &str) -> Cut {
        let (taken, cut) = one_line(text, MAX_CHARS.saturating_sub(self.len()));
        let at = self.byte_at(self.cursor);
        self.text.insert_str(at, &taken);
        self.cursor += taken.chars().count();
        cut
    }

    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    pub fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.text.chars().count());
    }

    pub fn set(&mut self, text: &str) {
        *self = TextInput::with(text);
    }

    pub fn is_full(&self) -> bool {
        self.len() >= MAX_CHARS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_at_cursor_with_unicode() {
        let mut t = TextInput::with("gw");
        t.left();
        t.insert('é');
        assert_eq!(t.text, "géw");
        t.backspace();
        t.backspace();
        assert_eq!(t.text, "w");
        t.delete();
        assert_eq!(t.text, "");
        t.backspace();
        assert_eq!((t.text.as_str(), t.cursor), ("", 0));
    }

    #[test]
    fn typing_stops_at_the_cap() {
        let mut t = TextInput::default();
        for _ in 0..MAX_CHARS {
            assert!(t.insert('é'));
        }
        assert!(t.is_full());
        assert!(!t.insert('x'), "a full input takes no more");
        assert_eq!((t.text.chars().count(), t.cursor), (MAX_CHARS, MAX_CHARS));
    }

    #[test]
    fn a_paste_is_one_line_of_text_capped_at_the_cursor() {
        let mut t = TextInput::with("ab");
        t.left();
        let cut = t.paste("x\ty\u{1b}[A\r\nq\n:quit");
        assert_eq!(t.text, "axy[Ab", "control chars dropped, first line only");
        assert_eq!(t.cursor, 5);
        assert!(cut.lines && !cut.length);
        assert_eq!(cut.message("filter").unwrap(), "pasted the first line only");

        let mut t = TextInput::with("shop");
        let big = "z".repeat(10_000);
        let cut = t.paste(&big);
        assert_eq!(t.text.chars().count(), MAX_CHARS);
        assert!(t.text.starts_with("shopzz"));
        assert!(cut.length && !cut.lines);
        assert!(cut.message("filter").unwrap().contains("limited to 256"));

        // A trailing line break alone is not a second line.
        let mut t = TextInput::default();
        assert!(!t.paste("route-a\n").any());
        assert_eq!(t.text, "route-a");
    }
}
