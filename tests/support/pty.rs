//! Runs the real `meshctl-tui` binary in a pseudo-terminal and reads its screen.
//!
//! A reader thread feeds everything the program writes into a `vt100::Parser`
//! (the emulated screen) and keeps the raw bytes too. [`Console::wait_until`]
//! and friends block until the screen satisfies a predicate and, on timeout,
//! panic with the whole current screen, so a failure shows what the user would
//! have seen. The child is killed when the [`Console`] is dropped.

use std::{
    fs,
    io::{Read, Write},
    num::NonZeroU16,
    path::{Path, PathBuf},
    sync::{
        Arc, Condvar, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

/// Terminal size the console runs at.
pub const ROWS: u16 = 48;
pub const COLS: u16 = 160;

/// The escape sequence that leaves the alternate screen.
pub const LEAVE_ALT_SCREEN: &[u8] = b"\x1b[?1049l";
/// The escape sequence that enters the alternate screen.
pub const ENTER_ALT_SCREEN: &[u8] = b"\x1b[?1049h";

pub const ENTER: &str = "\r";
pub const ESC: &str = "\x1b";

struct Shared {
    parser: vt100::Parser,
    raw: Vec<u8>,
    /// When the last read from the PTY arrived: the benchmark times a frame by the read
    /// that carried it.
    last_read: Option<Instant>,
    /// The reader saw end of file (or EIO: every slave side is closed).
    eof: bool,
}

/// The binary running in a PTY.
pub struct Console {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    shared: Arc<(Mutex<Shared>, Condvar)>,
    home: PathBuf,
    exit: Option<ExitStatus>,
    /// Just before the process was spawned.
    started: Instant,
}

fn unique_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "meshctl-{tag}-{}-{}-{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

impl Console {
    /// Starts `meshctl-tui --kubeconfig <kubeconfig> <extra_args>` at [`COLS`]x[`ROWS`],
    /// with a clean environment: `TERM=xterm-256color`, `HOME`, `MESHCTL_CONFIG_DIR` and
    /// `MESHCTL_DATA_DIR` in a fresh temporary directory (no user config, no
    /// `~/.kube/config`, no `KUBECONFIG` leaks in).
    pub fn start(kubeconfig: &Path, extra_args: &[&str]) -> Console {
        let mut args: Vec<String> = vec!["--kubeconfig".into(), kubeconfig.display().to_string()];
        args.extend(extra_args.iter().map(|s| s.to_string()));
        Console::start_with_args(&args)
    }

    /// Starts the binary with exactly these arguments (see [`Console::start`]).
    pub fn start_with_args(args: &[String]) -> Console {
        Console::start_with(args, None, &[])
    }

    /// Like [`Console::start_with_args`], with a user `config.toml` in the (fresh) config
    /// dir and extra environment variables.
    pub fn start_with(args: &[String], config_toml: Option<&str>, env: &[(&str, &str)]) -> Console {
        Console::spawn(env!("CARGO_BIN_EXE_meshctl-tui"), args, config_toml, env)
    }

    /// Like [`Console::start_with`] at `rows` x `cols` instead of [`COLS`]x[`ROWS`].
    pub fn start_sized(args: &[String], env: &[(&str, &str)], rows: u16, cols: u16) -> Console {
        let bin = env!("CARGO_BIN_EXE_meshctl-tui");
        Console::spawn_sized(bin, args, None, env, (rows, cols))
    }

    /// Runs another program (a wrapper such as `unshare`) that execs the binary, in the same
    /// clean environment.
    pub fn start_with_program(program: &str, args: &[String], env: &[(&str, &str)]) -> Console {
        Console::spawn(program, args, None, env)
    }

    fn spawn(
        bin: &str,
        args: &[String],
        config_toml: Option<&str>,
        env: &[(&str, &str)],
    ) -> Console {
        Console::spawn_sized(bin, args, config_toml, env, (ROWS, COLS))
    }

    fn spawn_sized(
        bin: &str,
        args: &[String],
        config_toml: Option<&str>,
        env: &[(&str, &str)],
        (rows, cols): (u16, u16),
    ) -> Console {
        let home = unique_dir("pty-home");
        let config_dir = home.join("config");
        let data_dir = home.join("data");
        fs::create_dir_all(&config_dir).expect("create config dir");
        fs::create_dir_all(&data_dir).expect("create data dir");
        if let Some(text) = config_toml {
            fs::write(config_dir.join("config.toml"), text).expect("write config.toml");
        }

        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap_or_else(|e| panic!("openpty: {e}"));
        let mut cmd = CommandBuilder::new(bin);
        cmd.args(args);
        cmd.env_clear();
        cmd.env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        );
        cmd.env("HOME", &home);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        cmd.env("MESHCTL_CONFIG_DIR", &config_dir);
        cmd.env("MESHCTL_DATA_DIR", &data_dir);
        cmd.env("RUST_BACKTRACE", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.cwd(&home);
        let started = Instant::now();
        let child = pair
            .slave
            .spawn_command(cmd)
            .unwrap_or_else(|e| panic!("spawn {bin} in a pty: {e}"));
        // Only the child may hold the slave side: then the reader sees EOF when it exits.
        drop(pair.slave);

        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let rows = NonZeroU16::new(rows).expect("rows");
        let cols = NonZeroU16::new(cols).expect("cols");
        let shared = Arc::new((
            Mutex::new(Shared {
                parser: vt100::Parser::new(rows, cols, 0),
                raw: Vec::new(),
                last_read: None,
                eof: false,
            }),
            Condvar::new(),
        ));
        let feed = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                loop {
                    let n = match reader.read(&mut buf) {
                        Ok(0) | Err(_) => 0,
                        Ok(n) => n,
                    };
                    let arrived = Instant::now();
                    let (lock, cvar) = &*feed;
                    let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
                    if n == 0 {
                        s.eof = true;
                        cvar.notify_all();
                        return;
                    }
                    s.parser.process(&buf[..n]);
                    s.raw.extend_from_slice(&buf[..n]);
                    s.last_read = Some(arrived);
                    cvar.notify_all();
                }
            })
            .expect("spawn pty reader thread");

        Console {
            child,
            master: pair.master,
            writer,
            shared,
            home,
            exit: None,
            started,
        }
    }

    /// The `MESHCTL_DATA_DIR` the program runs with (a fresh temporary directory, removed
    /// when the [`Console`] is dropped): the audit log `audit.jsonl` is written there.
    pub fn data_dir(&self) -> PathBuf {
        self.home.join("data")
    }

    /// The screen as text, one line per row (trailing blanks trimmed).
    pub fn screen(&self) -> String {
        let s = self.shared.0.lock().unwrap_or_else(|e| e.into_inner());
        screen_text(&s.parser)
    }

    /// How the cell where `needle` first starts on the screen is drawn (colours, bold,
    /// inverse), e.g. to tell a focused button from an unfocused one. `None` if the screen
    /// does not contain `needle`.
    pub fn style_of(&self, needle: &str) -> Option<CellStyle> {
        let s = self.shared.0.lock().unwrap_or_else(|e| e.into_inner());
        let screen = s.parser.screen();
        let (rows, width) = screen.size();
        let (rows, width) = (rows.get(), width.get());
        for row in 0..rows {
            // (column, text) of every cell that starts a character.
            let mut text = String::new();
            let mut cols = Vec::new();
            for col in 0..width {
                let Some(cell) = screen.cell(row, col) else {
                    continue;
                };
                if cell.is_wide_continuation() {
                    continue;
                }
                let c = if cell.has_contents() {
                    cell.contents().to_string()
                } else {
                    " ".to_string()
                };
                for _ in c.chars() {
                    cols.push(col);
                }
                text.push_str(&c);
            }
            if let Some(byte) = text.find(needle) {
                let idx = text[..byte].chars().count();
                let cell = screen.cell(row, cols[idx])?;
                return Some(CellStyle {
                    fg: cell.fgcolor(),
                    bg: cell.bgcolor(),
                    bold: cell.bold(),
                    inverse: cell.inverse(),
                });
            }
        }
        None
    }

    /// Everything the program wrote so far, escape sequences included.
    pub fn raw_output(&self) -> Vec<u8> {
        self.shared
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .raw
            .clone()
    }

    /// Whether the emulated terminal is on the alternate screen.
    pub fn on_alternate_screen(&self) -> bool {
        self.shared
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .parser
            .screen()
            .alternate_screen()
    }

    /// Types `text` (raw bytes: use [`ENTER`], [`ESC`] for those keys).
    pub fn send(&mut self, text: &str) {
        self.writer
            .write_all(text.as_bytes())
            .and_then(|_| self.writer.flush())
            .unwrap_or_else(|e| {
                panic!(
                    "write {text:?} to the pty: {e}\nscreen:\n{}",
                    self.framed_screen()
                )
            });
        // A lone ESC followed at once by another key reads as alt-<key> (the terminal's
        // ambiguity, not the app's): give it time to be read on its own.
        if text == ESC {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Blocks until `pred(screen)` holds; returns how long that took. On timeout
    /// panics with `what` and the full screen.
    pub fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Screen) -> bool,
    ) -> Duration {
        let start = Instant::now();
        let deadline = start + timeout;
        let (lock, cvar) = &*self.shared;
        let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let screen = Screen::of(&s.parser);
            if pred(&screen) {
                return start.elapsed();
            }
            let now = Instant::now();
            if now >= deadline || s.eof {
                let why = if s.eof {
                    "the program's output ended (did it exit?)"
                } else {
                    "timed out"
                };
                drop(s);
                let status = self.child.try_wait().ok().flatten();
                panic!(
                    "\n{why} after {:?} waiting for: {what}\nchild exit status: {status:?}\n{}",
                    start.elapsed(),
                    frame(&screen.text)
                );
            }
            // Short slices: also re-check when nothing was written (e.g. the
            // predicate depends on the clock of the caller).
            let slice = (deadline - now).min(Duration::from_millis(50));
            s = cvar
                .wait_timeout(s, slice)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// [`wait_until`](Self::wait_until) the screen contains every one of `needles`.
    pub fn wait_for_all(&mut self, needles: &[&str], timeout: Duration) -> Duration {
        let what = format!("screen to contain all of {needles:?}");
        self.wait_until(&what, timeout, |s| {
            needles.iter().all(|n| s.text.contains(n))
        })
    }

    /// [`wait_until`](Self::wait_until) the screen contains `needle`.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> Duration {
        self.wait_for_all(&[needle], timeout)
    }

    /// [`wait_until`](Self::wait_until) the screen does not contain `needle`.
    pub fn wait_for_absent(&mut self, needle: &str, timeout: Duration) -> Duration {
        let what = format!("screen to NOT contain {needle:?}");
        self.wait_until(&what, timeout, |s| !s.text.contains(needle))
    }

    /// [`wait_until`](Self::wait_until) some line contains every one of `parts`.
    pub fn wait_for_line(&mut self, parts: &[&str], timeout: Duration) -> Duration {
        let what = format!("one line to contain all of {parts:?}");
        self.wait_until(&what, timeout, |s| s.line_with(parts).is_some())
    }

    /// The screen framed with row numbers, for assertion messages.
    pub fn framed_screen(&self) -> String {
        frame(&self.screen())
    }

    /// Waits for the process to exit by itself; panics with the screen if it does not.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        if let Some(st) = &self.exit {
            return st.clone();
        }
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(st)) => {
                    self.exit = Some(st.clone());
                    return st;
                }
                Ok(None) => {}
                Err(e) => panic!("wait for meshctl-tui: {e}"),
            }
            if Instant::now() > deadline {
                panic!(
                    "meshctl-tui did not exit within {timeout:?}\n{}",
                    self.framed_screen()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the reader has seen the end of the program's output (all of it is
    /// then in [`raw_output`](Self::raw_output)).
    pub fn wait_output_end(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let (lock, cvar) = &*self.shared;
        let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !s.eof {
            let now = Instant::now();
            if now >= deadline {
                panic!("the pty output did not end within {timeout:?} after the program exited");
            }
            s = cvar
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The terminal's local mode flags (`c_lflag`) as the program left them.
    pub fn local_flags(&self) -> libc::tcflag_t {
        let fd = self.master.as_raw_fd().expect("pty master fd");
        // SAFETY: tcgetattr only writes into the zeroed struct we own.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            assert_eq!(
                libc::tcgetattr(fd, &mut t),
                0,
                "tcgetattr: {}",
                std::io::Error::last_os_error()
            );
            t.c_lflag
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> i32 {
        let pid = self.child.process_id().expect("child pid");
        i32::try_from(pid).expect("pid fits in i32")
    }

    /// Sends `signal` to the program (as `kill -<signal> <pid>` would).
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill only sends a signal to our own child.
        let r = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(r, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// The scheduler state of the program from `/proc/<pid>/stat` (`'T'` = stopped,
    /// `'S'` = sleeping, `'R'` = running), `None` once it is gone.
    pub fn proc_state(&self) -> Option<char> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.pid())).ok()?;
        // "pid (comm) S ...": comm may contain spaces, the state follows the last ')'.
        stat.rsplit_once(')')?.1.trim_start().chars().next()
    }

    /// Waits until `pred(proc_state)` holds; panics with the screen on timeout.
    pub fn wait_proc_state(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(Option<char>) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            let st = self.proc_state();
            if pred(st) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "process state {st:?} after {timeout:?}, waiting for: {what}\n{}",
                    self.framed_screen()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// When the process was spawned (just before).
    pub fn started(&self) -> Instant {
        self.started
    }

    /// How many bytes the program wrote so far.
    pub fn raw_len(&self) -> usize {
        self.shared
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .raw
            .len()
    }

    /// The bytes the program wrote from offset `from` on.
    pub fn raw_from(&self, from: usize) -> Vec<u8> {
        let s = self.shared.0.lock().unwrap_or_else(|e| e.into_inner());
        s.raw.get(from..).unwrap_or_default().to_vec()
    }

    /// Types `text` and returns the instant just before it was written.
    pub fn send_timed(&mut self, text: &str) -> Instant {
        let at = Instant::now();
        self.send(text);
        at
    }

    /// Reads the emulated screen (colours included) as it is now.
    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        let s = self.shared.0.lock().unwrap_or_else(|e| e.into_inner());
        f(s.parser.screen())
    }

    /// Waits until `pred` holds for the emulated screen (colours included) and returns when
    /// the read that made it hold arrived; `None` on timeout or when the output ended. Never
    /// panics: a measurement may miss a sample.
    pub fn wait_screen(
        &self,
        timeout: Duration,
        pred: impl Fn(&vt100::Screen) -> bool,
    ) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        let (lock, cvar) = &*self.shared;
        let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if pred(s.parser.screen()) {
                return Some(s.last_read.unwrap_or(self.started));
            }
            let now = Instant::now();
            if now >= deadline || s.eof {
                return None;
            }
            s = cvar
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits until the program wrote nothing for `quiet` (at most `timeout`); returns
    /// whether it did fall quiet.
    pub fn wait_quiet(&self, quiet: Duration, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let last = {
                let s = self.shared.0.lock().unwrap_or_else(|e| e.into_inner());
                s.last_read.unwrap_or(self.started)
            };
            let now = Instant::now();
            if now.duration_since(last) >= quiet {
                return true;
            }
            if now >= deadline {
                return false;
            }
            std::thread::sleep((quiet - now.duration_since(last)).min(deadline - now));
        }
    }

    /// Resizes the terminal (the program gets SIGWINCH); the emulated screen follows.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        {
            let mut s = self.shared.0.lock().unwrap_or_else(|e| e.into_inner());
            if let (Some(r), Some(c)) = (NonZeroU16::new(rows), NonZeroU16::new(cols)) {
                s.parser.set_size(r, c);
            }
        }
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap_or_else(|e| panic!("resize the pty to {cols}x{rows}: {e}"));
    }

    /// Whether the terminal is in canonical mode with echo (i.e. not raw).
    pub fn cooked_mode(&self) -> bool {
        let f = self.local_flags();
        f & libc::ICANON != 0 && f & libc::ECHO != 0
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "meshctl-tui screen at the time of the failure:\n{}",
                self.framed_screen()
            );
        }
        let _ = fs::remove_dir_all(&self.home);
    }
}

