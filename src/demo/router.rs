//! HTTP front: turns a kube-client request into a store operation and a response
//! shaped like kube-apiserver's (JSON bodies, Status errors, streamed watches).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body::Frame;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use serde_json::{Value, json};

use super::discovery;
use super::engine::Engine;
use super::error::ApiError;
use super::meta;
use super::ops::{self, DeleteOptions, Part};
use super::patch::PatchType;
use super::paths::{self, ObjectPath, Sub, Target};
use super::scale;
use super::selectors::{FieldSelector, LabelSelector};
use super::view::View;
use super::watch::{self, Start, WatchRequest};

pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// Default watch length when `timeoutSeconds` is absent (the real server picks 30–60 min).
const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(1800);

struct Query(HashMap<String, String>);

impl Query {
    fn parse(q: Option<&str>) -> Self {
        Query(
            form_urlencoded::parse(q.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), Some("1" | "true"))
    }

    fn dry_run(&self) -> bool {
        self.get("dryRun") == Some("All")
    }
}

fn respond(code: u16, body: Bytes, content_type: &str) -> Response<Body> {
    let mut resp = Response::new(Full::new(body).boxed_unsync());
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = content_type.parse() {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

fn json_response(code: u16, v: &Value) -> Response<Body> {
    respond(
        code,
        Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
        "application/json",
    )
}

fn error_response(e: &ApiError) -> Response<Body> {
    json_response(e.code, &e.status())
}

/// Serves one request.
pub async fn handle(engine: Arc<Engine>, req: Request<kube::client::Body>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match body.collect_bytes().await {
        Ok(b) => b,
        Err(e) => return error_response(&ApiError::bad_request(format!("reading body: {e}"))),
    };
    let query = Query::parse(parts.uri.query());
    let target = {
        let s = engine.lock();
        paths::parse(&s.registry, parts.uri.path())
    };
    let result = match target {
        Ok(Target::Object(p)) => object(&engine, &parts.method, &parts.headers, p, &query, &body),
        Ok(other) if parts.method == Method::GET => discovery_doc(&engine, other, &parts.headers),
        Ok(_) => Err(ApiError::method_not_allowed()),
        Err(e) => Err(e),
    };
    result.unwrap_or_else(|e| error_response(&e))
}

fn discovery_doc(
    engine: &Engine,
    target: Target,
    headers: &HeaderMap,
) -> Result<Response<Body>, ApiError> {
    let s = engine.lock();
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let aggregated = discovery::wants_aggregated(accept);
    let agg_type = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    let agg = |core| {
        let body =
            serde_json::to_vec(&discovery::aggregated(&s.registry, core)).unwrap_or_default();
        Ok(respond(200, Bytes::from(body), agg_type))
    };
    let doc = match target {
        Target::Root => json!({"paths": ["/api", "/api/v1", "/apis", "/version"]}),
        Target::Version => discovery::version_info(),
        Target::CoreVersions if aggregated => return agg(true),
        Target::CoreVersions => discovery::core_versions(),
        Target::Groups if aggregated => return agg(false),
        Target::Groups => discovery::group_list(&s.registry),
        Target::Group(g) => {
            discovery::api_group(&s.registry, &g).ok_or_else(ApiError::unknown_path)?
        }
        Target::Resources { group, version } => {
            discovery::resource_list(&s.registry, &group, &version)
                .ok_or_else(ApiError::unknown_path)?
        }
        Target::Object(_) => return Err(ApiError::unknown_path()),
    };
    Ok(json_response(200, &doc))
}

fn object(
    engine: &Arc<Engine>,
    method: &Method,
    headers: &HeaderMap,
    p: ObjectPath,
    q: &Query,
    body: &[u8],
) -> Result<Response<Body>, ApiError> {
    if p.rt.create_only {
        return match (method, &p.name) {
            (&Method::POST, None) => review(&p, body),
            _ => Err(ApiError::method_not_allowed()),
        };
    }
    let all_namespaces = p.rt.namespaced && p.namespace.is_none();
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let view = View::new(&p.rt, &p.version, accept);
    let object_response = |code: u16, obj: &Value| {
        let mut out = Vec::new();
        view.write(obj, &mut out);
        respond(code, Bytes::from(out), "application/json")
    };
    match (method, p.name.as_deref(), p.sub) {
        (&Method::GET, None, _) if q.flag("watch") => watch(engine, p, view, q),
        (&Method::GET, None, _) => list(engine, &p, &view, q),
        (&Method::GET, Some(name), Some(Sub::Scale)) => {
            let scale = scale::get(&engine.lock(), &p.rt, p.ns(), name)?;
            Ok(json_response(200, &scale))
        }
        (&Method::GET, Some(name), _) => {
            let obj = ops::get(&engine.lock(), &p.rt, p.ns(), name)?;
            Ok(object_response(200, &obj))
        }
        (&Method::POST, None, None) if !all_namespaces => {
            let obj = parse_json(body)?;
            let created = ops::create(&mut engine.lock(), &p.rt, p.ns(), obj, q.dry_run())?;
            Ok(object_response(201, &created))
        }
        (&Method::PUT, Some(name), Some(Sub::Scale)) => {
            let scale = scale::update(
                &mut engine.lock(),
                &p.rt,
                p.ns(),
                name,
                &parse_json(body)?,
                q.dry_run(),
            )?;
            Ok(json_response(200, &scale))
        }
        (&Method::PUT, Some(name), sub) => {
            let part = if sub == Some(Sub::Status) {
                Part::Status
            } else {
                Part::Main
            };
            let obj = parse_json(body)?;
            let stored = ops::update(
                &mut engine.lock(),
                &p.rt,
                p.ns(),
                name,
                obj,
                part,
                q.dry_run(),
            )?;
            Ok(object_response(200, &stored))
        }
        (&Method::PATCH, Some(name), sub) => {
            let ct = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let pt = PatchType::from_content_type(ct).ok_or_else(|| {
                ApiError::unsupported_media_type(format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {ct:?})"))
            })?;
            if pt == PatchType::Apply && q.get("fieldManager").is_none_or(str::is_empty) {
                return Err(ApiError::unprocessable(
                    "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                ));
            }
            let mut s = engine.lock();
            if sub == Some(Sub::Scale) {
                let scale = scale::patch(&mut s, &p.rt, p.ns(), name, pt, body, q.dry_run())?;
                return Ok(json_response(200, &scale));
            }
            let part = if sub == Some(Sub::Status) {
                Part::Status
            } else {
                Part::Main
            };
            let stored = ops::patch(
                &mut s,
                &p.rt,
                p.ns(),
                name,
                ops::PatchBody {
                    kind: pt,
                    bytes: body,
                },
                part,
                q.dry_run(),
            )?;
            Ok(object_response(200, &stored))
        }
        (&Method::DELETE, Some(name), None) => {
            let opts = delete_options(q, body)?;
            let gone = ops::delete(&mut engine.lock(), &p.rt, p.ns(), name, &opts)?;
            Ok(object_response(200, &gone))
        }
        (&Method::DELETE, None, None) if !all_namespaces => {
            delete_collection(engine, &p, &view, q, body)
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding request body: {e}")))
}

/// SelfSubjectAccessReview: the demo lets you do everything.
fn review(p: &ObjectPath, body: &[u8]) -> Result<Response<Body>, ApiError> {
    let mut r = parse_json(body)?;
    meta::as_map(&mut r).insert("apiVersion".into(), p.api_version().into());
    meta::as_map(&mut r).insert("kind".into(), p.rt.kind.clone().into());
    meta::as_map(&mut r).insert(
        "status".into(),
        json!({"allowed": true, "reason": "the meshctl demo cluster allows every action"}),
    );
    Ok(json_response(201, &r))
}

fn selectors(p: &ObjectPath, q: &Query) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(q.get("labelSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(q.get("fieldSelector").unwrap_or_default(), &p.rt)
        .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

/// Continue tokens: base64 JSON with the list's resourceVersion and the last key.
fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    B64.encode(json!({"rv": rv, "ns": ns, "name": name}).to_string())
}

fn decode_continue(token: &str) -> Result<(u64, String, String), ApiError> {
    let bad = || ApiError::bad_request("continue key is not valid");
    let v: Value = B64
        .decode(token)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(bad)?;
    Ok((
        v["rv"].as_u64().ok_or_else(bad)?,
        v["ns"].as_str().unwrap_or_default().to_string(),
        v["name"].as_str().unwrap_or_default().to_string(),
    ))
}

fn list(
    engine: &Engine,
    p: &ObjectPath,
    view: &View,
    q: &Query,
) -> Result<Response<Body>, ApiError> {
    let (labels, fields) = selectors(p, q)?;
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let after = q
        .get("continue")
        .filter(|c| !c.is_empty())
        .map(decode_continue)
        .transpose()?;
    let s = engine.lock();
    let rv = after
        .as_ref()
        .map(|(rv, _, _)| *rv)
        .unwrap_or_else(|| s.rv());
    let mut matching = s
        .list(&p.rt.group_resource(), p.namespace.as_deref())
        .filter(|o| {
            after.as_ref().is_none_or(|(_, ns, name)| {
                (meta::namespace(o), meta::name(o)) > (ns.as_str(), name.as_str())
            })
        })
        .filter(|o| labels.matches(o) && fields.matches(o));
    // Written by hand so a large list is not cloned object by object.
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"items\":[");
    let mut count = 0;
    let mut last = None;
    while limit.is_none_or(|l| count < l) {
        let Some(o) = matching.next() else { break };
        if count > 0 {
            out.push(b',');
        }
        view.write(o, &mut out);
        count += 1;
        last = Some(o);
    }
    let remaining = if limit.is_some_and(|l| count == l) {
        matching.count()
    } else {
        0
    };
    let mut list_meta = json!({"resourceVersion": rv.to_string()});
    if remaining > 0
        && let Some(o) = last
    {
        list_meta["continue"] = json!(encode_continue(rv, meta::namespace(o), meta::name(o)));
        list_meta["remainingItemCount"] = json!(remaining);
    }
    let tail =
        json!({"kind": view.list_kind(), "apiVersion": view.api_version(), "metadata": list_meta});
    out.extend_from_slice(b"],");
    let tail = serde_json::to_vec(&tail).unwrap_or_default();
    out.extend_from_slice(tail.get(1..).unwrap_or_default());
    Ok(respond(200, Bytes::from(out), "application/json"))
}

fn watch(
    engine: &Arc<Engine>,
    p: ObjectPath,
    view: View,
    q: &Query,
) -> Result<Response<Body>, ApiError> {
    let (labels, fields) = selectors(&p, q)?;
    let rv = q.get("resourceVersion").filter(|rv| !rv.is_empty());
    let send_initial = q.get("sendInitialEvents").map(|v| v == "true");
    let start = match (rv, send_initial) {
        (_, Some(true)) => Start::InitialState,
        (None, Some(false)) => Start::Now,
        (None | Some("0"), _) => Start::InitialState,
        (Some(rv), _) => Start::After(
            rv.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv}")))?,
        ),
    };
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_WATCH_TIMEOUT);
    let req = WatchRequest {
        view,
        namespace: p.namespace.clone(),
        rt: p.rt,
        labels,
        fields,
        start,
        initial_events_end: send_initial == Some(true),
        bookmarks: q.flag("allowWatchBookmarks"),
        timeout,
    };
    let stream =
        watch::start(engine.clone(), req).map(|line| Ok::<_, Infallible>(Frame::data(line)));
    let mut resp = Response::new(StreamBody::new(stream).boxed_unsync());
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

fn delete_options(q: &Query, body: &[u8]) -> Result<DeleteOptions, ApiError> {
    let b: Value = if body.is_empty() {
        Value::Null
    } else {
        parse_json(body)?
    };
    let dry_run = q.dry_run()
        || b["dryRun"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x == "All"));
    let grace_seconds = q
        .get("gracePeriodSeconds")
        .and_then(|g| g.parse().ok())
        .or_else(|| b["gracePeriodSeconds"].as_i64());
    let pre = &b["preconditions"];
    Ok(DeleteOptions {
        dry_run,
        grace_seconds,
        precondition_uid: pre["uid"].as_str().map(String::from),
        precondition_rv: pre["resourceVersion"].as_str().map(String::from),
    })
}

fn delete_collection(
    engine: &Engine,
    p: &ObjectPath,
    view: &View,
    q: &Query,
    body: &[u8],
) -> Result<Response<Body>, ApiError> {
    let (labels, fields) = selectors(p, q)?;
    let mut opts = delete_options(q, body)?;
    opts.precondition_rv = None;
    let mut s = engine.lock();
    let victims: Vec<Arc<Value>> = s
        .list(&p.rt.group_resource(), p.namespace.as_deref())
        .filter(|o| labels.matches(o) && fields.matches(o))
        .cloned()
        .collect();
    let mut items = Vec::new();
    for v in victims {
        if let Ok(gone) = ops::delete(&mut s, &p.rt, meta::namespace(&v), meta::name(&v), &opts) {
            items.push(view.render(&gone).into_owned());
        }
    }
    let list = json!({"kind": view.list_kind(), "apiVersion": view.api_version(),
        "metadata": {"resourceVersion": s.rv().to_string()}, "items": items});
    Ok(json_response(200, &list))
}
