//! The churn driver: changes to a loaded synthetic cluster at a steady rate, like a
//! rollout during a node drain. Changes are evenly spaced; at most `max_in_flight` are
//! in flight, and a tick that finds them all busy is counted as skipped (never queued).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::Size;
use super::load::{api_for, create};
use super::shape::{self, Namespace};

/// The seed of the object choice: the same size and churn change the same objects.
const SEED: u64 = 0x6d65_7368_6374_6c00;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Churn {
    /// Changes per second.
    pub rate: u32,
    pub seconds: u32,
}

impl Churn {
    /// A quarter second of changes may be in flight (at least 8).
    pub fn max_in_flight(&self) -> usize {
        (self.rate as usize / 4).max(8)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChurnReport {
    /// Changes started (each is one to three requests).
    pub issued: usize,
    /// Changes that got an error.
    pub failed: usize,
    /// Ticks that found `max_in_flight` changes in flight.
    pub skipped: usize,
    pub elapsed: Duration,
    /// Pod label + annotation merge patches (about 60 %).
    pub labels: usize,
    /// Pod ready flips through `/status` (about 20 %).
    pub readiness: usize,
    /// Pods deleted and created again under a new name, as a ReplicaSet does (about 15 %).
    pub recreated: usize,
    /// HTTPRoute weight changes (about 5 %).
    pub weights: usize,
    /// The first error, for the report.
    pub first_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    Label,
    Ready,
    Recreate,
    Weight,
}

pub(super) fn pick_change(r: u32) -> Change {
    match r {
        0..60 => Change::Label,
        60..80 => Change::Ready,
        80..95 => Change::Recreate,
        _ => Change::Weight,
    }
}

struct PodSlot {
    ns: usize,
    app: usize,
    name: String,
    node: usize,
    ready: bool,
    busy: bool,
}

struct RouteSlot {
    ns: usize,
    app: usize,
    busy: bool,
}

enum Target {
    Pod(usize),
    Route(usize),
}

struct Done {
    target: Target,
    /// The pod's readiness after a ready flip.
    ready: Option<bool>,
    result: Result<(), String>,
}

type Pending = Pin<Box<dyn Future<Output = Done> + Send>>;

struct State {
    plan: Vec<Namespace>,
    pods: Vec<PodSlot>,
    routes: Vec<RouteSlot>,
    rng: fastrand::Rng,
    serial: u64,
}

impl State {
    fn new(size: &Size) -> State {
        let plan = shape::plan(size.pods);
        let mut pods = Vec::with_capacity(size.pods);
        let mut routes = Vec::new();
        for (n, ns) in plan.iter().enumerate() {
            for (a, app) in ns.apps.iter().enumerate() {
                routes.push(RouteSlot {
                    ns: n,
                    app: a,
                    busy: false,
                });
                for (k, pod) in shape::pods(app, ns, a, pods.len()).iter().enumerate() {
                    pods.push(PodSlot {
                        ns: n,
                        app: a,
                        name: shape::pod_name(app, ns, k),
                        node: pods.len(),
                        ready: pod["status"]["conditions"][1]["status"] == "True",
                        busy: false,
                    });
                }
            }
        }
        State {
            plan,
            pods,
            routes,
            rng: fastrand::Rng::with_seed(SEED),
            serial: 0,
        }
    }

    /// A free slot from a random start, probing onwards.
    fn free(rng: &mut fastrand::Rng, busy: impl Fn(usize) -> bool, len: usize) -> Option<usize> {
        if len == 0 {
            return None;
        }
        let start = rng.usize(0..len);
        (0..len.min(64))
            .map(|i| (start + i) % len)
            .find(|i| !busy(*i))
    }

    /// Starts one change, or `None` when every candidate is busy.
    fn issue(&mut self, client: &kube::Client) -> Option<(Change, Pending)> {
        let change = pick_change(self.rng.u32(0..100));
        self.serial += 1;
        let serial = self.serial;
        let client = client.clone();
        if change == Change::Weight {
            let i = Self::free(&mut self.rng, |i| self.routes[i].busy, self.routes.len())?;
            let slot = &mut self.routes[i];
            slot.busy = true;
            let ns = &self.plan[slot.ns];
            let app = &ns.apps[slot.app];
            let route = shape::http_route(app, ns, &self.plan[ns.gateway_ns - 1]);
            let stable = 50 + 10 * self.rng.u32(0..6);
            let patch = json!({"spec": {"rules": shape::route_rules(app, stable)}});
            let fut = async move {
                let result = patch_object(&client, &route, patch).await;
                Done {
                    target: Target::Route(i),
                    ready: None,
                    result,
                }
            };
            return Some((change, Box::pin(fut)));
        }
        let i = Self::free(&mut self.rng, |i| self.pods[i].busy, self.pods.len())?;
        let slot = &mut self.pods[i];
        slot.busy = true;
        let ns = &self.plan[slot.ns];
        let app = &ns.apps[slot.app];
        let pod = shape::pod_named(app, ns, &slot.name, slot.node, slot.ready);
        let fut: Pending = match change {
            Change::Label => {
                let patch = json!({"metadata": {
                    "labels": {"meshctl.dev/churn": (serial % 1000).to_string()},
                    "annotations": {"meshctl.dev/churn-serial": serial.to_string()}}});
                Box::pin(async move {
                    let result = patch_object(&client, &pod, patch).await;
                    Done {
                        target: Target::Pod(i),
                        ready: None,
                        result,
                    }
                })
            }
            Change::Ready => {
                let ready = !slot.ready;
                let status = shape::pod_status(&pod["spec"]["containers"], slot.node, ready);
                Box::pin(async move {
                    let result = patch_status(&client, &pod, status).await;
                    Done {
                        target: Target::Pod(i),
                        ready: Some(ready),
                        result,
                    }
                })
            }
            Change::Recreate | Change::Weight => {
                let name = format!(
                    "{}-{}",
                    shape::replica_set_name(app),
                    shape::suffix(self.rng.u64(..), 5)
                );
                let fresh = shape::pod_named(app, ns, &name, slot.node, true);
                slot.name = name;
                slot.ready = true;
                Box::pin(async move {
                    let result = recreate(&client, &pod, fresh).await;
                    Done {
                        target: Target::Pod(i),
                        ready: None,
                        result,
                    }
                })
            }
        };
        Some((change, fut))
    }

    fn finish(&mut self, done: &Done) {
        match done.target {
            Target::Pod(i) => {
                let slot = &mut self.pods[i];
                slot.busy = false;
                if let (Some(ready), Ok(())) = (done.ready, &done.result) {
                    slot.ready = ready;
                }
            }
            Target::Route(i) => self.routes[i].busy = false,
        }
    }
}

fn name_of(obj: &Value) -> &str {
    obj["metadata"]["name"].as_str().unwrap_or_default()
}

async fn patch_object(client: &kube::Client, obj: &Value, patch: Value) -> Result<(), String> {
    api_for(client, obj)?
        .patch(name_of(obj), &PatchParams::default(), &Patch::Merge(patch))
        .await
        .map(drop)
        .map_err(|e| format!("patch {}: {e}", super::load::describe(obj)))
}

async fn patch_status(client: &kube::Client, obj: &Value, status: Value) -> Result<(), String> {
    api_for(client, obj)?
        .patch_status(
            name_of(obj),
            &PatchParams::default(),
            &Patch::Merge(json!({ "status": status })),
        )
        .await
        .map(drop)
        .map_err(|e| format!("status of {}: {e}", super::load::describe(obj)))
}

/// Deletes a pod at once (no kubelet confirms a graceful delete) and creates its
/// replacement, owned by the deleted pod's owner.
async fn recreate(client: &kube::Client, old: &Value, mut fresh: Value) -> Result<(), String> {
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        ..DeleteParams::default()
    };
    let deleted = api_for(client, old)?
        .delete(name_of(old), &params)
        .await
        .map_err(|e| format!("delete {}: {e}", super::load::describe(old)))?;
    if let Some(gone) = deleted.left()
        && let Some(refs) = gone.metadata.owner_references
    {
        fresh["metadata"]["ownerReferences"] =
            serde_json::to_value(refs).map_err(|e| e.to_string())?;
    }
    create(client, &fresh, None).await.map(drop)
}

/// Changes the cluster `objects(size)` created: `churn.rate` changes per second, evenly
/// spaced, for `churn.seconds`, then waits for those in flight. Pod label/annotation
/// merge patches (most), pod ready flips through `/status`, pod delete + create, HTTPRoute
/// weight changes; the objects are chosen by a seeded generator. Errors are counted, not
/// fatal.
pub async fn churn(
    client: &kube::Client,
    size: &Size,
    churn: Churn,
) -> Result<ChurnReport, String> {
    let started = tokio::time::Instant::now();
    let mut report = ChurnReport::default();
    if churn.rate == 0 || churn.seconds == 0 {
        return Ok(report);
    }
    let mut state = State::new(size);
    if state.pods.is_empty() {
        return Err("a cluster without pods has nothing to churn".into());
    }
    let period = Duration::from_secs(1) / churn.rate;
    let ticks = churn.rate * churn.seconds;
    let mut in_flight: FuturesUnordered<Pending> = FuturesUnordered::new();
    let record = |state: &mut State, report: &mut ChurnReport, done: Done| {
        state.finish(&done);
        if let Err(e) = done.result {
            report.failed += 1;
            report.first_error.get_or_insert(e);
        }
    };
    for tick in 0..ticks {
        let due = started + period * tick;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(due) => break,
                Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                    record(&mut state, &mut report, done);
                }
            }
        }
        if in_flight.len() >= churn.max_in_flight() {
            report.skipped += 1;
            continue;
        }
        let Some((change, fut)) = state.issue(client) else {
            report.skipped += 1;
            continue;
        };
        report.issued += 1;
        match change {
            Change::Label => report.labels += 1,
            Change::Ready => report.readiness += 1,
            Change::Recreate => report.recreated += 1,
            Change::Weight => report.weights += 1,
        }
        in_flight.push(fut);
    }
    while let Some(done) = in_flight.next().await {
        record(&mut state, &mut report, done);
    }
    report.elapsed = started.elapsed();
    Ok(report)
}
