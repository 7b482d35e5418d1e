//! The certificate inventory: one row per certificate (every PEM block of every source) and
//! per cert-manager Certificate, with days left, severity band and who uses it. Pure: the
//! console's Certificates view, `meshctl-tui certs` and the diagnostics build on
//! [`inventory`].

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use crate::cluster::cache::ClusterCache;
use crate::cluster::kinds::Kind;
use crate::cluster::objects::x509::{CertFacts, ChainPlace, Parsed};
use crate::cluster::objects::{
    CertData, CmCertificateInfo, ISTIO_CA_SECRET, ISTIO_CACERTS, ISTIO_ROOT_CERT_CONFIGMAP, ObjKey,
    RefRole,
};

/// Severity thresholds in days (config `[certs] bands = [30, 14, 7]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bands {
    pub soon: i64,
    pub warning: i64,
    pub critical: i64,
}

pub const DEFAULT_BANDS: Bands = Bands {
    soon: 30,
    warning: 14,
    critical: 7,
};

impl Default for Bands {
    fn default() -> Self {
        DEFAULT_BANDS
    }
}

impl Bands {
    /// Three positive day counts, any order (sorted: soon > warning > critical).
    pub fn from_list(days: &[i64]) -> Result<Bands, String> {
        let mut d = days.to_vec();
        d.sort_unstable_by(|a, b| b.cmp(a));
        d.dedup();
        match d.as_slice() {
            [soon, warning, critical] if *critical > 0 => Ok(Bands {
                soon: *soon,
                warning: *warning,
                critical: *critical,
            }),
            _ => Err(format!(
                "bands = {days:?} must be three different positive day counts, like [30, 14, 7]"
            )),
        }
    }

    /// The band of a certificate valid from `not_before` to `not_after`, at `now`.
    pub fn band(
        &self,
        now: Timestamp,
        not_before: Option<Timestamp>,
        not_after: Timestamp,
    ) -> Band {
        if not_after <= now {
            return Band::Expired;
        }
        let days = days_left(now, not_after);
        if days <= self.critical {
            Band::Critical
        } else if days <= self.warning {
            Band::Warning
        } else if days <= self.soon {
            Band::Soon
        } else if not_before.is_some_and(|nb| nb > now) {
            Band::NotYetValid
        } else {
            Band::Ok
        }
    }
}

/// Days until `not_after`, counting a started day as a day (4 days 23 hours = 5 days left;
/// expired 3 days 1 hour ago = -3). Negative or 0 once expired.
/// A certificate date as every view and command prints it.
pub fn date(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d").to_string()
}

pub fn days_left(now: Timestamp, not_after: Timestamp) -> i64 {
    let secs = not_after.as_second() - now.as_second();
    secs.div_euclid(86_400) + i64::from(secs.rem_euclid(86_400) != 0)
}

/// How urgent a row is, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Band {
    /// Not readable as a certificate (garbage, a key, truncated, empty).
    Unparseable,
    /// cert-manager could not issue it and there is no certificate yet.
    NotReady,
    Expired,
    Critical,
    Warning,
    Soon,
    /// Valid only from a date in the future.
    NotYetValid,
    Ok,
}

impl Band {
    pub fn label(self) -> &'static str {
        match self {
            Band::Unparseable => "UNPARSEABLE",
            Band::NotReady => "NOT READY",
            Band::Expired => "EXPIRED",
            Band::Critical => "CRITICAL",
            Band::Warning => "WARNING",
            Band::Soon => "SOON",
            Band::NotYetValid => "NOT YET VALID",
            Band::Ok => "OK",
        }
    }

    /// Lowercase, for JSON.
    pub fn id(self) -> &'static str {
        match self {
            Band::Unparseable => "unparseable",
            Band::NotReady => "not-ready",
            Band::Expired => "expired",
            Band::Critical => "critical",
            Band::Warning => "warning",
            Band::Soon => "soon",
            Band::NotYetValid => "not-yet-valid",
            Band::Ok => "ok",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    Secret,
    ConfigMap,
    /// A cert-manager Certificate (its status, not a parsed certificate).
    Certificate,
}

impl SourceKind {
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Secret => "Secret",
            SourceKind::ConfigMap => "ConfigMap",
            SourceKind::Certificate => "Certificate",
        }
    }
}

