//! OpenTrail's S3 front: an S3-compatible API (REST-XML, path-style and virtual-hosted style) over
//! buckets kept in the data directory, auditing every call as a CloudTrail record.
//!
//! A tour, in the order a request meets the code:
//! - [`front`]: [`S3Front`], the one entry point. `handle` runs s3s (protocol, SigV4, XML) and awaits the
//!   [`S3AuditSink`] before the response leaves.
//! - [`identity`]: [`Principal`] and the [`CredentialStore`] the server supplies; s3s asks it for secrets.
//! - [`access`]: the [`AccessDecider`] seam, called for every authenticated request (owner-only by default).
//! - `handlers`: the s3s `S3` trait, converting DTOs and calling the store.
//! - `store`: S3 semantics over `index` (SQLite: buckets, objects, uploads, parts) and `blobs` (one
//!   immutable file per object or part). Blob durable, then row committed, then old blob deleted.
//! - `listing` and `multipart`: pure rules (paging, delimiters, URL encoding; part checks, ETags).
//! - [`audit`] with `observe` and `catalog`: what is recorded about each call and how it is gathered.
//! - [`proxy`]: [`S3Proxy`], the same audit in front of an upstream S3-compatible server.
//!
//! What this crate deliberately does not do: listen on sockets or route (the server does), turn
//! [`S3CallRecord`]s into CloudTrail JSON or persist them (the audit sink does), evaluate bucket
//! versioning, ACLs, tagging, SSE.

pub mod access;
pub mod audit;
mod aws_errors;
mod blobs;
mod catalog;
mod checksums;
mod convert;
mod error;
pub mod front;
mod handlers;
mod hosts;
pub mod identity;
mod index;
mod listing;
mod multipart;
mod observe;
mod policy_access;
pub mod proxy;
mod sigv2;
mod store;

pub use access::{AccessDecider, AccessDecision, AccessRequest, OwnerOnlyAccess};
pub use audit::{RequestContext, S3AuditSink, S3CallRecord, S3EventCategory, TlsInfo};
pub use error::S3Error;
pub use front::{BucketInfo, S3Config, S3Front};
pub use identity::{CredentialStore, InMemoryCredentialStore, Principal};
pub use policy_access::BucketPolicyAccess;
pub use proxy::{ProxyConfig, S3Proxy};
