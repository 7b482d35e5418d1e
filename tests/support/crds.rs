//! Which CustomResourceDefinitions the e2e tests install, chosen once per test process:
//!
//! 1. `$MESHCTL_CRDS_DIR` (relative paths are taken from the repository root), e.g.
//!    `MESHCTL_CRDS_DIR=assets/demo` for the project's own CRDs (`00-crds.yaml`);
//! 2. else `../shared/crds` next to the repository, when that directory exists;
//! 3. else the upstream bundles vendored in `tests/fixtures/crds` (see its README.md), so a
//!    clone on its own runs every test.
//!
//! A set is a directory of `*.yaml`/`*.yml` files, read in name order; when two files define
//! the same CRD, the later one wins (`gateway-api-standard.yaml` after
//! `gateway-api-experimental.yaml`). The choice is printed once to stderr. A test that needs
//! a CRD the chosen set lacks fails and names the set: nothing is skipped.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use super::kube_env::parse_yaml_documents;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// API groups the tests ask for by name.
pub const GATEWAY_API: &str = "gateway.networking.k8s.io";
pub const ISTIO_NETWORKING: &str = "networking.istio.io";
pub const ISTIO_SECURITY: &str = "security.istio.io";
pub const CERT_MANAGER: &str = "cert-manager.io";
/// Application Gateway for Containers; only the project's own set defines it.
pub const AGC: &str = "alb.networking.azure.io";

/// The directory the CRDs come from and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdSet {
    pub dir: PathBuf,
    pub origin: &'static str,
}

/// The rule of the module docs, without side effects: `env` is `$MESHCTL_CRDS_DIR`.
fn choose(env: Option<&str>, repo: &Path, shared_exists: bool) -> CrdSet {
    if let Some(dir) = env.filter(|d| !d.is_empty()) {
        return CrdSet {
            dir: repo.join(dir),
            origin: "$MESHCTL_CRDS_DIR",
        };
    }
    if shared_exists {
        return CrdSet {
            dir: repo.join("../shared/crds"),
            origin: "../shared/crds",
        };
    }
    CrdSet {
        dir: repo.join("tests/fixtures/crds"),
        origin: "vendored upstream CRDs",
    }
}

/// The set this test process uses (announced on stderr the first time).
pub fn crd_set() -> &'static CrdSet {
    static SET: OnceLock<CrdSet> = OnceLock::new();
    SET.get_or_init(|| {
        let repo = Path::new(REPO);
        let env = std::env::var("MESHCTL_CRDS_DIR").ok();
        let set = choose(env.as_deref(), repo, repo.join("../shared/crds").is_dir());
        // Straight to stderr: libtest captures eprintln! of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "e2e: CRDs from {} ({})",
            set.dir.display(),
            set.origin
        );
        set
    })
}

/// All `*.yaml`/`*.yml` files of the set, sorted by name.
pub fn crd_files() -> Vec<PathBuf> {
    let set = crd_set();
    let mut files: Vec<PathBuf> = fs::read_dir(&set.dir)
        .unwrap_or_else(|e| {
            panic!(
                "cannot read the CRD directory {} ({}): {e}",
                set.dir.display(),
                set.origin
            )
        })
        .map(|e| e.expect("read_dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no *.yaml files in the CRD directory {} ({})",
        set.dir.display(),
        set.origin
    );
    files
}

/// Every CRD of the set (each with the file it came from), one per name, the last file's
/// when several define it; parsed once per process.
pub fn all() -> Vec<(Value, String)> {
    static ALL: OnceLock<Vec<(Value, String)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut docs = Vec::new();
        for file in crd_files() {
            let text = fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
            let origin = file.display().to_string();
            docs.extend(
                parse_yaml_documents(&text, &origin)
                    .into_iter()
                    .map(|doc| (doc, origin.clone())),
            );
        }
        last_per_name(docs)
    })
    .clone()
}

