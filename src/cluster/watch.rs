//! One watcher per kind, each projecting objects into lean `Obj`s and sending them to the
//! app loop. Watch, never poll: after the initial list only watch events arrive; errors are
//! retried with kube-runtime's backoff.

use std::fmt::Debug;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret, Service};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube::api::{DynamicObject, PartialObjectMeta};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::kinds::{Kind, KindSpec, Scope, Selector, WatchState};
use super::objects::*;
use crate::cluster::cache::Obj;

/// What a watcher tells the app loop. `generation` tags the connection/scope it belongs to,
/// so messages from watchers of a previous context are dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchMsg {
    pub generation: u64,
    pub kind: Kind,
    pub event: WatchEvent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    /// A complete fresh list (after start or a re-list).
    Reset(Vec<Obj>),
    Apply(Box<Obj>),
    Delete(ObjKey),
    State(WatchState),
}

/// Spawns every watcher. Namespaced kinds honour `namespace` (None = all namespaces).
pub fn spawn_all<M: From<WatchMsg> + Send + 'static>(
    client: &Client,
    namespace: Option<&str>,
    generation: u64,
    tx: UnboundedSender<M>,
) -> Vec<JoinHandle<()>> {
    Kind::ALL
        .iter()
        .map(|k| {
            spawn_one(
                client.clone(),
                *k,
                namespace.map(String::from),
                generation,
                tx.clone(),
                false,
            )
        })
        .collect()
}

/// Lists each of `kinds` once with the same projections as the watchers, then stops: each
/// sends `Reset` and a final `State` (Live, NotInstalled, Forbidden or Failing), and ends.
/// No watch, no retry. For the non-interactive commands (`cluster::snapshot`).
pub fn spawn_list_once<M: From<WatchMsg> + Send + 'static>(
    client: &Client,
    kinds: &[Kind],
    namespace: Option<&str>,
    tx: UnboundedSender<M>,
) -> Vec<JoinHandle<()>> {
    kinds
        .iter()
        .map(|k| {
            spawn_one(
                client.clone(),
                *k,
                namespace.map(String::from),
                0,
                tx.clone(),
                true,
            )
        })
        .collect()
}

/// Reads a dynamic object into its typed form and projects it. A failure keeps the object
/// visible as unreadable instead of failing the whole list (as a typed list would).
fn typed_or_unreadable<T: DeserializeOwned>(
    kind: Kind,
    o: &DynamicObject,
    project: impl Fn(&T) -> Obj,
) -> Obj {
    match serde_json::to_value(o).and_then(serde_json::from_value::<T>) {
        Ok(t) => project(&t),
        Err(e) => Obj::Unreadable {
            kind,
            key: ObjKey::of(&o.metadata),
            error: e.to_string(),
        },
    }
}

fn spawn_one<M: From<WatchMsg> + Send + 'static>(
    client: Client,
    kind: Kind,
    ns: Option<String>,
    generation: u64,
    tx: UnboundedSender<M>,
    once: bool,
) -> JoinHandle<()> {
    let w = Watch {
        kind,
        spec: kind.spec(),
        namespace: ns,
        generation,
        tx,
        client,
        once,
    };
    projections(kind, w)
}

/// An object of `kind` projected the way its watcher projects it, e.g. a document of a
/// test fixture. Unlike a typed watcher, which fails its list, an object that does not read
/// as its type becomes `Obj::Unreadable`.
pub fn project(kind: Kind, obj: &DynamicObject) -> Obj {
    projections(kind, OneObject { kind, obj })
}

