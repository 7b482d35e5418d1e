//! The loop: owns the state, merges keyboard and watch messages, performs effects, and draws
//! only when something changed.

use std::io;
use std::time::{Duration, Instant};

use crossterm::event::Event;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use crate::app::msg::{Effect, Msg, Signal};
use crate::app::update::update;
use crate::audit::{AuditEntry, AuditLog};
use crate::cluster::connect::{Connection, Target, connect};
use crate::cluster::objects::{RouteKind, WorkloadKind};
use crate::cluster::watch::spawn_all;
use crate::cluster::write;
use crate::config::Keymap;
use crate::demo::DemoCluster;
use crate::state::write::WriteOp;
use crate::state::{AppState, ConnInfo, Level};
use crate::ui::theme::Theme;
use crate::ui::view_state::ViewState;
use crate::ui::{Ctx, draw};

/// At most one frame per this interval while watch events stream in.
const FRAME_BUDGET: Duration = Duration::from_millis(33);

pub struct Session {
    pub target: Target,
    pub demo: Option<DemoCluster>,
    pub client: Option<kube::Client>,
    watchers: Vec<JoinHandle<()>>,
    audit: AuditLog,
    stuck_timer: crate::app::clock::StuckTimer,
    silence: crate::app::clock::SilenceTimer,
}

impl Session {
    pub fn new(target: Target, demo: Option<DemoCluster>) -> Self {
        Session {
            target,
            demo,
            client: None,
            watchers: Vec::new(),
            audit: AuditLog::open_default(),
            stuck_timer: Default::default(),
            silence: Default::default(),
        }
    }

    /// Where writes are recorded (tests point it at a temp dir).
    pub fn with_audit(mut self, audit: AuditLog) -> Self {
        self.audit = audit;
        self
    }

    fn stop_watchers(&mut self) {
        for h in self.watchers.drain(..) {
            h.abort();
        }
    }

    /// (Re)starts the watchers for the state's namespace scope and generation.
    pub fn watch(&mut self, state: &AppState, tx: &UnboundedSender<Msg>) {
        self.stop_watchers();
        if let Some(c) = &self.client {
            self.watchers = spawn_all(c, state.namespace.as_deref(), state.generation, tx.clone());
        }
    }

    pub async fn connect(&mut self, context: Option<String>) -> Result<ConnInfo, String> {
        self.stop_watchers();
        if let (Target::Kubeconfig { context: c, .. }, Some(ctx)) = (&mut self.target, context) {
            *c = Some(ctx);
        }
        match connect(&self.target, self.demo.as_ref()).await {
            Ok(Connection {
                client,
                context,
                cluster,
                user,
                contexts,
                ..
            }) => {
                self.client = Some(client);
                Ok(ConnInfo {
                    context,
                    cluster,
                    user,
                    contexts,
                    error: None,
                })
            }
            Err(e) => {
                self.client = None;
                Err(e)
            }
        }
    }
}

impl Session {
    /// Runs a confirmed write in the background (dry run, then the real patch), records it in
    /// the audit log and reports back as `Msg::WriteDone`. The UI stays responsive meanwhile.
    fn write(&self, op: WriteOp, state: &AppState, tx: &UnboundedSender<Msg>) {
        let Some(client) = self.client.clone() else {
            let _ = tx.send(Msg::WriteDone {
                op,
                result: Err("not connected".into()),
                conflict: false,
            });
            return;
        };
        let (context, user) = (state.conn.context.clone(), state.conn.user.clone());
        let audit = self.audit.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            // Every write reads its object first, so that it can be undone; an undo is
            // checked against what the write left (see cluster::write::undo).
            let (req, report, undo) = match &op {
                WriteOp::Undo(u) => {
                    let (req, report) = write::undo::execute_undo(&client, u).await;
                    (req, report, None)
                }
                other => {
                    let (req, _) = request_for(other);
                    let (report, undo) =
                        write::undo::execute_undoable(&client, &context, &req).await;
                    (req, report, undo)
                }
            };
            let rv_before = req.patch.precondition().map(String::from);
            let mut entry = AuditEntry::from_report(
                &context,
                user.as_deref(),
                &req,
                &report,
                rv_before.as_deref(),
            );
            if let Some(u) = &undo {
                entry = entry.with_undo(&u.inverse);
            }
            let audit_error = audit.append(&entry).err();
            let conflict = matches!(
                report.final_outcome(),
                Some(write::WriteOutcome::Conflict { .. })
            );
            let mut result = describe(&report, req.verb);
            if let Some(e) = audit_error {
                result = result.map(|ok| format!("{ok} (audit log: {e})"));
            }
            if let Some(u) = undo {
                let _ = tx.send(Msg::Undoable(Box::new(u)));
            }
            let _ = tx.send(Msg::WriteDone {
                op,
                result,
                conflict,
            });
        });
    }
}

