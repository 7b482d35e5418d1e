//! Audit log: one JSON line per attempted write in `<data_dir>/audit.jsonl`.
//!
//! Append-only and best effort: a log that cannot be written says so (the UI shows it)
//! but never stops the app. Entries hold the patch, not object dumps.
//!
//! Private: it records who changed what where, so the file is 0600 and a directory it
//! creates 0700. A wider file is narrowed on the next append; so is a wider directory if it
//! is the log's own (holds nothing else): a shared directory named by `$MESHCTL_DATA_DIR`
//! is left as it is.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cluster::write::{DryRun, Target, WriteOutcome, WriteReport, WriteRequest};

pub const AUDIT_FILE: &str = "audit.jsonl";

/// A result with its message: `{"result": "conflict", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditResult {
    /// passed | unsupported | rejected (dry run); applied | conflict | forbidden |
    /// invalid | not-found | unreachable | failed (outcome).
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl AuditResult {
    fn of_outcome(o: &WriteOutcome) -> AuditResult {
        AuditResult {
            result: o.name().into(),
            message: o.message().map(Into::into),
        }
    }

    fn of_dry_run(d: &DryRun) -> AuditResult {
        let (result, message) = match d {
            DryRun::Passed => ("passed", None),
            DryRun::Unsupported(m) => ("unsupported", Some(m.clone())),
            DryRun::Rejected(o) => (
                "rejected",
                Some(format!("{}: {}", o.name(), o.message().unwrap_or_default())),
            ),
        };
        AuditResult {
            result: result.into(),
            message,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339, UTC.
    pub time: String,
    pub context: String,
    pub user: Option<String>,
    pub verb: String,
    pub summary: String,
    pub object: Target,
    /// The patch as sent (merge patch document or JSON-patch ops).
    pub patch: Value,
    pub dry_run: AuditResult,
    /// `None` when the dry run rejected the write (nothing was sent for real).
    pub outcome: Option<AuditResult>,
    pub resource_version_before: Option<String>,
    pub resource_version_after: Option<String>,
    /// The patch that reverts this write, when the caller knew the object before it
    /// (see `with_undo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<Value>,
}

impl AuditEntry {
    pub fn from_report(
        context: &str,
        user: Option<&str>,
        req: &WriteRequest,
        report: &WriteReport,
        resource_version_before: Option<&str>,
    ) -> AuditEntry {
        AuditEntry {
            time: jiff::Timestamp::now().to_string(),
            context: context.into(),
            user: user.map(Into::into),
            verb: req.verb.into(),
            summary: req.summary.clone(),
            object: req.target.clone(),
            patch: if req.target.is_secret() {
                Value::String("(patch of a Secret: not logged)".into())
            } else {
                req.patch.to_json()
            },
            dry_run: AuditResult::of_dry_run(&report.dry_run),
            outcome: report.outcome.as_ref().map(AuditResult::of_outcome),
            resource_version_before: resource_version_before.map(Into::into),
            resource_version_after: report.applied_resource_version().map(Into::into),
            undo: None,
        }
    }

    /// Records the inverse write (from `cluster::write::undo_of`).
    pub fn with_undo(mut self, undo: &WriteRequest) -> AuditEntry {
        self.undo = (!undo.target.is_secret()).then(|| undo.patch.to_json());
        self
    }

    /// What finally happened: the outcome, else the dry-run result.
    pub fn result(&self) -> &AuditResult {
        self.outcome.as_ref().unwrap_or(&self.dry_run)
    }
}

/// The last entries of the log, and how many lines could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditTail {
    pub entries: Vec<AuditEntry>,
    /// Unreadable lines met (and skipped) while collecting the entries.
    pub skipped: usize,
    /// Why the file could not be read at all (a missing file is just empty).
    pub error: Option<String>,
}

/// One line of the log as the `:audit` view shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditRow {
    Entry(Box<AuditEntry>),
    /// A line that is not an entry (hand-edited, truncated, from another version): shown as
    /// such, never dropped silently. `line` counts from 1.
    Unreadable {
        line: usize,
        text: String,
    },
}

/// The newest lines of the log, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditRows {
    pub rows: Vec<AuditRow>,
    /// Where the log is (for the view's title).
    pub path: Option<String>,
    /// Why the file could not be read at all (a missing file is just empty).
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AuditLog {
    path: Option<PathBuf>,
}

