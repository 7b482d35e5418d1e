//! The app loop: messages in, reducer, effects out, draw when dirty.
pub mod act;
pub mod audit_view;
pub mod clock;
pub mod completions;
pub mod confirm;
pub mod diagnostics;
pub mod health;
pub mod inject;
pub mod input;
pub mod migrate;
pub mod msg;
pub mod navigate;
pub mod palette;
pub mod plan;
pub mod restart;
pub mod scope;
#[cfg(test)]
pub mod testkit;
pub mod undo;
pub mod update;
pub mod weights;
pub mod writes;