/// Identifies a row across recomputations (the detail view follows it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CertId {
    pub kind: SourceKind,
    pub key: ObjKey,
    /// The data key (`tls.crt`); empty for a cert-manager Certificate.
    pub data_key: String,
    /// Bundle entry, 1-based (1 for a Certificate).
    pub index: usize,
}

impl CertId {
    /// `Secret ns/name tls.crt`, plus ` #2/3` in a bundle of several.
    pub fn source(&self, of: usize) -> String {
        let mut s = format!("{} {}", self.kind.label(), self.key);
        if !self.data_key.is_empty() {
            s.push(' ');
            s.push_str(&self.data_key);
        }
        if of > 1 {
            s.push_str(&format!(" #{}/{of}", self.index));
        }
        s
    }
}

/// One row of the inventory.
#[derive(Debug, Clone, PartialEq)]
pub struct CertRow {
    pub id: CertId,
    /// Entries in the same data key.
    pub of: usize,
    pub facts: Option<Box<CertFacts>>,
    /// Why the entry is unparseable.
    pub problem: Option<String>,
    /// For cert-manager rows.
    pub cm: Option<Box<CmCertificateInfo>>,
    pub not_after: Option<Timestamp>,
    pub days_left: Option<i64>,
    pub band: Band,
    pub used_by: Vec<String>,
    /// Other namespaces holding the very same certificate under the same ConfigMap name and
    /// key (`kube-root-ca.crt`, `istio-ca-root-cert` are copied into every namespace): one
    /// row stands for all copies.
    pub also_in: Vec<String>,
}

impl CertRow {
    pub fn source(&self) -> String {
        let s = self.id.source(self.of);
        match self.also_in.len() {
            0 => s,
            n => format!("{s} (+{n} namespaces)"),
        }
    }

    /// Subject CN, else the subject, else (cert-manager) the common name or first DNS name.
    pub fn subject(&self) -> String {
        if let Some(f) = &self.facts {
            return f.common_name.clone().unwrap_or_else(|| f.subject.clone());
        }
        if let Some(c) = &self.cm {
            return c
                .common_name
                .clone()
                .or_else(|| c.dns_names.first().cloned())
                .unwrap_or_default();
        }
        String::new()
    }

    /// leaf / intermediate / root, or (a cert-manager Certificate) its Ready condition.
    pub fn place(&self) -> String {
        if let Some(f) = &self.facts {
            return f.chain_place().label().into();
        }
        if let Some(c) = &self.cm {
            return match c.ready() {
                Some(r) if r.is_true() => "Ready".into(),
                Some(r) => format!("not Ready: {}", r.reason),
                None => "no status yet".into(),
            };
        }
        "-".into()
    }

    pub fn chain_place(&self) -> Option<ChainPlace> {
        self.facts.as_ref().map(|f| f.chain_place())
    }

    /// Expires within `days` (or already expired), or has no readable expiry at all: what
    /// `--expiring-within` keeps.
    pub fn expiring_within(&self, now: Timestamp, secs: i64) -> bool {
        match self.not_after {
            Some(t) => t.as_second() - now.as_second() <= secs,
            None => true,
        }
    }

    /// Texts the filter matches.
    pub fn search_text(&self) -> String {
        format!(
            "{} {} {} {} {} {}",
            self.source(),
            self.subject(),
            self.band.label(),
            self.place(),
            self.used_by.join(" "),
            self.also_in.join(" ")
        )
        .to_lowercase()
    }
}

