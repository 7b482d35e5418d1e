//! Scheduler + kubelet stand-in: new pods get a node, then go Pending → Running with
//! Ready conditions after a short delay; terminating pods disappear after a moment.
//! A pod annotated `demo.meshctl.dev/fail` stays broken the way the value says.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{Value, json};

use crate::demo::engine::Engine;
use crate::demo::meta;
use crate::demo::ops::{self, DeleteOptions};
use crate::demo::store::{Change, ChangeKind, Store};

pub const FAIL_ANNOTATION: &str = "demo.meshctl.dev/fail";

/// Where a pod runs.
struct Placement {
    node: String,
    host_ip: String,
    pod_ip: String,
}

fn place(s: &Store, pod: &Value) -> Placement {
    let nodes = s.snapshot("nodes", None);
    let wanted = meta::str_at(pod, &["spec", "nodeName"]).filter(|n| !n.is_empty());
    let index = match wanted {
        Some(w) => nodes.iter().position(|n| meta::name(n) == w).unwrap_or(0),
        None if nodes.is_empty() => 0,
        None => fastrand::usize(..nodes.len()),
    };
    let node = nodes.get(index);
    let host_ip = node
        .and_then(|n| n["status"]["addresses"].as_array())
        .and_then(|a| a.iter().find(|x| x["type"] == "InternalIP"))
        .and_then(|x| x["address"].as_str())
        .map(String::from)
        .unwrap_or_else(|| format!("10.224.0.{}", index + 4));
    Placement {
        node: wanted
            .map(String::from)
            .or_else(|| node.map(|n| meta::name(n).to_string()))
            .unwrap_or_else(|| "meshctl-demo-node-1".into()),
        host_ip,
        pod_ip: format!("10.244.{index}.{}", fastrand::u8(2..254)),
    }
}

fn scheduled(pod: &mut Value, p: &Placement) {
    meta::map_at(pod, &["spec"]).insert("nodeName".into(), p.node.clone().into());
    let status = meta::map_at(pod, &["status"]);
    status.insert(
        "conditions".into(),
        json!([{"type": "PodScheduled", "status": "True", "lastTransitionTime": meta::now()}]),
    );
}

fn digest(seed: &str) -> String {
    (0u8..4)
        .map(|i| {
            let mut h = 0xcbf2_9ce4_8422_2325u64 ^ u64::from(i);
            for b in seed.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            format!("{h:016x}")
        })
        .collect()
}

fn container_status(c: &Value, now: &str, state: Value, ready: bool, restarts: i64) -> Value {
    let image = c["image"].as_str().unwrap_or_default();
    json!({
        "name": c["name"],
        "image": image,
        "imageID": format!("{image}@sha256:{}", digest(image)),
        "containerID": format!("containerd://{}", digest(&format!("{now}{}", fastrand::u64(..)))),
        "ready": ready,
        "started": ready || restarts == 0,
        "restartCount": restarts,
        "state": state,
        "lastState": {}
    })
}

fn cond(kind: &str, ok: bool, now: &str) -> Value {
    json!({"type": kind, "status": if ok { "True" } else { "False" }, "lastTransitionTime": now})
}

/// The status a kubelet reports once the pod's containers started (or failed to).
fn running(pod: &mut Value, p: &Placement) {
    let now = meta::now();
    let failure = meta::annotation(pod, FAIL_ANNOTATION).map(String::from);
    if failure.as_deref() == Some("Unschedulable") {
        let status = meta::map_at(pod, &["status"]);
        status.insert("phase".into(), "Pending".into());
        status.insert("conditions".into(), json!([{"type": "PodScheduled", "status": "False",
            "reason": "Unschedulable", "lastTransitionTime": now,
            "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."}]));
        return;
    }
    meta::map_at(pod, &["spec"]).insert("nodeName".into(), p.node.clone().into());
    let (phase, ready, state, restarts) = match failure.as_deref() {
        Some(reason @ ("ImagePullBackOff" | "ErrImagePull")) => (
            "Pending",
            false,
            json!({"waiting": {"reason": reason, "message": "Back-off pulling image"}}),
            0,
        ),
        Some("CrashLoopBackOff") => (
            "Running",
            false,
            json!({"waiting": {"reason": "CrashLoopBackOff",
                "message": "back-off 5m0s restarting failed container"}}),
            7,
        ),
        Some(_) => ("Running", false, json!({"running": {"startedAt": now}}), 0),
        None => ("Running", true, json!({"running": {"startedAt": now}}), 0),
    };
    // Only the first (application) container fails; sidecars run fine.
    let statuses: Vec<Value> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 {
                container_status(c, &now, state.clone(), ready, restarts)
            } else {
                let running = json!({"running": {"startedAt": now}});
                container_status(c, &now, running, true, 0)
            }
        })
        .collect();
    let init: Vec<Value> = pod["spec"]["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let done = json!({"terminated": {"exitCode": 0, "reason": "Completed",
                "startedAt": now, "finishedAt": now}});
            container_status(c, &now, done, false, 0)
        })
        .collect();
    let started = phase == "Running";
    let status = meta::map_at(pod, &["status"]);
    status.insert("phase".into(), phase.into());
    status.insert("hostIP".into(), p.host_ip.clone().into());
    status.insert("hostIPs".into(), json!([{"ip": p.host_ip}]));
    if started {
        status.insert("podIP".into(), p.pod_ip.clone().into());
        status.insert("podIPs".into(), json!([{"ip": p.pod_ip}]));
    }
    status.insert("startTime".into(), now.clone().into());
    status.insert("qosClass".into(), "Burstable".into());
    status.insert(
        "conditions".into(),
        json!([
            cond("PodReadyToStartContainers", started, &now),
            cond("Initialized", true, &now),
            cond("Ready", ready, &now),
            cond("ContainersReady", ready, &now),
            cond("PodScheduled", true, &now)
        ]),
    );
    status.insert("containerStatuses".into(), Value::Array(statuses));
    if !init.is_empty() {
        status.insert("initContainerStatuses".into(), Value::Array(init));
    }
}

