//! Everything that talks to Kubernetes.
pub mod cache;
pub mod connect;
pub mod kinds;
pub mod objects;
pub mod snapshot;
pub mod stamps;
pub mod watch;
pub mod write;
