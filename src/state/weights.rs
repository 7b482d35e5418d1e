//! The traffic-weight editor for one rule of an HTTPRoute, GRPCRoute or VirtualService:
//! plain data and pure transitions. Keys map to these in `app::weights`; the view draws
//! them in `ui::weights`. Nothing here reaches the API: `review` turns a valid draft into
//! a `WeightChange` list that the confirm dialog shows and the write applies.

use crate::cluster::objects::{BackendInfo, ObjKey, RouteInfo, RouteKind};
use crate::model::routes::backend_kind_invalid_with;
use crate::model::weights::{apportion, shares};

/// How a kind's weights are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Gateway API: relative weights 0..=1,000,000; all zero sends no traffic.
    Relative,
    /// Istio VirtualService: percentages that must add up to 100.
    Percent,
}

impl Scale {
    pub fn of(kind: RouteKind) -> Scale {
        match kind {
            RouteKind::Http | RouteKind::Grpc => Scale::Relative,
            RouteKind::Virtual => Scale::Percent,
        }
    }

    pub fn max(self) -> i64 {
        match self {
            Scale::Relative => 1_000_000,
            Scale::Percent => 100,
        }
    }

    fn limit_text(self) -> &'static str {
        match self {
            Scale::Relative => "1,000,000 (the Gateway API maximum)",
            Scale::Percent => "100 (a VirtualService weight is a percentage)",
        }
    }
}

/// The note when a draft's route changed shape (the drift line above it says how).
const RESHAPED: &str =
    "cannot write this draft: the route changed shape; {Reset} reloads the route, {Close} closes";

pub const SMALL_STEP: i64 = 1;
pub const LARGE_STEP: i64 = 10;
/// What `c` cycles the selected backend through: its share of the traffic, in percent.
pub const CANARY_PRESETS: [i64; 4] = [0, 10, 50, 100];

/// One backend of the rule: what the cluster had when the editor opened (`before`), and
/// the draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    /// `Service shop/checkout-v2:8080`, `reviews subset v2`.
    pub label: String,
    /// The backendRef name (Gateway API) the write tests before it patches: the patch
    /// fails instead of changing the wrong backend.
    pub identity: Option<String>,
    pub before: i64,
    pub weight: i64,
    /// An unsupported backend kind (Gateway API InvalidKind): its share gets HTTP 500, so
    /// its weight only sets how many requests fail.
    pub invalid_kind: bool,
}

/// A confirmed change to one backend's weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightChange {
    pub index: usize,
    pub identity: Option<String>,
    pub label: String,
    pub before: i64,
    pub after: i64,
}

/// What the cluster's copy of the route looks like now, compared with the editor's base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// Same object version as when the editor opened.
    None,
    /// Someone changed the route (same backends): their weights, per backend.
    Changed {
        resource_version: String,
        weights: Vec<i64>,
    },
    /// The rule's backends are different now, or the rule or route is gone: this draft
    /// can no longer be applied.
    Reshaped(String),
}

/// A line under the editor's rows. A key is written as its action in braces (`{Review}`,
/// `{Close}`: `WeightsAction` variants); the drawing puts the bound key there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    Info(String),
    Warn(String),
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightEditor {
    pub kind: RouteKind,
    pub key: ObjKey,
    pub rule: usize,
    pub rules: usize,
    /// `rule 2 "canary": PathPrefix /api`.
    pub rule_label: String,
    pub resource_version: String,
    pub backends: Vec<Backend>,
    pub cursor: usize,
    /// A value being typed for the selected backend (any text: it is validated on Enter).
    pub typing: Option<String>,
    pub note: Option<Note>,
    pub drift: Drift,
    /// Enter was pressed once on an all-zero Gateway API draft: the next Enter reviews it.
    pub zero_armed: bool,
    /// Esc was pressed once on a modified draft: the next Esc discards it.
    pub discard_armed: bool,
}

