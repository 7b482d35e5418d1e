//! Watch streams: newline-delimited watch events pushed from the store's broadcast
//! channel. The stream is the response body itself, so a client that drops the
//! connection drops the subscription: no task outlives it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use serde_json::{Value, json};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio::time::{Instant, sleep_until};

use super::engine::Engine;
use super::error::ApiError;
use super::resources::ResourceType;
use super::selectors::{FieldSelector, LabelSelector};
use super::store::{Change, ChangeKind, Store};
use super::view::View;

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Synthetic ADDED events for the current state first (rv unset or "0").
    InitialState,
    /// Only changes from now on.
    Now,
    /// Changes after this resourceVersion, or 410 Gone when it is too old.
    After(u64),
}

pub struct WatchRequest {
    pub rt: Arc<ResourceType>,
    pub view: View,
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub start: Start,
    /// `sendInitialEvents=true`: end the initial state with a marked BOOKMARK.
    pub initial_events_end: bool,
    pub bookmarks: bool,
    pub timeout: Duration,
}

impl WatchRequest {
    fn selected(&self, obj: &Value) -> bool {
        let ns_ok = self
            .namespace
            .as_deref()
            .is_none_or(|ns| obj["metadata"]["namespace"].as_str() == Some(ns));
        ns_ok && self.labels.matches(obj) && self.fields.matches(obj)
    }

    /// The event this watcher sees for a change: entering or leaving the selection
    /// turns a modification into ADDED or DELETED, as the real watch cache does.
    fn event_for<'c>(&self, c: &'c Change) -> Option<(&'static str, &'c Value)> {
        if c.group_resource != self.rt.group_resource() {
            return None;
        }
        let now = self.selected(&c.object);
        let before = c.previous.as_deref().is_some_and(|p| self.selected(p));
        let kind = match (c.kind, before, now) {
            (ChangeKind::Added, _, true) => "ADDED",
            (ChangeKind::Modified, true, true) => "MODIFIED",
            (ChangeKind::Modified, false, true) => "ADDED",
            (ChangeKind::Modified, true, false) => "DELETED",
            (ChangeKind::Deleted, b, n) if b || n => "DELETED",
            _ => return None,
        };
        Some((kind, &c.object))
    }

    fn line(&self, kind: &str, obj: &Value) -> Bytes {
        let mut out = format!(r#"{{"type":"{kind}","object":"#).into_bytes();
        self.view.write(obj, &mut out);
        out.extend_from_slice(b"}\n");
        Bytes::from(out)
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut metadata = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj = json!({"kind": self.view.kind(), "apiVersion": self.view.api_version(), "metadata": metadata});
        let mut out = br#"{"type":"BOOKMARK","object":"#.to_vec();
        out.extend(serde_json::to_vec(&obj).unwrap_or_default());
        out.extend_from_slice(b"}\n");
        Bytes::from(out)
    }
}

pub fn error_line(e: &ApiError) -> Bytes {
    let mut out = br#"{"type":"ERROR","object":"#.to_vec();
    out.extend(serde_json::to_vec(&e.status()).unwrap_or_default());
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}

struct State {
    engine: Arc<Engine>,
    req: WatchRequest,
    rx: broadcast::Receiver<Arc<Change>>,
    queue: VecDeque<Bytes>,
    /// Every change up to here has been seen (sent or filtered out).
    last_rv: u64,
    next_bookmark: Instant,
    deadline: Instant,
    done: bool,
}

impl State {
    fn push(&mut self, c: &Change) {
        if c.rv <= self.last_rv {
            return;
        }
        self.last_rv = c.rv;
        if let Some((kind, obj)) = self.req.event_for(c) {
            let line = self.req.line(kind, obj);
            self.queue.push_back(line);
        }
    }

    /// Replays from history after falling behind the channel (or ends with 410).
    fn replay(&mut self, s: &Store) {
        match s.changes_since(self.last_rv) {
            Ok(changes) => {
                self.rx = s.subscribe();
                changes.iter().for_each(|c| self.push(c));
            }
            Err(oldest) => {
                self.queue
                    .push_back(error_line(&ApiError::gone(self.last_rv, oldest)));
                self.done = true;
            }
        }
    }

    /// Delivers everything committed so far, then a BOOKMARK at the store's rv.
    fn bookmark(&mut self) {
        let engine = self.engine.clone();
        let s = engine.lock();
        loop {
            match self.rx.try_recv() {
                Ok(c) => self.push(&c),
                Err(TryRecvError::Lagged(_)) => return self.replay(&s),
                Err(_) => break,
            }
        }
        self.last_rv = self.last_rv.max(s.rv());
        let line = self.req.bookmark(self.last_rv, false);
        self.queue.push_back(line);
        self.next_bookmark = Instant::now() + engine.bookmark_interval();
    }

    async fn step(&mut self) {
        tokio::select! {
            _ = sleep_until(self.deadline) => self.done = true,
            r = self.rx.recv() => match r {
                Ok(c) => self.push(&c),
                Err(RecvError::Lagged(_)) => {
                    let engine = self.engine.clone();
                    self.replay(&engine.lock());
                }
                Err(RecvError::Closed) => self.done = true,
            },
            _ = sleep_until(self.next_bookmark), if self.req.bookmarks => self.bookmark(),
        }
    }
}

/// Starts a watch. The returned stream yields one JSON line per event.
pub fn start(engine: Arc<Engine>, req: WatchRequest) -> impl Stream<Item = Bytes> + Send + 'static {
    let now = Instant::now();
    let mut queue = VecDeque::new();
    let (rx, last_rv, done) = {
        let s = engine.lock();
        let rx = s.subscribe();
        let gr = req.rt.group_resource();
        match req.start {
            Start::InitialState => {
                for obj in s
                    .list(&gr, req.namespace.as_deref())
                    .filter(|o| req.selected(o))
                {
                    queue.push_back(req.line("ADDED", obj));
                }
                if req.initial_events_end && req.bookmarks {
                    queue.push_back(req.bookmark(s.rv(), true));
                }
                (rx, s.rv(), false)
            }
            Start::Now => (rx, s.rv(), false),
            Start::After(rv) => match s.changes_since(rv) {
                Ok(changes) => {
                    // A resourceVersion from the future just means "from now".
                    let mut last = rv.min(s.rv());
                    for c in &changes {
                        last = c.rv;
                        if let Some((kind, obj)) = req.event_for(c) {
                            queue.push_back(req.line(kind, obj));
                        }
                    }
                    (rx, last, false)
                }
                Err(oldest) => {
                    queue.push_back(error_line(&ApiError::gone(rv, oldest)));
                    (rx, rv, true)
                }
            },
        }
    };
    let state = State {
        next_bookmark: now + engine.bookmark_interval(),
        deadline: now + req.timeout,
        engine,
        req,
        rx,
        queue,
        last_rv,
        done,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(line) = st.queue.pop_front() {
                return Some((line, st));
            }
            if st.done {
                return None;
            }
            st.step().await;
        }
    })
}
