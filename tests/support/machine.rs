//! All e2e tests run in one process (`tests/e2e/main.rs`), each with its own control plane.
//! Tests that measure time budgets (live updates, reconnects) take the machine [`alone`];
//! the others take a [`shared`] turn and may overlap each other, never an `alone` test.
//! A tokio lock: held across awaits, usable from every test's runtime, never poisoned by a
//! failing test, and fair (a waiting `alone` test is not starved by `shared` ones).

use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

static MACHINE: RwLock<()> = RwLock::const_new(());

/// No other e2e test runs until the guard is dropped.
pub async fn alone() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().await
}

/// Other `shared` tests may run meanwhile, `alone` ones wait.
pub async fn shared() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().await
}
