//! Garbage collector: when an owner goes away, its dependents follow (background
//! propagation, as `kubectl delete` does by default).

use serde_json::Value;

use super::Mode;
use super::workload;
use crate::demo::meta;
use crate::demo::ops::{self, DeleteOptions};
use crate::demo::store::Store;

pub fn collect_dependents(s: &mut Store, owner: &Value, mode: Mode) {
    let uid = meta::uid(owner);
    let ns = meta::namespace(owner);
    if uid.is_empty() || ns.is_empty() {
        return;
    }
    for gr in s.resources_in_namespace(ns) {
        for dep in s.snapshot(&gr, Some(ns)) {
            if !meta::owner_uids(&dep).any(|u| u == uid) {
                continue;
            }
            if gr == workload::PODS {
                workload::delete_pod(s, &dep, mode);
            } else if let Some(rt) = s.registry.get(&gr) {
                let opts = DeleteOptions {
                    precondition_uid: Some(meta::uid(&dep).to_string()),
                    ..Default::default()
                };
                let _ = ops::delete(s, &rt, ns, meta::name(&dep), &opts);
            }
        }
    }
}
