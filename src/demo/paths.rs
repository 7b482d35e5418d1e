//! Request paths → what they address, with kube-apiserver's 404 for anything unknown.

use std::sync::Arc;

use super::error::ApiError;
use super::resources::{Registry, ResourceType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    Status,
    Scale,
}

#[derive(Debug)]
pub struct ObjectPath {
    pub rt: Arc<ResourceType>,
    pub version: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub sub: Option<Sub>,
}

impl ObjectPath {
    /// Namespace key in the store ("" for cluster-scoped kinds).
    pub fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or("")
    }

    pub fn api_version(&self) -> String {
        self.rt.api_version(&self.version)
    }
}

#[derive(Debug)]
pub enum Target {
    Root,
    Version,
    CoreVersions,
    Groups,
    Group(String),
    Resources { group: String, version: String },
    Object(ObjectPath),
}

fn object(reg: &Registry, group: &str, version: &str, rest: &[&str]) -> Result<Target, ApiError> {
    let is_namespace_sub = rest.len() == 3 && matches!(rest[2], "status" | "finalize");
    let (namespace, rest) =
        if rest.first() == Some(&"namespaces") && rest.len() >= 3 && !is_namespace_sub {
            (Some(rest[1].to_string()), &rest[2..])
        } else {
            (None, rest)
        };
    let (plural, name, sub) = match rest {
        [p] => (*p, None, None),
        [p, n] => (*p, Some(*n), None),
        [p, n, s] => (*p, Some(*n), Some(*s)),
        _ => return Err(ApiError::unknown_path()),
    };
    let rt = reg
        .lookup(group, version, plural)
        .ok_or_else(ApiError::unknown_path)?;
    // Namespaced kinds: objects only under /namespaces/{ns}; cluster kinds never there.
    if namespace.is_some() != rt.namespaced && (name.is_some() || namespace.is_some()) {
        return Err(ApiError::unknown_path());
    }
    let sub = match sub {
        None => None,
        Some("status") if rt.status_subresource => Some(Sub::Status),
        Some("scale") if rt.scale_subresource => Some(Sub::Scale),
        Some(_) => return Err(ApiError::unknown_path()),
    };
    if name.is_some_and(str::is_empty) || namespace.as_deref().is_some_and(str::is_empty) {
        return Err(ApiError::unknown_path());
    }
    Ok(Target::Object(ObjectPath {
        rt,
        version: version.to_string(),
        namespace,
        name: name.map(String::from),
        sub,
    }))
}

pub fn parse(reg: &Registry, path: &str) -> Result<Target, ApiError> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segs.as_slice() {
        [] => Ok(Target::Root),
        ["version"] => Ok(Target::Version),
        ["api"] => Ok(Target::CoreVersions),
        ["api", v] => Ok(Target::Resources {
            group: String::new(),
            version: v.to_string(),
        }),
        ["apis"] => Ok(Target::Groups),
        ["apis", g] => Ok(Target::Group(g.to_string())),
        ["apis", g, v] => Ok(Target::Resources {
            group: g.to_string(),
            version: v.to_string(),
        }),
        ["api", v, rest @ ..] => object(reg, "", v, rest),
        ["apis", g, v, rest @ ..] => object(reg, g, v, rest),
        _ => Err(ApiError::unknown_path()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(path: &str) -> ObjectPath {
        match parse(&Registry::default(), path).unwrap() {
            Target::Object(o) => o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn object_paths() {
        let o = obj("/api/v1/namespaces/default/pods/web-1/status");
        assert_eq!(
            (o.rt.plural.as_str(), o.ns(), o.name.as_deref(), o.sub),
            ("pods", "default", Some("web-1"), Some(Sub::Status))
        );
        let o = obj("/api/v1/namespaces/demo");
        assert_eq!(
            (o.rt.plural.as_str(), o.name.as_deref(), o.namespace),
            ("namespaces", Some("demo"), None)
        );
        let o = obj("/api/v1/namespaces/demo/status");
        assert_eq!(
            (o.rt.plural.as_str(), o.sub),
            ("namespaces", Some(Sub::Status))
        );
        let o = obj("/apis/apps/v1/deployments");
        assert!(o.namespace.is_none() && o.name.is_none());
        let o = obj("/apis/apps/v1/namespaces/x/deployments/d/scale");
        assert_eq!(o.sub, Some(Sub::Scale));
    }

    #[test]
    fn unknown_paths_are_404() {
        let reg = Registry::default();
        for p in [
            "/apis/gateway.networking.k8s.io/v1/namespaces/x/httproutes",
            "/api/v1/pods/name-without-namespace",
            "/api/v1/namespaces/x/nodes/n1",
            "/api/v1/namespaces/x/configmaps/c/status",
            "/api/v2/pods",
            "/foo",
        ] {
            assert_eq!(parse(&reg, p).unwrap_err().code, 404, "{p}");
        }
    }
}
