//! The composition root of the interactive console: the loop that owns the state, the
//! session it talks to the cluster through, and the execution of effects. It sits above
//! `ui` (it draws) and `app` (it runs the reducer); nothing below imports it.

pub mod memory;
pub mod pace;
pub mod run;
pub mod session;
mod write;

pub use run::{Ui, run};
pub use session::Session;
