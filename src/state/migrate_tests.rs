use super::*;
use crate::cluster::objects::{NamespaceInfo, PodInfo, WorkloadInfo};

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn istiod(rev: &str) -> WorkloadInfo {
    WorkloadInfo {
        kind: WorkloadKind::Deployment,
        key: ObjKey::new("aks-istio-system", format!("istiod-{rev}")),
        labels: labels(&[("app", "istiod"), ("istio.io/rev", rev)]),
        desired: 1,
        ready: 1,
        ..Default::default()
    }
}

fn app(ns: &str, name: &str) -> WorkloadInfo {
    WorkloadInfo {
        kind: WorkloadKind::Deployment,
        key: ObjKey::new(ns, name),
        selector: labels(&[("app", name)]),
        resource_version: Some(format!("{ns}-{name}-rv")),
        desired: 1,
        ..Default::default()
    }
}

fn pod(ns: &str, app: &str, rev: Option<&str>) -> PodInfo {
    PodInfo::running(
        ObjKey::new(ns, format!("{app}-{}", rev.unwrap_or("none"))),
        Some(app),
        rev,
    )
}

/// asm-1-22 and asm-1-23 control planes; `shop` and `web` on 1-22 with one pod each,
/// `legacy` on 1-22 through `istio-injection` too (left out), `plain` without mesh.
fn cluster() -> ClusterCache {
    let mut c = ClusterCache::default();
    for rev in ["asm-1-22", "asm-1-23"] {
        let w = istiod(rev);
        c.control_planes.insert(w.key.clone(), w);
    }
    for (ns, l) in [
        ("shop", vec![("istio.io/rev", "asm-1-22")]),
        ("web", vec![("istio.io/rev", "asm-1-22")]),
        (
            "legacy",
            vec![("istio.io/rev", "asm-1-22"), ("istio-injection", "enabled")],
        ),
        ("plain", vec![]),
    ] {
        c.namespaces.insert(
            ns.into(),
            NamespaceInfo {
                name: ns.into(),
                labels: labels(&l),
                phase: None,
                resource_version: Some(format!("{ns}-rv")),
            },
        );
    }
    for ns in ["shop", "web"] {
        let w = app(ns, "api");
        c.workloads.insert((w.key.clone(), w.kind), w);
        let p = pod(ns, "api", Some("asm-1-22"));
        c.pods.insert(p.key.clone(), p);
    }
    c
}

fn relabel(c: &mut ClusterCache, ns: &str, rev: &str) {
    let n = c.namespaces.get_mut(ns).unwrap();
    n.labels.insert(REV_LABEL.into(), rev.into());
}

#[test]
fn pairs_go_from_labelled_revisions_to_other_control_planes() {
    assert_eq!(
        pairs(&cluster()),
        vec![("asm-1-22".to_string(), "asm-1-23".to_string())]
    );
    let mut c = cluster();
    c.control_planes.clear();
    assert!(pairs(&c).is_empty(), "no control plane, nowhere to go");
}

#[test]
fn rows_are_the_revision_labelled_namespaces_and_waves_are_editable() {
    let c = cluster();
    let mut m = Migration::new(&c, "asm-1-22", "asm-1-23");
    let names: Vec<&str> = m.rows.iter().map(|r| r.namespace.as_str()).collect();
    assert_eq!(names, ["shop", "web"]);
    assert_eq!(m.by_injection_label, vec!["legacy".to_string()]);
    // A canary wave first: shop alone, then web.
    assert_eq!((m.rows[0].wave, m.rows[1].wave), (Some(1), Some(2)));
    assert_eq!(m.next_wave(&c), Some((1, vec!["shop".to_string()])));
    // web into wave 1 too.
    m.move_cursor(true);
    m.shift_wave(false);
    assert_eq!(
        m.next_wave(&c),
        Some((1, vec!["shop".to_string(), "web".to_string()]))
    );
    // Left out entirely.
    m.toggle();
    assert_eq!(m.rows[1].wave, None);
    m.toggle();
    for _ in 0..12 {
        m.shift_wave(true);
    }
    assert_eq!(m.rows[1].wave, Some(MAX_WAVE));
    for _ in 0..12 {
        m.shift_wave(false);
    }
    assert_eq!(m.rows[1].wave, Some(1));
}

