//! The `:audit` overlay's state.
//!
//! An overlay (a `Modal`), not a `ViewId`: the audit log is this tool's own record, not a
//! cluster view. It spans every context and namespace, has no watch inputs, filter or
//! namespace scope, and is opened from wherever a write was just made and closed back to
//! exactly that place (the detail and cursor under it stay as they were).

use crate::audit::AuditRows;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditView {
    /// `None` until the file has been read.
    pub rows: Option<AuditRows>,
    /// Index into `rows.rows` (newest first).
    pub selected: usize,
    /// The detail pane takes the whole overlay (Enter toggles).
    pub detail_only: bool,
}

impl AuditView {
    pub fn len(&self) -> usize {
        self.rows.as_ref().map_or(0, |r| r.rows.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// New rows keep the cursor in range (the newest row is first, so a reload after a
    /// write shows it at the top).
    pub fn loaded(&mut self, rows: AuditRows) {
        self.rows = Some(rows);
        self.selected = self.selected.min(self.len().saturating_sub(1));
    }
}
