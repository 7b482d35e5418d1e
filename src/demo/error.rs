//! Errors: `DemoError` for loading the demo, `ApiError` for requests (rendered as a
//! Kubernetes `Status` exactly like kube-apiserver does).

use serde_json::{Value, json};

use super::resources::ResourceType;

/// Failure to build the demo cluster from YAML.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo asset {file}: invalid YAML: {message}")]
    Yaml { file: String, message: String },
    #[error("demo asset {file}: {object}: {message}")]
    Object {
        file: String,
        object: String,
        message: String,
    },
    #[error("demo certificate for {object}: {message}")]
    Cert { object: String, message: String },
    #[error("demo cluster needs a tokio runtime: {0}")]
    NoRuntime(String),
    #[error("{name}={value:?}: {message}")]
    Env {
        name: &'static str,
        value: String,
        message: &'static str,
    },
}

/// An API failure, serialised as a `Status` object with the matching HTTP code.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, rt: &ResourceType, name: &str) -> Self {
        let mut d = json!({ "name": name, "kind": rt.plural });
        if !rt.group.is_empty() {
            d["group"] = json!(rt.group);
        }
        self.details = Some(d);
        self
    }

    /// Path that matches no resource (also used for uninstalled CRDs).
    pub fn unknown_path() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .details_empty()
    }

    fn details_empty(mut self) -> Self {
        self.details = Some(json!({}));
        self
    }

    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", rt.group_resource()),
        )
        .with_details(rt, name)
    }

    pub fn already_exists(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", rt.group_resource()),
        )
        .with_details(rt, name)
    }

    /// Optimistic-concurrency failure, message as client-go users know it.
    pub fn conflict(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                rt.group_resource()
            ),
        )
        .with_details(rt, name)
    }

    pub fn precondition_failed(rt: &ResourceType, name: &str, what: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: {what}",
                rt.group_resource()
            ),
        )
        .with_details(rt, name)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn invalid(rt: &ResourceType, name: &str, message: impl Into<String>) -> Self {
        let message = format!(
            "{} \"{name}\" is invalid: {}",
            rt.group_kind(),
            message.into()
        );
        Self::new(422, "Invalid", message).with_details(rt, name)
    }

    /// Generic 422 with a message.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(422, "Invalid", message)
    }

    /// A JSON patch that does not apply (failed `test`, bad path): kube-apiserver answers
    /// a generic 422 with empty details and no causes, the patch error only in its log.
    pub fn json_patch_failed() -> Self {
        Self::new(
            422,
            "Invalid",
            "the server rejected our request due to an error in our request",
        )
        .details_empty()
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .details_empty()
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(415, "UnsupportedMediaType", message)
    }

    /// A watch resourceVersion older than the retained history (etcd compaction).
    pub fn gone(requested: u64, oldest: u64) -> Self {
        Self::new(
            410,
            "Expired",
            format!("too old resource version: {requested} ({oldest})"),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    pub fn status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        s
    }
}
