//! Derive only what changed: results kept between derivations, each with the inputs it was
//! derived from, and derived again only when one of those inputs changed since
//! (`cluster::stamps`). A pod event in one namespace re-derives that namespace's rows and
//! findings, not the cluster's.
//!
//! Two shapes cover the derivations so far:
//! - [`Whole`]: one result over whole kinds (the traffic findings, the certificate
//!   inventory): derived again when any of its kinds changed anywhere.
//! - [`PerObject`]: one result per object, with the namespaces it read (a gateway's
//!   subtree reads the Services and pods of its routes' backends, wherever they are).
//! - [`PerNamespace`]: one result per namespace (Mesh rows, mesh findings): a namespace's
//!   result is derived again when one of its `own` kinds changed *in that namespace*, and
//!   every namespace's when one of its `shared` kinds changed anywhere (control planes,
//!   say, which every namespace's row reads).
//!
//! Anything else a result depends on (the kinds being trusted, the namespace scope, the
//! clock) is the caller's `key`: a different key drops every result.
//!
//! The rule for a new derivation: name every kind it reads, in the namespace it reads it
//! (own) or anywhere (shared). Reading a kind it does not name makes it stale; naming too
//! much only costs time. `state::memo_tests` checks every memoised derivation against a
//! full one over random event sequences.

use std::collections::BTreeMap;

use crate::cluster::cache::Stamps;
use crate::cluster::kinds::Kind;

/// The kinds a derivation reads.
#[derive(Debug, Clone, Copy)]
pub struct Inputs {
    /// Read only in the namespace the result is for.
    pub own: &'static [Kind],
    /// Read in any namespace.
    pub shared: &'static [Kind],
}

/// One result over whole kinds.
#[derive(Debug, Clone)]
pub struct Whole<K, V> {
    kept: Option<(K, u64, V)>,
}

impl<K, V> Default for Whole<K, V> {
    fn default() -> Self {
        Whole { kept: None }
    }
}

impl<K: PartialEq, V> Whole<K, V> {
    /// The result for `key` as of `stamps`: the kept one if none of `kinds` changed since
    /// it was derived, else `derive()`'s.
    pub fn get(
        &mut self,
        stamps: &Stamps,
        kinds: &[Kind],
        key: K,
        derive: impl FnOnce() -> V,
    ) -> &V {
        let fresh =
            matches!(&self.kept, Some((k, at, _)) if *k == key && !stamps.any_changed(kinds, *at));
        if !fresh {
            self.kept = Some((key, stamps.now(), derive()));
        }
        &self.kept.as_ref().expect("kept above").2
    }

    pub fn clear(&mut self) {
        self.kept = None;
    }
}

/// One result per namespace. A namespace's result is dropped when its Namespace object
/// changes (or goes), so the derivations name `Kind::Namespaces` among their own inputs.
#[derive(Debug, Clone)]
pub struct PerNamespace<K, V> {
    /// The key and stamp the kept results are valid at.
    at: Option<(K, u64)>,
    kept: BTreeMap<String, V>,
}

impl<K, V> Default for PerNamespace<K, V> {
    fn default() -> Self {
        PerNamespace {
            at: None,
            kept: BTreeMap::new(),
        }
    }
}

impl<K: PartialEq, V> PerNamespace<K, V> {
    /// Drops what `stamps` says changed since the last sync (every result when the key or
    /// a shared kind changed), so that [`Self::get`] derives those again.
    pub fn sync(&mut self, stamps: &Stamps, inputs: Inputs, key: K) {
        let since = match &self.at {
            Some((k, at)) if *k == key => *at,
            _ => {
                self.kept.clear();
                self.at = Some((key, stamps.now()));
                return;
            }
        };
        if stamps.any_changed(inputs.shared, since) {
            self.kept.clear();
        } else {
            for kind in inputs.own {
                match stamps.namespaces_changed(*kind, since) {
                    None => {
                        self.kept.clear();
                        break;
                    }
                    Some(nss) => {
                        for ns in nss {
                            self.kept.remove(ns);
                        }
                    }
                }
            }
        }
        if let Some((_, at)) = &mut self.at {
            *at = stamps.now();
        }
    }

    /// Namespace `ns`'s result: kept since the last sync, or derived now. Call
    /// [`Self::sync`] first.
    pub fn get(&mut self, ns: &str, derive: impl FnOnce() -> V) -> &V {
        if !self.kept.contains_key(ns) {
            self.kept.insert(ns.to_string(), derive());
        }
        &self.kept[ns]
    }

