use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

use super::*;
use crate::demo::DemoCluster;

fn kinds(objects: &[Value]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for o in objects {
        *out.entry(o["kind"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    out
}

#[test]
fn the_same_size_gives_the_same_objects() {
    let size = Size { pods: 130 };
    assert_eq!(objects(&size), objects(&size));
}

#[test]
fn counts_scale_with_pods_as_documented() {
    for pods in [1, 49, 50, 51, 130, 1000] {
        let size = Size { pods };
        let objs = objects(&size);
        let k = kinds(&objs);
        assert_eq!(objs.len(), size.objects(), "{pods} pods");
        assert_eq!(k["Pod"], pods);
        assert_eq!(k["Namespace"], size.namespaces());
        assert_eq!(k["Deployment"], size.deployments());
        assert_eq!(k["ReplicaSet"], size.deployments());
        assert_eq!(k["Service"], size.services());
        assert_eq!(k["HTTPRoute"], size.http_routes());
        assert_eq!(k["Secret"], size.tls_secrets());
        assert_eq!(k["Gateway"], size.gateways());
        assert_eq!(k["VirtualService"], size.virtual_services());
        assert_eq!(k["ConfigMap"], size.config_maps());
        let names: BTreeSet<String> = objs
            .iter()
            .map(|o| {
                format!(
                    "{} {} {}",
                    o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]
                )
            })
            .collect();
        assert_eq!(names.len(), objs.len(), "names are unique");
    }
    // The measured cluster's proportions at 10k pods.
    let big = Size { pods: 10_000 };
    assert_eq!(big.namespaces(), 200);
    assert_eq!(big.deployments(), 1000);
    assert_eq!(big.services(), 2000);
    assert!(big.stale_pods() > 0);
}

#[test]
fn namespaces_are_the_scale_ones_and_owners_come_first() {
    let objs = objects(&Size { pods: 120 });
    let mut seen = BTreeSet::new();
    for o in &objs {
        let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
        assert!(ns.is_empty() || ns.starts_with("scale-"), "{ns}");
        for r in o["metadata"]["ownerReferences"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let owner = format!("{} {ns}/{}", r["kind"], r["name"]);
            assert!(seen.contains(&owner), "{owner} before its dependent");
        }
        seen.insert(format!("{} {ns}/{}", o["kind"], o["metadata"]["name"]));
    }
}

fn x509_not_after(pem: &str) -> i64 {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("a PEM");
    let cert = pem.parse_x509().expect("a certificate");
    cert.validity().not_after.timestamp()
}

#[tokio::test]
async fn the_demo_loads_them_and_the_console_facts_hold() {
    let size = Size { pods: 200 };
    let demo = DemoCluster::start_with_pods(size.pods).expect("the demo loads the objects");
    let in_scale = |gr: &str| -> Vec<Value> {
        demo.list(gr, None)
            .into_iter()
            .filter(|o| {
                o["metadata"]["namespace"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("scale-"))
            })
            .collect()
    };
    // The demo's controllers keep the generated pods: the ReplicaSets own them already.
    let pods = in_scale("pods");
    assert_eq!(pods.len(), size.pods);
    assert_eq!(in_scale("replicasets.apps").len(), size.deployments());
    let deployments = in_scale("deployments.apps");
    assert_eq!(deployments.len(), size.deployments());
    assert!(
        deployments
            .iter()
            .all(|d| d["status"]["replicas"].as_i64() > Some(0))
    );

    // Pods point at their ReplicaSet's real uid; some are not ready; some run a sidecar
    // of another revision than their namespace's (they need a restart), some none.
    let rs_uids: BTreeSet<String> = in_scale("replicasets.apps")
        .iter()
        .map(|r| r["metadata"]["uid"].as_str().unwrap().to_string())
        .collect();
    assert!(pods.iter().all(|p| rs_uids.contains(
        p["metadata"]["ownerReferences"][0]["uid"].as_str().unwrap()
    )));
    let not_ready = pods
        .iter()
        .filter(|p| p["status"]["conditions"][1]["status"] == "False")
        .count();
    assert!(not_ready > 0 && not_ready < size.pods / 10, "{not_ready}");
    let revision = |p: &Value| -> Option<String> {
        let status = p["metadata"]["annotations"]["sidecar.istio.io/status"].as_str()?;
        let v: Value = serde_json::from_str(status).ok()?;
        v["revision"].as_str().map(String::from)
    };
    let ns_rev = |ns: &str| -> Option<String> {
        demo.get("namespaces", "", ns)?["metadata"]["labels"]["istio.io/rev"]
            .as_str()
            .map(String::from)
    };
    let stale = pods
        .iter()
        .filter(|p| {
            let ns = p["metadata"]["namespace"].as_str().unwrap();
            ns_rev(ns).is_some_and(|r| revision(p).is_some_and(|s| s != r))
        })
        .count();
    assert_eq!(stale, size.stale_pods());
    assert!(stale > 0);
    assert!(pods.iter().any(|p| revision(p).is_none()));
    assert!(pods.iter().any(|p| {
        p["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "istio-proxy")
    }));

    // Routes: two weighted backends, parents Accepted, the parent Gateway exists.
    let routes = in_scale("httproutes.gateway.networking.k8s.io");
    assert_eq!(routes.len(), size.http_routes());
    for r in &routes {
        let backends = r["spec"]["rules"][0]["backendRefs"].as_array().unwrap();
        let weights: Vec<i64> = backends
            .iter()
            .map(|b| b["weight"].as_i64().unwrap())
            .collect();
        assert_eq!(weights, [90, 10]);
        for b in backends {
            let ns = r["metadata"]["namespace"].as_str().unwrap();
            assert!(
                demo.get("services", ns, b["name"].as_str().unwrap())
                    .is_some()
            );
        }
        let parent = &r["status"]["parents"][0];
        assert_eq!(parent["conditions"][0]["type"], "Accepted");
        let gw = &r["spec"]["parentRefs"][0];
        assert!(
            demo.get(
                "gateways.gateway.networking.k8s.io",
                gw["namespace"].as_str().unwrap(),
                gw["name"].as_str().unwrap()
            )
            .is_some()
        );
    }
    let gateways = in_scale("gateways.gateway.networking.k8s.io");
    let classes: BTreeSet<&str> = gateways
        .iter()
        .map(|g| g["spec"]["gatewayClassName"].as_str().unwrap())
        .collect();
    assert_eq!(classes, BTreeSet::from(["azure-alb-external", "istio"]));

    // Every listener's Secret exists and holds a real certificate, expiry spread.
    let mut expiries = BTreeSet::new();
    for g in &gateways {
        let ns = g["metadata"]["namespace"].as_str().unwrap();
        for l in g["spec"]["listeners"].as_array().unwrap() {
            for c in l["tls"]["certificateRefs"].as_array().into_iter().flatten() {
                let secret = demo
                    .get("secrets", ns, c["name"].as_str().unwrap())
                    .expect("the listener's secret");
                let pem = B64
                    .decode(secret["data"]["tls.crt"].as_str().unwrap())
                    .unwrap();
                expiries.insert(x509_not_after(std::str::from_utf8(&pem).unwrap()));
                let key = B64
                    .decode(secret["data"]["tls.key"].as_str().unwrap())
                    .unwrap();
                assert_eq!(key, crate::demo::PLACEHOLDER_KEY.as_bytes());
            }
        }
    }
    assert!(expiries.len() > 10, "{}", expiries.len());
    for cm in in_scale("configmaps") {
        if cm["metadata"]["name"] == "ca-bundle" {
            let pems = cm["data"]["ca.pem"].as_str().unwrap();
            assert_eq!(pems.matches("BEGIN CERTIFICATE").count(), 3);
            x509_not_after(pems);
        }
    }
    assert_eq!(
        in_scale("virtualservices.networking.istio.io").len(),
        size.virtual_services()
    );
}

#[test]
fn the_change_mix_is_mostly_pod_label_patches() {
    let mut counts = [0usize; 4];
    for r in 0..100 {
        counts[churn::pick_change(r) as usize] += 1;
    }
    assert_eq!(counts, [60, 20, 15, 5]);
}