#[test]
fn a_wave_relabels_then_restarts_only_after_the_label_is_applied() {
    let mut c = cluster();
    let mut m = Migration::new(&c, "asm-1-22", "asm-1-23");
    let (wave, names) = m.next_wave(&c).unwrap();
    let confirm = m
        .plan(&c, "prod", Direction::Forward, wave, &names)
        .unwrap();
    assert!(!confirm.ok_focused, "Cancel first");
    let body = confirm.body.join("\n");
    assert!(body.contains("context:   prod"), "{body}");
    assert!(body.contains("istio.io/rev=asm-1-22 -> asm-1-23"), "{body}");
    assert!(body.contains("\"shop-rv\""), "{body}");
    assert!(
        body.contains("then rollout restart Deployment api"),
        "{body}"
    );
    let sent = m.start(&confirm);
    assert_eq!(
        sent,
        vec![WriteOp::SetNamespaceLabels {
            namespace: "shop".into(),
            resource_version: "shop-rv".into(),
            set: vec![(REV_LABEL.into(), "asm-1-23".into())],
            remove: vec![],
        }]
    );
    assert_eq!(m.state_of(&c, "shop"), "relabelling…");
    // Not the next wave again while it runs.
    assert_eq!(m.next_wave(&c), Some((2, vec!["web".to_string()])));

    // The label is applied: exactly the affected workload is restarted.
    relabel(&mut c, "shop", "asm-1-23");
    let next = m
        .on_write_done(&c, &sent[0], &Ok("applied".into()))
        .unwrap();
    let restart = WriteOp::RolloutRestart {
        kind: WorkloadKind::Deployment,
        key: ObjKey::new("shop", "api"),
        resource_version: "shop-api-rv".into(),
    };
    assert_eq!(next, vec![restart.clone()]);
    assert_eq!(m.state_of(&c, "shop"), "restarting 0/1…");
    assert_eq!(
        m.on_write_done(&c, &restart, &Ok("applied".into())),
        Some(vec![])
    );
    assert_eq!(m.steps.get("shop"), Some(&Step::Done(Direction::Forward)));
    assert_eq!(
        m.state_of(&c, "shop"),
        "on asm-1-23: 1 pod(s) still on asm-1-22"
    );
    // The new pod arrives with the new sidecar.
    c.pods.clear();
    let p = pod("shop", "api", Some("asm-1-23"));
    c.pods.insert(p.key.clone(), p);
    assert_eq!(m.state_of(&c, "shop"), "migrated to asm-1-23");
    assert_eq!(
        m.pods(&c, "shop"),
        PodCounts {
            to: 1,
            ..Default::default()
        }
    );
    // Writes that are not ours are left to others.
    let other = WriteOp::RolloutRestart {
        kind: WorkloadKind::Deployment,
        key: ObjKey::new("plain", "x"),
        resource_version: "1".into(),
    };
    assert_eq!(m.on_write_done(&c, &other, &Ok("applied".into())), None);
}

#[test]
fn a_refused_label_restarts_nothing() {
    let c = cluster();
    let mut m = Migration::new(&c, "asm-1-22", "asm-1-23");
    m.rows[1].wave = Some(1);
    let (wave, names) = m.next_wave(&c).unwrap();
    let confirm = m
        .plan(&c, "prod", Direction::Forward, wave, &names)
        .unwrap();
    let sent = m.start(&confirm);
    assert_eq!(sent.len(), 2, "one label write per namespace of the wave");
    let next = m
        .on_write_done(&c, &sent[0], &Err("forbidden: no patch".into()))
        .unwrap();
    assert!(next.is_empty(), "no restart after a failed label");
    assert!(m.state_of(&c, "shop").starts_with("FAILED: forbidden"));
    assert!(m.log.iter().any(|l| l.contains("label NOT written")));
}

#[test]
fn rollback_relabels_the_selected_wave_back_and_restarts() {
    let mut c = cluster();
    relabel(&mut c, "shop", "asm-1-23");
    let mut m = Migration::new(&c, "asm-1-22", "asm-1-23");
    assert_eq!(
        m.rollback_set(&c),
        Some((1, vec!["shop".to_string()])),
        "only namespaces already on the new revision"
    );
    let confirm = m
        .plan(&c, "prod", Direction::Rollback, 1, &["shop".into()])
        .unwrap();
    assert!(confirm.title.starts_with("roll back wave 1 to asm-1-22"));
    let sent = m.start(&confirm);
    assert!(matches!(&sent[0], WriteOp::SetNamespaceLabels { set, .. } if set[0].1 == "asm-1-22"));
    relabel(&mut c, "shop", "asm-1-22");
    // The pod still runs asm-1-22 (it never restarted): nothing to restart.
    let next = m
        .on_write_done(&c, &sent[0], &Ok("applied".into()))
        .unwrap();
    assert!(next.is_empty());
    assert_eq!(m.state_of(&c, "shop"), "rolled back to asm-1-22");
}

