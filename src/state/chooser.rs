//! Two generic dialogs: a chooser (pick one of a few options) and a plan (review a list of
//! writes, scrollable, Cancel focused; one confirm for many writes). Both take named
//! actions (`[keys.chooser]`, `[keys.dialog]`), never key codes.
//! What a pick or a confirm leads to is data (`Purpose`, `Then`), so the reducer stays pure
//! and other screens can add their own variants.

use crate::state::hazard::{self, Hazard};
use crate::state::modal_action::{ChooserAction, DialogAction};
use crate::state::write::WriteOp;

/// One namespace label change offered by the injection chooser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelChoice {
    pub label: String,
    pub set: Vec<(String, String)>,
    pub remove: Vec<String>,
}

/// One value for a workload's pod-template `sidecar.istio.io/inject` label (None = remove).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadChoice {
    pub label: String,
    pub value: Option<String>,
}

/// What the chooser is for; the reducer turns a pick into the next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// Namespace injection labels; one `LabelChoice` per option.
    NamespaceInjection {
        namespace: String,
        choices: Vec<LabelChoice>,
    },
    /// The pod-template label of one workload; one `WorkloadChoice` per option.
    WorkloadInjection {
        kind: crate::cluster::objects::WorkloadKind,
        key: crate::cluster::objects::ObjKey,
        choices: Vec<WorkloadChoice>,
    },
    /// Which workloads to restart: options are built by `state::inject::bulk_options`.
    BulkRestart {
        /// The namespaces "needs a restart" looks at.
        scope: Vec<String>,
        /// The namespace "all workloads" means, if any.
        namespace: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chooser {
    pub title: String,
    /// Context lines above the options (what is selected, what it is now).
    pub intro: Vec<String>,
    pub options: Vec<String>,
    /// Options drawn in the warning colour (towards a control plane that is not ready).
    pub flagged: Vec<usize>,
    pub cursor: usize,
    pub purpose: Purpose,
}

/// What an action did to a chooser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChooserKey {
    Moved,
    Picked(usize),
    Cancelled,
    Ignored,
}

impl Chooser {
    pub fn apply(&mut self, action: ChooserAction) -> ChooserKey {
        let last = self.options.len().saturating_sub(1);
        match action {
            ChooserAction::Down => self.cursor = (self.cursor + 1).min(last),
            ChooserAction::Up => self.cursor = self.cursor.saturating_sub(1),
            ChooserAction::Top => self.cursor = 0,
            ChooserAction::Bottom => self.cursor = last,
            ChooserAction::Pick if !self.options.is_empty() => {
                return ChooserKey::Picked(self.cursor);
            }
            ChooserAction::Pick => return ChooserKey::Ignored,
            ChooserAction::Cancel => return ChooserKey::Cancelled,
        }
        ChooserKey::Moved
    }
}

/// What happens after the plan's writes succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Then {
    /// Nothing more: the write's own result is the message.
    Nothing,
    /// Offer to restart the workloads whose pods would change under the namespace's new
    /// labels (the labels the write sets).
    OfferRestart {
        namespace: String,
        labels_after: std::collections::BTreeMap<String, String>,
    },
    /// Many writes: one summary when all have answered.
    Summarize { what: String },
}

/// Writes waiting for an explicit yes. Like `write::Confirm`, Cancel is focused first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub title: String,
    pub body: Vec<String>,
    pub ops: Vec<WriteOp>,
    /// The confirm button's label, e.g. "Confirm restart of 3 workloads".
    pub ok_label: String,
    pub ok_focused: bool,
    pub scroll: u16,
    pub then: Then,
    /// Why this write needs a second Enter on Confirm (shown first, in the warning colour).
    pub hazard: Option<Hazard>,
}

/// Lines a page key scrolls a dialog's body.
pub const PAGE: u16 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKey {
    Handled,
    Confirmed,
    Cancelled,
}