/// THE per-kind table of projections: how each kind's objects become lean `Obj`s (the
/// projections live in `objects/`). Where and how to watch comes from `kind.spec()`.
fn projections<P: Projector>(kind: Kind, w: P) -> P::Out {
    match kind {
        Kind::Namespaces => w.typed(|n: &Namespace| Obj::Namespace(NamespaceInfo::from(n))),
        Kind::Pods => w.typed(|p: &Pod| Obj::Pod(PodInfo::from(p))),
        Kind::Services => w.typed(|s: &Service| Obj::Service(ServiceInfo::from(s))),
        Kind::Deployments => w.typed(|d: &Deployment| Obj::Workload(WorkloadInfo::from(d))),
        Kind::StatefulSets => w.typed(|d: &StatefulSet| Obj::Workload(WorkloadInfo::from(d))),
        Kind::DaemonSets => w.typed(|d: &DaemonSet| Obj::Workload(WorkloadInfo::from(d))),
        Kind::ControlPlanes => w.typed(|d: &Deployment| Obj::ControlPlane(WorkloadInfo::from(d))),
        Kind::GatewayClasses => w.typed_crd(|t: &gateway_api::gatewayclasses::GatewayClass| {
            Obj::GatewayClass(GatewayClassInfo::from(t))
        }),
        Kind::Gateways => {
            w.typed_crd(|t: &gateway_api::gateways::Gateway| Obj::Gateway(GatewayInfo::from(t)))
        }
        Kind::HttpRoutes => {
            w.typed_crd(|t: &gateway_api::httproutes::HttpRoute| Obj::Route(RouteInfo::from(t)))
        }
        Kind::GrpcRoutes => {
            w.typed_crd(|t: &gateway_api::grpcroutes::GrpcRoute| Obj::Route(RouteInfo::from(t)))
        }
        Kind::VirtualServices => w.typed_crd(|t: &VirtualService| Obj::Route(RouteInfo::from(t))),
        Kind::PeerAuthentications => w.dynamic(|o| Obj::PeerAuth(PeerAuthInfo::from(o))),
        Kind::ApplicationLoadBalancers => w.dynamic(|o| Obj::Alb(AlbInfo::from(o))),
        Kind::FrontendTlsPolicies => {
            w.dynamic(|o| Obj::FrontendTls(FrontendTlsPolicyInfo::from(o)))
        }
        Kind::Ingresses => w.typed(|i: &Ingress| Obj::Ingress(IngressInfo::from(i))),
        Kind::IngressClasses => {
            w.typed(|c: &IngressClass| Obj::IngressClass(IngressClassInfo::from(c)))
        }
        Kind::ReferenceGrants => w.dynamic(|o| Obj::ReferenceGrant(ReferenceGrantInfo::from(o))),
        Kind::TlsSecrets | Kind::IstioCaCerts | Kind::IstioCaSecrets => {
            w.typed(move |s: &Secret| Obj::CertSecret(kind, SecretCerts::from(s)))
        }
        Kind::ConfigMaps => w.typed(|c: &ConfigMap| Obj::CertConfigMap(ConfigMapCerts::from(c))),
        Kind::CertManagerCertificates => {
            w.dynamic(|o| Obj::CmCertificate(CmCertificateInfo::from(o)))
        }
        Kind::BackendTlsPolicies | Kind::AlbBackendTlsPolicies => {
            w.dynamic(move |o| Obj::TlsPolicy(TlsPolicyInfo::from_dynamic(kind, o)))
        }
    }
}

/// How a kind's objects are read before its projection runs. `Watch` watches the kind;
/// `OneObject` projects a single object.
trait Projector {
    type Out;

    /// A built-in kind, as its k8s-openapi type `K` (which must be served where the
    /// kind's row says: checked in debug builds, so by every test that watches it).
    fn typed<K, F>(self, project: F) -> Self::Out
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
        K::Scope: TypedScope,
        F: Fn(&K) -> Obj + Send + 'static;

    /// A CRD kind read as its Rust type `T`: an object that does not read (schema drift,
    /// bad data) is kept as unreadable instead of failing the whole list.
    fn typed_crd<T, F>(self, project: F) -> Self::Out
    where
        T: DeserializeOwned + 'static,
        F: Fn(&T) -> Obj + Send + 'static;

    /// A kind read as `DynamicObject`s; the projection picks the fields it needs.
    fn dynamic<F>(self, project: F) -> Self::Out
    where
        F: Fn(&DynamicObject) -> Obj + Send + 'static;
}

struct OneObject<'a> {
    kind: Kind,
    obj: &'a DynamicObject,
}

impl Projector for OneObject<'_> {
    type Out = Obj;

    fn typed<K, F>(self, project: F) -> Obj
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
        K::Scope: TypedScope,
        F: Fn(&K) -> Obj + Send + 'static,
    {
        typed_or_unreadable(self.kind, self.obj, project)
    }

    fn typed_crd<T, F>(self, project: F) -> Obj
    where
        T: DeserializeOwned + 'static,
        F: Fn(&T) -> Obj + Send + 'static,
    {
        typed_or_unreadable(self.kind, self.obj, project)
    }

    fn dynamic<F>(self, project: F) -> Obj
    where
        F: Fn(&DynamicObject) -> Obj + Send + 'static,
    {
        project(self.obj)
    }
}

struct Watch<M> {
    kind: Kind,
    spec: KindSpec,
    /// The console's namespace scope (None = all namespaces); `spec.scope` decides whether
    /// this kind honours it.
    namespace: Option<String>,
    generation: u64,
    tx: UnboundedSender<M>,
    client: Client,
    /// List once and stop (no watch, no retry).
    once: bool,
}

