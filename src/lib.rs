//! meshctl-tui: a terminal operations console for service mesh and Gateway API ingress.
pub mod app;
pub mod audit;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod console;
pub mod demo;
#[cfg(test)]
mod layers_tests;
pub mod model;
pub mod state;
pub mod text;
pub mod tui;
pub mod ui;
