//! Writes as plain data: what the user asked for and confirmed. The loop turns a `WriteOp`
//! into a patch (cluster::write); the reducer never sees kube types.

use crate::cluster::objects::{ObjKey, RouteKind, WorkloadKind};
use crate::cluster::write::undo::Undoable;
use crate::state::weights::WeightChange;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// `kubectl rollout restart`: a new pod-template annotation, so every pod is replaced.
    RolloutRestart {
        kind: WorkloadKind,
        key: ObjKey,
        resource_version: String,
    },
    /// New backend weights for one rule of an HTTPRoute, GRPCRoute or VirtualService.
    SetWeights {
        kind: RouteKind,
        key: ObjKey,
        rule: usize,
        resource_version: String,
        changes: Vec<WeightChange>,
    },
    /// Reverts this session's last applied write (any op: see `cluster::write::undo`).
    Undo(Box<Undoable>),
    /// Namespace labels set and removed in one merge patch (sidecar injection toggle).
    SetNamespaceLabels {
        namespace: String,
        resource_version: String,
        set: Vec<(String, String)>,
        remove: Vec<String>,
    },
    /// The pod-template label `sidecar.istio.io/inject` ("true"/"false"), or its removal.
    SetInjectLabel {
        kind: WorkloadKind,
        key: ObjKey,
        resource_version: String,
        value: Option<String>,
    },
}

impl WriteOp {
    /// `Deployment shop/cart`.
    pub fn object(&self) -> String {
        match self {
            WriteOp::SetWeights { kind, key, .. } => format!("{} {key}", kind.kind()),
            WriteOp::Undo(u) => u.inverse.target.display(),
            WriteOp::RolloutRestart { kind, key, .. }
            | WriteOp::SetInjectLabel { kind, key, .. } => {
                format!("{} {key}", kind.as_str())
            }
            WriteOp::SetNamespaceLabels { namespace, .. } => format!("Namespace {namespace}"),
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            WriteOp::RolloutRestart { .. } => "rollout restart",
            WriteOp::SetWeights { .. } => "set weights",
            WriteOp::Undo(_) => "undo",
            WriteOp::SetNamespaceLabels { .. } => "label",
            WriteOp::SetInjectLabel { .. } => "set sidecar.istio.io/inject on",
        }
    }
}

/// A write waiting for the user's explicit yes. `Cancel` has the focus at first, so an
/// accidental Enter does nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub op: WriteOp,
    /// What will happen, line by line: context, namespace, object, the change, the effect.
    pub body: Vec<String>,
    pub ok_focused: bool,
    /// Set when the write restarts pods into a control plane with no ready replica.
    pub hazard: Option<crate::state::hazard::Hazard>,
}

impl Confirm {
    /// A dialog whose body the caller wrote (the weight editor's diff).
    pub fn with_body(op: WriteOp, body: Vec<String>) -> Confirm {
        Confirm {
            op,
            body,
            ok_focused: false,
            hazard: None,
        }
    }

    pub fn new(op: WriteOp, context: &str) -> Confirm {
        let mut body = vec![
            format!("context:   {context}"),
            format!("object:    {}", op.object()),
        ];
        match &op {
            WriteOp::RolloutRestart {
                kind,
                key,
                resource_version,
            } => {
                body.push(format!("namespace: {}", key.ns));
                body.push(String::new());
                body.push("patch (merge, with resourceVersion precondition):".into());
                body.push(format!(
                    "  metadata.resourceVersion: \"{resource_version}\""
                ));
                body.push("  spec.template.metadata.annotations:".into());
                body.push("    kubectl.kubernetes.io/restartedAt: <now, RFC 3339>".into());
                body.push(String::new());
                body.push(format!(
                    "Effect: the {} controller replaces every pod; new pods get the namespace's current",
                    kind.as_str()
                ));
                body.push("sidecar injection. A server dry-run runs first; nothing is written if it fails.".into());
            }
            WriteOp::SetWeights {
                key,
                rule,
                resource_version,
                changes,
                ..
            } => {
                body.push(format!("namespace: {}", key.ns));
                body.push(format!("rule:      {}", rule + 1));
                body.push(String::new());
                body.push(format!(
                    "patch (JSON patch, test resourceVersion \"{resource_version}\"):"
                ));
                for c in changes {
                    body.push(format!("- {}  weight {}", c.label, c.before));
                    body.push(format!("+ {}  weight {}", c.label, c.after));
                }
            }
            WriteOp::Undo(u) => body.extend(super::undo::confirm_lines(u)),
            // Their previews are richer (pods that change): built by state::inject.
            WriteOp::SetNamespaceLabels { .. } | WriteOp::SetInjectLabel { .. } => {}
        }
        Confirm {
            op,
            body,
            ok_focused: false,
            hazard: None,
        }
    }
}
