//! The loop: owns the state, merges keyboard and watch messages, performs effects, and draws
//! only when something changed.

use std::io;
use std::time::{Duration, Instant};

use crossterm::event::Event;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::pace::{Pacer, Urgency};
use super::session::Session;
use crate::app::msg::{Effect, Msg, Signal};
use crate::app::update::update;
use crate::cluster::kinds::Kind;
use crate::config::Keymap;
use crate::state::view_state::ViewState;
use crate::state::{AppState, Level};
use crate::ui::theme::Theme;
use crate::ui::{Ctx, draw};

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
    let mut pacer = Pacer::default();
    pacer.note(Urgency::Now);
    loop {
        let now = Instant::now();
        if pacer.is_due(now) {
            state.refresh_keeping(&mut view);
            host.draw(&state, &mut view, &ctx)?;
            pacer.drawn(Instant::now());
        }
        // Wait for a message, or until the pending frame is due.
        let msg = match pacer.due(now) {
            None => rx.recv().await,
            Some(at) => match tokio::time::timeout_at(at.into(), rx.recv()).await {
                Ok(msg) => msg,
                Err(_) => continue,
            },
        };
        let Some(msg) = msg else { break };
        if let Some(why) = handle(&mut state, &mut view, &mut session, &mut host, &tx, msg).await {
            pacer.note(why);
        }
        // Drain what is already queued before drawing once.
        while !state.quit
            && let Ok(msg) = rx.try_recv()
        {
            if let Some(why) =
                handle(&mut state, &mut view, &mut session, &mut host, &tx, msg).await
            {
                pacer.note(why);
            }
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
    /// Renders one frame. On a real terminal the frame is one synchronized update (mode
    /// 2026): the terminal shows it whole, never a half-painted screen, however many writes
    /// it takes (terminals without the mode ignore it). The backend writes to the same
    /// buffered stdout, so the markers stay in order around its bytes.
    fn draw(&mut self, state: &AppState, view: &mut ViewState, ctx: &Ctx) -> io::Result<()> {
        use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
        if self.owned {
            crossterm::queue!(io::stdout(), BeginSynchronizedUpdate)?;
        }
        let drawn = self
            .terminal
            .draw(|f| draw(f, state, view, ctx))
            .map(drop)
            .map_err(Into::into);
        if self.owned {
            // Ended even when the frame failed half-way: a terminal left in the mode would
            // stop showing anything.
            crossterm::execute!(io::stdout(), EndSynchronizedUpdate)?;
        }
        drawn
    }

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

/// Returns why the screen must be redrawn, if it must.
async fn handle<B: Backend>(
    state: &mut AppState,
    view: &mut ViewState,
    session: &mut Session,
    host: &mut Host<'_, '_, B>,
    tx: &UnboundedSender<Msg>,
    msg: Msg,
) -> Option<Urgency>
where
    B::Error: Into<io::Error>,
{
    let keymap = host.keymap;
    // A tick redraws only when a rollout turned stuck, on the Certificates view (days
    // left), or when the day changes (certificate findings in the header); other messages
    // get the real time, so rollout progress is stamped when it is seen.
    // Watch data and the clock are drawn at the data pace (`pace`); what the user did (and
    // the answers to it) at once.
    let redraw = match &msg {
        // Only asks for a probe; its answer redraws if anything changed.
        Msg::Silence { .. } => None,
        Msg::Tick(t) => (state.rollouts.turned_stuck(state.now, *t)
            || state.view == crate::state::action::ViewId::Certs
            || t.as_second().div_euclid(86_400) != state.now.as_second().div_euclid(86_400))
        .then_some(Urgency::Data),
        Msg::Watch(_) => {
            state.now = jiff::Timestamp::now();
            Some(Urgency::Data)
        }
        _ => {
            state.now = jiff::Timestamp::now();
            Some(Urgency::Now)
        }
    };
    // Deadlines move only with workloads and the clock (the scan reads every workload).
    let rearm = match &msg {
        Msg::Watch(w) => matches!(
            w.kind,
            Kind::Deployments | Kind::StatefulSets | Kind::DaemonSets
        ),
        Msg::Tick(_) => true,
        _ => false,
    };
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
            Effect::Write { id, op, .. } => session.write(id, op, state, tx),
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
