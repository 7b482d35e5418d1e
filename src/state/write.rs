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

/// Identity of one write effect. Its completion (`Msg::WriteDone`) answers this id, and the
/// reducer finds the flow that asked for it in `Writes`: nothing is routed by guessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriteId(pub u64);

/// Which flow asked for a write: decides what its completion does besides the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// One confirmed write (rollout restart from a view or a Diagnostics fix).
    Single,
    /// The weight editor's confirmed draft: kept until this write answers.
    Weights,
    /// The injection chooser's bulk restart (a batch summarised once all answered).
    Bulk,
    /// A label write of the injection chooser (its answer says what happens to the pods).
    Label,
    /// A label write of the injection chooser that offers the restarts once applied.
    LabelThenRestart,
    /// One write of a revision migration's wave.
    MigrationWave,
    /// `U`: reverting this session's last applied write.
    Undo,
}

/// What a finished write did, typed, so flows decide on facts and not on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// The object changed since the write was prepared (409, failed JSON-patch `test`):
    /// nothing was written; the user decides again on the fresh object.
    Conflict,
    Forbidden,
    /// The server rejected the object (422 and the like).
    Invalid,
    NotFound,
    /// No answer from the API server (connection refused, timeout, not connected).
    Unreachable,
    /// The server dry run refused for another reason (an admission webhook, say); nothing
    /// was written.
    DryRunFailed,
    /// Anything else the server answered.
    Failed,
}

impl Outcome {
    pub fn applied(self) -> bool {
        self == Outcome::Applied
    }
}

/// The answer to one write effect: its id, what it did, and that in words for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteDone {
    pub id: WriteId,
    pub op: WriteOp,
    pub outcome: Outcome,
    pub text: String,
}

impl WriteDone {
    /// The answer as the flows' state machines take it: the words, applied or not.
    pub fn result(&self) -> Result<String, String> {
        if self.outcome.applied() {
            Ok(self.text.clone())
        } else {
            Err(self.text.clone())
        }
    }
}

/// Writes in flight, by id. A weight draft waits here for its own write's answer.
#[derive(Debug, Default)]
pub struct Writes {
    next: u64,
    pending: std::collections::BTreeMap<WriteId, Pending>,
}

#[derive(Debug)]
pub struct Pending {
    pub origin: Origin,
    /// The confirmed weight draft (origin `Weights`): back in the editor if refused.
    pub draft: Option<Box<crate::state::weights::WeightEditor>>,
}

impl Writes {
    /// A new id for a write of `origin`, recorded as in flight.
    pub fn start(&mut self, origin: Origin) -> WriteId {
        self.next += 1;
        let id = WriteId(self.next);
        self.pending.insert(
            id,
            Pending {
                origin,
                draft: None,
            },
        );
        id
    }

    /// Keeps a weight draft with the write it became.
    pub fn keep_draft(&mut self, id: WriteId, draft: Box<crate::state::weights::WeightEditor>) {
        if let Some(p) = self.pending.get_mut(&id) {
            p.draft = Some(draft);
        }
    }

    /// The flow that asked for `id`, no longer in flight. None for an id this session did
    /// not issue (or already answered).
    pub fn finish(&mut self, id: WriteId) -> Option<Pending> {
        self.pending.remove(&id)
    }

    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }
}
