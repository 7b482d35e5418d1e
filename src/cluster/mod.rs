//! Everything that talks to Kubernetes.
pub mod connect;
pub mod kinds;
pub mod objects;
pub mod snapshot;
pub mod watch;
pub mod write;
