use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SerialNumber};
use time::OffsetDateTime;

use super::*;

/// A certificate minted at fixed dates: (pem, params, key) so it can sign others.
pub(crate) struct Minted {
    pub pem: String,
    params: CertificateParams,
    key: KeyPair,
}

pub(crate) fn date(s: &str) -> OffsetDateTime {
    let ts: Timestamp = s.parse().unwrap();
    OffsetDateTime::from_unix_timestamp(ts.as_second()).unwrap()
}

pub(crate) fn mint(
    cn: &str,
    sans: &[&str],
    not_before: &str,
    not_after: &str,
    ca: bool,
    issuer: Option<&Minted>,
) -> Minted {
    let mut params =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.not_before = date(not_before);
    params.not_after = date(not_after);
    params.serial_number = Some(SerialNumber::from_slice(&[0x0a, 0x1b, 0x2c]));
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    let key = KeyPair::generate().unwrap();
    let cert = match issuer {
        Some(i) => params
            .signed_by(&key, &Issuer::from_params(&i.params, &i.key))
            .unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    Minted {
        pem: cert.pem(),
        params,
        key,
    }
}

fn cert(e: &BundleEntry) -> &CertFacts {
    match &e.parsed {
        Parsed::Cert(c) => c,
        Parsed::Unparseable(r) => panic!("unparseable: {r}"),
    }
}

fn reason(e: &BundleEntry) -> &str {
    match &e.parsed {
        Parsed::Unparseable(r) => r,
        Parsed::Cert(c) => panic!("parsed {c:?}"),
    }
}

const RSA_PEM: &str = include_str!("x509_test_rsa.pem");

#[test]
fn a_leaf_reads_every_fact() {
    let m = mint(
        "shop.contoso.com",
        &["shop.contoso.com", "www.shop.contoso.com", "10.1.2.3"],
        "2026-01-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
        false,
        None,
    );
    let e = parse_bundle(m.pem.as_bytes());
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].index, e[0].of), (1, 1));
    let c = cert(&e[0]);
    assert_eq!(c.common_name.as_deref(), Some("shop.contoso.com"));
    assert_eq!(c.subject, "CN=shop.contoso.com");
    assert_eq!(c.issuer, "CN=shop.contoso.com");
    assert_eq!(
        c.sans,
        ["shop.contoso.com", "www.shop.contoso.com", "10.1.2.3"]
    );
    assert_eq!(c.serial, "0a:1b:2c");
    assert_eq!(c.key_type, "EC P-256");
    assert_eq!(c.not_before.to_string(), "2026-01-01T00:00:00Z");
    assert_eq!(c.not_after.to_string(), "2026-12-01T00:00:00Z");
    assert!(!c.is_ca && c.self_signed);
    assert_eq!(c.chain_place(), ChainPlace::SelfSignedLeaf);
}

#[test]
fn rsa_key_size_and_ip_sans() {
    let e = parse_bundle(RSA_PEM.as_bytes());
    let c = cert(&e[0]);
    assert_eq!(c.key_type, "RSA 2048");
    assert_eq!(c.sans, ["rsa.example", "10.0.0.1"]);
    assert_eq!(c.serial, "12:34");
    assert_eq!(c.chain_place(), ChainPlace::Root);
}

#[test]
fn a_chain_bundle_counts_every_block_in_order() {
    let root = mint(
        "Root CA",
        &[],
        "2020-01-01T00:00:00Z",
        "2040-01-01T00:00:00Z",
        true,
        None,
    );
    let inter = mint(
        "Intermediate CA",
        &[],
        "2024-01-01T00:00:00Z",
        "2030-01-01T00:00:00Z",
        true,
        Some(&root),
    );
    let leaf = mint(
        "api.example",
        &["api.example"],
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
        false,
        Some(&inter),
    );
    // Comments between blocks are normal in trust bundles.
    let bundle = format!(
        "# leaf\n{}\n# intermediate\n{}{}",
        leaf.pem, inter.pem, root.pem
    );
    let e = parse_bundle(bundle.as_bytes());
    assert_eq!(e.len(), 3);
    let places: Vec<_> = e.iter().map(|e| cert(e).chain_place()).collect();
    assert_eq!(
        places,
        [ChainPlace::Leaf, ChainPlace::Intermediate, ChainPlace::Root]
    );
    assert_eq!(
        e.iter().map(|e| (e.index, e.of)).collect::<Vec<_>>(),
        [(1, 3), (2, 3), (3, 3)]
    );
    assert_eq!(cert(&e[0]).issuer, "CN=Intermediate CA");
    assert_eq!(cert(&e[1]).issuer, "CN=Root CA");
}

