//! When each kind last changed, in each namespace: what lets a derivation tell that its
//! inputs are as they were and keep what it derived last time (see `state::memo`).
//!
//! Every change the cache takes (an object applied or deleted, a kind cleared or listed
//! again) advances one counter and stamps the kind, and the kind in the object's
//! namespace (the name for a Namespace object, "" for cluster-scoped kinds), with it. A
//! result derived at stamp `s` from kind `k` in namespace `n` is still valid while
//! `changed_in(k, n, s)` is false.

use std::collections::{BTreeMap, HashMap};

use super::kinds::Kind;

#[derive(Debug, Default, Clone)]
pub struct Stamps {
    /// The last stamp given out.
    seq: u64,
    /// Per kind: the last change in any namespace, and the last change that touched every
    /// namespace at once (a clear or a fresh list).
    kinds: BTreeMap<Kind, (u64, u64)>,
    /// Per kind and namespace: the last change of an object there.
    in_ns: BTreeMap<Kind, HashMap<String, u64>>,
}

impl Stamps {
    /// The stamp of the last change; a result derived now is valid as of it.
    pub fn now(&self) -> u64 {
        self.seq
    }

    /// An object of `kind` in namespace `ns` changed.
    pub fn touch(&mut self, kind: Kind, ns: &str) {
        self.seq += 1;
        self.kinds.entry(kind).or_default().0 = self.seq;
        let per_ns = self.in_ns.entry(kind).or_default();
        match per_ns.get_mut(ns) {
            Some(s) => *s = self.seq,
            None => {
                per_ns.insert(ns.to_string(), self.seq);
            }
        }
    }

    /// Every object of `kind` may have changed (cleared, listed again).
    pub fn touch_all(&mut self, kind: Kind) {
        self.seq += 1;
        *self.kinds.entry(kind).or_default() = (self.seq, self.seq);
        // Older per-namespace stamps are all below the kind-wide one now.
        self.in_ns.remove(&kind);
    }

    /// Whether any object of `kind` changed after stamp `since`.
    pub fn changed(&self, kind: Kind, since: u64) -> bool {
        self.kinds.get(&kind).is_some_and(|(any, _)| *any > since)
    }

    /// Whether an object of `kind` in namespace `ns` changed after stamp `since`.
    pub fn changed_in(&self, kind: Kind, ns: &str, since: u64) -> bool {
        let Some((any, all)) = self.kinds.get(&kind) else {
            return false;
        };
        if *any <= since {
            return false;
        }
        *all > since
            || self
                .in_ns
                .get(&kind)
                .and_then(|m| m.get(ns))
                .is_some_and(|s| *s > since)
    }

    /// Whether any of `kinds` changed after `since`.
    pub fn any_changed(&self, kinds: &[Kind], since: u64) -> bool {
        kinds.iter().any(|k| self.changed(*k, since))
    }

    /// The namespaces where `kind` changed after `since`; None when every namespace may
    /// have (a clear or a fresh list since).
    pub fn namespaces_changed(&self, kind: Kind, since: u64) -> Option<Vec<&str>> {
        let Some((any, all)) = self.kinds.get(&kind) else {
            return Some(Vec::new());
        };
        if *any <= since {
            return Some(Vec::new());
        }
        if *all > since {
            return None;
        }
        Some(
            self.in_ns
                .get(&kind)
                .into_iter()
                .flatten()
                .filter(|(_, s)| **s > since)
                .map(|(ns, _)| ns.as_str())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_seen_in_its_namespace_and_kind_only() {
        let mut s = Stamps::default();
        s.touch(Kind::Pods, "shop");
        let t = s.now();
        assert!(!s.changed(Kind::Pods, t));
        s.touch(Kind::Pods, "pay");
        assert!(s.changed(Kind::Pods, t));
        assert!(s.changed_in(Kind::Pods, "pay", t));
        assert!(!s.changed_in(Kind::Pods, "shop", t));
        assert!(!s.changed(Kind::Services, t));
        assert_eq!(s.namespaces_changed(Kind::Pods, t), Some(vec!["pay"]));
        assert_eq!(s.namespaces_changed(Kind::Services, t), Some(vec![]));
    }

    #[test]
    fn a_fresh_list_changes_every_namespace() {
        let mut s = Stamps::default();
        s.touch(Kind::Pods, "shop");
        let t = s.now();
        s.touch_all(Kind::Pods);
        assert!(s.changed_in(Kind::Pods, "anything", t));
        assert_eq!(s.namespaces_changed(Kind::Pods, t), None);
        let t2 = s.now();
        s.touch(Kind::Pods, "shop");
        assert!(!s.changed_in(Kind::Pods, "pay", t2));
        assert!(s.changed_in(Kind::Pods, "shop", t2));
    }
}