    /// Namespace `ns`'s result if it is kept (derived by [`Self::get`] since it changed).
    pub fn kept(&self, ns: &str) -> Option<&V> {
        self.kept.get(ns)
    }

    pub fn clear(&mut self) {
        self.at = None;
        self.kept.clear();
    }
}

/// One result per object (a gateway, say), with the namespaces it read, found while
/// deriving it: it is derived again when one of `per_ns` kinds changed in one of those
/// namespaces, or one of `shared` kinds anywhere.
#[derive(Debug, Clone)]
pub struct PerObject<K, I, V> {
    at: Option<(K, u64)>,
    kept: BTreeMap<I, (V, Vec<String>)>,
}

impl<K, I, V> Default for PerObject<K, I, V> {
    fn default() -> Self {
        PerObject {
            at: None,
            kept: BTreeMap::new(),
        }
    }
}

impl<K: PartialEq, I: Ord + Clone, V> PerObject<K, I, V> {
    /// Drops what changed since the last sync (see [`PerNamespace::sync`]).
    pub fn sync(&mut self, stamps: &Stamps, shared: &[Kind], per_ns: &[Kind], key: K) {
        let since = match &self.at {
            Some((k, at)) if *k == key => *at,
            _ => {
                self.kept.clear();
                self.at = Some((key, stamps.now()));
                return;
            }
        };
        if stamps.any_changed(shared, since) {
            self.kept.clear();
        } else if stamps.any_changed(per_ns, since) {
            self.kept.retain(|_, (_, nss)| {
                !nss.iter()
                    .any(|ns| per_ns.iter().any(|k| stamps.changed_in(*k, ns, since)))
            });
        }
        if let Some((_, at)) = &mut self.at {
            *at = stamps.now();
        }
    }

    /// Object `id`'s result: kept since the last sync, or derived now (with the
    /// namespaces it read). Call [`Self::sync`] first.
    pub fn get(&mut self, id: &I, derive: impl FnOnce() -> (V, Vec<String>)) -> &V {
        if !self.kept.contains_key(id) {
            self.kept.insert(id.clone(), derive());
        }
        &self.kept[id].0
    }

    pub fn clear(&mut self) {
        self.at = None;
        self.kept.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUTS: Inputs = Inputs {
        own: &[Kind::Pods],
        shared: &[Kind::ControlPlanes],
    };

    #[test]
    fn a_namespace_is_derived_again_only_when_its_own_inputs_changed() {
        let mut s = Stamps::default();
        let mut m: PerNamespace<(), usize> = PerNamespace::default();
        let mut derived = Vec::new();
        let pass = |m: &mut PerNamespace<(), usize>, s: &Stamps, derived: &mut Vec<String>| {
            m.sync(s, INPUTS, ());
            for ns in ["a", "b"] {
                m.get(ns, || {
                    derived.push(ns.to_string());
                    0
                });
            }
        };
        pass(&mut m, &s, &mut derived);
        assert_eq!(derived, ["a", "b"]);
        derived.clear();
        s.touch(Kind::Pods, "b");
        s.touch(Kind::Services, "a"); // not an input
        pass(&mut m, &s, &mut derived);
        assert_eq!(derived, ["b"]);
        derived.clear();
        s.touch(Kind::ControlPlanes, "istio-system");
        pass(&mut m, &s, &mut derived);
        assert_eq!(
            derived,
            ["a", "b"],
            "a shared input changes every namespace"
        );
        derived.clear();
        s.touch_all(Kind::Pods);
        pass(&mut m, &s, &mut derived);
        assert_eq!(derived, ["a", "b"], "a fresh list changes every namespace");
    }

    #[test]
    fn a_whole_result_is_kept_until_one_of_its_kinds_or_its_key_changes() {
        let mut s = Stamps::default();
        let mut m: Whole<u8, usize> = Whole::default();
        let mut n = 0;
        let mut get = |m: &mut Whole<u8, usize>, s: &Stamps, key: u8| {
            *m.get(s, &[Kind::Services], key, || {
                n += 1;
                n
            })
        };
        assert_eq!(get(&mut m, &s, 0), 1);
        s.touch(Kind::Pods, "a");
        assert_eq!(get(&mut m, &s, 0), 1);
        s.touch(Kind::Services, "a");
        assert_eq!(get(&mut m, &s, 0), 2);
        assert_eq!(get(&mut m, &s, 1), 3, "another key");
    }
}