impl Plan {
    pub fn apply(&mut self, action: DialogAction) -> PlanKey {
        match action {
            DialogAction::SwitchFocus => {
                self.ok_focused = !self.ok_focused;
                hazard::disarm(&mut self.hazard);
            }
            DialogAction::ScrollDown => self.scroll = self.scroll.saturating_add(1),
            DialogAction::ScrollUp => self.scroll = self.scroll.saturating_sub(1),
            DialogAction::PageDown => self.scroll = self.scroll.saturating_add(PAGE),
            DialogAction::PageUp => self.scroll = self.scroll.saturating_sub(PAGE),
            DialogAction::Choose if self.ok_focused => {
                if hazard::confirm_pressed(&mut self.hazard) {
                    return PlanKey::Confirmed;
                }
            }
            DialogAction::Choose | DialogAction::Cancel => return PlanKey::Cancelled,
        }
        PlanKey::Handled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChooserAction as C;
    use DialogAction as D;

    #[test]
    fn chooser_moves_within_options_and_picks() {
        let mut c = Chooser {
            title: "t".into(),
            intro: vec![],
            options: vec!["a".into(), "b".into()],
            flagged: vec![],
            cursor: 0,
            purpose: Purpose::BulkRestart {
                scope: vec![],
                namespace: None,
            },
        };
        assert_eq!(c.apply(C::Up), ChooserKey::Moved);
        assert_eq!(c.cursor, 0);
        c.apply(C::Down);
        c.apply(C::Down);
        assert_eq!(c.cursor, 1, "stays on the last option");
        assert_eq!(c.apply(C::Pick), ChooserKey::Picked(1));
        assert_eq!(c.apply(C::Cancel), ChooserKey::Cancelled);
        c.apply(C::Bottom);
        assert_eq!(c.cursor, 1);
        c.apply(C::Top);
        assert_eq!(c.cursor, 0);
        c.options.clear();
        assert_eq!(c.apply(C::Pick), ChooserKey::Ignored, "nothing to pick");
    }

    fn plan(hazard: Option<Hazard>) -> Plan {
        Plan {
            title: "t".into(),
            body: vec![],
            ops: vec![],
            ok_label: "ok".into(),
            ok_focused: false,
            scroll: 0,
            then: Then::Nothing,
            hazard,
        }
    }

    #[test]
    fn plan_enter_on_cancel_cancels() {
        let mut p = plan(None);
        assert_eq!(p.apply(D::Choose), PlanKey::Cancelled);
        p.apply(D::ScrollDown);
        assert_eq!(p.scroll, 1);
        p.apply(D::SwitchFocus);
        assert_eq!(p.apply(D::Choose), PlanKey::Confirmed);
    }

    #[test]
    fn plan_pages_and_cancel_cancels() {
        let mut p = plan(None);
        p.apply(D::PageDown);
        p.apply(D::PageDown);
        p.apply(D::PageUp);
        p.apply(D::ScrollUp);
        assert_eq!(p.scroll, PAGE - 1);
        p.apply(D::SwitchFocus);
        assert_eq!(p.apply(D::Cancel), PlanKey::Cancelled, "even on Confirm");
    }

    #[test]
    fn plan_with_a_hazard_needs_enter_twice_on_confirm() {
        let nr = crate::model::mesh::NotReady {
            revision: "asm-1-23".into(),
            namespace: "aks-istio-system".into(),
            ready: 0,
            desired: 1,
        };
        let mut p = plan(Hazard::not_ready(&[nr], "namespace shop"));
        assert_eq!(p.apply(D::Choose), PlanKey::Cancelled, "Cancel first");
        p.apply(D::SwitchFocus);
        assert_eq!(p.apply(D::Choose), PlanKey::Handled, "armed only");
        assert!(p.hazard.as_ref().unwrap().armed);
        // Back to Cancel and again to Confirm: a first press again.
        p.apply(D::SwitchFocus);
        p.apply(D::SwitchFocus);
        assert_eq!(p.apply(D::Choose), PlanKey::Handled);
        assert_eq!(p.apply(D::Choose), PlanKey::Confirmed);
    }
}
