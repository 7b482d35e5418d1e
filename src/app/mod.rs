//! The app loop: messages in, reducer, effects out, draw when dirty.
pub mod audit_view;
pub mod clock;
pub mod completions;
pub mod diagnostics;
pub mod health;
pub mod inject;
pub mod migrate;
pub mod msg;
pub mod palette;
pub mod restart;
#[cfg(test)]
pub mod testkit;
pub mod undo;
pub mod update;
pub mod weights;
pub mod writes;