/// How one screen cell is drawn (see [`Console::style_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellStyle {
    pub fg: vt100::Color,
    pub bg: vt100::Color,
    pub bold: bool,
    pub inverse: bool,
}

/// A snapshot of the screen handed to `wait_until` predicates.
pub struct Screen {
    pub text: String,
    pub lines: Vec<String>,
}

impl Screen {
    fn of(parser: &vt100::Parser) -> Screen {
        let lines: Vec<String> = parser
            .screen()
            .rows(0, parser.screen().size().1.get())
            .map(|l| l.trim_end().to_string())
            .collect();
        Screen {
            text: lines.join("\n"),
            lines,
        }
    }

    /// The first line containing every one of `parts`.
    pub fn line_with(&self, parts: &[&str]) -> Option<&str> {
        self.lines
            .iter()
            .map(String::as_str)
            .find(|l| parts.iter().all(|p| l.contains(p)))
    }

    pub fn count(&self, needle: &str) -> usize {
        self.text.matches(needle).count()
    }
}

fn screen_text(parser: &vt100::Parser) -> String {
    Screen::of(parser).text
}

fn frame(text: &str) -> String {
    let mut out = String::from("---------------- screen (160x48) ----------------\n");
    for (i, l) in text.lines().enumerate() {
        out.push_str(&format!("{i:02}|{l}\n"));
    }
    out.push_str("--------------------------------------------------");
    out
}

/// Position of the first occurrence of `needle` in `hay`.
pub fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Position of the last occurrence of `needle` in `hay`.
pub fn rfind_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}
