//! API write semantics shared by HTTP handlers and simulated controllers:
//! metadata defaulting, optimistic concurrency, generation, status subresource,
//! graceful deletion, finalizers and admission (sidecar injection).

use std::sync::Arc;

use serde_json::{Value, json};

use super::error::ApiError;
use super::injection;
use super::meta;
use super::patch::{self, PatchType};
use super::resources::ResourceType;
use super::store::Store;

#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub dry_run: bool,
    /// `None` = the object's default; pods default to a graceful deletion.
    pub grace_seconds: Option<i64>,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
}

/// Which part of the object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Main,
    Status,
    /// Controllers: spec, metadata and status at once.
    All,
}

pub fn get(s: &Store, rt: &ResourceType, ns: &str, name: &str) -> Result<Arc<Value>, ApiError> {
    s.get(&rt.group_resource(), ns, name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(rt, name))
}

fn require_object(obj: &Value) -> Result<(), ApiError> {
    if !obj.is_object() || !(obj["metadata"].is_object() || obj["metadata"].is_null()) {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object with an object metadata",
        ));
    }
    Ok(())
}

/// Checks that `apiVersion`/`kind` in a body (if given) name this resource.
fn check_type(rt: &ResourceType, obj: &Value) -> Result<(), ApiError> {
    if let Some(kind) = obj["kind"].as_str().filter(|k| !k.is_empty())
        && kind != rt.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            rt.kind
        )));
    }
    if let Some(av) = obj["apiVersion"].as_str().filter(|v| !v.is_empty()) {
        let (group, version) = super::resources::split_api_version(av);
        if group != rt.group || !rt.versions.iter().any(|v| v == version) {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({})",
                rt.storage_api_version()
            )));
        }
    }
    Ok(())
}

fn set_type(rt: &ResourceType, obj: &mut Value) {
    let m = meta::as_map(obj);
    m.insert("apiVersion".into(), rt.storage_api_version().into());
    m.insert("kind".into(), rt.kind.clone().into());
}

/// Everything but metadata and status: what `generation` tracks.
fn spec_of(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    v
}

pub fn create(
    s: &mut Store,
    rt: &ResourceType,
    ns: &str,
    mut obj: Value,
    dry_run: bool,
) -> Result<Arc<Value>, ApiError> {
    require_object(&obj)?;
    check_type(rt, &obj)?;
    set_type(rt, &mut obj);
    let body_ns = meta::namespace(&obj).to_string();
    if rt.namespaced {
        if !body_ns.is_empty() && body_ns != ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        if s.get("namespaces", "", ns).is_none() {
            let nsrt = s
                .registry
                .get("namespaces")
                .ok_or_else(|| ApiError::internal("no namespaces"))?;
            return Err(ApiError::not_found(&nsrt, ns));
        }
    }
    let gr = rt.group_resource();
    let mut name = meta::name(&obj).to_string();
    if name.is_empty() {
        let prefix = meta::str_at(&obj, &["metadata", "generateName"])
            .unwrap_or_default()
            .to_string();
        if prefix.is_empty() {
            return Err(ApiError::invalid(
                rt,
                "",
                "metadata.name: Required value: name or generateName is required",
            ));
        }
        name = loop {
            let candidate = format!("{prefix}{}", meta::random_suffix(5));
            if s.get(&gr, ns, &candidate).is_none() {
                break candidate;
            }
        };
    }
    if s.get(&gr, if rt.namespaced { ns } else { "" }, &name)
        .is_some()
    {
        return Err(ApiError::already_exists(rt, &name));
    }
    let m = meta::map_at(&mut obj, &["metadata"]);
    m.insert("name".into(), name.clone().into());
    if rt.namespaced {
        m.insert("namespace".into(), ns.into());
    } else {
        m.remove("namespace");
    }
    for k in [
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
    ] {
        m.remove(k);
    }
    m.insert("uid".into(), meta::new_uid().into());
    m.insert("creationTimestamp".into(), meta::now().into());
    if rt.tracks_generation {
        m.insert("generation".into(), 1.into());
    } else {
        m.remove("generation");
    }
    if rt.status_subresource
        && let Some(o) = obj.as_object_mut()
    {
        o.remove("status");
    }
    admit(s, rt, &mut obj, dry_run)?;
    if dry_run {
        return Ok(Arc::new(obj));
    }
    Ok(s.insert(&gr, obj))
}

