//! The object store: JSON objects keyed by (resource, namespace, name), one global
//! resourceVersion counter, a bounded change history for watches that resume, and a
//! broadcast channel that pushes every change to live watchers and controllers.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;

use super::meta;
use super::resources::Registry;

/// How many changes a resuming watch can catch up on before it gets 410 Gone.
pub const HISTORY_LIMIT: usize = 10_000;
/// Changes a live receiver may lag behind before it must replay from history.
const CHANNEL_CAPACITY: usize = 4_096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

/// One committed write. `previous` lets watches with selectors turn a change that
/// leaves their selection into DELETED (and one that enters it into ADDED).
#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    pub group_resource: String,
    pub kind: ChangeKind,
    pub object: Arc<Value>,
    pub previous: Option<Arc<Value>>,
}

type Key = (String, String);

pub struct Store {
    pub registry: Registry,
    rv: u64,
    objects: HashMap<String, BTreeMap<Key, Arc<Value>>>,
    history: VecDeque<Arc<Change>>,
    /// Watches from a resourceVersion older than this get 410 Gone.
    compacted_rv: u64,
    tx: broadcast::Sender<Arc<Change>>,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            registry: Registry::default(),
            rv: 0,
            objects: HashMap::new(),
            history: VecDeque::new(),
            compacted_rv: 0,
            tx: broadcast::channel(CHANNEL_CAPACITY).0,
        }
    }
}

fn key(obj: &Value) -> Key {
    (
        meta::namespace(obj).to_string(),
        meta::name(obj).to_string(),
    )
}

fn set_rv(obj: &mut Value, rv: u64) {
    meta::map_at(obj, &["metadata"]).insert("resourceVersion".into(), rv.to_string().into());
}

impl Store {
    pub fn rv(&self) -> u64 {
        self.rv
    }

    pub fn get(&self, gr: &str, ns: &str, name: &str) -> Option<&Arc<Value>> {
        self.objects
            .get(gr)?
            .get(&(ns.to_string(), name.to_string()))
    }

    /// Objects of a resource, in one namespace or all, sorted by namespace then name.
    pub fn list<'a>(
        &'a self,
        gr: &str,
        ns: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Arc<Value>> + use<'a> {
        // Keys sort by namespace first: one namespace is a range, not a scan of all.
        let from: Key = (ns.unwrap_or_default().to_string(), String::new());
        self.objects
            .get(gr)
            .into_iter()
            .flat_map(move |m| m.range(from.clone()..))
            .take_while(move |((o_ns, _), _)| ns.is_none_or(|ns| ns == o_ns))
            .map(|(_, v)| v)
    }

    /// Clones of the objects of a resource (for controllers that write while iterating).
    pub fn snapshot(&self, gr: &str, ns: Option<&str>) -> Vec<Arc<Value>> {
        self.list(gr, ns).cloned().collect()
    }

    pub fn namespaces_with(&self, gr: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .list(gr, None)
            .map(|o| meta::namespace(o).to_string())
            .collect();
        out.dedup();
        out
    }

    fn record(
        &mut self,
        gr: &str,
        kind: ChangeKind,
        object: Arc<Value>,
        previous: Option<Arc<Value>>,
    ) {
        let change = Arc::new(Change {
            rv: self.rv,
            group_resource: gr.to_string(),
            kind,
            object,
            previous,
        });
        if self.history.len() >= HISTORY_LIMIT
            && let Some(old) = self.history.pop_front()
        {
            self.compacted_rv = old.rv;
        }
        self.history.push_back(change.clone());
        // No receiver is fine: nobody is watching.
        let _ = self.tx.send(change);
    }

    /// Stores a new object (caller checked it does not exist).
    pub fn insert(&mut self, gr: &str, mut obj: Value) -> Arc<Value> {
        self.rv += 1;
        set_rv(&mut obj, self.rv);
        let obj = Arc::new(obj);
        self.objects
            .entry(gr.to_string())
            .or_default()
            .insert(key(&obj), obj.clone());
        self.record(gr, ChangeKind::Added, obj.clone(), None);
        obj
    }

    /// Replaces an existing object. A write that changes nothing keeps the old
    /// resourceVersion and emits no event, like the real server.
    pub fn replace(&mut self, gr: &str, mut obj: Value) -> Arc<Value> {
        let k = key(&obj);
        let previous = self.objects.get(gr).and_then(|m| m.get(&k)).cloned();
        if let Some(prev) = &previous {
            if let Some(prev_rv) = meta::resource_version(prev) {
                let prev_rv = prev_rv.to_string();
                meta::map_at(&mut obj, &["metadata"])
                    .insert("resourceVersion".into(), prev_rv.into());
            }
            if **prev == obj {
                return prev.clone();
            }
        }
        self.rv += 1;
        set_rv(&mut obj, self.rv);
        let obj = Arc::new(obj);
        self.objects
            .entry(gr.to_string())
            .or_default()
            .insert(k, obj.clone());
        let kind = if previous.is_some() {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        self.record(gr, kind, obj.clone(), previous);
        obj
    }

    /// Removes an object; the DELETED event carries a fresh resourceVersion.
    pub fn remove(&mut self, gr: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
        let old = self
            .objects
            .get_mut(gr)?
            .remove(&(ns.to_string(), name.to_string()))?;
        self.rv += 1;
        let mut gone = (*old).clone();
        set_rv(&mut gone, self.rv);
        let gone = Arc::new(gone);
        self.record(gr, ChangeKind::Deleted, gone.clone(), Some(old));
        Some(gone)
    }

    /// Drops every object of a resource (CRD removal).
    pub fn remove_all(&mut self, gr: &str) {
        let keys: Vec<Key> = self
            .objects
            .get(gr)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for (ns, name) in keys {
            self.remove(gr, &ns, &name);
        }
    }

    /// Every group-resource that has objects in `ns`.
    pub fn resources_in_namespace(&self, ns: &str) -> Vec<String> {
        self.objects
            .iter()
            .filter(|(_, m)| m.keys().any(|(o_ns, _)| o_ns == ns))
            .map(|(gr, _)| gr.clone())
            .collect()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.tx.subscribe()
    }

    /// Live receivers of changes: open watch streams plus the controller loop.
    pub fn subscriber_count(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Changes after `rv`, or `Err(oldest rv still known)` when history no longer reaches back.
    pub fn changes_since(&self, rv: u64) -> Result<Vec<Arc<Change>>, u64> {
        if rv < self.compacted_rv {
            return Err(self.compacted_rv);
        }
        let start = self.history.partition_point(|c| c.rv <= rv);
        Ok(self.history.range(start..).cloned().collect())
    }

    /// Forgets all history, like an etcd compaction (tests use it to provoke 410).
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted_rv = self.rv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm(name: &str, data: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "ns"}, "data": {"k": data}})
    }

    #[test]
    fn rv_and_history() {
        let mut s = Store::default();
        let mut rx = s.subscribe();
        s.insert("configmaps", cm("a", "1"));
        let same = s.replace("configmaps", cm("a", "1"));
        assert_eq!(meta::resource_version(&same), Some("1"), "no-op keeps rv");
        s.replace("configmaps", cm("a", "2"));
        s.remove("configmaps", "ns", "a");
        assert_eq!(s.rv(), 3);
        let kinds: Vec<_> = s.changes_since(1).unwrap().iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ChangeKind::Modified, ChangeKind::Deleted]);
        assert_eq!(rx.try_recv().unwrap().kind, ChangeKind::Added);
        s.compact();
        assert_eq!(s.changes_since(1).unwrap_err(), 3);
        assert!(s.changes_since(3).unwrap().is_empty());
    }
}
