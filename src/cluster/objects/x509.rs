//! PEM / X.509 parsing for the certificate inventory. Pure: bytes in, public facts out.
//!
//! Never panics, whatever the input (fuzzed by `fuzz/fuzz_targets/certs.rs`). Every PEM block
//! of a bundle becomes one entry; anything that is not a readable certificate becomes an
//! `Unparseable` entry with the reason, so no row is ever hidden. A block that is not a
//! certificate (a private key pasted into `tls.crt`) is named by its label and its body is
//! never decoded. Error reasons never quote the data.

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::Timestamp;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_SIG_ED448, OID_SIG_ED25519,
};
use x509_parser::public_key::PublicKey;

/// The public facts of one certificate: all a view or a report needs, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    /// RFC 4514 form, e.g. `CN=shop.contoso.com, O=Contoso`.
    pub subject: String,
    pub common_name: Option<String>,
    pub issuer: String,
    /// DNS names, IP addresses, URIs and e-mail addresses, in certificate order.
    pub sans: Vec<String>,
    /// Colon-separated hex, as `openssl x509 -serial` groups it.
    pub serial: String,
    /// `RSA 2048`, `EC P-256`, `Ed25519`, or the algorithm OID.
    pub key_type: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    /// Basic constraints CA:true.
    pub is_ca: bool,
    /// Issuer = subject (and the authority key id, when present, is its own key id).
    pub self_signed: bool,
}

/// Where a certificate sits in a chain, judged from the certificate alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChainPlace {
    Leaf,
    /// A self-signed end-entity certificate: its own trust anchor, but not a CA.
    SelfSignedLeaf,
    Intermediate,
    Root,
}

impl ChainPlace {
    pub fn label(self) -> &'static str {
        match self {
            ChainPlace::Leaf => "leaf",
            ChainPlace::SelfSignedLeaf => "leaf (self-signed)",
            ChainPlace::Intermediate => "intermediate",
            ChainPlace::Root => "root",
        }
    }
}

