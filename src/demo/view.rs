//! How objects appear in responses: as stored but with the apiVersion the request
//! used (CRDs serve several versions), or as `PartialObjectMetadata` when the client
//! asked for metadata only (kube's `list_metadata` / `metadata_watcher`).

use std::borrow::Cow;

use serde_json::{Value, json};

use super::resources::ResourceType;

const METADATA_MIME_MARKER: &str = "as=PartialObjectMetadata";

#[derive(Debug, Clone)]
pub struct View {
    api_version: String,
    kind: String,
    list_kind: String,
    metadata_only: bool,
}

impl View {
    pub fn new(rt: &ResourceType, version: &str, accept: &str) -> Self {
        let metadata_only = accept
            .split(',')
            .next()
            .is_some_and(|first| first.contains(METADATA_MIME_MARKER));
        if metadata_only {
            return View {
                api_version: "meta.k8s.io/v1".into(),
                kind: "PartialObjectMetadata".into(),
                list_kind: "PartialObjectMetadataList".into(),
                metadata_only,
            };
        }
        View {
            api_version: rt.api_version(version),
            kind: rt.kind.clone(),
            list_kind: rt.list_kind.clone(),
            metadata_only,
        }
    }

    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn list_kind(&self) -> &str {
        &self.list_kind
    }

    pub fn render<'a>(&self, obj: &'a Value) -> Cow<'a, Value> {
        if self.metadata_only {
            return Cow::Owned(
                json!({"kind": self.kind, "apiVersion": self.api_version, "metadata": obj["metadata"]}),
            );
        }
        if obj["apiVersion"].as_str() == Some(self.api_version.as_str()) {
            return Cow::Borrowed(obj);
        }
        let mut o = obj.clone();
        o["apiVersion"] = json!(self.api_version);
        Cow::Owned(o)
    }

    /// Appends the rendered object as JSON.
    pub fn write(&self, obj: &Value, out: &mut Vec<u8>) {
        // Serializing a Value into a Vec cannot fail.
        let _ = serde_json::to_writer(out, &*self.render(obj));
    }
}
