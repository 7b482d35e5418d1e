//! One watcher per kind, each projecting objects into lean `Obj`s and sending them to the
//! app loop. Watch, never poll: after the initial list only watch events arrive; errors are
//! retried with kube-runtime's backoff.

use std::fmt::Debug;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret, Service};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, PartialObjectMeta};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::kinds::{Kind, WatchState};
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

fn api_for<K>(client: Client, kind: Kind, ns: Option<&str>, _: &()) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match ns {
        Some(ns) if !kind.always_all_namespaces() && !kind.cluster_scoped() => {
            Api::namespaced(client, ns)
        }
        _ => Api::all(client),
    }
}

fn api_dyn(client: Client, kind: Kind, ns: Option<&str>, ar: &ApiResource) -> Api<DynamicObject> {
    match ns {
        Some(ns) if !kind.always_all_namespaces() && !kind.cluster_scoped() => {
            Api::namespaced_with(client, ns, ar)
        }
        _ => Api::all_with(client, ar),
    }
}

fn gvk(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
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
    let ns = ns.as_deref();
    let w = Watch {
        kind,
        generation,
        tx,
        client: client.clone(),
        once,
    };
    match kind {
        Kind::Namespaces => tokio::spawn(w.run(Api::<Namespace>::all(client), |n| {
            Obj::Namespace(NamespaceInfo::from(n))
        })),
        Kind::Pods => tokio::spawn(w.run(api_for::<Pod>(client, kind, ns, &()), |p| {
            Obj::Pod(PodInfo::from(p))
        })),
        Kind::Services => tokio::spawn(w.run(api_for::<Service>(client, kind, ns, &()), |s| {
            Obj::Service(ServiceInfo::from(s))
        })),
        Kind::Deployments => {
            tokio::spawn(w.run(api_for::<Deployment>(client, kind, ns, &()), |d| {
                Obj::Workload(WorkloadInfo::from(d))
            }))
        }
        Kind::StatefulSets => {
            tokio::spawn(w.run(api_for::<StatefulSet>(client, kind, ns, &()), |d| {
                Obj::Workload(WorkloadInfo::from(d))
            }))
        }
        Kind::DaemonSets => tokio::spawn(w.run(api_for::<DaemonSet>(client, kind, ns, &()), |d| {
            Obj::Workload(WorkloadInfo::from(d))
        })),
        Kind::GatewayClasses => {
            let ar = gvk(
                "gateway.networking.k8s.io",
                "v1",
                "GatewayClass",
                "gatewayclasses",
            );
            tokio::spawn(w.run(api_dyn(client, kind, ns, &ar), move |o| {
                typed_or_unreadable(kind, o, |t: &gateway_api::gatewayclasses::GatewayClass| {
                    Obj::GatewayClass(GatewayClassInfo::from(t))
                })
            }))
        }
        Kind::Gateways => {
            let ar = gvk("gateway.networking.k8s.io", "v1", "Gateway", "gateways");
            tokio::spawn(w.run(api_dyn(client, kind, ns, &ar), move |o| {
                typed_or_unreadable(kind, o, |t: &gateway_api::gateways::Gateway| {
                    Obj::Gateway(GatewayInfo::from(t))
                })
            }))
        }
        Kind::HttpRoutes => {
            let ar = gvk("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes");
            tokio::spawn(w.run(api_dyn(client, kind, ns, &ar), move |o| {
                typed_or_unreadable(kind, o, |t: &gateway_api::httproutes::HttpRoute| {
                    Obj::Route(RouteInfo::from(t))
                })
            }))
        }
        Kind::GrpcRoutes => {
            let ar = gvk("gateway.networking.k8s.io", "v1", "GRPCRoute", "grpcroutes");
            tokio::spawn(w.run(api_dyn(client, kind, ns, &ar), move |o| {
                typed_or_unreadable(kind, o, |t: &gateway_api::grpcroutes::GrpcRoute| {
                    Obj::Route(RouteInfo::from(t))
                })
            }))
        }
        Kind::VirtualServices => {
            // v1beta1: served by every Istio release in support (v1 only from 1.22 on).
            let ar = gvk(
                "networking.istio.io",
                "v1beta1",
                "VirtualService",
                "virtualservices",
            );
            tokio::spawn(w.run(api_dyn(client, kind, ns, &ar), move |o| {
                typed_or_unreadable(kind, o, |t: &VirtualService| Obj::Route(RouteInfo::from(t)))
            }))
        }
        Kind::PeerAuthentications => {
            let ar = gvk(
                "security.istio.io",
                "v1",
                "PeerAuthentication",
                "peerauthentications",
            );
            tokio::spawn(w.run(api_dyn(client, kind, ns, &ar), |o| {
                Obj::PeerAuth(PeerAuthInfo::from(o))
            }))
        }
        Kind::ApplicationLoadBalancers => {
            // AGC uses the singular word as its plural.
            let ar = gvk(
                "alb.networking.azure.io",
                "v1",
                "ApplicationLoadBalancer",
                "applicationloadbalancer",
            );
            tokio::spawn(w.run(api_dyn(client, kind, ns, &ar), |o| {
                Obj::Alb(AlbInfo::from(o))
            }))
        }
        Kind::FrontendTlsPolicies => {
            let ar = gvk(
                "alb.networking.azure.io",
                "v1",
                "FrontendTLSPolicy",
                "frontendtlspolicies",
            );
            tokio::spawn(w.run(api_dyn(client, kind, ns, &ar), |o| {
                Obj::FrontendTls(FrontendTlsPolicyInfo::from(o))
            }))
        }
        Kind::ControlPlanes => {
            let api = Api::<Deployment>::all(client);
            tokio::spawn(
                w.run_with(api, watcher::Config::default().labels("app=istiod"), |d| {
                    Obj::ControlPlane(WorkloadInfo::from(d))
                }),
            )
        }
        Kind::Ingresses => tokio::spawn(w.run(
            api_for::<k8s_openapi::api::networking::v1::Ingress>(client, kind, ns, &()),
            |i| Obj::Ingress(IngressInfo::from(i)),
        )),
        Kind::IngressClasses => tokio::spawn(w.run(
            Api::<k8s_openapi::api::networking::v1::IngressClass>::all(client),
            |c| Obj::IngressClass(IngressClassInfo::from(c)),
        )),
        Kind::ReferenceGrants => {
            // v1beta1: served by every Gateway API release that has the kind (v1 from 1.3).
            let ar = gvk(
                "gateway.networking.k8s.io",
                "v1beta1",
                "ReferenceGrant",
                "referencegrants",
            );
            tokio::spawn(w.run(api_dyn(client, kind, ns, &ar), |o| {
                Obj::ReferenceGrant(ReferenceGrantInfo::from(o))
            }))
        }
        Kind::TlsSecrets | Kind::IstioCaCerts | Kind::IstioCaSecrets => {
            // Lean: only the Secrets that can hold certificates are listed at all.
            let fields = match kind {
                Kind::TlsSecrets => format!("type={TLS_SECRET_TYPE}"),
                Kind::IstioCaCerts => format!("metadata.name={ISTIO_CACERTS}"),
                _ => format!("metadata.name={ISTIO_CA_SECRET}"),
            };
            let api = api_for::<Secret>(client, kind, ns, &());
            tokio::spawn(
                w.run_with(api, watcher::Config::default().fields(&fields), move |s| {
                    Obj::CertSecret(kind, SecretCerts::from(s))
                }),
            )
        }
        Kind::ConfigMaps => tokio::spawn(w.run(api_for::<ConfigMap>(client, kind, ns, &()), |c| {
            Obj::CertConfigMap(ConfigMapCerts::from(c))
        })),
        Kind::CertManagerCertificates => {
            let ar = gvk("cert-manager.io", "v1", "Certificate", "certificates");
            tokio::spawn(w.run(api_dyn(client, kind, ns, &ar), |o| {
                Obj::CmCertificate(CmCertificateInfo::from(o))
            }))
        }
        Kind::BackendTlsPolicies | Kind::AlbBackendTlsPolicies => {
            let group = if kind == Kind::BackendTlsPolicies {
                "gateway.networking.k8s.io"
            } else {
                "alb.networking.azure.io"
            };
            let ar = gvk(group, "v1", "BackendTLSPolicy", "backendtlspolicies");
            tokio::spawn(w.run(api_dyn(client, kind, ns, &ar), move |o| {
                Obj::TlsPolicy(TlsPolicyInfo::from_dynamic(kind, o))
            }))
        }
    }
}