#[test]
fn no_plan_towards_a_revision_without_control_plane() {
    let mut c = cluster();
    let m = Migration::new(&c, "asm-1-22", "asm-1-23");
    c.control_planes.retain(|k, _| k.name != "istiod-asm-1-23");
    let err = m
        .plan(&c, "prod", Direction::Forward, 1, &["shop".into()])
        .unwrap_err();
    assert!(err.contains("no control plane for asm-1-23"), "{err}");
}

#[test]
fn a_wave_towards_a_not_ready_control_plane_carries_a_hazard() {
    let mut c = cluster();
    let m = Migration::new(&c, "asm-1-22", "asm-1-23");
    let ready = m
        .plan(&c, "prod", Direction::Forward, 1, &["shop".into()])
        .unwrap();
    assert_eq!(ready.hazard, None, "1/1 ready: one confirm as ever");
    let cp = c
        .control_planes
        .get_mut(&ObjKey::new("aks-istio-system", "istiod-asm-1-23"))
        .unwrap();
    cp.ready = 0;
    let w = m
        .plan(&c, "prod", Direction::Forward, 1, &["shop".into()])
        .unwrap();
    let h = w.hazard.expect("0/1 ready");
    assert_eq!(
        h.lines[0],
        "WARNING: istiod asm-1-23 (aks-istio-system) has 0 of 1 replica ready: NOT READY"
    );
    assert!(h.lines[1].contains("namespace shop"), "{:?}", h.lines);
    // The rollback goes to asm-1-22, which is ready.
    let back = m
        .plan(&c, "prod", Direction::Rollback, 1, &["shop".into()])
        .unwrap();
    assert_eq!(back.hazard, None);
}

#[test]
fn the_screen_opens_on_the_pair_towards_the_newest_control_plane() {
    // asm-1-21: no istiod any more, two namespaces still labelled with it; asm-1-22 ready
    // (shop, web); asm-1-23 installed last, not ready yet.
    let mut c = cluster();
    for (rev, created) in [
        ("asm-1-22", "2026-03-01T00:00:00Z"),
        ("asm-1-23", "2026-11-20T00:00:00Z"),
    ] {
        let cp = c
            .control_planes
            .get_mut(&ObjKey::new("aks-istio-system", format!("istiod-{rev}")))
            .unwrap();
        cp.created = Some(created.parse().unwrap());
        if rev == "asm-1-23" {
            cp.ready = 0;
        }
    }
    for ns in ["old-a", "old-b", "old-c"] {
        c.namespaces.insert(
            ns.into(),
            NamespaceInfo {
                name: ns.into(),
                labels: labels(&[("istio.io/rev", "asm-1-21")]),
                phase: None,
                resource_version: Some("1".into()),
            },
        );
    }
    let all = pairs(&c);
    assert_eq!(
        all.first(),
        Some(&("asm-1-21".to_string(), "asm-1-22".to_string())),
        "the listing starts with the leftover revision"
    );
    assert_eq!(
        default_pair(&c),
        Some(("asm-1-22".to_string(), "asm-1-23".to_string())),
        "towards the newest, from the side that has a control plane"
    );
    // Only leftover labels on the old side: still towards the newest.
    for ns in ["shop", "web", "legacy"] {
        c.namespaces.remove(ns);
    }
    assert_eq!(
        default_pair(&c),
        Some(("asm-1-21".to_string(), "asm-1-23".to_string()))
    );
    // Newest by creation, not by name: a canary named `stable` created last.
    let mut c = cluster();
    let mut newer = istiod("stable");
    newer.created = Some("2026-12-01T00:00:00Z".parse().unwrap());
    c.control_planes.insert(newer.key.clone(), newer);
    for rev in ["asm-1-22", "asm-1-23"] {
        c.control_planes
            .get_mut(&ObjKey::new("aks-istio-system", format!("istiod-{rev}")))
            .unwrap()
            .created = Some("2026-01-01T00:00:00Z".parse().unwrap());
    }
    assert_eq!(
        default_pair(&c),
        Some(("asm-1-22".to_string(), "stable".to_string()))
    );
    assert!(default_pair(&ClusterCache::default()).is_none());
}
