//! A synthetic cluster of a given size, for benchmarks: the objects, a loader that
//! creates them on a real API server, and a churn driver that changes them at a rate.
//!
//! The shape follows a measured production cluster (10,021 pods, 2,009 Services, 1,015
//! Deployments, 1,002 HTTPRoutes, 1,006 TLS Secrets in 212 namespaces): 50 pods per
//! namespace `scale-0001`, `scale-0002`, ... (names never collide with the demo's),
//! Deployments of about 10 pods, each with a ReplicaSet `<app>-<hash>` owning its pods, two
//! Services (`<app>` and `<app>-canary`), an HTTPRoute 90/10 over them and a TLS Secret.
//! Namespaces cycle through `istio.io/rev=asm-1-22`, `istio-injection=enabled` and no
//! injection; injected pods carry an `istio-proxy` sidecar (annotation
//! `sidecar.istio.io/status`), the first app of every fourth revision namespace runs the
//! older `asm-1-21` sidecar (needs a restart), and about one pod in 37 is not ready. Odd
//! namespaces hold a Gateway `edge` (classes `istio` and `azure-alb-external`, Accepted
//! and Programmed) with an HTTPS listener per app of its own namespace and the next, each
//! with its app's Secret (real certificates from a pool of 64 with spread expiry; the key
//! is the demo's placeholder); each namespace has a VirtualService splitting 80/20 and a
//! ConfigMap `ca-bundle` with three PEMs.
//!
//! Assumed to sit on the demo's base assets, applied first: `assets/demo/00-crds.yaml`
//! (Gateway API and Istio CRDs), `20-istio-system.yaml` (control planes `asm-1-22` and
//! `asm-1-21`), `30-agc.yaml` (GatewayClass `azure-alb-external`, `alb-test-infra/alb-test`)
//! and `35-istio-gateway.yaml` (GatewayClass `istio`). The API server accepts the objects
//! without them (only CRDs are required); the console then reports the missing classes
//! and control planes. Nodes are `meshctl-demo-node-1..3`, as the demo's stand-ins.
//! The API server's Service CIDR must hold [`Size::services`] addresses.

mod certs;
mod churn;
mod load;
mod shape;

use serde_json::Value;

pub use self::churn::{Churn, ChurnReport, churn};
pub use self::load::{LoadReport, load};

/// The size of a synthetic cluster; every count follows from `pods`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub pods: usize,
}

impl Size {
    fn plan(&self) -> Vec<shape::Namespace> {
        shape::plan(self.pods)
    }

    /// One namespace per 50 pods (rounded up).
    pub fn namespaces(&self) -> usize {
        self.pods.div_ceil(shape::PODS_PER_NAMESPACE)
    }

    /// About one per 10 pods, per namespace rounded up; as many ReplicaSets, HTTPRoutes
    /// and TLS Secrets.
    pub fn deployments(&self) -> usize {
        self.plan().iter().map(|ns| ns.apps.len()).sum()
    }

    /// Two per Deployment.
    pub fn services(&self) -> usize {
        2 * self.deployments()
    }

    /// One per Deployment.
    pub fn http_routes(&self) -> usize {
        self.deployments()
    }

    /// One per Deployment.
    pub fn tls_secrets(&self) -> usize {
        self.deployments()
    }

    /// One per odd namespace.
    pub fn gateways(&self) -> usize {
        self.namespaces().div_ceil(2)
    }

    /// One per namespace.
    pub fn virtual_services(&self) -> usize {
        self.namespaces()
    }

    /// One per namespace (`ca-bundle`).
    pub fn config_maps(&self) -> usize {
        self.namespaces()
    }

    /// Pods running the stale sidecar revision (they need a restart).
    pub fn stale_pods(&self) -> usize {
        self.plan()
            .iter()
            .flat_map(|ns| ns.apps.iter())
            .filter(|a| a.stale)
            .map(|a| a.replicas)
            .sum()
    }

    /// Every object `objects` returns.
    pub fn objects(&self) -> usize {
        self.namespaces()
            + 2 * self.deployments() // Deployment + ReplicaSet
            + self.pods
            + self.services()
            + self.tls_secrets()
            + self.gateways()
            + self.http_routes()
            + self.virtual_services()
            + self.config_maps()
    }
}

/// Every object of a cluster of `size`, in create order (namespaces first, owners before
/// what they own, Secrets before the Gateways that use them), each complete with its
/// `status`. Deterministic: the same size gives the same objects (the certificates are
/// minted once per process). Owner references carry placeholder uids that [`load`] and
/// the demo's loader replace with the owners' real ones.
pub fn objects(size: &Size) -> Vec<Value> {
    let plan = size.plan();
    let mut out = Vec::with_capacity(size.objects());
    out.extend(plan.iter().map(shape::namespace));
    let mut cert = 0;
    for ns in &plan {
        let gw = &plan[ns.gateway_ns - 1];
        for app in &ns.apps {
            out.push(shape::tls_secret(app, ns, gw, cert));
            cert += 1;
        }
        out.push(shape::bundle(ns));
    }
    for ns in plan.iter().filter(|ns| ns.has_gateway()) {
        let served: Vec<&shape::Namespace> = plan
            .iter()
            .filter(|other| other.gateway_ns == ns.index)
            .collect();
        out.push(shape::gateway(ns, &served));
    }
    let mut node = 0;
    for ns in &plan {
        let gw = &plan[ns.gateway_ns - 1];
        for (j, app) in ns.apps.iter().enumerate() {
            out.push(shape::deployment(app, ns));
            out.push(shape::replica_set(app, ns));
            out.extend(shape::pods(app, ns, j, node));
            node += app.replicas;
            out.extend(shape::services(app, ns));
            out.push(shape::http_route(app, ns, gw));
        }
        out.extend(shape::virtual_service(ns));
    }
    out
}

#[cfg(test)]
mod tests;
