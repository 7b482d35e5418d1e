//! Two generic dialogs: a chooser (pick one of a few options with j/k and Enter) and a plan
//! (review a list of writes, scrollable, Cancel focused; one confirm for many writes).
//! What a pick or a confirm leads to is data (`Purpose`, `Then`), so the reducer stays pure
//! and other screens can add their own variants.

use crossterm::event::{KeyCode, KeyEvent};

use crate::state::hazard::{self, Hazard};
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

/// What a key did to a chooser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChooserKey {
    Moved,
    Picked(usize),
    Cancelled,
    Ignored,
}

impl Chooser {
    pub fn key(&mut self, key: &KeyEvent) -> ChooserKey {
        let last = self.options.len().saturating_sub(1);
        match key.code {
            KeyCode::Char('j') | KeyCode::Down | KeyCode::Tab => {
                self.cursor = (self.cursor + 1).min(last);
                ChooserKey::Moved
            }
            KeyCode::Char('k') | KeyCode::Up | KeyCode::BackTab => {
                self.cursor = self.cursor.saturating_sub(1);
                ChooserKey::Moved
            }
            KeyCode::Char('g') | KeyCode::Home => {
                self.cursor = 0;
                ChooserKey::Moved
            }
            KeyCode::Char('G') | KeyCode::End => {
                self.cursor = last;
                ChooserKey::Moved
            }
            KeyCode::Enter if !self.options.is_empty() => ChooserKey::Picked(self.cursor),
            KeyCode::Esc | KeyCode::Char('q') => ChooserKey::Cancelled,
            _ => ChooserKey::Ignored,
        }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKey {
    Handled,
    Confirmed,
    Cancelled,
}

impl Plan {
    pub fn key(&mut self, key: &KeyEvent) -> PlanKey {
        match key.code {
            KeyCode::Tab
            | KeyCode::BackTab
            | KeyCode::Left
            | KeyCode::Right
            | KeyCode::Char('h')
            | KeyCode::Char('l') => {
                self.ok_focused = !self.ok_focused;
                hazard::disarm(&mut self.hazard);
            }
            KeyCode::Char('j') | KeyCode::Down => self.scroll = self.scroll.saturating_add(1),
            KeyCode::Char('k') | KeyCode::Up => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll = self.scroll.saturating_add(10),
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(10),
            KeyCode::Enter if self.ok_focused => {
                if hazard::confirm_pressed(&mut self.hazard) {
                    return PlanKey::Confirmed;
                }
            }
            KeyCode::Enter | KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => {
                return PlanKey::Cancelled;
            }
            _ => {}
        }
        PlanKey::Handled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

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
        assert_eq!(c.key(&k(KeyCode::Char('k'))), ChooserKey::Moved);
        assert_eq!(c.cursor, 0);
        c.key(&k(KeyCode::Char('j')));
        c.key(&k(KeyCode::Char('j')));
        assert_eq!(c.cursor, 1, "stays on the last option");
        assert_eq!(c.key(&k(KeyCode::Enter)), ChooserKey::Picked(1));
        assert_eq!(c.key(&k(KeyCode::Esc)), ChooserKey::Cancelled);
        assert_eq!(c.key(&k(KeyCode::Char('x'))), ChooserKey::Ignored);
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
        assert_eq!(p.key(&k(KeyCode::Enter)), PlanKey::Cancelled);
        p.key(&k(KeyCode::Char('j')));
        assert_eq!(p.scroll, 1);
        p.key(&k(KeyCode::Tab));
        assert_eq!(p.key(&k(KeyCode::Enter)), PlanKey::Confirmed);
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
        assert_eq!(
            p.key(&k(KeyCode::Enter)),
            PlanKey::Cancelled,
            "Cancel first"
        );
        p.key(&k(KeyCode::Tab));
        assert_eq!(p.key(&k(KeyCode::Enter)), PlanKey::Handled, "armed only");
        assert!(p.hazard.as_ref().unwrap().armed);
        // Back to Cancel and again to Confirm: a first press again.
        p.key(&k(KeyCode::Tab));
        p.key(&k(KeyCode::Tab));
        assert_eq!(p.key(&k(KeyCode::Enter)), PlanKey::Handled);
        assert_eq!(p.key(&k(KeyCode::Enter)), PlanKey::Confirmed);
    }
}