/// The patch for a write op, and the resourceVersion it is conditioned on.
fn request_for(op: &WriteOp) -> (write::WriteRequest, String) {
    match op {
        WriteOp::RolloutRestart {
            kind,
            key,
            resource_version,
        } => (
            write::rollout_restart(
                workload_target(*kind, key),
                resource_version,
                jiff::Timestamp::now(),
            ),
            resource_version.clone(),
        ),
        WriteOp::SetNamespaceLabels {
            namespace,
            resource_version,
            set,
            remove,
        } => (
            write::set_namespace_labels(namespace, resource_version, set, remove),
            resource_version.clone(),
        ),
        WriteOp::SetInjectLabel {
            kind,
            key,
            resource_version,
            value,
        } => (
            write::set_template_label(
                workload_target(*kind, key),
                resource_version,
                crate::model::inject::INJECT_LABEL,
                value.as_deref(),
            ),
            resource_version.clone(),
        ),
        WriteOp::SetWeights {
            kind,
            key,
            rule,
            resource_version,
            changes,
        } => {
            let target = match kind {
                RouteKind::Http => write::Target::httproute(&key.ns, &key.name),
                RouteKind::Grpc => write::Target::grpcroute(&key.ns, &key.name),
                RouteKind::Virtual => write::Target::virtualservice(&key.ns, &key.name),
            };
            let changes: Vec<_> = changes
                .iter()
                .map(|c| (c.index, c.identity.clone(), c.after))
                .collect();
            (
                write::set_weights(target, resource_version, *rule, &changes),
                resource_version.clone(),
            )
        }
        WriteOp::Undo(u) => (u.inverse.clone(), u.applied_resource_version().into()),
    }
}

fn workload_target(kind: WorkloadKind, key: &crate::cluster::objects::ObjKey) -> write::Target {
    match kind {
        WorkloadKind::Deployment => write::Target::deployment(&key.ns, &key.name),
        WorkloadKind::StatefulSet => write::Target::statefulset(&key.ns, &key.name),
        WorkloadKind::DaemonSet => write::Target::daemonset(&key.ns, &key.name),
    }
}

/// The report in words: what happened, with the server's reason when it refused.
fn describe(report: &write::WriteReport, verb: &str) -> Result<String, String> {
    match report.final_outcome() {
        Some(write::WriteOutcome::Conflict { message, .. }) if verb == "undo" => Err(format!(
            "changed since your write; undo refused, nothing was written. ({message})"
        )),
        Some(write::WriteOutcome::Applied {
            resource_version, ..
        }) => Ok(format!("applied (resourceVersion {resource_version})")),
        Some(write::WriteOutcome::Conflict { message, .. }) => Err(format!(
            "the object changed since you opened it; nothing was written. Review and retry. ({message})"
        )),
        Some(other) => Err(format!(
            "{}: {}",
            other.name(),
            other.message().unwrap_or_default()
        )),
        None => Err("no outcome".into()),
    }
}

impl Session {
    /// Reads the audit log off the UI task and answers with `Msg::AuditLoaded`.
    fn load_audit(&self, tx: &UnboundedSender<Msg>) {
        let (audit, tx) = (self.audit.clone(), tx.clone());
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(Msg::AuditLoaded(audit.read_rows(AUDIT_ROWS)));
        });
    }
}

/// How long a probe may take before the server counts as gone.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

impl Session {
    /// `GET /readyz` once, off the UI task, answered by `Msg::Probed`. Any answer but a 5xx
    /// means the server is there (a 404 from servers without it, 401/403 under strict RBAC);
    /// a 5xx (e.g. shutting down), a connection error or no answer in time means not.
    fn probe(&self, generation: u64, tx: &UnboundedSender<Msg>) {
        let Some(client) = self.client.clone() else {
            return;
        };
        let tx = tx.clone();
        tokio::spawn(async move {
            let req = http::Request::get("/readyz").body(Vec::new());
            let result = match req {
                Err(e) => Err(e.to_string()),
                Ok(req) => {
                    match tokio::time::timeout(PROBE_TIMEOUT, client.request_text(req)).await {
                        Err(_) => Err(format!(
                            "GET /readyz: no answer within {}s",
                            PROBE_TIMEOUT.as_secs()
                        )),
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err(kube::Error::Api(s))) if s.code < 500 => Ok(()),
                        Ok(Err(e)) => Err(format!(
                            "GET /readyz: {}",
                            e.to_string().chars().take(120).collect::<String>()
                        )),
                    }
                }
            };
            let _ = tx.send(Msg::Probed { generation, result });
        });
    }
}