fn backend_label(b: &BackendInfo) -> String {
    let mut s = if b.is_service() {
        b.key.to_string()
    } else {
        format!("{} {}", b.kind, b.key)
    };
    if let Some(p) = b.port {
        s.push_str(&format!(":{p}"));
    }
    if let Some(sub) = &b.subset {
        s.push_str(&format!(" subset {sub}"));
    }
    s
}

fn rule_label(route: &RouteInfo, i: usize) -> String {
    let rule = &route.rules[i];
    let name = rule
        .name
        .as_ref()
        .map(|n| format!(" \"{n}\""))
        .unwrap_or_default();
    let matches = if rule.matches.is_empty() {
        "match all".to_string()
    } else {
        rule.matches.join(" | ")
    };
    format!("rule {}{name}: {matches}", i + 1)
}

/// The backendRef name a Gateway API write tests. A VirtualService host may be written in
/// several forms, so its writes rely on the resourceVersion test alone.
fn identity(kind: RouteKind, b: &BackendInfo) -> Option<String> {
    match kind {
        RouteKind::Virtual => None,
        RouteKind::Http | RouteKind::Grpc => Some(b.key.name.clone()),
    }
}

impl WeightEditor {
    /// An editor on `rule` of `route` (clamped to the rules it has). Refuses routes it
    /// cannot edit, with the reason.
    pub fn open(route: &RouteInfo, rule: usize) -> Result<WeightEditor, String> {
        let Some(rv) = route.resource_version.clone() else {
            return Err(format!(
                "{} has no resourceVersion yet; try again",
                route.key
            ));
        };
        if route.rules.iter().all(|r| r.backends.is_empty()) {
            return Err(format!(
                "{} {} has no backends to weigh (a redirect or filter-only route)",
                route.kind.kind(),
                route.key
            ));
        }
        // Start on the asked rule, or the first one that has backends.
        let rule = if route
            .rules
            .get(rule)
            .is_some_and(|r| !r.backends.is_empty())
        {
            rule
        } else {
            route
                .rules
                .iter()
                .position(|r| !r.backends.is_empty())
                .unwrap_or(0)
        };
        let mut e = WeightEditor {
            kind: route.kind,
            key: route.key.clone(),
            rule,
            rules: route.rules.len(),
            rule_label: String::new(),
            resource_version: rv,
            backends: Vec::new(),
            cursor: 0,
            typing: None,
            note: None,
            drift: Drift::None,
            zero_armed: false,
            discard_armed: false,
        };
        e.load(route, rule);
        Ok(e)
    }

    fn load(&mut self, route: &RouteInfo, rule: usize) {
        self.rule = rule;
        self.rules = route.rules.len();
        self.rule_label = rule_label(route, rule);
        self.resource_version = route.resource_version.clone().unwrap_or_default();
        self.backends = route.rules[rule]
            .backends
            .iter()
            .map(|b| Backend {
                label: backend_label(b),
                identity: identity(route.kind, b),
                before: b.weight,
                weight: b.weight,
                // The parents' controllers are not known here: Istio's own kinds pass.
                invalid_kind: backend_kind_invalid_with(route, b, |_| None),
            })
            .collect();
        self.cursor = self.cursor.min(self.backends.len().saturating_sub(1));
        self.typing = None;
        self.drift = Drift::None;
        self.zero_armed = false;
        self.discard_armed = false;
        self.note = if self.kind == RouteKind::Virtual && self.backends.len() == 1 {
            Some(Note::Info(
                "a single destination takes all traffic: its weight has no effect".into(),
            ))
        } else if self.backends.is_empty() {
            Some(Note::Info(
                "this rule has no backends; tab for another rule".into(),
            ))
        } else {
            None
        };
    }

    pub fn scale(&self) -> Scale {
        Scale::of(self.kind)
    }

    pub fn modified(&self) -> bool {
        self.backends.iter().any(|b| b.weight != b.before)
    }

