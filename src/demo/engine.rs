//! The shared core behind `DemoCluster`: the store under one lock plus settings.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::store::Store;

pub struct Engine {
    store: Mutex<Store>,
    bookmark_ms: AtomicU64,
}

impl Engine {
    pub fn new(store: Store) -> Self {
        Engine {
            store: Mutex::new(store),
            bookmark_ms: AtomicU64::new(5_000),
        }
    }

    /// Locks the store. Critical sections never await and never panic on request
    /// data, so a poisoned lock still holds consistent data.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How often watches with `allowWatchBookmarks` get a BOOKMARK.
    pub fn bookmark_interval(&self) -> Duration {
        Duration::from_millis(self.bookmark_ms.load(Ordering::Relaxed))
    }

    pub fn set_bookmark_interval(&self, every: Duration) {
        let ms = u64::try_from(every.as_millis()).unwrap_or(u64::MAX).max(10);
        self.bookmark_ms.store(ms, Ordering::Relaxed);
    }
}
