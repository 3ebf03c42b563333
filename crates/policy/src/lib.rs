//! S3 bucket policies for OpenTrail's embedded buckets: validated the way S3's PutBucketPolicy
//! validates them, and enforced the way S3 enforces them.
//!
//! Tour:
//! - [`BucketPolicy::parse`] reads a policy document for one bucket; a refusal is a
//!   [`PolicyError`] whose [`PolicyError::aws_message`] is S3's `MalformedPolicy` text.
//! - [`BucketPolicy::evaluate`] answers a [`PolicyRequest`] (a [`RequestPrincipal`], an action, a
//!   resource ARN and a [`ConditionContext`]) with a [`PolicyOutcome`]; an explicit Deny wins.
//!   [`PolicyRequest::builder`] fills the standard condition keys of an S3 request.
//! - [`s3`] holds S3's own rules: the IAM actions of each operation ([`s3::actions_for`]), the ARN
//!   they apply to ([`s3::resource_arn`]), and the final Allow/Deny ([`s3::decide`]).
//! - Inside: `document.rs` (elements and evaluation), `principal.rs`, `condition.rs` (operators and
//!   the missing-key rules), `pattern.rs` (wildcards and policy variables), `net.rs` (CIDRs),
//!   `time.rs` (dates), `s3/catalog.rs` (S3's actions and condition keys).
//!
//! The crate is pure: no IO, no clock, no async, no state. It is not a general IAM engine: no
//! identity policies, permission boundaries, SCPs, sessions, ACLs or Block Public Access.

mod condition;
mod context;
mod document;
mod error;
mod net;
mod pattern;
mod principal;
pub mod s3;
mod time;

pub use context::{ConditionContext, PolicyRequest, PolicyRequestBuilder, SignatureLocation};
pub use document::{BucketPolicy, PolicyOutcome, PolicyVersion};
pub use error::{MAX_POLICY_BYTES, PolicyError};
pub use principal::RequestPrincipal;