/// Builds a typed `Api` for either scope: the scope is part of a k8s-openapi type.
trait TypedScope: Sized {
    /// Cluster-scoped: must agree with the row's `Scope::Cluster`.
    const CLUSTER: bool;
    fn api<K: Resource<Scope = Self, DynamicType = ()>>(client: Client, ns: Option<&str>)
    -> Api<K>;
}

impl TypedScope for NamespaceResourceScope {
    const CLUSTER: bool = false;
    fn api<K: Resource<Scope = Self, DynamicType = ()>>(
        client: Client,
        ns: Option<&str>,
    ) -> Api<K> {
        match ns {
            Some(ns) => Api::namespaced(client, ns),
            None => Api::all(client),
        }
    }
}

impl TypedScope for ClusterResourceScope {
    const CLUSTER: bool = true;
    fn api<K: Resource<Scope = Self, DynamicType = ()>>(client: Client, _: Option<&str>) -> Api<K> {
        Api::all(client)
    }
}

/// The group, version, kind and plural a k8s-openapi type is served at.
fn names_of<K: Resource<DynamicType = ()>>() -> [String; 4] {
    [
        K::group(&()).into_owned(),
        K::version(&()).into_owned(),
        K::kind(&()).into_owned(),
        K::plural(&()).into_owned(),
    ]
}

impl<M: From<WatchMsg> + Send + 'static> Watch<M> {
    /// The namespace to watch in: the console's scope, for kinds that honour it.
    fn namespace(&self) -> Option<&str> {
        match self.spec.scope {
            Scope::Namespaced => self.namespace.as_deref(),
            Scope::Cluster | Scope::EveryNamespace => None,
        }
    }

    fn config(&self) -> watcher::Config {
        list_config(&self.spec)
    }
}

/// Objects per list request. A page is held whole while it is read: 500 pods
/// (kube-runtime's default) parse to about 18 MB, mostly their managedFields as JSON trees,
/// and that space stays with the process (1k pods: 42 MB resident at 500, 30 MB at 100).
/// More pages cost no measurable time on the server (10k pods: the same list time at 100,
/// 250 and 500).
pub const LIST_PAGE_SIZE: u32 = 100;

fn list_config(spec: &KindSpec) -> watcher::Config {
    let config = watcher::Config::default().page_size(LIST_PAGE_SIZE);
    match spec.selector {
        Some(Selector::Label(s)) => config.labels(s),
        Some(Selector::Field(s)) => config.fields(s),
        None => config,
    }
}

impl<M: From<WatchMsg> + Send + 'static> Projector for Watch<M> {
    type Out = JoinHandle<()>;

    fn typed<K, F>(self, project: F) -> JoinHandle<()>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
        K::Scope: TypedScope,
        F: Fn(&K) -> Obj + Send + 'static,
    {
        let s = &self.spec;
        debug_assert_eq!(
            names_of::<K>(),
            [s.group, s.version, s.kind, s.plural].map(String::from),
            "{:?}: the type disagrees with the table",
            self.kind
        );
        debug_assert_eq!(
            K::Scope::CLUSTER,
            s.scope == Scope::Cluster,
            "{:?}",
            self.kind
        );
        let api = K::Scope::api::<K>(self.client.clone(), self.namespace());
        tokio::spawn(self.run(api, project))
    }

    fn typed_crd<T, F>(self, project: F) -> JoinHandle<()>
    where
        T: DeserializeOwned + 'static,
        F: Fn(&T) -> Obj + Send + 'static,
    {
        let kind = self.kind;
        Projector::dynamic(self, move |o| typed_or_unreadable(kind, o, &project))
    }

    fn dynamic<F>(self, project: F) -> JoinHandle<()>
    where
        F: Fn(&DynamicObject) -> Obj + Send + 'static,
    {
        let ar = self.spec.api_resource();
        let client = self.client.clone();
        let api = match self.namespace() {
            Some(ns) => Api::namespaced_with(client, ns, &ar),
            None => Api::all_with(client, &ar),
        };
        tokio::spawn(self.run(api, project))
    }
}

