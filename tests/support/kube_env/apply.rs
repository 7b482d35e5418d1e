//! Creating objects in a [`KubeEnv`]: CRDs (from files or from the selected CRD set, see
//! [`crate::support::crds`]) and any multi-document YAML, as `kubectl create -f` would.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{
    Client,
    api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams},
    discovery::Scope,
};
use serde_json::Value;

use super::KubeEnv;
use super::yaml::{ensure_status_subresource, parse_yaml_documents, sanitize_crd_for_1_20};
use crate::support::crds;

impl KubeEnv {
    /// Creates every CustomResourceDefinition found in the given multi-document
    /// YAML files (other kinds are ignored), see [`install_crd_documents`](Self::install_crd_documents).
    ///
    /// Returns the names of the CRDs. Panics on any error.
    pub async fn install_crds<P: AsRef<Path>>(&self, paths: &[P]) -> Vec<String> {
        let mut docs = Vec::new();
        for path in paths {
            let path = path.as_ref();
            let text =
                fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let origin = path.display().to_string();
            docs.extend(
                parse_yaml_documents(&text, &origin)
                    .into_iter()
                    .map(|doc| (doc, origin.clone())),
            );
        }
        self.install_crd_documents(docs).await
    }

    /// Every CRD of the selected CRD set ([`crds::crd_set`]).
    pub async fn install_all_crds(&self) -> Vec<String> {
        self.install_crd_documents(crds::all()).await
    }

    /// The CRDs of the given API groups from the selected CRD set ([`crds::crd_set`]);
    /// panics, naming the set, when it has none of a group.
    pub async fn install_crd_groups(&self, groups: &[&str]) -> Vec<String> {
        self.install_crd_documents(crds::of_groups(groups)).await
    }

    /// Creates the CustomResourceDefinitions among `docs` (other kinds are ignored; each
    /// comes with where it was read, for messages), after removing what a 1.20 apiserver
    /// rejects (see [`sanitize_crd_for_1_20`]) and adding a missing status subresource (see
    /// [`ensure_status_subresource`]), and waits until all of them are
    /// Established. A CRD that already exists is replaced (last one wins, e.g. gateway-api
    /// standard vs experimental).
    ///
    /// Returns the names of the CRDs. Panics on any error.
    pub async fn install_crd_documents(&self, docs: Vec<(Value, String)>) -> Vec<String> {
        install_crd_documents_on(&self.client, docs).await
    }

    /// Waits until each named CRD has condition Established=True.
    pub async fn wait_crds_established(&self, names: &[String]) {
        wait_crds_established_on(&self.client, names).await
    }

    /// Creates every object of a multi-document YAML string (any kind,
    /// namespaced ones default to namespace `default`), in order. Panics on
    /// the first error.
    pub async fn apply_yaml(&self, yaml: &str) -> Vec<DynamicObject> {
        match self.try_apply_yaml(yaml).await {
            Ok(v) => v,
            Err(e) => panic!("apply_yaml failed: {e}"),
        }
    }

    /// Like [`apply_yaml`](Self::apply_yaml) but returns the first error
    /// (with the object it concerned) instead of panicking.
    pub async fn try_apply_yaml(&self, yaml: &str) -> Result<Vec<DynamicObject>, String> {
        let mut created = Vec::new();
        for doc in parse_yaml_documents(yaml, "apply_yaml input") {
            let obj: DynamicObject = serde_json::from_value(doc).map_err(|e| e.to_string())?;
            let types = obj
                .types
                .clone()
                .ok_or_else(|| format!("object without apiVersion/kind: {:?}", obj.metadata))?;
            let (group, version) = match types.api_version.split_once('/') {
                Some((g, v)) => (g.to_string(), v.to_string()),
                None => (String::new(), types.api_version.clone()),
            };
            let gvk = GroupVersionKind::gvk(&group, &version, &types.kind);
            let (ar, caps) = self.resolve_kind(&gvk).await?;
            let name = obj.metadata.name.clone().unwrap_or_default();
            let api: Api<DynamicObject> = match caps.scope {
                Scope::Namespaced => {
                    let ns = obj.metadata.namespace.as_deref().unwrap_or("default");
                    Api::namespaced_with(self.client.clone(), ns, &ar)
                }
                Scope::Cluster => Api::all_with(self.client.clone(), &ar),
            };
            let out = api
                .create(&PostParams::default(), &obj)
                .await
                .map_err(|e| format!("create {} {name:?}: {e}", types.kind))?;
            created.push(out);
        }
        Ok(created)
    }

    /// Discovery lookup, retried for a while: right after a CRD is
    /// Established its API can take a moment to show up in discovery.
    async fn resolve_kind(
        &self,
        gvk: &GroupVersionKind,
    ) -> Result<(ApiResource, kube::discovery::ApiCapabilities), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match kube::discovery::pinned_kind(&self.client, gvk).await {
                Ok(found) => return Ok(found),
                Err(e) if Instant::now() > deadline => {
                    return Err(format!(
                        "no API for {}/{} {} on the server: {e}",
                        gvk.group, gvk.version, gvk.kind
                    ));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }
}

/// [`KubeEnv::install_crd_documents`] on any API server (the benchmark's `generate`).
pub async fn install_crd_documents_on(client: &Client, docs: Vec<(Value, String)>) -> Vec<String> {
    let ar = ApiResource::erase::<CustomResourceDefinition>(&());
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let mut names = Vec::new();
    for (mut doc, origin) in docs {
        if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
            // e.g. the ValidatingAdmissionPolicy(Binding) in the gateway-api
            // bundles: not a CRD, and its API does not exist in 1.20.
            continue;
        }
        sanitize_crd_for_1_20(&mut doc);
        ensure_status_subresource(&mut doc);
        let name = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("CRD without metadata.name in {origin}"))
            .to_string();
        let mut obj: DynamicObject =
            serde_json::from_value(doc).unwrap_or_else(|e| panic!("CRD {name} from {origin}: {e}"));
        match api.create(&PostParams::default(), &obj).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {
                // Exists already (e.g. gateway-api standard after
                // experimental): replace it. The CRD controllers keep
                // updating its status, so retry on version conflicts.
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let existing = api
                        .get(&name)
                        .await
                        .unwrap_or_else(|e| panic!("get existing CRD {name}: {e}"));
                    obj.metadata.resource_version = existing.metadata.resource_version;
                    match api.replace(&name, &PostParams::default(), &obj).await {
                        Ok(_) => break,
                        Err(kube::Error::Api(s)) if s.code == 409 && attempt < 20 => {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => panic!("replace CRD {name} from {origin} failed: {e}"),
                    }
                }
            }
            Err(e) => panic!(
                "create CRD {name} from {origin} failed: {e}\n\
                 (if this is a new kind of rejection by the 1.20 apiserver, \
                 extend sanitize_crd_for_1_20 in tests/support/kube_env/yaml.rs)"
            ),
        }
        names.push(name);
    }
    wait_crds_established_on(client, &names).await;
    names
}

/// Waits until each named CRD has condition Established=True.
pub async fn wait_crds_established_on(client: &Client, names: &[String]) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let deadline = Instant::now() + Duration::from_secs(90);
    for name in names {
        loop {
            let crd = api
                .get(name)
                .await
                .unwrap_or_else(|e| panic!("get CRD {name}: {e}"));
            let established = crd
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c.type_ == "Established" && c.status == "True")
                });
            if established {
                break;
            }
            if Instant::now() > deadline {
                panic!(
                    "CRD {name} not Established after 90s; status: {:?}",
                    crd.status
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
