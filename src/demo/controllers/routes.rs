//! Gateway API status: the gateway controller acknowledges a spec change by moving
//! every condition's `observedGeneration` to the new generation. Other status
//! (accepted, resolved refs, programmed) stays as the assets describe it.

use serde_json::Value;

use crate::demo::meta;
use crate::demo::ops;
use crate::demo::store::{Change, ChangeKind, Store};

const GROUP: &str = ".gateway.networking.k8s.io";

pub fn is_gateway_api(gr: &str) -> bool {
    gr.strip_suffix(GROUP)
        .is_some_and(|plural| plural == "gateways" || plural.ends_with("routes"))
}

fn bump(conditions: &mut Value, generation: i64) {
    for c in conditions.as_array_mut().into_iter().flatten() {
        if c.get("observedGeneration")
            .is_some_and(|g| g.as_i64() != Some(generation))
        {
            meta::as_map(c).insert("observedGeneration".into(), generation.into());
        }
    }
}

pub fn on_change(s: &mut Store, c: &Change) {
    let generation = |v: &Value| meta::int_at(v, &["metadata", "generation"]);
    let Some(prev) = c.previous.as_deref() else {
        return;
    };
    let Some(g) = generation(&c.object) else {
        return;
    };
    if c.kind != ChangeKind::Modified || generation(prev) == Some(g) {
        return;
    }
    let obj = &c.object;
    ops::mutate(
        s,
        &c.group_resource,
        meta::namespace(obj),
        meta::name(obj),
        |o| {
            let Some(status) = o.get_mut("status") else {
                return;
            };
            if let Some(conds) = status.get_mut("conditions") {
                bump(conds, g);
            }
            for key in ["parents", "listeners"] {
                let entries = status.get_mut(key).and_then(Value::as_array_mut);
                for entry in entries.into_iter().flatten() {
                    if let Some(conds) = entry.get_mut("conditions") {
                        bump(conds, g);
                    }
                }
            }
        },
    );
}
