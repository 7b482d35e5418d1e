//! The cursor of a table view follows an object, not a row number: when rows arrive above
//! it (a new route, a namespace) or leave, it stays on the same object after the re-derive.
//! If that object left, it rests on the row that took its place (its neighbour) and says so.

use super::AppState;
use super::action::ViewId;
use super::derived::Derived;
use super::view_state::ViewState;

/// Before a re-derive: remembers which object the visible table's cursor is on.
pub fn anchor(derived: &Derived, ui: &mut ViewState) {
    let Some(view) = derived.view else { return };
    if let Some(key) = derived.row_key(view, ui.selected(view)) {
        ui.anchors.insert(view, key);
    }
}

/// After a re-derive: puts the cursor back on the anchored object. Returns the object's
/// identity when it is no longer among the rows (the cursor then rests on its neighbour).
pub fn follow(derived: &Derived, ui: &mut ViewState) -> Option<String> {
    let view = derived.view?;
    if view == ViewId::Gateways {
        return None;
    }
    let key = ui.anchors.get(&view)?.clone();
    let len = derived.len(view);
    // Usually nothing arrived above: the object is where it was, found without a scan.
    let at = ui.selected(view);
    let found = if derived.row_key(view, at).as_deref() == Some(key.as_str()) {
        Some(at)
    } else {
        derived.position(view, &key)
    };
    match found {
        Some(i) => {
            ui.table(view).select(Some(i));
            None
        }
        None => {
            let i = ui.selected(view).min(len.saturating_sub(1));
            ui.table(view).select(Some(i));
            match derived.row_key(view, i) {
                Some(k) => ui.anchors.insert(view, k),
                None => ui.anchors.remove(&view),
            };
            Some(key)
        }
    }
}

impl AppState {
    /// `refresh`, with the visible table's cursor kept on its object. A selected object
    /// that left while the cluster changed is named in the header, so the cursor never
    /// moves to another object silently. Not news, and not said: a filter that hides it, a
    /// context or namespace switch (a new world), or a message already on screen.
    pub fn refresh_keeping(&mut self, ui: &mut ViewState) {
        let by_filter = !self.stale && self.refilter;
        if self.stale || self.refilter {
            anchor(&self.derived, ui);
        }
        let version = self.derived_version;
        self.refresh();
        if self.derived_version == version {
            return;
        }
        let same_world = ui.anchored_generation == self.generation;
        ui.anchored_generation = self.generation;
        let Some(gone) = follow(&self.derived, ui) else {
            return;
        };
        if by_filter
            || !same_world
            || self.flash.is_some()
            || self.derived.view != Some(self.view)
            || !self.filter(self.view).is_empty()
        {
            return;
        }
        let text = match self.view {
            ViewId::Diagnostics => {
                "the selected finding is no longer raised; the cursor is on the next one".into()
            }
            _ => format!("{gone} is gone; the cursor is on the next row"),
        };
        self.flash(text, super::Level::Info);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testkit::namespace;
    use crate::cluster::cache::Obj;
    use crate::cluster::kinds::{Kind, WatchState};
    use crate::state::ConnInfo;

    fn mesh_with(names: &[&str]) -> AppState {
        let conn = ConnInfo {
            context: "c".into(),
            ..Default::default()
        };
        let mut s = AppState::new(conn, None, false, jiff::Timestamp::UNIX_EPOCH);
        s.view = ViewId::Mesh;
        for n in names {
            s.cache.apply(Obj::Namespace(namespace(n, &[])));
        }
        s.watch.insert(Kind::Namespaces, WatchState::Live);
        s
    }

    fn cursor_on(s: &AppState, ui: &ViewState) -> Option<String> {
        s.derived.row_key(ViewId::Mesh, ui.selected(ViewId::Mesh))
    }

    #[test]
    fn rows_arriving_above_keep_the_cursor_on_its_object() {
        let mut s = mesh_with(&["m-shop", "n-pay"]);
        let mut ui = ViewState::default();
        s.refresh_keeping(&mut ui);
        ui.table(ViewId::Mesh).select(Some(1));
        assert_eq!(cursor_on(&s, &ui).as_deref(), Some("n-pay"));
        // Two namespaces sort above it.
        for n in ["a-new", "b-new"] {
            s.cache.apply(Obj::Namespace(namespace(n, &[])));
        }
        s.stale = true;
        s.refresh_keeping(&mut ui);
        assert_eq!(cursor_on(&s, &ui).as_deref(), Some("n-pay"));
        assert_eq!(ui.selected(ViewId::Mesh), 3);
        assert!(s.flash.is_none());
    }

    #[test]
    fn an_object_that_left_leaves_the_cursor_on_its_neighbour_and_says_so() {
        let mut s = mesh_with(&["a", "b", "c"]);
        let mut ui = ViewState::default();
        s.refresh_keeping(&mut ui);
        ui.table(ViewId::Mesh).select(Some(1));
        s.cache.delete(
            Kind::Namespaces,
            &crate::cluster::objects::ObjKey::new("", "b"),
        );
        s.stale = true;
        s.refresh_keeping(&mut ui);
        assert_eq!(cursor_on(&s, &ui).as_deref(), Some("c"));
        assert!(matches!(&s.flash, Some((m, _)) if m.contains("b is gone")));
    }

    #[test]
    fn a_new_world_or_a_message_on_screen_is_not_talked_over() {
        let mut s = mesh_with(&["a", "b"]);
        let mut ui = ViewState::default();
        s.refresh_keeping(&mut ui);
        ui.table(ViewId::Mesh).select(Some(1));
        s.flash("switched to context other", crate::state::Level::Info);
        s.cache.delete(
            Kind::Namespaces,
            &crate::cluster::objects::ObjKey::new("", "b"),
        );
        s.stale = true;
        s.refresh_keeping(&mut ui);
        assert!(matches!(&s.flash, Some((m, _)) if m == "switched to context other"));
        // A context switch: everything is new, nothing "left".
        s.flash = None;
        s.generation += 1;
        s.cache.delete(
            Kind::Namespaces,
            &crate::cluster::objects::ObjKey::new("", "a"),
        );
        s.cache.apply(Obj::Namespace(namespace("z", &[])));
        s.stale = true;
        s.refresh_keeping(&mut ui);
        assert!(s.flash.is_none(), "{:?}", s.flash);
    }

    #[test]
    fn a_filter_that_hides_the_object_is_not_reported_as_gone() {
        let mut s = mesh_with(&["alpha", "beta"]);
        let mut ui = ViewState::default();
        s.refresh_keeping(&mut ui);
        ui.table(ViewId::Mesh).select(Some(1));
        s.filters.insert(ViewId::Mesh, "alp".into());
        s.refilter = true;
        s.refresh_keeping(&mut ui);
        assert_eq!(cursor_on(&s, &ui).as_deref(), Some("alpha"));
        assert!(s.flash.is_none());
    }
}
