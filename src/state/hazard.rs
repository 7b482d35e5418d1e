//! A write that must be confirmed twice: a step towards a control plane that cannot serve
//! it. The dialog shows why first, in the warning colour; the first Enter on Confirm only
//! arms it (the button then says so), the second writes. Moving the focus disarms it.

use crate::model::mesh::NotReady;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hazard {
    /// Shown first, in the warning colour.
    pub lines: Vec<String>,
    /// The first Enter on Confirm was pressed: the next one writes.
    pub armed: bool,
}

/// The button's label once armed. Keys are written as `[keys.dialog]` actions in braces;
/// the drawing and the reducer put the bound key there (`config::hints::fill`).
pub const AGAIN: &str = "Press {Choose} again to write anyway";

/// The message when the first press armed it (keys as in `AGAIN`).
pub const ARMED: &str =
    "the control plane is NOT READY: press {Choose} again to write anyway ({Cancel} cancels)";

impl Hazard {
    /// Pods of `whose` ("namespace shop", "the wave's namespaces") created from now on go
    /// through the injection webhook of a control plane with no ready replica.
    pub fn not_ready(nr: &[NotReady], whose: &str) -> Option<Hazard> {
        let first = nr.first()?;
        let mut lines: Vec<String> = nr
            .iter()
            .map(|n| format!("WARNING: {}: NOT READY", n.summary()))
            .collect();
        let revs: Vec<&str> = nr.iter().map(|n| n.revision.as_str()).collect();
        lines.push(format!(
            "Pods of {whose} created or restarted into {} go through an injection webhook that",
            revs.join(", ")
        ));
        lines.push(
            "cannot answer: if it fails closed they are not created and rollouts stall (if it"
                .into(),
        );
        lines.push(format!(
            "fails open they start without a sidecar). Wait until istiod {} is ready, or confirm",
            first.revision
        ));
        lines.push("twice to write anyway.".into());
        Some(Hazard {
            lines,
            armed: false,
        })
    }
}

/// Enter on a dialog's Confirm button: true when it may write now. A hazard takes two.
pub fn confirm_pressed(hazard: &mut Option<Hazard>) -> bool {
    match hazard {
        Some(h) if !h.armed => {
            h.armed = true;
            false
        }
        _ => true,
    }
}

/// The focus left Confirm: the next Enter there is a first one again.
pub fn disarm(hazard: &mut Option<Hazard>) {
    if let Some(h) = hazard {
        h.armed = false;
    }
}

/// The Confirm button's label: `ok` until armed (then `AGAIN`, keys still to be filled).
pub fn ok_label<'a>(hazard: &Option<Hazard>, ok: &'a str) -> &'a str {
    match hazard {
        Some(h) if h.armed => AGAIN,
        _ => ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nr(rev: &str) -> NotReady {
        NotReady {
            revision: rev.into(),
            namespace: "aks-istio-system".into(),
            ready: 0,
            desired: 1,
        }
    }

    #[test]
    fn a_hazard_takes_two_presses_and_moving_away_disarms() {
        assert_eq!(Hazard::not_ready(&[], "namespace shop"), None);
        let mut h = Hazard::not_ready(&[nr("asm-1-23")], "namespace shop");
        let lines = h.as_ref().unwrap().lines.clone();
        assert_eq!(
            lines[0],
            "WARNING: istiod asm-1-23 (aks-istio-system) has 0 of 1 replica ready: NOT READY"
        );
        assert!(lines.join(" ").contains("rollouts stall"), "{lines:?}");
        assert_eq!(ok_label(&h, "Confirm"), "Confirm");
        assert!(!confirm_pressed(&mut h), "the first press only arms");
        assert_eq!(ok_label(&h, "Confirm"), AGAIN);
        disarm(&mut h);
        assert!(!confirm_pressed(&mut h), "disarmed: a first press again");
        assert!(confirm_pressed(&mut h), "the second press writes");
        assert!(confirm_pressed(&mut None), "no hazard: one press");
    }
}