/// Schedules and starts a pod immediately (demo start-up: a settled cluster).
pub fn start_now(s: &mut Store, pod: &Value) -> Option<Arc<Value>> {
    let p = place(s, pod);
    ops::mutate(s, "pods", meta::namespace(pod), meta::name(pod), |o| {
        running(o, &p)
    })
}

/// Reacts to pod changes with delayed, self-ending tasks (they hold only a Weak).
pub fn on_change(engine: &Weak<Engine>, c: &Change) {
    let pod = &c.object;
    let id = (
        meta::namespace(pod).to_string(),
        meta::name(pod).to_string(),
        meta::uid(pod).to_string(),
    );
    let pending = pod["status"]["phase"] == "Pending";
    match c.kind {
        ChangeKind::Added if pending && !meta::is_terminating(pod) => {
            tokio::spawn(start_later(engine.clone(), id));
        }
        ChangeKind::Modified
            if meta::is_terminating(pod)
                && !c.previous.as_deref().is_some_and(meta::is_terminating) =>
        {
            tokio::spawn(remove_later(engine.clone(), id));
        }
        _ => {}
    }
}

fn jitter(min_ms: u64, max_ms: u64) -> Duration {
    Duration::from_millis(fastrand::u64(min_ms..max_ms))
}

/// Runs `f` on the pod if it still exists with the same uid and is not terminating.
fn with_pod(
    engine: &Weak<Engine>,
    (ns, name, uid): &(String, String, String),
    f: impl FnOnce(&mut Store, &Value),
) -> bool {
    let Some(engine) = engine.upgrade() else {
        return false;
    };
    let mut s = engine.lock();
    let Some(pod) = s.get("pods", ns, name).cloned() else {
        return false;
    };
    if meta::uid(&pod) != uid || meta::is_terminating(&pod) {
        return false;
    }
    f(&mut s, &pod);
    true
}

async fn start_later(engine: Weak<Engine>, id: (String, String, String)) {
    tokio::time::sleep(jitter(100, 300)).await;
    let unschedulable =
        |pod: &Value| meta::annotation(pod, FAIL_ANNOTATION) == Some("Unschedulable");
    let ok = with_pod(&engine, &id, |s, pod| {
        let p = place(s, pod);
        if unschedulable(pod) {
            ops::mutate(s, "pods", &id.0, &id.1, |o| running(o, &p));
        } else {
            ops::mutate(s, "pods", &id.0, &id.1, |o| scheduled(o, &p));
        }
    });
    if !ok {
        return;
    }
    tokio::time::sleep(jitter(500, 1200)).await;
    with_pod(&engine, &id, |s, pod| {
        if pod["status"]["phase"] == "Pending" && !unschedulable(pod) {
            let p = place(s, pod);
            ops::mutate(s, "pods", &id.0, &id.1, |o| running(o, &p));
        }
    });
}

async fn remove_later(engine: Weak<Engine>, (ns, name, uid): (String, String, String)) {
    tokio::time::sleep(jitter(400, 900)).await;
    let Some(engine) = engine.upgrade() else {
        return;
    };
    let mut s = engine.lock();
    let Some(rt) = s.registry.get("pods") else {
        return;
    };
    let opts = DeleteOptions {
        grace_seconds: Some(0),
        precondition_uid: Some(uid),
        ..Default::default()
    };
    let _ = ops::delete(&mut s, &rt, &ns, &name, &opts);
}
