//! A pool of real X.509 certificates for the generated TLS Secrets and PEM bundles.
//! Minted once per process (so `objects` is deterministic within a process); the private
//! keys live only while signing, as in the demo's own `certs` (secrets carry
//! `PLACEHOLDER_KEY`).

use std::sync::OnceLock;

use rcgen::{CertificateParams, DnType, KeyPair, SerialNumber};
use time::{Duration, OffsetDateTime};

/// Distinct certificates, reused round-robin across Secrets.
pub const POOL: usize = 64;

/// Days until expiry, cycled over the pool: a few expired and critical, most healthy.
const EXPIRY_DAYS: [i64; 16] = [
    -3, 5, 12, 25, 45, 60, 90, 120, 180, 240, 300, 365, 400, 500, 730, 1000,
];

/// Days until expiry of pool entry `i`.
pub fn expiry_days(i: usize) -> i64 {
    EXPIRY_DAYS[i % EXPIRY_DAYS.len()]
}

fn mint(i: usize) -> Result<String, rcgen::Error> {
    let cn = format!("pool-{i:02}.scale.example");
    let mut params =
        CertificateParams::new(vec![cn.clone(), format!("*.pool-{i:02}.scale.example")])?;
    params.distinguished_name.push(DnType::CommonName, cn);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "meshctl scale");
    let now = OffsetDateTime::now_utc();
    params.not_after = now + Duration::days(expiry_days(i));
    params.not_before = params.not_after - Duration::days(expiry_days(i).max(0) + 90);
    params.serial_number = Some(SerialNumber::from_slice(&(i as u64 + 1).to_be_bytes()));
    let key = KeyPair::generate()?;
    Ok(params.self_signed(&key)?.pem())
}

/// The pool's PEMs (panics only if rcgen cannot sign, which is a build defect).
pub fn pool() -> &'static [String] {
    static POOL_PEMS: OnceLock<Vec<String>> = OnceLock::new();
    POOL_PEMS.get_or_init(|| {
        (0..POOL)
            .map(|i| mint(i).expect("rcgen signs a self-signed certificate"))
            .collect()
    })
}