    pub fn weights(&self) -> Vec<i64> {
        self.backends.iter().map(|b| b.weight).collect()
    }

    pub fn total(&self) -> i64 {
        self.backends.iter().map(|b| b.weight).sum()
    }

    /// Share of traffic per backend, in percent, as the draft stands.
    pub fn percent(&self) -> Vec<f64> {
        shares(&self.weights()).percent
    }

    fn editable(&mut self) -> bool {
        if self.backends.is_empty() {
            self.note = Some(Note::Warn("this rule has no backends".into()));
            return false;
        }
        if self.kind == RouteKind::Virtual && self.backends.len() == 1 {
            self.note = Some(Note::Warn(
                "a single destination takes all traffic: there is no split to edit".into(),
            ));
            return false;
        }
        if let Drift::Reshaped(_) = &self.drift {
            self.note = Some(Note::Error(RESHAPED.into()));
            return false;
        }
        true
    }

    /// A transition that changes the draft clears the one-shot confirmations.
    fn touched(&mut self) {
        self.zero_armed = false;
        self.discard_armed = false;
    }

    pub fn move_cursor(&mut self, down: bool) {
        let last = self.backends.len().saturating_sub(1);
        self.cursor = if down {
            (self.cursor + 1).min(last)
        } else {
            self.cursor.saturating_sub(1)
        };
    }

    pub fn step(&mut self, delta: i64) {
        if !self.editable() {
            return;
        }
        let max = self.scale().max();
        let b = &mut self.backends[self.cursor];
        let want = b.weight.saturating_add(delta);
        b.weight = want.clamp(0, max);
        self.note = if want < 0 {
            Some(Note::Warn("a weight cannot go below 0".into()))
        } else if want > max {
            Some(Note::Warn(format!(
                "the maximum is {}",
                self.scale().limit_text()
            )))
        } else {
            None
        };
        self.touched();
    }

    /// Starts typing a value for the selected backend, optionally with its first char.
    pub fn start_typing(&mut self, first: Option<char>) {
        if !self.editable() {
            return;
        }
        self.typing = Some(first.map(String::from).unwrap_or_default());
        self.note = Some(Note::Info(format!(
            "type a weight for {} (0–{}), {{Review}} sets it, {{Close}} cancels",
            self.backends[self.cursor].label,
            self.scale().max()
        )));
    }

    pub fn type_char(&mut self, c: char) {
        if let Some(t) = &mut self.typing
            && t.chars().count() < crate::state::input::MAX_CHARS
        {
            t.push(c);
        }
    }

    pub fn type_backspace(&mut self) {
        if let Some(t) = &mut self.typing {
            t.pop();
        }
    }

    pub fn cancel_typing(&mut self) {
        self.typing = None;
        self.note = None;
    }

    /// Sets the typed value, or keeps the text and says what is wrong with it.
    pub fn commit_typing(&mut self) {
        let Some(text) = self.typing.clone() else {
            return;
        };
        match parse_weight(&text, self.scale()) {
            Ok(w) => {
                self.backends[self.cursor].weight = w;
                self.typing = None;
                self.note = None;
                self.touched();
            }
            Err(e) => self.note = Some(Note::Error(e)),
        }
    }

    /// Equal shares of 100 (34/33/33 for three).
    pub fn even_split(&mut self) {
        if !self.editable() {
            return;
        }
        let even = apportion(&vec![1; self.backends.len()], 100);
        self.set_all(&even);
        self.note = Some(Note::Info("even split".into()));
    }

