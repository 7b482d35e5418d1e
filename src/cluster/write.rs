//! Safe writes: every write is a patch with a resourceVersion precondition, tried with
//! `dryRun=All` first, and its answer classified so the UI can show what happened (a 409
//! comes back with the fresh object, a 403 with the server's reason).
//!
//! This module never logs objects or patches: the audit log (`crate::audit`) is the one
//! record of writes, and it stores patches, not object dumps.

mod build;
pub mod undo;

use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cluster::kinds::{Kind, Scope};
use crate::cluster::objects::ObjKey;

pub use build::{
    guarded_json_patch, guarded_merge_patch, rollout_restart, set_namespace_labels,
    set_template_label, set_weights, undo_of,
};

/// `kubectl rollout restart` sets this pod-template annotation.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
/// The JSON pointer a JSON patch's leading `test` op must check.
pub const RV_POINTER: &str = "/metadata/resourceVersion";

/// The object a write goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    /// `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    pub name: String,
}

impl Target {
    /// The object `key` of `kind`: group, version, kind and plural come from the table of
    /// kinds (`Kind::spec`); a cluster-scoped kind has no namespace.
    pub fn of(kind: Kind, key: &ObjKey) -> Target {
        let spec = kind.spec();
        Target {
            group: spec.group.into(),
            version: spec.version.into(),
            kind: spec.kind.into(),
            plural: spec.plural.into(),
            namespace: (spec.scope != Scope::Cluster).then(|| key.ns.clone()),
            name: key.name.clone(),
        }
    }

    pub fn deployment(namespace: &str, name: &str) -> Target {
        Self::of(Kind::Deployments, &ObjKey::new(namespace, name))
    }

    pub fn statefulset(namespace: &str, name: &str) -> Target {
        Self::of(Kind::StatefulSets, &ObjKey::new(namespace, name))
    }

    pub fn daemonset(namespace: &str, name: &str) -> Target {
        Self::of(Kind::DaemonSets, &ObjKey::new(namespace, name))
    }

    pub fn namespace(name: &str) -> Target {
        Self::of(Kind::Namespaces, &ObjKey::new("", name))
    }

    pub fn httproute(namespace: &str, name: &str) -> Target {
        Self::of(Kind::HttpRoutes, &ObjKey::new(namespace, name))
    }

    pub fn grpcroute(namespace: &str, name: &str) -> Target {
        Self::of(Kind::GrpcRoutes, &ObjKey::new(namespace, name))
    }

    pub fn virtualservice(namespace: &str, name: &str) -> Target {
        Self::of(Kind::VirtualServices, &ObjKey::new(namespace, name))
    }

    /// "Deployment shop/cart", "Namespace shop".
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// Secrets' values are never handed back nor written to the audit log.
    pub fn is_secret(&self) -> bool {
        self.group.is_empty() && self.kind == "Secret"
    }

