//! Deterministic test certificates: YAML fixtures name what they want in an annotation and
//! get real PEMs minted with rcgen at the FIXED dates given (keys are random, but no test
//! shows key bytes; the serial is derived from the name so it is stable).
//!
//! - Secret: `test.meshctl.dev/cert: "cn=web; sans=a,b; not-before=2026-01-01T00:00:00Z;
//!   not-after=2026-12-01T00:00:00Z; is-ca=true; ca=<secret in the same namespace>;
//!   key=tls.crt"` fills `key` (default tls.crt) and, when CA-signed, `ca.crt`.
//! - Secret or ConfigMap: `test.meshctl.dev/pems: "root-cert.pem=root; chain.pem=inter,root"`
//!   fills those keys with the PEMs of the named secrets (`ns/name` reaches other namespaces).
//! - `stringData` of a Secret becomes base64 `data`, as the API server does.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SerialNumber};
use serde_json::Value;

pub const CERT: &str = "test.meshctl.dev/cert";
pub const PEMS: &str = "test.meshctl.dev/pems";

pub struct Minted {
    pub pem: String,
    params: CertificateParams,
    key: KeyPair,
}

impl Minted {
    /// The private key, PKCS#8 PEM: what a real `tls.key` holds (tests assert it never
    /// appears in any output).
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }
}

/// `now` shifted by whole days, as RFC 3339 (for certificates relative to the real clock).
pub fn days_from_now(days: i64) -> String {
    let now = jiff::Timestamp::now().as_second();
    jiff::Timestamp::from_second(now + days * 86_400)
        .unwrap()
        .to_string()
}

fn date(s: &str) -> time::OffsetDateTime {
    let ts: jiff::Timestamp = s.parse().unwrap_or_else(|e| panic!("date {s}: {e}"));
    time::OffsetDateTime::from_unix_timestamp(ts.as_second()).unwrap()
}

fn pairs(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

/// Mints one certificate at fixed dates, self-signed or signed by `issuer`.
pub fn mint(
    cn: &str,
    sans: &[String],
    not_before: &str,
    not_after: &str,
    ca: bool,
    issuer: Option<&Minted>,
) -> Minted {
    let mut params = CertificateParams::new(sans.to_vec()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.not_before = date(not_before);
    params.not_after = date(not_after);
    let serial = cn.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    params.serial_number = Some(SerialNumber::from_slice(&(serial >> 1).to_be_bytes()));
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

fn annotation<'a>(doc: &'a Value, name: &str) -> Option<&'a str> {
    doc["metadata"]["annotations"][name].as_str()
}

fn ns_name(doc: &Value) -> (String, String) {
    (
        doc["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        doc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Fills the annotated documents in place (in document order: a CA before what it signs).
pub fn fill(docs: &mut [Value]) {
    let mut minted: HashMap<(String, String), Minted> = HashMap::new();
    for doc in docs.iter_mut() {
        if doc["kind"] != "Secret" {
            continue;
        }
        // stringData → data, as the API server stores it.
        if let Some(sd) = doc
            .get("stringData")
            .cloned()
            .and_then(|v| v.as_object().cloned())
        {
            for (k, v) in sd {
                doc["data"][k] = Value::from(B64.encode(v.as_str().unwrap_or_default()));
            }
            doc.as_object_mut().unwrap().remove("stringData");
        }
        let Some(spec) = annotation(doc, CERT).map(pairs) else {
            continue;
        };
        let (ns, name) = ns_name(doc);
        let get = |k: &str| spec.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
        let cn = get("cn").unwrap_or_else(|| name.clone());
        let sans: Vec<String> = get("sans")
            .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
            .unwrap_or_default();
        let issuer = get("ca").map(|ca| (ns.clone(), ca));
        let m = mint(
            &cn,
            &sans,
            &get("not-before").expect("not-before"),
            &get("not-after").expect("not-after"),
            get("is-ca").as_deref() == Some("true"),
            issuer.as_ref().map(|i| {
                minted
                    .get(i)
                    .unwrap_or_else(|| panic!("{i:?} must be minted before {name}"))
            }),
        );
        let key = get("key").unwrap_or_else(|| "tls.crt".into());
        doc["data"][key] = Value::from(B64.encode(&m.pem));
        if let Some(i) = issuer {
            doc["data"]["ca.crt"] = Value::from(B64.encode(&minted[&i].pem));
        }
        minted.insert((ns, name), m);
    }
    for doc in docs.iter_mut() {
        let Some(spec) = annotation(doc, PEMS).map(pairs) else {
            continue;
        };
        let (ns, _) = ns_name(doc);
        let secret = doc["kind"] == "Secret";
        for (key, names) in spec {
            let pems: String = names
                .split(',')
                .map(|n| {
                    let n = n.trim();
                    let key = match n.split_once('/') {
                        Some((o, name)) => (o.to_string(), name.to_string()),
                        None => (ns.clone(), n.to_string()),
                    };
                    minted
                        .get(&key)
                        .unwrap_or_else(|| panic!("no minted secret {ns}/{n}"))
                        .pem
                        .clone()
                })
                .collect();
            doc["data"][key] = if secret {
                Value::from(B64.encode(pems))
            } else {
                Value::from(pems)
            };
        }
    }
}