/// Mutating admission and defaulting done by the real API server or its webhooks.
fn admit(s: &mut Store, rt: &ResourceType, obj: &mut Value, dry_run: bool) -> Result<(), ApiError> {
    match rt.group_resource().as_str() {
        "pods" => injection::admit_pod(s, obj)?,
        "secrets" => normalize_secret(obj),
        "namespaces" => {
            let name = meta::name(obj).to_string();
            meta::set_label(obj, "kubernetes.io/metadata.name", &name);
            meta::map_at(obj, &["status"]).insert("phase".into(), "Active".into());
        }
        "customresourcedefinitions.apiextensions.k8s.io" => {
            let mut registry = s.registry.clone();
            registry
                .register_crd(obj)
                .map_err(|e| ApiError::invalid(rt, meta::name(obj), e))?;
            crd_status(obj);
            if !dry_run {
                s.registry = registry;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Secrets: write-only `stringData` merges into base64 `data`; type defaults to Opaque.
pub fn normalize_secret(obj: &mut Value) {
    use base64::Engine as _;
    meta::as_map(obj).entry("type").or_insert("Opaque".into());
    let Some(Value::Object(plain)) = meta::as_map(obj).remove("stringData") else {
        return;
    };
    let data = meta::map_at(obj, &["data"]);
    for (k, v) in plain {
        if let Some(text) = v.as_str() {
            data.insert(
                k,
                base64::engine::general_purpose::STANDARD
                    .encode(text)
                    .into(),
            );
        }
    }
}

/// What the apiextensions controller reports once a CRD is served.
pub fn crd_status(crd: &mut Value) {
    let names = crd["spec"]["names"].clone();
    let now = meta::now();
    let cond = |t: &str, reason: &str, message: &str| json!({"type": t, "status": "True", "reason": reason, "message": message, "lastTransitionTime": now});
    let status = meta::map_at(crd, &["status"]);
    status.insert("acceptedNames".into(), names);
    status.insert(
        "conditions".into(),
        json!([
            cond("NamesAccepted", "NoConflicts", "no conflicts found"),
            cond(
                "Established",
                "InitialNamesAccepted",
                "the initial names have been accepted"
            )
        ]),
    );
    status.entry("storedVersions").or_insert(json!([]));
}

/// PUT: full replacement with an optional resourceVersion precondition.
pub fn update(
    s: &mut Store,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    obj: Value,
    part: Part,
    dry_run: bool,
) -> Result<Arc<Value>, ApiError> {
    require_object(&obj)?;
    check_type(rt, &obj)?;
    let cur = get(s, rt, ns, name)?;
    let body_name = meta::name(&obj);
    if !body_name.is_empty() && body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    if rt.namespaced && !meta::namespace(&obj).is_empty() && meta::namespace(&obj) != ns {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    check_rv(rt, &cur, &obj)?;
    commit_update(s, rt, &cur, obj, part, dry_run)
}

fn check_rv(rt: &ResourceType, cur: &Value, new: &Value) -> Result<(), ApiError> {
    match meta::resource_version(new) {
        Some(rv) if Some(rv) != meta::resource_version(cur) => {
            Err(ApiError::conflict(rt, meta::name(cur)))
        }
        _ => Ok(()),
    }
}

/// A PATCH request body with its content type.
#[derive(Debug, Clone, Copy)]
pub struct PatchBody<'a> {
    pub kind: PatchType,
    pub bytes: &'a [u8],
}

/// PATCH: a `metadata.resourceVersion` left in the patched object is a precondition.
pub fn patch(
    s: &mut Store,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    body: PatchBody<'_>,
    part: Part,
    dry_run: bool,
) -> Result<Arc<Value>, ApiError> {
    let pt = body.kind;
    let patch_doc = patch::parse_body(pt, body.bytes)?;
    let cur = match get(s, rt, ns, name) {
        Ok(cur) => cur,
        // Server-side apply creates what does not exist yet.
        Err(e) if pt == PatchType::Apply && part == Part::Main && e.code == 404 => {
            let mut obj = patch_doc;
            meta::map_at(&mut obj, &["metadata"]).insert("name".into(), name.into());
            return create(s, rt, ns, obj, dry_run);
        }
        Err(e) => return Err(e),
    };
    let patched = patch::apply(&cur, pt, &patch_doc, rt)?;
    require_object(&patched)?;
    check_rv(rt, &cur, &patched)?;
    commit_update(s, rt, &cur, patched, part, dry_run)
}

/// Applies the write rules to `new` (replacing `cur`) and stores it unless dry-run.
pub fn commit_update(
    s: &mut Store,
    rt: &ResourceType,
    cur: &Value,
    mut new: Value,
    part: Part,
    dry_run: bool,
) -> Result<Arc<Value>, ApiError> {
    if part == Part::Status {
        let status = new.get("status").cloned();
        new = cur.clone();
        let m = meta::as_map(&mut new);
        match status {
            Some(st) => m.insert("status".into(), st),
            None => m.remove("status"),
        };
    } else if part == Part::Main && rt.status_subresource {
        let m = meta::as_map(&mut new);
        match cur.get("status") {
            Some(st) => m.insert("status".into(), st.clone()),
            None => m.remove("status"),
        };
    }
    set_type(rt, &mut new);
    if rt.group_resource() == "secrets" {
        normalize_secret(&mut new);
    }
    let generation = meta::int_at(cur, &["metadata", "generation"]);
    let changed_spec = spec_of(cur) != spec_of(&new);
    let m = meta::map_at(&mut new, &["metadata"]);
    for k in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ] {
        match cur["metadata"].get(k) {
            Some(v) => m.insert(k.into(), v.clone()),
            None => m.remove(k),
        };
    }
    m.remove("managedFields");
    if rt.tracks_generation {
        let g = generation.unwrap_or(1) + i64::from(changed_spec);
        m.insert("generation".into(), g.into());
    }
    if rt.group_resource() == "customresourcedefinitions.apiextensions.k8s.io" && part == Part::Main
    {
        let mut registry = s.registry.clone();
        registry
            .register_crd(&new)
            .map_err(|e| ApiError::invalid(rt, meta::name(cur), e))?;
        if !dry_run {
            s.registry = registry;
        }
    }
    if dry_run {
        return Ok(Arc::new(new));
    }
    // The last finalizer removed from a terminating object completes its deletion.
    let finalizers_done = new["metadata"]["finalizers"]
        .as_array()
        .is_none_or(Vec::is_empty);
    if meta::is_terminating(&new) && finalizers_done && !is_graceful_pod(rt, &new) {
        let gone = remove(s, rt, meta::namespace(&new), meta::name(&new));
        return gone.ok_or_else(|| ApiError::not_found(rt, meta::name(cur)));
    }
    Ok(s.replace(&rt.group_resource(), new))
}

/// A pod in its grace period is removed by the kubelet, not by the finalizer rule.
fn is_graceful_pod(rt: &ResourceType, obj: &Value) -> bool {
    rt.group_resource() == "pods"
        && obj["metadata"]["deletionGracePeriodSeconds"]
            .as_i64()
            .unwrap_or(0)
            > 0
}

pub fn delete(
    s: &mut Store,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    opts: &DeleteOptions,
) -> Result<Arc<Value>, ApiError> {
    let cur = get(s, rt, ns, name)?;
    if let Some(want) = &opts.precondition_uid
        && want != meta::uid(&cur)
    {
        let what = format!(
            "UID in precondition: {want}, UID in object meta: {}",
            meta::uid(&cur)
        );
        return Err(ApiError::precondition_failed(rt, name, &what));
    }
    if let Some(want) = &opts.precondition_rv
        && Some(want.as_str()) != meta::resource_version(&cur)
    {
        let have = meta::resource_version(&cur).unwrap_or_default();
        let what = format!(
            "ResourceVersion in precondition: {want}, ResourceVersion in object meta: {have}"
        );
        return Err(ApiError::precondition_failed(rt, name, &what));
    }
    if opts.dry_run {
        return Ok(cur);
    }
    let is_pod = rt.group_resource() == "pods";
    let grace = opts
        .grace_seconds
        .or_else(|| {
            is_pod.then(|| {
                cur["spec"]["terminationGracePeriodSeconds"]
                    .as_i64()
                    .unwrap_or(30)
            })
        })
        .unwrap_or(0);
    let has_finalizers = cur["metadata"]["finalizers"]
        .as_array()
        .is_some_and(|f| !f.is_empty());
    if meta::is_terminating(&cur) && (grace > 0 || has_finalizers) {
        return Ok(cur);
    }
    if (is_pod && grace > 0) || has_finalizers {
        let mut marked = (*cur).clone();
        let m = meta::map_at(&mut marked, &["metadata"]);
        m.insert(
            "deletionTimestamp".into(),
            meta::timestamp_from_now(grace).into(),
        );
        m.insert("deletionGracePeriodSeconds".into(), grace.into());
        return Ok(s.replace(&rt.group_resource(), marked));
    }
    remove(s, rt, ns, name).ok_or_else(|| ApiError::not_found(rt, name))
}

/// Removes an object now, with the cascades the real control plane performs.
fn remove(s: &mut Store, rt: &ResourceType, ns: &str, name: &str) -> Option<Arc<Value>> {
    match rt.group_resource().as_str() {
        "namespaces" => {
            for gr in s.resources_in_namespace(name) {
                for obj in s.snapshot(&gr, Some(name)) {
                    s.remove(&gr, name, meta::name(&obj));
                }
            }
        }
        "customresourcedefinitions.apiextensions.k8s.io" => {
            if let Some(crd) = s.get(&rt.group_resource(), ns, name).cloned() {
                let gr = format!(
                    "{}.{}",
                    crd["spec"]["names"]["plural"].as_str().unwrap_or_default(),
                    crd["spec"]["group"].as_str().unwrap_or_default()
                );
                s.remove_all(&gr);
                s.registry.unregister_crd(&crd);
            }
        }
        _ => {}
    }
    s.remove(&rt.group_resource(), ns, name)
}

/// Read-modify-write for controllers: no preconditions, status writable.
/// Returns `None` when the object is gone (or the write was invalid).
pub fn mutate(
    s: &mut Store,
    gr: &str,
    ns: &str,
    name: &str,
    f: impl FnOnce(&mut Value),
) -> Option<Arc<Value>> {
    let rt = s.registry.get(gr)?;
    let cur = s.get(gr, ns, name)?.clone();
    let mut new = (*cur).clone();
    f(&mut new);
    commit_update(s, &rt, &cur, new, Part::All, false).ok()
}

/// Creates or replaces every object of a multi-document YAML text (test helper).
pub fn apply_yaml(s: &mut Store, yaml: &str) -> Result<(), super::DemoError> {
    use super::DemoError;
    let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).map_err(|e| DemoError::Yaml {
        file: "(apply)".into(),
        message: e.to_string(),
    })?;
    for mut obj in docs.into_iter().filter(Value::is_object) {
        let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        let name = meta::name(&obj).to_string();
        let fail = |message: String| DemoError::Object {
            file: "(apply)".into(),
            object: format!("{kind} {name}"),
            message,
        };
        let rt = s
            .registry
            .by_kind(&api_version, &kind)
            .ok_or_else(|| fail("kind not served".into()))?;
        let ns = match (rt.namespaced, meta::namespace(&obj)) {
            (false, _) => String::new(),
            (true, "") => "default".to_string(),
            (true, ns) => ns.to_string(),
        };
        meta::map_at(&mut obj, &["metadata"]).remove("resourceVersion");
        let result = if s.get(&rt.group_resource(), &ns, &name).is_some() {
            update(s, &rt, &ns, &name, obj, Part::Main, false)
        } else {
            create(s, &rt, &ns, obj, false)
        };
        result.map_err(|e| fail(e.message))?;
    }
    Ok(())
}
