//! Real X.509 certificates for the demo, generated at load time so expiry is always
//! relative to now. Private keys live only in memory while signing: secrets get a
//! placeholder `tls.key`.
//!
//! Secret annotation `demo.meshctl.dev/cert: "days=5; cn=web; sans=a.example,b.example;
//! ca=<secret signing it>; is-ca=true"` fills `tls.crt` (and `ca.crt` when CA-signed).
//! ConfigMap annotation `demo.meshctl.dev/bundle: "key=ca.pem; certs=a,b"` fills that
//! key with the PEMs of the named secrets (`ns/name` reaches other namespaces).
//! `key=ca-cert.pem` in the cert annotation puts the certificate in that key instead (an
//! Istio `istio-ca-secret`), with a placeholder `ca-key.pem`. Secret annotation
//! `demo.meshctl.dev/pems: "ca-cert.pem=inter; cert-chain.pem=inter,root"` fills those keys
//! with the PEMs of other annotated secrets (an Istio `cacerts`).

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::error::DemoError;
use super::meta;
use super::ops;
use super::store::Store;

pub const CERT_ANNOTATION: &str = "demo.meshctl.dev/cert";
pub const BUNDLE_ANNOTATION: &str = "demo.meshctl.dev/bundle";
pub const PEMS_ANNOTATION: &str = "demo.meshctl.dev/pems";
/// What `tls.key` holds: the app never needs key material.
pub const PLACEHOLDER_KEY: &str =
    "demo placeholder: meshctl-tui demo secrets carry no private key\n";

#[derive(Debug, Default, PartialEq)]
struct CertSpec {
    days: i64,
    cn: Option<String>,
    sans: Vec<String>,
    ca: Option<String>,
    is_ca: bool,
    /// The data key of the certificate (default tls.crt, with tls.key beside it).
    key: Option<String>,
}

fn parse_pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .unwrap_or((p, ""))
        })
}

fn parse_spec(text: &str) -> Result<CertSpec, String> {
    let mut spec = CertSpec {
        days: 365,
        ..Default::default()
    };
    for (k, v) in parse_pairs(text) {
        match k {
            "days" => {
                spec.days = v
                    .parse()
                    .map_err(|_| format!("days={v} is not an integer"))?
            }
            "cn" => spec.cn = Some(v.to_string()),
            "sans" => {
                spec.sans = v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            "ca" => spec.ca = Some(v.to_string()),
            "is-ca" => spec.is_ca = v == "true",
            "key" => spec.key = Some(v.to_string()),
            other => {
                return Err(format!(
                    "unknown key {other:?} (known: days, cn, sans, ca, is-ca, key)"
                ));
            }
        }
    }
    Ok(spec)
}

struct Issued {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

type Key = (String, String);

struct Generator<'a> {
    specs: HashMap<Key, &'a Value>,
    issued: HashMap<Key, Issued>,
}

fn err(key: &Key, message: impl Into<String>) -> DemoError {
    DemoError::Cert {
        object: format!("secret {}/{}", key.0, key.1),
        message: message.into(),
    }
}

impl Generator<'_> {
    fn issue(&mut self, key: &Key, chain: &mut Vec<Key>) -> Result<(), DemoError> {
        if self.issued.contains_key(key) {
            return Ok(());
        }
        if chain.contains(key) {
            return Err(err(key, "ca= references form a cycle"));
        }
        let secret = self.specs.get(key).ok_or_else(|| {
            err(
                key,
                "no such secret with a demo.meshctl.dev/cert annotation",
            )
        })?;
        let text = meta::annotation(secret, CERT_ANNOTATION).unwrap_or_default();
        let spec = parse_spec(text).map_err(|e| err(key, e))?;
        let ca_key = spec.ca.as_ref().map(|ca| (key.0.clone(), ca.clone()));
        if let Some(ca) = &ca_key {
            chain.push(key.clone());
            self.issue(ca, chain)?;
            chain.pop();
        }
        let cn = spec
            .cn
            .clone()
            .or_else(|| spec.sans.first().cloned())
            .unwrap_or_else(|| key.1.clone());
        let mut params =
            CertificateParams::new(spec.sans.clone()).map_err(|e| err(key, e.to_string()))?;
        params.distinguished_name.push(DnType::CommonName, cn);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "meshctl demo");
        let now = OffsetDateTime::now_utc();
        params.not_after = now + Duration::days(spec.days);
        params.not_before = now - Duration::days(1);
        if params.not_before >= params.not_after {
            // Long expired: it was valid for 90 days.
            params.not_before = params.not_after - Duration::days(90);
        }
        params.serial_number = Some(SerialNumber::from_slice(&fastrand::u64(1..).to_be_bytes()));
        if spec.is_ca {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
                KeyUsagePurpose::DigitalSignature,
            ];
        } else {
            params.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            params.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ];
        }
        let key_pair = KeyPair::generate().map_err(|e| err(key, e.to_string()))?;
        let cert = match ca_key.as_ref().and_then(|ca| self.issued.get(ca)) {
            Some(ca) => params.signed_by(&key_pair, &Issuer::from_params(&ca.params, &ca.key)),
            None => params.self_signed(&key_pair),
        }
        .map_err(|e| err(key, e.to_string()))?;
        let pem = cert.pem();
        self.issued.insert(
            key.clone(),
            Issued {
                params,
                key: key_pair,
                pem,
            },
        );
        Ok(())
    }
}

