//! Any bytes into the certificate parser: it must never panic, and must always account for
//! the input with at least one entry, numbered 1..=n of n.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../src/cluster/objects/x509.rs"]
mod x509;

fuzz_target!(|data: &[u8]| {
    let entries = x509::parse_bundle(data);
    assert!(!entries.is_empty(), "no entry for {} bytes", data.len());
    for (i, e) in entries.iter().enumerate() {
        assert_eq!((e.index, e.of), (i + 1, entries.len()));
        if let x509::Parsed::Cert(c) = &e.parsed {
            let _ = c.chain_place();
            assert!(c.not_before.as_second() <= i64::MAX);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = x509::has_pem_certificate(text);
    }
});
