//! The app loop: messages in, reducer, effects out, draw when dirty.
pub mod action;
pub mod inject;
pub mod msg;
pub mod palette;
pub mod run;
pub mod update;