/// The CRDs among `docs` (in order), one per `metadata.name`, the last one winning.
fn last_per_name(docs: Vec<(Value, String)>) -> Vec<(Value, String)> {
    let mut by_name: BTreeMap<String, (Value, String)> = BTreeMap::new();
    for (doc, origin) in docs {
        if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
            continue;
        }
        let name = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("CRD without metadata.name in {origin}"))
            .to_string();
        by_name.insert(name, (doc, origin));
    }
    by_name.into_values().collect()
}

/// The set's CRDs of the given API groups. Panics when the set has none of a group.
pub fn of_groups(groups: &[&str]) -> Vec<(Value, String)> {
    let selected = in_groups(all(), groups);
    for group in groups {
        assert!(
            selected
                .iter()
                .any(|(d, _)| d.pointer("/spec/group").and_then(Value::as_str) == Some(group)),
            "this test needs the CRDs of API group {group}, and the CRD set {} ({}) has none",
            crd_set().dir.display(),
            crd_set().origin
        );
    }
    selected
}

/// The set's CRDs of every API group but the given ones.
pub fn except_groups(groups: &[&str]) -> Vec<(Value, String)> {
    all()
        .into_iter()
        .filter(|(d, _)| {
            !d.pointer("/spec/group")
                .and_then(Value::as_str)
                .is_some_and(|g| groups.contains(&g))
        })
        .collect()
}

fn in_groups(docs: Vec<(Value, String)>, groups: &[&str]) -> Vec<(Value, String)> {
    docs.into_iter()
        .filter(|(d, _)| {
            d.pointer("/spec/group")
                .and_then(Value::as_str)
                .is_some_and(|g| groups.contains(&g))
        })
        .collect()
}

/// Panics, naming the set, unless `installed` holds every CRD in `needed`: for tests that
/// rely on a kind only some CRD sets define.
pub fn require(installed: &[String], needed: &[&str]) {
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|n| !installed.iter().any(|i| i == n))
        .collect();
    assert!(
        missing.is_empty(),
        "this test needs the CRDs {missing:?}, which the CRD set {} ({}) does not define; \
         the vendored upstream set tests/fixtures/crds has them (unset MESHCTL_CRDS_DIR)",
        crd_set().dir.display(),
        crd_set().origin
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_env_var_wins_then_shared_then_the_vendored_set() {
        let repo = Path::new("/repo");
        assert_eq!(
            choose(Some("assets/demo"), repo, true),
            CrdSet {
                dir: "/repo/assets/demo".into(),
                origin: "$MESHCTL_CRDS_DIR"
            }
        );
        assert_eq!(choose(Some("/abs"), repo, true).dir, PathBuf::from("/abs"));
        assert_eq!(choose(Some(""), repo, true).origin, "../shared/crds");
        assert_eq!(
            choose(None, repo, true).dir,
            PathBuf::from("/repo/../shared/crds")
        );
        assert_eq!(
            choose(None, repo, false).dir,
            PathBuf::from("/repo/tests/fixtures/crds")
        );
    }

    fn crd(name: &str, group: &str, from: &str) -> (Value, String) {
        let doc = json!({"kind": "CustomResourceDefinition",
            "metadata": {"name": name}, "spec": {"group": group}});
        (doc, from.to_string())
    }

    #[test]
    fn a_later_file_replaces_a_crd_and_other_kinds_are_dropped() {
        let docs = vec![
            crd("a.g", "g", "experimental"),
            (
                json!({"kind": "ValidatingAdmissionPolicy"}),
                "experimental".into(),
            ),
            crd("b.h", "h", "experimental"),
            crd("a.g", "g", "standard"),
        ];
        let got = last_per_name(docs);
        let names: Vec<(&str, &str)> = got
            .iter()
            .map(|(d, o)| (d["metadata"]["name"].as_str().unwrap(), o.as_str()))
            .collect();
        assert_eq!(names, [("a.g", "standard"), ("b.h", "experimental")]);
        assert_eq!(in_groups(got, &["h"]).len(), 1);
    }
}