impl AuditLog {
    /// The log in `dir` (created on first append); `None` gives a log that reports it
    /// cannot write.
    pub fn open(dir: Option<PathBuf>) -> AuditLog {
        AuditLog {
            path: dir.map(|d| d.join(AUDIT_FILE)),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends one line. Errors name the file and are for the UI to show.
    pub fn append(&self, entry: &AuditEntry) -> Result<(), String> {
        let path = self
            .path
            .as_ref()
            .ok_or("audit log disabled: no data directory (set MESHCTL_DATA_DIR)")?;
        let fail = |e: std::io::Error| format!("audit log {}: {e}", path.display());
        if let Some(dir) = path.parent() {
            private::create_dir(dir).map_err(fail)?;
        }
        let mut line = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        line.push('\n');
        let mut file = private::open_append(path).map_err(fail)?;
        // Narrowing a log someone else owns fails: the line is still written, and the
        // failure reported.
        let narrowed = private::narrow(&file, path);
        // One write of the whole line: O_APPEND keeps concurrent writers' lines whole.
        file.write_all(line.as_bytes()).map_err(fail)?;
        narrowed.map_err(|e| format!("audit log {}: cannot make it private: {e}", path.display()))
    }

    /// The last `n` lines, newest first, unreadable ones included (as such).
    pub fn read_rows(&self, n: usize) -> AuditRows {
        let mut out = AuditRows {
            path: self.path.as_ref().map(|p| p.display().to_string()),
            ..AuditRows::default()
        };
        let Some(path) = &self.path else {
            out.error = Some("audit log disabled: no data directory (set MESHCTL_DATA_DIR)".into());
            return out;
        };
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
            Err(e) => {
                out.error = Some(format!("audit log {}: {e}", path.display()));
                return out;
            }
        };
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        out.rows = lines
            .into_iter()
            .rev()
            .take(n)
            .map(|(i, l)| match serde_json::from_str(l) {
                Ok(e) => AuditRow::Entry(Box::new(e)),
                Err(_) => AuditRow::Unreadable {
                    line: i + 1,
                    text: l.to_string(),
                },
            })
            .collect();
        out
    }

    /// The last `n` readable entries, oldest first; unreadable lines are skipped (and
    /// counted in a warning; `read_tail` returns the count).
    pub fn read_last(&self, n: usize) -> Vec<AuditEntry> {
        let tail = self.read_tail(n);
        if tail.skipped > 0 {
            tracing::warn!(skipped = tail.skipped, "unreadable lines in the audit log");
        }
        tail.entries
    }

    /// `read_last` with the count of skipped lines and any read error.
    pub fn read_tail(&self, n: usize) -> AuditTail {
        let Some(path) = &self.path else {
            return AuditTail {
                error: Some("audit log disabled: no data directory".into()),
                ..AuditTail::default()
            };
        };
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return AuditTail::default(),
            Err(e) => {
                return AuditTail {
                    error: Some(format!("audit log {}: {e}", path.display())),
                    ..AuditTail::default()
                };
            }
        };
        let mut tail = AuditTail::default();
        for line in text.lines().rev().filter(|l| !l.trim().is_empty()) {
            if tail.entries.len() == n {
                break;
            }
            match serde_json::from_str(line) {
                Ok(entry) => tail.entries.push(entry),
                Err(_) => tail.skipped += 1,
            }
        }
        tail.entries.reverse();
        tail
    }
}

/// File and directory modes of the log (see the module docs).
mod private {
    use std::fs::{File, OpenOptions};
    use std::io;
    use std::path::Path;

    #[cfg(unix)]
    pub fn create_dir(dir: &Path) -> io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }

    #[cfg(not(unix))]
    pub fn create_dir(dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    pub fn open_append(path: &Path) -> io::Result<File> {
        let mut o = OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        o.open(path)
    }

    /// The file to 0600 if wider; its directory to 0700 if wider and the log's own (same
    /// owner as the file, nothing else in it).
    #[cfg(unix)]
    pub fn narrow(file: &File, path: &Path) -> io::Result<()> {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let meta = file.metadata()?;
        if meta.mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
            return Ok(());
        };
        let dmeta = std::fs::metadata(dir)?;
        if dmeta.mode() & 0o077 == 0 || dmeta.uid() != meta.uid() {
            return Ok(());
        }
        let only_the_log =
            std::fs::read_dir(dir)?.all(|e| e.is_ok_and(|e| e.file_name() == *super::AUDIT_FILE));
        if only_the_log {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }

    #[cfg(not(unix))]
    pub fn narrow(_file: &File, _path: &Path) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
