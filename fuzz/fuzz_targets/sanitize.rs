//! Any text into the terminal sanitizer (src/text.rs): the output never holds a control or
//! format character, sanitising is idempotent on its own output, widths count the escapes,
//! and a cut value fits and ends with `…`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../src/text.rs"]
mod text;

fuzz_target!(|data: &[u8]| {
    text::check_properties(&String::from_utf8_lossy(data));
});