/// How a watcher error reads to the user.
fn classify(err: &watcher::Error) -> WatchState {
    let api_error = match err {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => match e {
            kube::Error::Api(s) => Some((s.code, s.message.clone())),
            other => return WatchState::Failing(short(&other.to_string())),
        },
        watcher::Error::WatchError(s) => Some((s.code, s.message.clone())),
        watcher::Error::NoResourceVersion => None,
    };
    match api_error {
        Some((404, _)) => WatchState::NotInstalled,
        Some((403, msg)) => WatchState::Forbidden(msg),
        Some((code, msg)) => WatchState::Failing(format!("{code}: {}", short(&msg))),
        None => WatchState::Failing(short(&err.to_string())),
    }
}

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

impl<M: From<WatchMsg> + Send + 'static> Watch<M> {
    fn send(&self, event: WatchEvent) -> bool {
        self.tx
            .send(M::from(WatchMsg {
                generation: self.generation,
                kind: self.kind,
                event,
            }))
            .is_ok()
    }

    async fn run<K, F>(self, api: Api<K>, project: F)
    where
        K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
        F: Fn(&K) -> Obj + Send + 'static,
    {
        let config = self.config();
        self.send(WatchEvent::State(WatchState::Syncing));
        let mut last_state = WatchState::Syncing;
        // Between restarts after a broken watch (see `relist` below).
        let mut relist_backoff = watcher::DefaultBackoff::default();
        loop {
            let mut stream = watcher::watcher(api.clone(), config.clone())
                .default_backoff()
                .boxed();
            let mut buffer: Vec<Obj> = Vec::new();
            let mut missing = false;
            let mut relist = false;
            while let Some(ev) = stream.next().await {
                let ok = match ev {
                    Ok(Event::Init) => {
                        buffer.clear();
                        true
                    }
                    Ok(Event::InitApply(k)) => {
                        buffer.push(project(&k));
                        true
                    }
                    Ok(Event::InitDone) => {
                        let objs = std::mem::take(&mut buffer);
                        let sent = self.send(WatchEvent::Reset(objs));
                        if last_state != WatchState::Live {
                            last_state = WatchState::Live;
                            self.send(WatchEvent::State(WatchState::Live));
                        }
                        if self.once {
                            return;
                        }
                        sent
                    }
                    Ok(Event::Apply(k)) => self.send(WatchEvent::Apply(Box::new(project(&k)))),
                    Ok(Event::Delete(k)) => {
                        let meta = k.meta();
                        self.send(WatchEvent::Delete(ObjKey::new(
                            meta.namespace.clone().unwrap_or_default(),
                            meta.name.clone().unwrap_or_default(),
                        )))
                    }
                    Err(e) if self.once => {
                        let state = classify(&e);
                        if state == WatchState::NotInstalled {
                            self.send(WatchEvent::Reset(Vec::new()));
                        }
                        self.send(WatchEvent::State(state));
                        return;
                    }
                    Err(e) => {
                        let state = classify(&e);
                        if state == WatchState::NotInstalled {
                            missing = true;
                        }
                        // A watch that broke after the list (server gone, network down) is
                        // resumed by kube-runtime from its resourceVersion, silently: nothing
                        // would ever say the connection is back and the kind would stay
                        // Failing. Start over with a list instead; its InitDone says so.
                        relist = matches!(state, WatchState::Failing(_))
                            && !matches!(e, watcher::Error::InitialListFailed(_));
                        let changed = state != last_state;
                        last_state = state.clone();
                        if missing {
                            self.send(WatchEvent::Reset(Vec::new()));
                        }
                        !changed || self.send(WatchEvent::State(state))
                    }
                };
                if !ok {
                    return; // the app loop is gone (or moved to another context)
                }
                if missing || relist {
                    break;
                }
            }
            if relist {
                // The new stream lists (with its own backoff while the server is away).
                if let Some(pause) = relist_backoff.next() {
                    tokio::time::sleep(pause).await;
                }
                continue;
            }
            if !missing {
                return;
            }
            self.send(WatchEvent::State(WatchState::NotInstalled));
            // Don't re-list a kind that does not exist: wait for its CRD to appear.
            if !wait_for_crd(&self.client, &self.spec).await {
                return;
            }
            last_state = WatchState::Syncing;
            self.send(WatchEvent::State(WatchState::Syncing));
        }
    }
}

