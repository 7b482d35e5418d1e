//! The vocabulary of keys, help and the command palette: one enum, bindable from config.

use serde::{Deserialize, Serialize};

/// Which screen a binding or a help page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewId {
    Gateways,
    Routes,
    Frontends,
    Mesh,
    Certs,
    /// Findings: problems the API reveals, with a fix where the console has one.
    Diagnostics,
}

impl ViewId {
    pub const ALL: [ViewId; 6] = [
        ViewId::Gateways,
        ViewId::Routes,
        ViewId::Frontends,
        ViewId::Mesh,
        ViewId::Certs,
        ViewId::Diagnostics,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ViewId::Gateways => "Gateways",
            ViewId::Routes => "Routes",
            ViewId::Frontends => "Frontends",
            ViewId::Mesh => "Mesh",
            ViewId::Certs => "Certificates",
            ViewId::Diagnostics => "Diagnostics",
        }
    }

    /// `:` command names (first is canonical), k9s style.
    pub fn commands(self) -> &'static [&'static str] {
        match self {
            ViewId::Gateways => &["gateways", "gw", "gateway"],
            ViewId::Routes => &["routes", "rt", "httproutes", "grpcroutes"],
            ViewId::Frontends => &["frontends", "fe", "alb"],
            ViewId::Mesh => &["mesh", "ns-mesh", "namespaces-mesh"],
            ViewId::Certs => &["certs", "certificates", "cert"],
            ViewId::Diagnostics => &["diag", "findings"],
        }
    }
}

/// Everything a key can do. Config files name these in snake_case (`"q" = "quit"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    /// Stop to the shell like any full-screen program (`fg` resumes).
    Suspend,
    Help,
    CommandPalette,
    Filter,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Enter,
    Left,
    Right,
    ExpandAll,
    CollapseAll,
    ShowGateways,
    ShowRoutes,
    ShowFrontends,
    ShowMesh,
    ShowCerts,
    ShowDiagnostics,
    ToggleAllNamespaces,
    /// Restart the selected workload like `kubectl rollout restart` (always confirmed).
    RolloutRestart,
    /// Open the traffic-weight editor for the selected route rule (writes only after a
    /// confirm with the diff).
    EditWeights,
    /// The revision-migration screen (waves of relabel + restart, rollback).
    Migrate,
    /// Revert this session's last applied change (always confirmed).
    Undo,
    /// The audit log overlay (`:audit`).
    ShowAudit,
    /// Namespace sidecar injection labels (chooser, then confirm, then a restart offer).
    ToggleInjection,
    /// The selected workload's pod-template label `sidecar.istio.io/inject`.
    WorkloadInjection,
    /// Rollout restart of many workloads: those that need it, or all in a namespace.
    BulkRestart,
    /// Diagnostics: perform the selected finding's fix by opening the flow that makes it
    /// (injection chooser, restart confirm, bulk restart, weight editor), which confirms.
    FixFinding,
    /// Explicitly unbinds a key in a user config.
    None,
}

impl Action {
    /// Short text for help and the footer.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Suspend => "suspend to the shell (fg resumes)",
            Action::Help => "help for this view",
            Action::CommandPalette => "command palette (:gw :rt :fe :mesh :diag :ns :ctx :audit …)",
            Action::Filter => "filter rows",
            Action::Back => "back / close / clear filter",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "go to top",
            Action::Bottom => "go to bottom",
            Action::Enter => "drill in / expand",
            Action::Left => "collapse / go to parent",
            Action::Right => "expand",
            Action::ExpandAll => "expand all",
            Action::CollapseAll => "collapse all",
            Action::ShowGateways => "Gateways view",
            Action::ShowRoutes => "Routes view",
            Action::ShowFrontends => "Frontends view",
            Action::ShowMesh => "Mesh view",
            Action::ShowCerts => "Certificates view",
            Action::ShowDiagnostics => "Diagnostics view (findings)",
            Action::ToggleAllNamespaces => "toggle all namespaces / last namespace",
            Action::RolloutRestart => "rollout restart selected workload (confirms)",
            Action::Migrate => {
                "revision migration: relabel + restart in waves, rollback (:migrate)"
            }
            Action::EditWeights => {
                "edit backend weights of the selected route rule (diff + confirm)"
            }
            Action::Undo => "undo this session's last change (confirms)",
            Action::ShowAudit => "audit log of writes (:audit)",
            Action::ToggleInjection => "namespace sidecar injection labels (confirms)",
            Action::WorkloadInjection => "workload sidecar.istio.io/inject label (confirms)",
            Action::BulkRestart => "bulk rollout restart (lists, confirms)",
            Action::FixFinding => "fix the selected finding (opens its dialog, confirms)",
            Action::None => "(unbound)",
        }
    }

    /// Short label for the footer hints.
    pub fn short(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Suspend => "suspend",
            Action::Help => "help",
            Action::CommandPalette => "cmd",
            Action::Filter => "filter",
            Action::Back => "back",
            Action::Enter => "open",
            Action::ExpandAll => "expand all",
            Action::CollapseAll => "collapse all",
            Action::ToggleAllNamespaces => "all ns",
            Action::RolloutRestart => "restart",
            Action::EditWeights => "weights",
            Action::Migrate => "migrate",
            Action::Undo => "undo",
            Action::ShowAudit => "audit",
            Action::ToggleInjection => "injection",
            Action::WorkloadInjection => "inject label",
            Action::BulkRestart => "bulk restart",
            Action::FixFinding => "fix",
            _ => self.describe(),
        }
    }
}
