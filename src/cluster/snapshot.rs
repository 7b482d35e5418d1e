//! A one-shot read of the cluster for the non-interactive commands (`meshctl-tui certs`,
//! `check`): each kind is listed ONCE with the watchers' own projections (so the cache is
//! exactly what the console would hold) and no watch is started.

use std::collections::BTreeMap;
use std::time::Duration;

use kube::Client;

use super::kinds::{Kind, WatchState};
use super::watch::{WatchEvent, WatchMsg, spawn_list_once};
use crate::cluster::cache::ClusterCache;

/// Lists `kinds` (namespaced ones in `namespace`, None = all) and returns the cache and
/// each kind's final state: Live, NotInstalled, Forbidden(reason) or Failing(reason). A kind
/// that has not answered within `timeout` is Failing("no answer within …").
pub async fn load(
    client: &Client,
    namespace: Option<&str>,
    kinds: &[Kind],
    timeout: Duration,
) -> (ClusterCache, BTreeMap<Kind, WatchState>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<WatchMsg>();
    let tasks = spawn_list_once(client, kinds, namespace, tx);
    let mut cache = ClusterCache::default();
    let mut states: BTreeMap<Kind, WatchState> =
        kinds.iter().map(|k| (*k, WatchState::Syncing)).collect();
    let collect = async {
        // Ends when every lister has finished (each drops its sender).
        while let Some(m) = rx.recv().await {
            match m.event {
                WatchEvent::Reset(objs) => cache.reset(m.kind, objs),
                WatchEvent::Apply(o) => cache.apply(*o),
                WatchEvent::Delete(key) => cache.delete(m.kind, &key),
                WatchEvent::State(s) => {
                    states.insert(m.kind, s);
                }
            }
        }
    };
    let finished = tokio::time::timeout(timeout, collect).await.is_ok();
    if !finished {
        for t in &tasks {
            t.abort();
        }
        for s in states.values_mut() {
            if *s == WatchState::Syncing {
                *s = WatchState::Failing(format!("no answer within {}s", timeout.as_secs()));
            }
        }
    }
    not_installed_though_forbidden(client, &mut states).await;
    (cache, states)
}

/// The API server answers 403 for a resource a user may not list before it looks whether
/// that resource exists, so to a user with narrow RBAC a CRD that is not installed looks
/// forbidden. Discovery (readable by every authenticated user) tells the two apart: a CRD
/// kind its group does not serve is NotInstalled. Kept Forbidden whenever discovery does
/// not answer in full.
async fn not_installed_though_forbidden(client: &Client, states: &mut BTreeMap<Kind, WatchState>) {
    let forbidden: Vec<Kind> = states
        .iter()
        .filter(|(k, s)| matches!(s, WatchState::Forbidden(_)) && k.crd().is_some())
        .map(|(k, _)| *k)
        .collect();
    if forbidden.is_empty() {
        return;
    }
    let Ok(groups) = client.list_api_groups().await else {
        return;
    };
    // group -> the plurals it serves in any version (None: a version did not answer)
    let mut served: BTreeMap<&str, Option<Vec<String>>> = BTreeMap::new();
    for k in forbidden {
        let Some((plural, group)) = k.crd() else {
            continue;
        };
        if !served.contains_key(group) {
            let mut plurals = Some(Vec::new());
            for g in groups.groups.iter().filter(|g| g.name == group) {
                for v in &g.versions {
                    match client.list_api_group_resources(&v.group_version).await {
                        Ok(list) => {
                            if let Some(p) = plurals.as_mut() {
                                p.extend(list.resources.into_iter().map(|r| r.name));
                            }
                        }
                        Err(_) => plurals = None,
                    }
                }
            }
            served.insert(group, plurals);
        }
        if let Some(Some(plurals)) = served.get(group)
            && !plurals.iter().any(|p| p == plural)
        {
            states.insert(k, WatchState::NotInstalled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lists_once_from_the_demo_cluster() {
        let demo = crate::demo::DemoCluster::start().expect("demo");
        let kinds = [
            Kind::TlsSecrets,
            Kind::CertManagerCertificates,
            Kind::Gateways,
        ];
        let (cache, states) = load(&demo.client(), None, &kinds, Duration::from_secs(30)).await;
        assert!(
            states.values().all(|s| *s == WatchState::Live),
            "{states:?}"
        );
        assert!(
            cache
                .cert_secrets
                .keys()
                .any(|(_, k)| k.name == "shop-contoso-tls")
        );
        assert!(cache.cm_certificates.len() >= 3);
        assert!(!cache.gateways.is_empty());
        // Only what was asked for.
        assert!(cache.pods.is_empty());
    }

    #[tokio::test]
    async fn an_unreachable_server_fails_every_kind_quickly() {
        // Nothing listens on port 9 of localhost.
        let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap());
        let client = Client::try_from(config).unwrap();
        let (_, states) = load(
            &client,
            None,
            &[Kind::TlsSecrets, Kind::ConfigMaps],
            Duration::from_secs(20),
        )
        .await;
        assert!(
            states.values().all(|s| matches!(s, WatchState::Failing(_))),
            "{states:?}"
        );
    }
}