/// Blocks until the CRD of `spec` exists, by watching that one CRD by name. Returns true
/// after a minute if the CRD can't be watched (a slow retry loop stands in), false when
/// there is nothing to wait for: a built-in kind whose API the server does not serve.
async fn wait_for_crd(client: &Client, spec: &KindSpec) -> bool {
    let Some(name) = spec.crd_name() else {
        return false;
    };
    let api: Api<PartialObjectMeta<CustomResourceDefinition>> = Api::all(client.clone());
    let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut stream = watcher::watcher(api, cfg).default_backoff().boxed();
    let mut seen = false;
    while let Some(ev) = stream.next().await {
        match ev {
            Ok(Event::InitApply(_)) | Ok(Event::Apply(_)) => seen = true,
            Ok(Event::InitDone) | Ok(Event::Init) | Ok(Event::Delete(_)) => {}
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                return true;
            }
        }
        if seen {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_watch_lists_in_small_pages_and_keeps_its_selector() {
        for kind in Kind::ALL {
            let spec = kind.spec();
            let config = list_config(&spec);
            assert_eq!(config.page_size, Some(LIST_PAGE_SIZE), "{kind:?}");
            match spec.selector {
                Some(Selector::Label(s)) => assert_eq!(config.label_selector.as_deref(), Some(s)),
                Some(Selector::Field(s)) => assert_eq!(config.field_selector.as_deref(), Some(s)),
                None => assert!(config.label_selector.is_none() && config.field_selector.is_none()),
            }
        }
    }

    fn dyn_obj(v: serde_json::Value) -> DynamicObject {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_malformed_object_becomes_unreadable_not_an_error() {
        let bad = dyn_obj(serde_json::json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "infra"},
            "spec": {"gatewayClassName": "x", "listeners": [{"name": "l", "port": "eighty", "protocol": "HTTP"}]}
        }));
        match project(Kind::Gateways, &bad) {
            Obj::Unreadable { kind, key, error } => {
                assert_eq!((kind, key), (Kind::Gateways, ObjKey::new("infra", "gw")));
                assert!(error.contains("invalid type"), "{error}");
            }
            other => panic!("expected unreadable, got {other:?}"),
        }
    }

    #[test]
    fn one_object_is_projected_as_its_watcher_projects_it() {
        let pod = dyn_obj(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "cart-1", "namespace": "shop"},
            "spec": {"containers": [{"name": "cart", "image": "cart:1"}]}
        }));
        assert!(
            matches!(project(Kind::Pods, &pod), Obj::Pod(p) if p.key == ObjKey::new("shop", "cart-1"))
        );
        let secret = dyn_obj(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "cacerts", "namespace": "istio-system"}
        }));
        assert!(matches!(
            project(Kind::IstioCaCerts, &secret),
            Obj::CertSecret(Kind::IstioCaCerts, s) if s.key.name == "cacerts"
        ));
    }

    /// Every kind has a watcher, its typed watcher reads the resource the table names (a
    /// debug assertion in `typed`), and the demo cluster serves it.
    #[tokio::test]
    async fn every_kind_is_listed_from_the_demo_cluster() {
        let demo = crate::demo::DemoCluster::start().expect("demo");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<WatchMsg>();
        for task in spawn_list_once(&demo.client(), &Kind::ALL, None, tx) {
            task.await.expect("a lister ends without panicking");
        }
        let mut states = std::collections::BTreeMap::new();
        let mut listed = std::collections::BTreeSet::new();
        while let Ok(m) = rx.try_recv() {
            match m.event {
                WatchEvent::State(s) => {
                    states.insert(m.kind, s);
                }
                WatchEvent::Reset(objs) => {
                    for o in objs {
                        if let Obj::CertSecret(k, s) = o {
                            listed.insert((k, s.key.name));
                        }
                    }
                }
                _ => {}
            }
        }
        for k in Kind::ALL {
            assert_eq!(states.get(&k), Some(&WatchState::Live), "{k:?}");
        }
        // Selectors reach the server: only the named Secrets come back.
        let ca: Vec<_> = listed
            .iter()
            .filter(|(k, _)| *k == Kind::IstioCaCerts)
            .collect();
        assert!(
            !ca.is_empty() && ca.iter().all(|(_, name)| name == "cacerts"),
            "{ca:?}"
        );
    }

    #[test]
    fn errors_are_classified_for_the_user() {
        let status = |code: u16, msg: &str| {
            kube::Error::Api(Box::new(
                kube::core::Status::failure(msg, "x").with_code(code),
            ))
        };
        assert_eq!(
            classify(&watcher::Error::InitialListFailed(status(404, "nf"))),
            WatchState::NotInstalled
        );
        assert_eq!(
            classify(&watcher::Error::InitialListFailed(status(
                403,
                "pods is forbidden"
            ))),
            WatchState::Forbidden("pods is forbidden".into())
        );
        assert!(
            matches!(classify(&watcher::Error::WatchFailed(status(500, "boom"))), WatchState::Failing(m) if m.contains("500"))
        );
    }
}