/// Fills annotated secrets and bundle ConfigMaps in the store.
pub fn generate(s: &mut Store) -> Result<(), DemoError> {
    let secrets = s.snapshot("secrets", None);
    let mut g = Generator {
        specs: secrets
            .iter()
            .filter(|o| meta::annotation(o, CERT_ANNOTATION).is_some())
            .map(|o| {
                (
                    (meta::namespace(o).to_string(), meta::name(o).to_string()),
                    &**o,
                )
            })
            .collect(),
        issued: HashMap::new(),
    };
    let mut keys: Vec<Key> = g.specs.keys().cloned().collect();
    keys.sort();
    for key in &keys {
        g.issue(key, &mut Vec::new())?;
    }
    for key in &keys {
        let Some(issued) = g.issued.get(key) else {
            continue;
        };
        let secret = g.specs[key];
        let spec = parse_spec(meta::annotation(secret, CERT_ANNOTATION).unwrap_or_default()).ok();
        let data_key = spec.as_ref().and_then(|s| s.key.clone());
        let ca_pem = spec
            .and_then(|spec| spec.ca)
            .and_then(|ca| g.issued.get(&(key.0.clone(), ca)))
            .map(|ca| ca.pem.clone());
        let crt = B64.encode(&issued.pem);
        ops::mutate(s, "secrets", &key.0, &key.1, |o| {
            let data = meta::map_at(o, &["data"]);
            match &data_key {
                Some(k) => {
                    data.insert(k.clone(), crt.into());
                    data.insert("ca-key.pem".into(), B64.encode(PLACEHOLDER_KEY).into());
                }
                None => {
                    data.insert("tls.crt".into(), crt.into());
                    data.insert("tls.key".into(), B64.encode(PLACEHOLDER_KEY).into());
                }
            }
            if let Some(ca) = ca_pem {
                data.insert("ca.crt".into(), B64.encode(ca).into());
            }
        });
    }
    fill_pems(s, &g.issued)?;
    fill_bundles(s, &g.issued)
}

/// PEMs of named secrets, `ns/name` or a name in `ns`.
fn pems_of(
    issued: &HashMap<Key, Issued>,
    ns: &str,
    names: &str,
    fail: &dyn Fn(String) -> DemoError,
) -> Result<String, DemoError> {
    let mut pems = String::new();
    for c in names.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let key = match c.split_once('/') {
            Some((n, name)) => (n.to_string(), name.to_string()),
            None => (ns.to_string(), c.to_string()),
        };
        let pem = issued.get(&key).map(|i| i.pem.clone()).ok_or_else(|| {
            fail(format!(
                "secret {}/{} has no demo.meshctl.dev/cert annotation",
                key.0, key.1
            ))
        })?;
        pems.push_str(&pem);
    }
    Ok(pems)
}

fn fill_pems(s: &mut Store, issued: &HashMap<Key, Issued>) -> Result<(), DemoError> {
    for secret in s.snapshot("secrets", None) {
        let Some(text) = meta::annotation(&secret, PEMS_ANNOTATION) else {
            continue;
        };
        let ns = meta::namespace(&secret).to_string();
        let name = meta::name(&secret).to_string();
        let fail = |message: String| DemoError::Cert {
            object: format!("secret {ns}/{name}"),
            message,
        };
        let mut fills = Vec::new();
        for (k, v) in parse_pairs(text) {
            fills.push((k.to_string(), B64.encode(pems_of(issued, &ns, v, &fail)?)));
        }
        ops::mutate(s, "secrets", &ns, &name, |o| {
            let data = meta::map_at(o, &["data"]);
            for (k, v) in fills {
                data.insert(k, v.into());
            }
            if data.contains_key("ca-key.pem") {
                data.insert("ca-key.pem".into(), B64.encode(PLACEHOLDER_KEY).into());
            }
        });
    }
    Ok(())
}

fn fill_bundles(s: &mut Store, issued: &HashMap<Key, Issued>) -> Result<(), DemoError> {
    for cm in s.snapshot("configmaps", None) {
        let Some(text) = meta::annotation(&cm, BUNDLE_ANNOTATION) else {
            continue;
        };
        let ns = meta::namespace(&cm).to_string();
        let object = format!("configmap {ns}/{}", meta::name(&cm));
        let fail = |message: String| DemoError::Cert {
            object: object.clone(),
            message,
        };
        let (mut data_key, mut certs) = (None, Vec::new());
        for (k, v) in parse_pairs(text) {
            match k {
                "key" => data_key = Some(v.to_string()),
                "certs" => {
                    certs = v
                        .split(',')
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(String::from)
                        .collect()
                }
                other => return Err(fail(format!("unknown key {other:?} (known: key, certs)"))),
            }
        }
        let data_key = data_key.ok_or_else(|| fail("bundle needs key=<data key>".into()))?;
        let pems = pems_of(issued, &ns, &certs.join(","), &fail)?;
        ops::mutate(s, "configmaps", &ns, meta::name(&cm), |o| {
            meta::map_at(o, &["data"]).insert(data_key, pems.into());
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parsing() {
        let s =
            parse_spec("days=-3; cn=web; sans=a.example, b.example; ca=root; is-ca=true").unwrap();
        assert_eq!(s.days, -3);
        assert_eq!(s.sans, ["a.example", "b.example"]);
        assert_eq!(s.ca.as_deref(), Some("root"));
        assert!(s.is_ca);
        assert_eq!(
            parse_spec("key=ca-cert.pem").unwrap().key.as_deref(),
            Some("ca-cert.pem")
        );
        assert!(parse_spec("days=x").is_err());
        assert!(parse_spec("colour=red").is_err());
    }
}