struct Watch<M> {
    kind: Kind,
    generation: u64,
    tx: UnboundedSender<M>,
    client: Client,
    /// List once and stop (no watch, no retry).
    once: bool,
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
        self.run_with(api, watcher::Config::default(), project)
            .await
    }

    async fn run_with<K, F>(self, api: Api<K>, config: watcher::Config, project: F)
    where
        K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
        F: Fn(&K) -> Obj + Send + 'static,
    {
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
            if !wait_for_crd(&self.client, self.kind).await {
                return;
            }
            last_state = WatchState::Syncing;
            self.send(WatchEvent::State(WatchState::Syncing));
        }
    }
}

/// Blocks until the CRD of `kind` exists, by watching that one CRD by name. Returns false if
/// the CRD can't be watched (then a slow retry loop stands in, once a minute).
async fn wait_for_crd(client: &Client, kind: Kind) -> bool {
    let api: Api<PartialObjectMeta<CustomResourceDefinition>> = Api::all(client.clone());
    let cfg = watcher::Config::default().fields(&format!("metadata.name={}", kind.resource()));
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
        let obj = typed_or_unreadable(
            Kind::Gateways,
            &bad,
            |g: &gateway_api::gateways::Gateway| Obj::Gateway(GatewayInfo::from(g)),
        );
        match obj {
            Obj::Unreadable { kind, key, error } => {
                assert_eq!((kind, key), (Kind::Gateways, ObjKey::new("infra", "gw")));
                assert!(error.contains("invalid type"), "{error}");
            }
            other => panic!("expected unreadable, got {other:?}"),
        }
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