/// "Who uses what": (kind, namespace, name) of a Secret/ConfigMap → users.
type UsedBy = BTreeMap<(&'static str, ObjKey), Vec<String>>;

fn add(map: &mut UsedBy, kind: &str, key: ObjKey, what: String) {
    let kind = match kind {
        "ConfigMap" => "ConfigMap",
        "Secret" | "" => "Secret",
        _ => return, // other kinds (e.g. a Key Vault reference) are not in the inventory
    };
    let users = map.entry((kind, key)).or_default();
    if !users.contains(&what) {
        users.push(what);
    }
}

/// Every reference to a Secret or ConfigMap the console knows about.
pub fn used_by_index(cache: &ClusterCache) -> UsedBy {
    let mut m = UsedBy::new();
    for g in cache.gateways.values() {
        for l in &g.listeners {
            for r in &l.cert_refs {
                let host = l
                    .hostname
                    .as_ref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                add(
                    &mut m,
                    &r.kind,
                    ObjKey::new(r.ns.clone(), r.name.clone()),
                    format!("Gateway {} listener {}{host}", g.key, l.name),
                );
            }
        }
    }
    for f in cache.frontend_tls.values() {
        for r in &f.ca_refs {
            add(
                &mut m,
                &r.kind,
                ObjKey::new(r.ns.clone(), r.name.clone()),
                format!(
                    "FrontendTLSPolicy {} (client CA of {} {})",
                    f.key, f.target_kind, f.target
                ),
            );
        }
    }
    for p in cache.tls_policies.values() {
        let what = if p.kind == Kind::AlbBackendTlsPolicies {
            "AGC BackendTLSPolicy"
        } else {
            "BackendTLSPolicy"
        };
        for r in &p.refs {
            let role = match r.role {
                RefRole::Ca => "CA",
                RefRole::ClientCert => "client certificate",
            };
            add(
                &mut m,
                &r.target.kind,
                ObjKey::new(r.target.ns.clone(), r.target.name.clone()),
                format!("{what} {} ({role} for {})", p.key, p.targets.join(", ")),
            );
        }
    }
    for c in cache.cm_certificates.values() {
        if !c.secret_name.is_empty() {
            add(
                &mut m,
                "Secret",
                ObjKey::new(c.key.ns.clone(), c.secret_name.clone()),
                format!("cert-manager Certificate {}", c.key),
            );
        }
    }
    m
}

/// The Istio role of a Secret or ConfigMap, if it has one.
fn istio_use(cache: &ClusterCache, kind: SourceKind, key: &ObjKey) -> Option<String> {
    let istiods: Vec<String> = cache
        .control_planes
        .values()
        .filter(|w| w.key.ns == key.ns)
        .filter_map(|w| w.control_plane_revision())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let by = if istiods.is_empty() {
        "no istiod in this namespace".to_string()
    } else {
        format!("istiod {}", istiods.join(", "))
    };
    match (kind, key.name.as_str()) {
        (SourceKind::Secret, ISTIO_CACERTS) => Some(format!("Istio plugin CA ({by})")),
        (SourceKind::Secret, ISTIO_CA_SECRET) => {
            let plugin = cache.cert_secrets.keys().any(|(k, other)| {
                *k == Kind::IstioCaCerts && other.ns == key.ns && other.name == ISTIO_CACERTS
            });
            Some(if plugin {
                "Istio self-signed CA, superseded by cacerts".to_string()
            } else {
                format!("Istio self-signed CA ({by})")
            })
        }
        (SourceKind::ConfigMap, ISTIO_ROOT_CERT_CONFIGMAP) => {
            Some(format!("Istio root of trust for sidecars in {}", key.ns))
        }
        _ => None,
    }
}

/// What every row is judged against.
struct Judge<'a> {
    cache: &'a ClusterCache,
    users: &'a UsedBy,
    now: Timestamp,
    bands: &'a Bands,
}

fn rows_of(j: &Judge, kind: SourceKind, key: &ObjKey, data: &[CertData], out: &mut Vec<CertRow>) {
    let (cache, now, bands) = (j.cache, j.now, j.bands);
    let mut used_by = j
        .users
        .get(&(kind.label(), key.clone()))
        .cloned()
        .unwrap_or_default();
    used_by.extend(istio_use(cache, kind, key));
    for d in data {
        for e in &d.entries {
            let id = CertId {
                kind,
                key: key.clone(),
                data_key: d.data_key.clone(),
                index: e.index,
            };
            let row = match &e.parsed {
                Parsed::Cert(f) => CertRow {
                    id,
                    of: e.of,
                    not_after: Some(f.not_after),
                    days_left: Some(days_left(now, f.not_after)),
                    band: bands.band(now, Some(f.not_before), f.not_after),
                    facts: Some(f.clone()),
                    problem: None,
                    cm: None,
                    used_by: used_by.clone(),
                    also_in: Vec::new(),
                },
                Parsed::Unparseable(reason) => CertRow {
                    id,
                    of: e.of,
                    not_after: None,
                    days_left: None,
                    band: Band::Unparseable,
                    facts: None,
                    problem: Some(reason.clone()),
                    cm: None,
                    used_by: used_by.clone(),
                    also_in: Vec::new(),
                },
            };
            out.push(row);
        }
    }
}

