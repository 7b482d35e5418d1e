use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta};

/// Namespace (empty for cluster-scoped) and name: the identity of an object within a kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ObjKey {
    #[serde(rename = "namespace")]
    pub ns: String,
    pub name: String,
}

impl ObjKey {
    pub fn new(ns: impl Into<String>, name: impl Into<String>) -> Self {
        ObjKey {
            ns: ns.into(),
            name: name.into(),
        }
    }

    pub fn of(meta: &ObjectMeta) -> Self {
        ObjKey::new(
            meta.namespace.clone().unwrap_or_default(),
            meta.name.clone().unwrap_or_default(),
        )
    }
}

impl std::fmt::Display for ObjKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.ns.is_empty() {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{}/{}", self.ns, self.name)
        }
    }
}

/// A status condition, without timestamps we never show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cond {
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
}

impl Cond {
    pub fn is_true(&self) -> bool {
        self.status == "True"
    }
}

impl From<&Condition> for Cond {
    fn from(c: &Condition) -> Self {
        Cond {
            type_: c.type_.clone(),
            status: c.status.clone(),
            reason: c.reason.clone(),
            message: c.message.clone(),
        }
    }
}

pub fn conds(list: Option<&Vec<Condition>>) -> Vec<Cond> {
    list.map(|l| l.iter().map(Cond::from).collect())
        .unwrap_or_default()
}

pub fn find_cond<'a>(conds: &'a [Cond], type_: &str) -> Option<&'a Cond> {
    conds.iter().find(|c| c.type_ == type_)
}

pub fn created(meta: &ObjectMeta) -> Option<Timestamp> {
    meta.creation_timestamp.as_ref().map(|t| t.0)
}

/// Conditions from untyped JSON (custom resources we have no crate for).
pub fn conds_from_json(v: Option<&serde_json::Value>) -> Vec<Cond> {
    let Some(list) = v.and_then(|v| v.as_array()) else {
        return Vec::new();
    };
    list.iter()
        .map(|c| {
            let s = |k: &str| {
                c.get(k)
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            Cond {
                type_: s("type"),
                status: s("status"),
                reason: s("reason"),
                message: s("message"),
            }
        })
        .collect()
}