#[test]
fn expired_and_not_yet_valid_certificates_still_parse() {
    let old = mint(
        "old",
        &[],
        "2020-01-01T00:00:00Z",
        "2021-01-01T00:00:00Z",
        false,
        None,
    );
    let future = mint(
        "future",
        &[],
        "2030-01-01T00:00:00Z",
        "2031-01-01T00:00:00Z",
        false,
        None,
    );
    let e = parse_bundle(format!("{}{}", old.pem, future.pem).as_bytes());
    assert_eq!(cert(&e[0]).not_after.to_string(), "2021-01-01T00:00:00Z");
    assert_eq!(cert(&e[1]).not_before.to_string(), "2030-01-01T00:00:00Z");
}

#[test]
fn empty_and_garbage_give_one_row_with_a_reason() {
    for (data, want) in [
        (&b""[..], "empty"),
        (b"  \n\t", "empty"),
        (b"hello world", "no PEM block found"),
        (&[0xff, 0xfe, 0x00, 0x41][..], "binary data"),
    ] {
        let e = parse_bundle(data);
        assert_eq!(e.len(), 1, "{data:?}");
        assert!(reason(&e[0]).contains(want), "{data:?}: {}", reason(&e[0]));
    }
}

#[test]
fn der_is_recognised_and_not_parsed() {
    let m = mint(
        "der",
        &[],
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
        false,
        None,
    );
    let b64: String = m.pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = B64.decode(b64).unwrap();
    let e = parse_bundle(&der);
    assert_eq!(e.len(), 1);
    assert!(reason(&e[0]).contains("DER"), "{}", reason(&e[0]));
}

#[test]
fn truncated_and_broken_pem() {
    let m = mint(
        "t",
        &[],
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
        false,
        None,
    );
    // Cut before the END line.
    let cut = &m.pem[..m.pem.len() / 2];
    let e = parse_bundle(cut.as_bytes());
    assert!(reason(&e[0]).starts_with("truncated PEM"), "{e:?}");
    // END present but the body is cut short: base64 decodes, DER does not.
    let lines: Vec<&str> = m.pem.lines().collect();
    let short = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[lines.len() - 1]);
    let e = parse_bundle(short.as_bytes());
    assert!(
        reason(&e[0]).starts_with("not a valid X.509 certificate"),
        "{e:?}"
    );
    // Not base64 at all.
    let e = parse_bundle(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
    assert!(reason(&e[0]).starts_with("bad base64"), "{e:?}");
    // Mismatched END, END without BEGIN.
    let e =
        parse_bundle(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END FOO-----\n-----END BAR-----\n");
    assert_eq!(e.len(), 2);
    assert!(reason(&e[0]).contains("ends with END FOO"));
    assert!(reason(&e[1]).contains("END BAR without BEGIN"));
    // A good certificate after a truncated one still counts.
    let e = parse_bundle(format!("{cut}\n{}", m.pem).as_bytes());
    assert_eq!(e.len(), 2);
    assert!(reason(&e[0]).starts_with("truncated"));
    assert_eq!(cert(&e[1]).common_name.as_deref(), Some("t"));
    assert_eq!((e[1].index, e[1].of), (2, 2));
}

#[test]
fn a_private_key_block_is_named_not_decoded() {
    let key = KeyPair::generate().unwrap();
    let pem = key.serialize_pem();
    let body_line = pem.lines().nth(1).unwrap().to_string();
    let e = parse_bundle(pem.as_bytes());
    assert_eq!(e.len(), 1);
    assert_eq!(reason(&e[0]), "not a certificate (PRIVATE KEY block)");
    // Not decoded: a body that is not even base64 gives the same answer.
    let fake =
        "-----BEGIN RSA PRIVATE KEY-----\n%%% not base64 %%%\n-----END RSA PRIVATE KEY-----\n";
    assert_eq!(
        reason(&parse_bundle(fake.as_bytes())[0]),
        "not a certificate (RSA PRIVATE KEY block)"
    );
    // Nothing of the key is echoed.
    assert!(!format!("{e:?}").contains(&body_line));
}

#[test]
fn a_key_next_to_a_certificate_counts_as_its_own_entry() {
    let m = mint(
        "k",
        &[],
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
        false,
        None,
    );
    let text = format!("{}{}", m.pem, m.key.serialize_pem());
    let e = parse_bundle(text.as_bytes());
    assert_eq!(e.len(), 2);
    assert_eq!(cert(&e[0]).common_name.as_deref(), Some("k"));
    assert_eq!(reason(&e[1]), "not a certificate (PRIVATE KEY block)");
}

#[test]
fn has_pem_certificate_only_for_certificates() {
    let m = mint(
        "x",
        &[],
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
        false,
        None,
    );
    assert!(has_pem_certificate(&m.pem));
    assert!(!has_pem_certificate(
        "mesh: |\n  accessLogFile: /dev/stdout\n"
    ));
    assert!(!has_pem_certificate(&m.key.serialize_pem()));
}

#[test]
fn bits_ignores_leading_zeros() {
    assert_eq!(bits(&[0x00, 0x80, 0x00]), 16);
    assert_eq!(bits(&[0x01]), 1);
    assert_eq!(bits(&[0, 0]), 0);
}
