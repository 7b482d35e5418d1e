//! Everything that talks to Kubernetes.
pub mod kinds;
pub mod objects;
pub mod connect;
pub mod watch;
