//! Pure derivations from the cache to what the views show. No I/O, heavily unit-tested.
pub mod certs;
pub mod diagnostics;
pub mod frontends;
pub mod inject;
pub mod istio;
pub mod mesh;
pub mod rollout;
pub mod routes;
pub mod topology;
pub mod tree;
pub mod weights;
