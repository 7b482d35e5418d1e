//! Discovery documents (`/version`, `/api`, `/apis`, `/apis/{g}/{v}`), legacy and
//! aggregated (v2) forms, built from the registry so CRD kinds appear with their CRD.

use serde_json::{Value, json};

use super::resources::{Registry, ResourceType};

pub const KUBERNETES_VERSION: &str = "v1.33.0";

pub fn version_info() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": KUBERNETES_VERSION,
        "gitCommit": "meshctl-demo",
        "gitTreeState": "clean",
        "buildDate": "2025-04-23T00:00:00Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

pub fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]
    })
}

fn group_entry(name: &str, versions: &[String]) -> Value {
    let gv = |v: &String| json!({"groupVersion": format!("{name}/{v}"), "version": v});
    json!({
        "name": name,
        "versions": versions.iter().map(gv).collect::<Vec<_>>(),
        "preferredVersion": versions.first().map(gv).unwrap_or(Value::Null)
    })
}

pub fn group_list(reg: &Registry) -> Value {
    let groups: Vec<Value> = reg
        .groups()
        .iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, vs)| group_entry(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn api_group(reg: &Registry, group: &str) -> Option<Value> {
    let groups = reg.groups();
    let versions = groups.get(group).filter(|_| !group.is_empty())?;
    let mut g = group_entry(group, versions);
    g["kind"] = json!("APIGroup");
    g["apiVersion"] = json!("v1");
    Some(g)
}

fn served_in<'a>(
    reg: &'a Registry,
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'a std::sync::Arc<ResourceType>> {
    reg.all()
        .filter(move |rt| rt.group == group && rt.versions.iter().any(|v| v == version))
}

/// Subresources: (name, group, version, kind, verbs).
fn subresources(rt: &ResourceType) -> Vec<(&'static str, &str, &str, &str, Vec<&'static str>)> {
    let mut subs = Vec::new();
    if rt.status_subresource {
        subs.push((
            "status",
            "",
            "",
            rt.kind.as_str(),
            vec!["get", "patch", "update"],
        ));
    }
    if rt.scale_subresource {
        subs.push((
            "scale",
            "autoscaling",
            "v1",
            "Scale",
            vec!["get", "patch", "update"],
        ));
    }
    subs
}

/// `APIResourceList` for one group version; `None` when nothing is served there.
pub fn resource_list(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for rt in served_in(reg, group, version) {
        let mut r = json!({
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": rt.verbs(),
        });
        if !rt.short_names.is_empty() {
            r["shortNames"] = json!(rt.short_names);
        }
        if !rt.categories.is_empty() {
            r["categories"] = json!(rt.categories);
        }
        resources.push(r);
        for (sub, g, v, kind, verbs) in subresources(rt) {
            let mut r = json!({"name": format!("{}/{sub}", rt.plural), "singularName": "",
                "namespaced": rt.namespaced, "kind": kind, "verbs": verbs});
            if !g.is_empty() {
                r["group"] = json!(g);
                r["version"] = json!(v);
            }
            resources.push(r);
        }
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}

/// Aggregated discovery (`apidiscovery.k8s.io/v2`) for core (`/api`) or groups (`/apis`).
pub fn aggregated(reg: &Registry, core: bool) -> Value {
    let items: Vec<Value> = reg
        .groups()
        .iter()
        .filter(|(g, _)| g.is_empty() == core)
        .map(|(g, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let resources: Vec<Value> = served_in(reg, g, v)
                        .map(|rt| {
                            let gvk = |group: &str, version: &str, kind: &str| json!({"group": group, "version": version, "kind": kind});
                            let subs: Vec<Value> = subresources(rt)
                                .into_iter()
                                .map(|(sub, sg, sv, kind, verbs)| {
                                    let (sg, sv) = if sg.is_empty() { (g.as_str(), v.as_str()) } else { (sg, sv) };
                                    json!({"subresource": sub, "responseKind": gvk(sg, sv, kind), "verbs": verbs})
                                })
                                .collect();
                            json!({
                                "resource": rt.plural,
                                "responseKind": gvk(g, v, &rt.kind),
                                "scope": if rt.namespaced { "Namespaced" } else { "Cluster" },
                                "singularResource": rt.singular,
                                "verbs": rt.verbs(),
                                "shortNames": rt.short_names,
                                "categories": rt.categories,
                                "subresources": subs
                            })
                        })
                        .collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": g}, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// Whether the client asked for aggregated discovery.
pub fn wants_aggregated(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=APIGroupDiscoveryList"))
}
