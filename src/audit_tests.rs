use super::*;
use crate::cluster::write::{WriteOutcome, set_namespace_labels};
use serde_json::json;

/// A fresh directory under the system temp dir (removed by the test).
fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("meshctl-audit-{tag}-{}-{n}", std::process::id()))
}

fn applied_report() -> WriteReport {
    WriteReport {
        dry_run: DryRun::Passed,
        outcome: Some(WriteOutcome::Applied {
            resource_version: "8".into(),
            object: json!({"metadata": {"resourceVersion": "8"}}),
        }),
    }
}

#[test]
fn entries_round_trip_through_the_file() {
    let dir = temp_dir("rt").join("nested");
    let log = AuditLog::open(Some(dir.clone()));
    let req = set_namespace_labels("shop", "7", &[("a".into(), "b".into())], &["c".into()]);
    let undo =
        crate::cluster::write::undo_of(&req, &json!({"metadata": {"resourceVersion": "7"}}), "8")
            .unwrap();
    let ok = AuditEntry::from_report("ctx", Some("alice"), &req, &applied_report(), Some("7"))
        .with_undo(&undo);
    let rejected = WriteReport {
        dry_run: DryRun::Rejected(WriteOutcome::Forbidden("no".into())),
        outcome: None,
    };
    let bad = AuditEntry::from_report("ctx", None, &req, &rejected, Some("7"));
    log.append(&ok).unwrap();
    log.append(&bad).unwrap();

    let back = log.read_last(10);
    assert_eq!(back, vec![ok.clone(), bad.clone()]);
    assert_eq!(back[0].resource_version_after.as_deref(), Some("8"));
    assert_eq!(back[0].result().result, "applied");
    assert_eq!(back[0].object.display(), "Namespace shop");
    assert_eq!(
        back[0].patch["metadata"]["labels"],
        json!({"a": "b", "c": null})
    );
    assert_eq!(back[1].outcome, None);
    assert_eq!(back[1].result().result, "rejected");
    assert_eq!(back[1].result().message.as_deref(), Some("forbidden: no"));
    assert_eq!(log.read_last(1), vec![bad]);
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[test]
fn unreadable_lines_are_skipped_and_counted() {
    let dir = temp_dir("skip");
    let log = AuditLog::open(Some(dir.clone()));
    let req = set_namespace_labels("shop", "7", &[], &["c".into()]);
    let entry = AuditEntry::from_report("ctx", None, &req, &applied_report(), None);
    log.append(&entry).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(log.path().unwrap())
        .unwrap();
    f.write_all(b"{not json\n\n").unwrap();
    log.append(&entry).unwrap();
    let tail = log.read_tail(5);
    assert_eq!(tail.entries.len(), 2);
    assert_eq!(tail.skipped, 1);
    assert_eq!(tail.error, None);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_log_without_a_directory_says_so_and_never_panics() {
    let log = AuditLog::open(None);
    let req = set_namespace_labels("shop", "7", &[], &["c".into()]);
    let entry = AuditEntry::from_report("ctx", None, &req, &applied_report(), None);
    assert!(
        log.append(&entry)
            .unwrap_err()
            .contains("no data directory")
    );
    assert!(log.read_last(3).is_empty());
    assert!(log.read_tail(3).error.is_some());
}

#[test]
fn a_missing_file_is_an_empty_log() {
    let log = AuditLog::open(Some(temp_dir("missing")));
    assert_eq!(log.read_tail(3), AuditTail::default());
}

#[test]
fn an_unwritable_directory_is_an_error_naming_the_file() {
    // A regular file where the directory should be.
    let file = temp_dir("file");
    std::fs::write(&file, b"x").unwrap();
    let log = AuditLog::open(Some(file.clone()));
    let req = set_namespace_labels("shop", "7", &[], &["c".into()]);
    let entry = AuditEntry::from_report("ctx", None, &req, &applied_report(), None);
    assert!(log.append(&entry).unwrap_err().contains("audit.jsonl"));
    std::fs::remove_file(file).unwrap();
}

#[test]
fn secret_patches_are_not_logged() {
    let secret = crate::cluster::write::Target {
        kind: "Secret".into(),
        plural: "secrets".into(),
        ..crate::cluster::write::Target::namespace("x")
    };
    let req = crate::cluster::write::guarded_merge_patch(
        secret,
        "1",
        json!({"data": {"password": "aHVudGVyMg=="}}),
        "edit",
        "edit".into(),
    );
    let entry = AuditEntry::from_report("ctx", None, &req, &applied_report(), None).with_undo(&req);
    assert!(
        !serde_json::to_string(&entry)
            .unwrap()
            .contains("aHVudGVyMg==")
    );
}

#[test]
fn rows_are_newest_first_with_unreadable_lines_shown_as_such() {
    let dir = temp_dir("rows");
    let log = AuditLog::open(Some(dir.clone()));
    assert_eq!(
        log.read_rows(10).rows,
        vec![],
        "no file yet: empty, no error"
    );
    let first = set_namespace_labels("shop", "7", &[], &["a".into()]);
    let second = set_namespace_labels("web", "8", &[], &["b".into()]);
    log.append(&AuditEntry::from_report(
        "ctx",
        None,
        &first,
        &applied_report(),
        None,
    ))
    .unwrap();
    let path = dir.join(AUDIT_FILE);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{not json\n\n");
    std::fs::write(&path, text).unwrap();
    log.append(&AuditEntry::from_report(
        "ctx",
        None,
        &second,
        &applied_report(),
        None,
    ))
    .unwrap();
    let rows = log.read_rows(10);
    assert_eq!(rows.error, None);
    assert!(
        rows.path
            .as_deref()
            .is_some_and(|p| p.ends_with(AUDIT_FILE))
    );
    let names: Vec<String> = rows
        .rows
        .iter()
        .map(|r| match r {
            AuditRow::Entry(e) => e.object.name.clone(),
            AuditRow::Unreadable { line, text } => format!("line {line}: {text}"),
        })
        .collect();
    assert_eq!(names, vec!["web", "line 2: {not json", "shop"]);
    assert_eq!(log.read_rows(1).rows.len(), 1, "only the newest n");
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_mode(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

fn one_entry() -> AuditEntry {
    let req = set_namespace_labels("shop", "7", &[], &["c".into()]);
    AuditEntry::from_report("ctx", Some("alice"), &req, &applied_report(), Some("7"))
}

/// Who changed what where is nobody else's business: a new log is 0600 in 0700 directories.
#[cfg(unix)]
#[test]
fn a_new_log_is_private() {
    let top = temp_dir("private");
    let dir = top.join("data");
    AuditLog::open(Some(dir.clone()))
        .append(&one_entry())
        .unwrap();
    assert_eq!(mode(&dir.join(AUDIT_FILE)), 0o600);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&top), 0o700, "every directory it creates");
    std::fs::remove_dir_all(top).unwrap();
}

/// A log left world-readable by an older version is narrowed on the next append, and so
/// is its own directory; a directory shared with other files keeps its mode.
#[cfg(unix)]
#[test]
fn an_existing_wide_log_is_narrowed_but_a_shared_directory_is_left_alone() {
    let own = temp_dir("narrow-own");
    std::fs::create_dir_all(&own).unwrap();
    set_mode(&own, 0o755);
    std::fs::write(own.join(AUDIT_FILE), "").unwrap();
    set_mode(&own.join(AUDIT_FILE), 0o644);
    let log = AuditLog::open(Some(own.clone()));
    log.append(&one_entry()).unwrap();
    assert_eq!(mode(&own.join(AUDIT_FILE)), 0o600);
    assert_eq!(mode(&own), 0o700);
    assert_eq!(log.read_last(5).len(), 1, "the entry is written");

    let shared = temp_dir("narrow-shared");
    std::fs::create_dir_all(&shared).unwrap();
    set_mode(&shared, 0o755);
    std::fs::write(shared.join("notes.txt"), "someone else's").unwrap();
    AuditLog::open(Some(shared.clone()))
        .append(&one_entry())
        .unwrap();
    assert_eq!(mode(&shared.join(AUDIT_FILE)), 0o600);
    assert_eq!(mode(&shared), 0o755, "not ours to narrow");
    std::fs::remove_dir_all(own).unwrap();
    std::fs::remove_dir_all(shared).unwrap();
}
