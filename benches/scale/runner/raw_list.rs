//! The floor for "all kinds live": one LIST per watched kind (`Kind::ALL`, with the
//! watchers' selectors, all namespaces), all in parallel, each answer decoded, as any
//! client must. No paging, no watch, no projection.

use std::time::{Duration, Instant};

use futures::future::try_join_all;
use kube::Client;
use kube::api::{Api, DynamicObject, ListParams};
use meshctl_tui::cluster::kinds::{Kind, Selector};

/// Runs the parallel LIST `runs` times; returns the median time and the objects listed.
pub async fn median(client: &Client, runs: usize) -> Result<(Duration, usize), String> {
    let mut times = Vec::new();
    let mut objects = 0;
    for _ in 0..runs.max(1) {
        let (t, n) = once(client).await?;
        times.push(t);
        objects = n;
    }
    times.sort();
    Ok((times[times.len() / 2], objects))
}

async fn once(client: &Client) -> Result<(Duration, usize), String> {
    let started = Instant::now();
    let lists = Kind::ALL.map(|kind| {
        let spec = kind.spec();
        // The console runs with -A: every kind is listed across all namespaces.
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &spec.api_resource());
        let params = match spec.selector {
            Some(Selector::Label(l)) => ListParams::default().labels(l),
            Some(Selector::Field(f)) => ListParams::default().fields(f),
            None => ListParams::default(),
        };
        async move {
            api.list(&params)
                .await
                .map(|l| l.items.len())
                .map_err(|e| format!("list {}: {e}", kind.resource()))
        }
    });
    let counts = try_join_all(lists).await?;
    Ok((started.elapsed(), counts.iter().sum()))
}