impl CertFacts {
    /// Self-signed CA = root; CA not self-signed = intermediate; else leaf.
    pub fn chain_place(&self) -> ChainPlace {
        match (self.self_signed, self.is_ca) {
            (true, true) => ChainPlace::Root,
            (true, false) => ChainPlace::SelfSignedLeaf,
            (false, true) => ChainPlace::Intermediate,
            (false, false) => ChainPlace::Leaf,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Cert(Box<CertFacts>),
    /// Why this entry could not be read as a certificate.
    Unparseable(String),
}

/// Entry `index` (1-based) of the `of` entries found in one data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleEntry {
    pub index: usize,
    pub of: usize,
    pub parsed: Parsed,
}

/// PEM labels that hold an X.509 certificate.
fn is_cert_label(label: &str) -> bool {
    matches!(
        label,
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE"
    )
}

/// Every entry of one data value (a Secret or ConfigMap key). Never empty: empty data and
/// data without any PEM block give one unparseable entry.
pub fn parse_bundle(data: &[u8]) -> Vec<BundleEntry> {
    let parsed = blocks(data);
    let of = parsed.len();
    parsed
        .into_iter()
        .enumerate()
        .map(|(i, parsed)| BundleEntry {
            index: i + 1,
            of,
            parsed,
        })
        .collect()
}

/// True if the text holds at least one certificate PEM header (ConfigMap keys are scanned
/// with this: only PEM-bearing keys are inventoried).
pub fn has_pem_certificate(text: &str) -> bool {
    text.contains("-----BEGIN CERTIFICATE-----")
        || text.contains("-----BEGIN TRUSTED CERTIFICATE-----")
        || text.contains("-----BEGIN X509 CERTIFICATE-----")
}

fn unparseable(reason: impl Into<String>) -> Parsed {
    Parsed::Unparseable(reason.into())
}

/// `-----BEGIN X-----` / `-----END X-----` → (is_begin, X).
fn boundary(line: &str) -> Option<(bool, &str)> {
    let inner = line.strip_prefix("-----")?.strip_suffix("-----")?;
    if let Some(label) = inner.strip_prefix("BEGIN ") {
        Some((true, label.trim()))
    } else {
        inner
            .strip_prefix("END ")
            .map(|label| (false, label.trim()))
    }
}

fn blocks(data: &[u8]) -> Vec<Parsed> {
    if data.iter().all(u8::is_ascii_whitespace) {
        return vec![unparseable("empty")];
    }
    let text = match std::str::from_utf8(data) {
        Ok(t) => t,
        // DER starts with a SEQUENCE tag; say so, it is a common mistake.
        Err(_) if data[0] == 0x30 => {
            return vec![unparseable(
                "binary (DER?) data, not PEM: expected -----BEGIN CERTIFICATE-----",
            )];
        }
        Err(_) => return vec![unparseable("binary data, not PEM text")],
    };
    let mut out = Vec::new();
    // The open block: its label and body lines.
    let mut open: Option<(&str, Vec<&str>)> = None;
    for line in text.lines().map(str::trim) {
        match boundary(line) {
            Some((true, label)) => {
                if let Some((prev, _)) = open.take() {
                    out.push(truncated(prev));
                }
                open = Some((label, Vec::new()));
            }
            Some((false, end)) => match open.take() {
                Some((label, body)) if label == end => out.push(block(label, &body)),
                Some((label, _)) => out.push(unparseable(format!(
                    "PEM block BEGIN {label} ends with END {end}"
                ))),
                None => out.push(unparseable(format!("PEM END {end} without BEGIN"))),
            },
            None => {
                if let Some((_, body)) = open.as_mut() {
                    body.push(line);
                }
                // Text between blocks (comments in a bundle) is allowed and ignored.
            }
        }
    }
    if let Some((label, _)) = open {
        out.push(truncated(label));
    }
    if out.is_empty() {
        let reason = if data[0] == 0x30 {
            "binary (DER?) data, not PEM: expected -----BEGIN CERTIFICATE-----"
        } else {
            "no PEM block found: expected -----BEGIN CERTIFICATE-----"
        };
        out.push(unparseable(reason));
    }
    out
}

fn truncated(label: &str) -> Parsed {
    if is_cert_label(label) {
        unparseable(format!("truncated PEM: BEGIN {label} without END"))
    } else {
        unparseable(format!("not a certificate ({label} block), truncated"))
    }
}

fn block(label: &str, body: &[&str]) -> Parsed {
    if !is_cert_label(label) {
        // Never decoded: it may be a private key.
        return unparseable(format!("not a certificate ({label} block)"));
    }
    // RFC 7468 allows no headers in CERTIFICATE blocks, but old tools wrote some.
    let b64: String = body
        .iter()
        .filter(|l| !l.contains(':'))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if b64.is_empty() {
        return unparseable(format!("empty PEM {label} block"));
    }
    let der = match B64.decode(b64.as_bytes()) {
        Ok(d) => d,
        Err(e) => return unparseable(format!("bad base64 in PEM {label} block: {e}")),
    };
    match x509_parser::parse_x509_certificate(&der) {
        Ok((_, cert)) => match facts(&cert) {
            Ok(f) => Parsed::Cert(Box::new(f)),
            Err(reason) => unparseable(reason),
        },
        Err(e) => unparseable(format!("not a valid X.509 certificate: {e}")),
    }
}

fn facts(cert: &X509Certificate<'_>) -> Result<CertFacts, String> {
    let time = |t: &x509_parser::time::ASN1Time, what: &str| {
        Timestamp::from_second(t.timestamp()).map_err(|_| format!("{what} out of range"))
    };
    let validity = cert.validity();
    let mut sans = Vec::new();
    let mut ski = None;
    let mut aki = None;
    for ext in cert.iter_extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                sans.extend(san.general_names.iter().filter_map(general_name));
            }
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0)
            }
            _ => {}
        }
    }
    let self_signed = cert.subject().as_raw() == cert.issuer().as_raw()
        && match (aki, ski) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        };
    Ok(CertFacts {
        subject: cert.subject().to_string(),
        common_name: cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(String::from),
        issuer: cert.issuer().to_string(),
        sans,
        serial: cert.raw_serial_as_string(),
        key_type: key_type(cert),
        not_before: time(&validity.not_before, "notBefore")?,
        not_after: time(&validity.not_after, "notAfter")?,
        is_ca: cert.is_ca(),
        self_signed,
    })
}

fn general_name(g: &GeneralName<'_>) -> Option<String> {
    match g {
        GeneralName::DNSName(s) | GeneralName::URI(s) => Some((*s).to_string()),
        GeneralName::RFC822Name(s) => Some(format!("email:{s}")),
        GeneralName::IPAddress(b) => match b.len() {
            4 => <[u8; 4]>::try_from(*b)
                .ok()
                .map(|a| IpAddr::from(a).to_string()),
            16 => <[u8; 16]>::try_from(*b)
                .ok()
                .map(|a| IpAddr::from(a).to_string()),
            _ => Some("IP:(invalid)".into()),
        },
        _ => None,
    }
}

/// Bits of a big-endian unsigned integer (leading zero bytes and bits do not count).
fn bits(n: &[u8]) -> usize {
    let n = match n.iter().position(|b| *b != 0) {
        Some(i) => &n[i..],
        None => return 0,
    };
    n.len() * 8 - n[0].leading_zeros() as usize
}

fn key_type(cert: &X509Certificate<'_>) -> String {
    let spki = cert.public_key();
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_PKCS1_RSAENCRYPTION {
        return match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => format!("RSA {}", bits(rsa.modulus)),
            _ => "RSA (unreadable key)".into(),
        };
    }
    if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        return match curve {
            Some(c) if c == OID_EC_P256 => "EC P-256".into(),
            Some(c) if c == OID_NIST_EC_P384 => "EC P-384".into(),
            Some(c) if c == OID_NIST_EC_P521 => "EC P-521".into(),
            Some(c) => format!("EC {c}"),
            None => "EC".into(),
        };
    }
    if *alg == OID_SIG_ED25519 {
        return "Ed25519".into();
    }
    if *alg == OID_SIG_ED448 {
        return "Ed448".into();
    }
    alg.to_id_string()
}

#[cfg(test)]
#[path = "x509_tests.rs"]
pub(crate) mod tests;
