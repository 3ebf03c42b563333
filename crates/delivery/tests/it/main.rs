//! Integration tests of trail delivery against a real event log, control plane and key store in a
//! temporary directory, with in-memory destinations (and s3s-fs for `s3_compatible.rs`). New
//! scenarios go in `delivery.rs` (log files, restarts, outages, status), `digests.rs` (digest
//! chains) or `s3_compatible.rs` (real S3 servers); `fixture.rs` holds the shared setup.

mod delivery;
mod digests;
mod fixture;
mod s3_compatible;