/// Folds ConfigMap rows that are the same certificate (serial and issuer) under the same
/// ConfigMap name, key and bundle entry in several namespaces into the first one. Rows come
/// in namespace order (the cache is sorted), so the kept row is the first namespace's.
fn fold_copies(rows: Vec<CertRow>) -> Vec<CertRow> {
    let mut out: Vec<CertRow> = Vec::new();
    let mut at: BTreeMap<(String, String, usize, String, String), usize> = BTreeMap::new();
    for r in rows {
        let Some(f) = &r.facts else {
            out.push(r);
            continue;
        };
        let k = (
            r.id.key.name.clone(),
            r.id.data_key.clone(),
            r.id.index,
            f.serial.clone(),
            f.issuer.clone(),
        );
        match at.get(&k) {
            Some(&i) => {
                let kept = &mut out[i];
                kept.also_in.push(r.id.key.ns.clone());
                for u in r.used_by {
                    if !kept.used_by.contains(&u) {
                        kept.used_by.push(u);
                    }
                }
            }
            None => {
                at.insert(k, out.len());
                out.push(r);
            }
        }
    }
    out
}

/// Every certificate in the cache, soonest expiry first (rows without a readable expiry,
/// which need attention, before all). `now` decides days left and bands. `secrets_listed`:
/// the TLS Secrets were listed (not forbidden, not still syncing), so a Secret missing from
/// the cache really does not exist.
pub fn inventory(
    cache: &ClusterCache,
    now: Timestamp,
    bands: &Bands,
    secrets_listed: bool,
) -> Vec<CertRow> {
    let users = used_by_index(cache);
    let judge = Judge {
        cache,
        users: &users,
        now,
        bands,
    };
    let mut out = Vec::new();
    // A Secret seen by two watches (TLS-typed *and* named cacerts) is listed once.
    let mut seen = BTreeSet::new();
    for ((_, key), s) in &cache.cert_secrets {
        if seen.insert(key.clone()) {
            rows_of(&judge, SourceKind::Secret, key, &s.data, &mut out);
        }
    }
    let mut config_maps = Vec::new();
    for (key, c) in &cache.cert_config_maps {
        rows_of(
            &judge,
            SourceKind::ConfigMap,
            key,
            &c.data,
            &mut config_maps,
        );
    }
    out.extend(fold_copies(config_maps));
    for (key, c) in &cache.cm_certificates {
        let secret = ObjKey::new(key.ns.clone(), c.secret_name.clone());
        let missing = secrets_listed && !seen.contains(&secret);
        let mut used_by = vec![format!(
            "issues Secret {secret}{}",
            if missing { " (not found)" } else { "" }
        )];
        if let Some(u) = users.get(&("Secret", secret)) {
            used_by.extend(
                u.iter()
                    .filter(|u| !u.starts_with("cert-manager Certificate"))
                    .map(|u| format!("via Secret: {u}")),
            );
        }
        let ready = c.ready().map(|r| r.is_true());
        let (band, days) = match c.not_after {
            Some(na) => (bands.band(now, c.not_before, na), Some(days_left(now, na))),
            None => (
                if ready == Some(true) {
                    Band::Ok
                } else {
                    Band::NotReady
                },
                None,
            ),
        };
        out.push(CertRow {
            id: CertId {
                kind: SourceKind::Certificate,
                key: key.clone(),
                data_key: String::new(),
                index: 1,
            },
            of: 1,
            facts: None,
            problem: None,
            cm: Some(Box::new(c.clone())),
            not_after: c.not_after,
            days_left: days,
            band,
            used_by,
            also_in: Vec::new(),
        });
    }
    out.sort_by(|a, b| {
        (a.not_after.is_some(), a.not_after, &a.id).cmp(&(
            b.not_after.is_some(),
            b.not_after,
            &b.id,
        ))
    });
    out
}

#[cfg(test)]
#[path = "certs_tests.rs"]
mod tests;