    /// Built from the target's own fields: a target read back from the audit log (undo)
    /// addresses exactly what was written then.
    pub fn api_resource(&self) -> ApiResource {
        let api_version = if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        };
        ApiResource {
            group: self.group.clone(),
            version: self.version.clone(),
            api_version,
            kind: self.kind.clone(),
            plural: self.plural.clone(),
        }
    }

    fn api(&self, client: &kube::Client) -> Api<DynamicObject> {
        let ar = self.api_resource();
        match &self.namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
            None => Api::all_with(client.clone(), &ar),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PatchBody {
    /// JSON merge patch; must carry `metadata.resourceVersion`.
    Merge(Value),
    /// JSON patch; must start with a `test` of `/metadata/resourceVersion`.
    Json(json_patch::Patch),
}

impl PatchBody {
    /// The patch as sent on the wire (for previews and the audit log).
    pub fn to_json(&self) -> Value {
        match self {
            PatchBody::Merge(v) => v.clone(),
            PatchBody::Json(p) => serde_json::to_value(p).unwrap_or(Value::Null),
        }
    }

    /// The resourceVersion the precondition names, if there is a well-formed one.
    pub fn precondition(&self) -> Option<&str> {
        match self {
            PatchBody::Merge(v) => v.pointer(RV_POINTER)?.as_str(),
            PatchBody::Json(p) => match p.0.first()? {
                json_patch::PatchOperation::Test(t) if t.path.as_str() == RV_POINTER => {
                    t.value.as_str()
                }
                _ => None,
            },
        }
        .filter(|rv| !rv.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WriteRequest {
    pub target: Target,
    pub patch: PatchBody,
    /// What the user asked for: "rollout-restart", "set-weights", "label-namespace", "undo", ...
    pub verb: &'static str,
    /// One line for the confirm dialog and the audit log.
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    Applied {
        resource_version: String,
        object: Value,
    },
    /// The object changed since the precondition's resourceVersion (409, or a failed
    /// JSON-patch `test`); `current` is the object now, when it could be read.
    Conflict {
        current: Option<Value>,
        message: String,
    },
    Forbidden(String),
    Invalid(String),
    NotFound(String),
    /// No answer from the API server (connection refused or reset, timeout).
    Unreachable(String),
    Failed(String),
}

impl WriteOutcome {
    /// Short machine name: "applied", "conflict", "forbidden", "invalid", "not-found", "unreachable",
    /// "failed".
    pub fn name(&self) -> &'static str {
        match self {
            WriteOutcome::Applied { .. } => "applied",
            WriteOutcome::Conflict { .. } => "conflict",
            WriteOutcome::Forbidden(_) => "forbidden",
            WriteOutcome::Invalid(_) => "invalid",
            WriteOutcome::NotFound(_) => "not-found",
            WriteOutcome::Unreachable(_) => "unreachable",
            WriteOutcome::Failed(_) => "failed",
        }
    }

    /// The server's (or our) message; `None` for `Applied`.
    pub fn message(&self) -> Option<&str> {
        match self {
            WriteOutcome::Applied { .. } => None,
            WriteOutcome::Conflict { message, .. }
            | WriteOutcome::Forbidden(message)
            | WriteOutcome::Invalid(message)
            | WriteOutcome::NotFound(message)
            | WriteOutcome::Unreachable(message)
            | WriteOutcome::Failed(message) => Some(message),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum DryRun {
    Passed,
    /// The server cannot dry-run this request (its message); the real write went ahead.
    Unsupported(String),
    /// The dry run failed for a real reason, so nothing was written.
    Rejected(WriteOutcome),
}

#[derive(Debug, Clone, PartialEq)]
pub struct WriteReport {
    pub dry_run: DryRun,
    /// `None` when the dry run rejected the write.
    pub outcome: Option<WriteOutcome>,
}

impl WriteReport {
    /// What finally happened: the real write's outcome, else the dry run's rejection.
    pub fn final_outcome(&self) -> Option<&WriteOutcome> {
        match (&self.outcome, &self.dry_run) {
            (Some(o), _) => Some(o),
            (None, DryRun::Rejected(o)) => Some(o),
            (None, _) => None,
        }
    }

    /// The new resourceVersion when the write was applied.
    pub fn applied_resource_version(&self) -> Option<&str> {
        match &self.outcome {
            Some(WriteOutcome::Applied {
                resource_version, ..
            }) => Some(resource_version),
            _ => None,
        }
    }
}

/// Dry run, then (unless the dry run found a real problem) the write itself.
pub async fn execute(client: &kube::Client, req: &WriteRequest) -> WriteReport {
    let dry_run = dry_run_only(client, req).await;
    if matches!(dry_run, DryRun::Rejected(_)) {
        return WriteReport {
            dry_run,
            outcome: None,
        };
    }
    let outcome = match send(client, req, false).await {
        Ok(obj) => applied(&req.target, obj),
        Err(e) => classify(client, req, e).await,
    };
    WriteReport {
        dry_run,
        outcome: Some(outcome),
    }
}

/// Only the `dryRun=All` request, e.g. for a preview. Refuses (without asking the server)
/// a request that lacks its resourceVersion precondition.
pub async fn dry_run_only(client: &kube::Client, req: &WriteRequest) -> DryRun {
    if req.patch.precondition().is_none() {
        return DryRun::Rejected(WriteOutcome::Invalid(format!(
            "refusing to write {} without a resourceVersion precondition",
            req.target.display()
        )));
    }
    match send(client, req, true).await {
        Ok(_) => DryRun::Passed,
        Err(kube::Error::Api(s)) if dry_run_unsupported(&s) => DryRun::Unsupported(s.message),
        Err(e) => DryRun::Rejected(classify(client, req, e).await),
    }
}

async fn send(
    client: &kube::Client,
    req: &WriteRequest,
    dry_run: bool,
) -> Result<DynamicObject, kube::Error> {
    let api = req.target.api(client);
    let pp = PatchParams {
        dry_run,
        ..PatchParams::default()
    };
    match &req.patch {
        PatchBody::Merge(v) => api.patch(&req.target.name, &pp, &Patch::Merge(v)).await,
        PatchBody::Json(p) => {
            api.patch(&req.target.name, &pp, &Patch::Json::<()>(p.clone()))
                .await
        }
    }
}

fn applied(target: &Target, obj: DynamicObject) -> WriteOutcome {
    let resource_version = obj.metadata.resource_version.clone().unwrap_or_default();
    match serde_json::to_value(obj) {
        Ok(object) => WriteOutcome::Applied {
            resource_version,
            object: redact(target, object),
        },
        Err(e) => WriteOutcome::Failed(format!("applied, but the answer is unreadable: {e}")),
    }
}

/// Servers (or aggregated APIs) that cannot dry-run answer 400 naming dry run.
fn dry_run_unsupported(s: &kube::core::Status) -> bool {
    let m = s.message.to_lowercase();
    (s.code == 400 || s.code == 415 || s.code == 501)
        && (m.contains("dryrun") || m.contains("dry run") || m.contains("dry-run"))
        && [
            "not supported",
            "unsupported",
            "disabled",
            "not implemented",
        ]
        .iter()
        .any(|w| m.contains(w))
}

async fn classify(client: &kube::Client, req: &WriteRequest, err: kube::Error) -> WriteOutcome {
    let s = match err {
        kube::Error::Api(s) => s,
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            return WriteOutcome::Unreachable(err.to_string());
        }
        other => return WriteOutcome::Failed(other.to_string()),
    };
    let message = s.message.clone();
    match s.code {
        409 => conflict(client, req, message).await,
        422 if matches!(req.patch, PatchBody::Json(_)) => {
            // A failed `test` op is a generic 422 ("the server rejected our request due
            // to an error in our request", no details, on 1.20): tell it from a real
            // validation error by the object's resourceVersion having moved on.
            let current = current(client, &req.target).await;
            let now = current
                .as_ref()
                .and_then(|c| c.pointer(RV_POINTER)?.as_str());
            if now != req.patch.precondition() || test_op_failed(&s) {
                let message = format!(
                    "{} was modified (resourceVersion {} expected, {} now): {message}",
                    req.target.display(),
                    req.patch.precondition().unwrap_or("?"),
                    now.unwrap_or("unknown"),
                );
                WriteOutcome::Conflict { current, message }
            } else {
                WriteOutcome::Invalid(message)
            }
        }
        422 => WriteOutcome::Invalid(message),
        403 => WriteOutcome::Forbidden(message),
        404 => WriteOutcome::NotFound(message),
        code => WriteOutcome::Failed(format!("{code} {}: {message}", s.reason)),
    }
}

/// Newer servers or proxies may name the failed test ("testing value ... failed",
/// evanphx/json-patch; "value did not match", the json-patch crate).
fn test_op_failed(s: &kube::core::Status) -> bool {
    let causes = s
        .details
        .iter()
        .flat_map(|d| d.causes.iter().map(|c| &c.message));
    std::iter::once(&s.message).chain(causes).any(|m| {
        let m = m.to_lowercase();
        m.contains("testing value")
            || m.contains("test failed")
            || m.contains("value did not match")
    })
}

async fn conflict(client: &kube::Client, req: &WriteRequest, message: String) -> WriteOutcome {
    WriteOutcome::Conflict {
        current: current(client, &req.target).await,
        message,
    }
}

async fn current(client: &kube::Client, target: &Target) -> Option<Value> {
    let obj = target.api(client).get(&target.name).await.ok()?;
    serde_json::to_value(obj).ok().map(|v| redact(target, v))
}

/// Objects we hand back end up in diffs on screen: never a Secret's values (no write
/// here targets Secrets today; this keeps it so if one ever does).
fn redact(target: &Target, mut object: Value) -> Value {
    if target.group.is_empty()
        && target.kind == "Secret"
        && let Some(o) = object.as_object_mut()
    {
        o.remove("data");
        o.remove("stringData");
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, message: &str) -> kube::core::Status {
        kube::core::Status::failure(message, "").with_code(code)
    }

    #[test]
    fn dry_run_unsupported_is_a_400_naming_dry_run() {
        let yes = [
            (400, "dryRun is not supported by this aggregated API"),
            (400, "the dryRun alpha feature is disabled"),
            (400, "dry run is not supported"),
        ];
        for (code, m) in yes {
            assert!(dry_run_unsupported(&status(code, m)), "{m}");
        }
        let no = [
            (400, "error decoding patch"),
            (422, "dryRun is not supported"),
            (403, "dry-run forbidden: not supported"),
        ];
        for (code, m) in no {
            assert!(!dry_run_unsupported(&status(code, m)), "{code} {m}");
        }
    }

    #[test]
    fn failed_test_ops_are_recognised_by_message() {
        assert!(test_op_failed(&status(
            422,
            "testing value /metadata/resourceVersion failed: test failed"
        )));
        assert!(!test_op_failed(&status(
            422,
            "the server rejected our request due to an error in our request"
        )));
    }

    #[test]
    fn secret_values_are_never_handed_back() {
        let secret = Target {
            kind: "Secret".into(),
            plural: "secrets".into(),
            ..Target::namespace("x")
        };
        let obj = serde_json::json!({"metadata": {"name": "x"}, "data": {"k": "dg=="}});
        assert_eq!(redact(&secret, obj.clone()).get("data"), None);
        assert_eq!(redact(&Target::namespace("x"), obj.clone()), obj);
    }

    /// Every write target is addressed as the table of kinds says: the same resource the
    /// watcher of that kind lists.
    #[test]
    fn write_targets_take_their_resource_from_the_table() {
        let targets = [
            (Target::deployment("a", "b"), Kind::Deployments),
            (Target::statefulset("a", "b"), Kind::StatefulSets),
            (Target::daemonset("a", "b"), Kind::DaemonSets),
            (Target::namespace("b"), Kind::Namespaces),
            (Target::httproute("a", "b"), Kind::HttpRoutes),
            (Target::grpcroute("a", "b"), Kind::GrpcRoutes),
            (Target::virtualservice("a", "b"), Kind::VirtualServices),
        ];
        for (t, k) in targets {
            let (ar, want) = (t.api_resource(), k.spec().api_resource());
            assert_eq!(
                (
                    &ar.group,
                    &ar.version,
                    &ar.api_version,
                    &ar.kind,
                    &ar.plural
                ),
                (
                    &want.group,
                    &want.version,
                    &want.api_version,
                    &want.kind,
                    &want.plural
                ),
                "{k:?}"
            );
            assert_eq!(t.namespace.is_none(), k.cluster_scoped(), "{k:?}");
            assert_eq!(t.name, "b");
        }
    }

    #[test]
    fn final_outcome_is_the_write_else_the_rejection() {
        let rejected = WriteReport {
            dry_run: DryRun::Rejected(WriteOutcome::Forbidden("no".into())),
            outcome: None,
        };
        assert_eq!(
            rejected.final_outcome().map(WriteOutcome::name),
            Some("forbidden")
        );
        let unsupported = WriteReport {
            dry_run: DryRun::Unsupported("x".into()),
            outcome: Some(WriteOutcome::NotFound("gone".into())),
        };
        assert_eq!(
            unsupported.final_outcome().map(WriteOutcome::name),
            Some("not-found")
        );
        assert_eq!(unsupported.applied_resource_version(), None);
    }
}