    /// Gives the selected backend `pct`% of the traffic; the others share the rest in their
    /// current proportions (evenly if they all had none). The weights sum to 100.
    pub fn preset(&mut self, pct: i64) {
        if !self.editable() {
            return;
        }
        let pct = pct.clamp(0, 100);
        let others: Vec<i64> = self
            .backends
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != self.cursor)
            .map(|(_, b)| b.weight)
            .collect();
        if others.is_empty() {
            self.note = Some(Note::Warn(
                "presets split traffic between backends; this rule has one".into(),
            ));
            return;
        }
        let mut rest = apportion(&others, 100 - pct).into_iter();
        let all: Vec<i64> = (0..self.backends.len())
            .map(|i| {
                if i == self.cursor {
                    pct
                } else {
                    rest.next().unwrap_or(0)
                }
            })
            .collect();
        self.set_all(&all);
        self.note = Some(Note::Info(format!(
            "canary preset: {pct}% to {}",
            self.backends[self.cursor].label
        )));
    }

    /// The next canary preset above the selected backend's current share (wrapping to 0).
    pub fn cycle_preset(&mut self) {
        let current = self.percent().get(self.cursor).copied().unwrap_or(0.0);
        let next = CANARY_PRESETS
            .iter()
            .copied()
            .find(|p| *p as f64 > current + 0.05)
            .unwrap_or(CANARY_PRESETS[0]);
        self.preset(next);
    }

    /// Scales the draft to sum to exactly 100, keeping proportions.
    pub fn normalise(&mut self) {
        if !self.editable() {
            return;
        }
        if self.total() == 0 {
            self.note = Some(Note::Warn(
                "all weights are 0: nothing to normalise; e splits evenly".into(),
            ));
            return;
        }
        let scaled = apportion(&self.weights(), 100);
        self.set_all(&scaled);
        self.note = Some(Note::Info("normalised to 100".into()));
    }

    fn set_all(&mut self, weights: &[i64]) {
        for (b, w) in self.backends.iter_mut().zip(weights) {
            b.weight = *w;
        }
        self.typing = None;
        self.touched();
    }

    /// Back to what the cluster has now (the fresh object if it changed): the draft is
    /// dropped.
    pub fn reset(&mut self, route: Option<&RouteInfo>) {
        match route.filter(|r| r.rules.get(self.rule).is_some()) {
            Some(r) => {
                self.load(r, self.rule);
                self.note = Some(Note::Info("draft reset to the cluster's weights".into()));
            }
            None => {
                self.note = Some(Note::Error(
                    "the route or this rule no longer exists; {Close} closes".into(),
                ))
            }
        }
    }

    /// Keeps the draft but takes the cluster's current object as its base, so the next
    /// write is conditioned on the fresh resourceVersion: the user has seen both.
    pub fn rebase(&mut self) {
        match std::mem::replace(&mut self.drift, Drift::None) {
            Drift::Changed {
                resource_version,
                weights,
            } => {
                self.resource_version = resource_version;
                for (b, w) in self.backends.iter_mut().zip(weights) {
                    b.before = w;
                }
                self.note = Some(Note::Info(
                    "your draft now applies to the fresh object; {Review} to review".into(),
                ));
            }
            other => {
                self.drift = other;
                self.note = Some(Note::Info(
                    "nothing to rebase: the route has not changed".into(),
                ));
            }
        }
    }

    /// Another rule of the same route. Refused while the draft has changes.
    pub fn switch_rule(&mut self, route: Option<&RouteInfo>, forward: bool) {
        if self.modified() {
            self.note = Some(Note::Warn(
                "this rule has unsaved changes: {Review} to review them or {Reset} to reset first"
                    .into(),
            ));
            return;
        }
        let Some(route) = route.filter(|r| !r.rules.is_empty()) else {
            return;
        };
        let n = route.rules.len();
        let next = if forward {
            (self.rule + 1) % n
        } else {
            (self.rule + n - 1) % n
        };
        self.cursor = 0;
        self.load(route, next);
    }

    /// Compares the cluster's copy of the route with the editor's base; called whenever the
    /// route changes in the cache while the editor is open.
    pub fn sync(&mut self, route: Option<&RouteInfo>) {
        self.drift = drift(self, route);
    }

    /// Checks the draft and returns the changes to confirm, or says why not.
    pub fn review(&mut self) -> Result<Vec<WeightChange>, Note> {
        if let Some(text) = &self.typing {
            return Err(Note::Warn(format!(
                "finish typing first: {{Review}} sets {text:?}, {{Close}} cancels"
            )));
        }
        if let Drift::Reshaped(_) = &self.drift {
            return Err(Note::Error(RESHAPED.into()));
        }
        if let Some(b) = self
            .backends
            .iter()
            .find(|b| b.weight < 0 || b.weight > self.scale().max())
        {
            return Err(Note::Error(format!(
                "{}: weight {} is outside 0–{}",
                b.label,
                b.weight,
                self.scale().max()
            )));
        }
        if !self.modified() && !matches!(self.drift, Drift::Changed { .. }) {
            return Err(Note::Info("no change to write".into()));
        }
        let total = self.total();
        match self.scale() {
            Scale::Percent if self.backends.len() > 1 && total != 100 => {
                return Err(Note::Error(format!(
                    "weights sum to {total}; VirtualService weights must sum to 100: n normalises"
                )));
            }
            Scale::Relative if total == 0 && !self.zero_armed => {
                self.zero_armed = true;
                return Err(Note::Warn(
                    "ALL WEIGHTS ARE 0: this rule will send NO traffic (clients get HTTP 500). \
                     Press {Review} again to review anyway."
                        .into(),
                ));
            }
            _ => {}
        }
        Ok(self
            .backends
            .iter()
            .enumerate()
            .filter(|(_, b)| b.weight != b.before)
            .map(|(index, b)| WeightChange {
                index,
                identity: b.identity.clone(),
                label: b.label.clone(),
                before: b.before,
                after: b.weight,
            })
            .collect())
    }

    /// Esc: closes at once when nothing would be lost; a modified draft needs a second Esc.
    pub fn wants_close(&mut self) -> bool {
        if self.typing.is_some() {
            self.cancel_typing();
            return false;
        }
        if !self.modified() || self.discard_armed {
            return true;
        }
        self.discard_armed = true;
        self.note = Some(Note::Warn(
            "the draft has changes: {Close} again discards them, {Review} reviews them".into(),
        ));
        false
    }
}