/// The `:audit` overlay shows at most this many (newest) lines.
const AUDIT_ROWS: usize = 500;

impl Drop for Session {
    fn drop(&mut self) {
        self.stop_watchers();
    }
}

/// Reads the keyboard on a thread of its own: each event is queued as soon as it is parsed,
/// so a burst (2,000 × j, a paste the terminal does not bracket) is in the channel at once and
/// the loop handles all of it before drawing. crossterm reads the tty level-triggered
/// (feature `use-dev-tty`), so nothing of a burst stays unread waiting for the next key.
fn spawn_input(tx: UnboundedSender<Msg>) {
    let on_error = tx.clone();
    let spawned = std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            loop {
                let msg = match crossterm::event::read() {
                    Ok(Event::Key(k)) => Msg::Key(k),
                    Ok(Event::Paste(text)) => Msg::Paste(text),
                    Ok(Event::Resize(_, _)) => Msg::Resize,
                    Ok(_) => continue,
                    // The terminal is gone: end like a hangup rather than run on unseen.
                    Err(_) => Msg::Signal(Signal::Exit(libc::SIGHUP)),
                };
                let last = matches!(msg, Msg::Signal(_));
                if tx.send(msg).is_err() || last {
                    break;
                }
            }
        });
    if let Err(e) = spawned {
        let _ = on_error.send(Msg::Signal(Signal::Exit(libc::SIGHUP)));
        tracing::error!("input thread: {e}");
    }
}

/// How long the loop has to act on SIGTERM/SIGINT/SIGHUP before the handler restores the
/// terminal and exits by itself (the loop can be held up by a connect that hangs).
const EXIT_GRACE: Duration = Duration::from_secs(3);

/// Turns signals into messages: SIGTERM, SIGINT, SIGHUP end the session, SIGTSTP suspends,
/// SIGCONT repaints. Without handlers the first three would kill the process with the
/// terminal raw on the alternate screen, and SIGTSTP would stop it without restoring.
fn spawn_signals(tx: UnboundedSender<Msg>) -> io::Result<JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut tstp = signal(SignalKind::from_raw(libc::SIGTSTP))?;
    let mut cont = signal(SignalKind::from_raw(libc::SIGCONT))?;
    Ok(tokio::spawn(async move {
        loop {
            let signal = tokio::select! {
                Some(()) = term.recv() => Signal::Exit(libc::SIGTERM),
                Some(()) = int.recv() => Signal::Exit(libc::SIGINT),
                Some(()) = hup.recv() => Signal::Exit(libc::SIGHUP),
                Some(()) = tstp.recv() => Signal::Stop,
                Some(()) = cont.recv() => Signal::Continue,
                else => break,
            };
            if tx.send(Msg::Signal(signal)).is_err() {
                break;
            }
            if let Signal::Exit(signo) = signal {
                // Aborted with the loop's other tasks when the loop ends in time.
                tokio::time::sleep(EXIT_GRACE).await;
                crate::tui::restore();
                std::process::exit(128 + signo);
            }
        }
    }))
}

/// A coarse clock: once a minute is enough for ages shown in minutes.
fn spawn_clock(tx: UnboundedSender<Msg>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            if tx.send(Msg::Tick(jiff::Timestamp::now())).is_err() {
                break;
            }
        }
    })
}

pub struct Ui<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
}

/// Runs until quit. `input` = false leaves the keyboard to the caller (tests send keys as
/// messages through the returned sender instead).
pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    mut state: AppState,
    mut session: Session,
    ui_cfg: Ui<'_>,
    channel: Option<(UnboundedSender<Msg>, UnboundedReceiver<Msg>)>,
) -> io::Result<AppState>
where
    B::Error: Into<io::Error>,
{
    // Without a channel from the caller the loop runs on the real terminal: it reads the
    // keyboard and handles signals (suspend, exit) itself.
    let owns_terminal = channel.is_none();
    let (tx, mut rx) = channel.unwrap_or_else(mpsc::unbounded_channel);
    let mut background = vec![spawn_clock(tx.clone())];
    if owns_terminal {
        background.push(spawn_signals(tx.clone())?);
        spawn_input(tx.clone());
    }
    match session.connect(None).await {
        Ok(conn) => state.conn = conn,
        Err(e) => {
            state.flash(e.clone(), Level::Error);
            state.conn.error = Some(e);
        }
    }
    session.watch(&state, &tx);
    let mut view = ViewState::default();
    let ctx = Ctx {
        theme: ui_cfg.theme,
        keymap: ui_cfg.keymap,
    };
    let mut host = Host {
        terminal,
        owned: owns_terminal,
        keymap: ui_cfg.keymap,
    };
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME_BUDGET;
    loop {
        if dirty {
            let wait = FRAME_BUDGET.saturating_sub(last_draw.elapsed());
            if wait.is_zero() {
                state.refresh();
                host.terminal
                    .draw(|f| draw(f, &state, &mut view, &ctx))
                    .map_err(Into::into)?;
                last_draw = Instant::now();
                dirty = false;
            } else if let Ok(Some(msg)) = tokio::time::timeout(wait, rx.recv()).await {
                dirty |= handle(&mut state, &mut view, &mut session, &mut host, &tx, msg).await;
                if state.quit {
                    break;
                }
                continue;
            } else {
                continue;
            }
        }
        let Some(msg) = rx.recv().await else { break };
        dirty |= handle(&mut state, &mut view, &mut session, &mut host, &tx, msg).await;
        // Drain what is already queued before drawing once.
        while let Ok(msg) = rx.try_recv() {
            dirty |= handle(&mut state, &mut view, &mut session, &mut host, &tx, msg).await;
        }
        if state.quit {
            break;
        }
    }
    for h in background {
        h.abort();
    }
    Ok(state)
}