fn drift(e: &WeightEditor, route: Option<&RouteInfo>) -> Drift {
    let Some(route) = route else {
        return Drift::Reshaped("the route was deleted".into());
    };
    let Some(rule) = route.rules.get(e.rule) else {
        return Drift::Reshaped(format!("rule {} was removed", e.rule + 1));
    };
    let same_shape = rule.backends.len() == e.backends.len()
        && rule
            .backends
            .iter()
            .zip(&e.backends)
            .all(|(b, mine)| backend_label(b) == mine.label);
    if !same_shape {
        return Drift::Reshaped(format!(
            "the route changed shape meanwhile (rule {} now has {})",
            e.rule + 1,
            rule.backends
                .iter()
                .map(backend_label)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    match &route.resource_version {
        Some(rv) if *rv != e.resource_version => Drift::Changed {
            resource_version: rv.clone(),
            weights: rule.backends.iter().map(|b| b.weight).collect(),
        },
        _ => Drift::None,
    }
}

/// A typed weight: digits only (thousands separators `,` `_` and spaces allowed), within
/// the kind's range. The message says what is wrong in the user's terms.
pub fn parse_weight(text: &str, scale: Scale) -> Result<i64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("type a number".into());
    }
    let digits: String = t
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' '))
        .collect();
    if let Some(rest) = digits.strip_prefix('-')
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_digit())
    {
        return Err(format!("{t:?}: a weight cannot be negative"));
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("{t:?} is not a whole number"));
    }
    match digits.parse::<i64>() {
        Ok(v) if v <= scale.max() => Ok(v),
        _ => Err(format!(
            "{t:?} is too large: the maximum is {}",
            scale.limit_text()
        )),
    }
}

#[cfg(test)]
#[path = "weights_tests.rs"]
mod tests;