/// The terminal as the loop's messages need it (suspend, resume).
struct Host<'a, 't, B: Backend> {
    terminal: &'t mut Terminal<B>,
    /// False when a test drives the loop: then there is no terminal to give back.
    owned: bool,
    keymap: &'a Keymap,
}

impl<B: Backend> Host<'_, '_, B>
where
    B::Error: Into<io::Error>,
{
    /// ctrl-z or SIGTSTP: give the terminal back and stop; on `fg` take it again.
    fn suspend(&mut self, state: &mut AppState) {
        if !self.owned {
            return;
        }
        let r = crate::tui::suspend();
        self.repaint(state, r);
    }

    /// SIGCONT (also after a stop we did not see, SIGSTOP): the shell may have changed the
    /// modes and drawn over the screen.
    fn resume(&mut self, state: &mut AppState) {
        if !self.owned {
            return;
        }
        let r = crate::tui::retake();
        self.repaint(state, r);
    }

    /// Clears the screen and makes the next draw repaint every cell, at the size the
    /// terminal has now. (Not `Terminal::clear`: it asks the terminal for the cursor
    /// position, which waits for the input thread to let go of the reader: the next key.)
    fn repaint(&mut self, state: &mut AppState, taken: io::Result<()>) {
        let r = taken.and_then(|()| {
            let size = self.terminal.size().map_err(Into::into)?;
            let area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
            self.terminal.resize(area).map_err(Into::into)
        });
        if let Err(e) = r {
            state.flash(format!("terminal: {e}"), Level::Error);
        }
    }
}

/// Returns whether the screen must be redrawn.
async fn handle<B: Backend>(
    state: &mut AppState,
    view: &mut ViewState,
    session: &mut Session,
    host: &mut Host<'_, '_, B>,
    tx: &UnboundedSender<Msg>,
    msg: Msg,
) -> bool
where
    B::Error: Into<io::Error>,
{
    let keymap = host.keymap;
    // A tick redraws only when a rollout turned stuck, on the Certificates view (days
    // left), or when the day changes (certificate findings in the header); other messages
    // get the real time, so rollout progress is stamped when it is seen.
    let redraw = match &msg {
        // Only asks for a probe; its answer redraws if anything changed.
        Msg::Silence { .. } => false,
        Msg::Tick(t) => {
            state.rollouts.turned_stuck(state.now, *t)
                || state.view == crate::app::action::ViewId::Certs
                || t.as_second().div_euclid(86_400) != state.now.as_second().div_euclid(86_400)
        }
        _ => {
            state.now = jiff::Timestamp::now();
            true
        }
    };
    let rearm = matches!(msg, Msg::Watch(_) | Msg::Tick(_));
    if let Msg::Watch(w) = &msg
        && w.generation == state.generation
    {
        session.silence.saw_event(w.generation, tx);
    }
    let effects = update(state, view, keymap, msg);
    if rearm {
        let next = state.rollouts.next_deadline(state.now);
        session.stuck_timer.arm(next, tx);
    }
    for e in effects {
        match e {
            Effect::Quit => state.quit = true,
            Effect::Suspend => host.suspend(state),
            Effect::Resume => host.resume(state),
            Effect::Rewatch { .. } => session.watch(state, tx),
            Effect::Write(op) => session.write(op, state, tx),
            Effect::LoadAudit => session.load_audit(tx),
            Effect::Probe { generation } => session.probe(generation, tx),
            Effect::Connect {
                context,
                generation,
            } => {
                let result = session.connect(context).await;
                let ok = result.is_ok();
                update(state, view, keymap, Msg::Connected { generation, result });
                if ok {
                    session.watch(state, tx);
                }
            }
        }
    }
    redraw
}
