//! Who is calling: principals, the credential store the server supplies, and s3s's signature-key hook.
//!
//! This module only answers "which secret belongs to this access key id" and "who is that"; SigV4
//! verification itself is done by s3s, and authorization by [`crate::access`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use s3s::auth::{S3Auth, SecretKey};

use crate::aws_errors;

/// An authenticated caller, as CloudTrail's `userIdentity` needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The 12-digit account the principal belongs to; buckets it creates belong to this account.
    pub account_id: String,
    /// The principal's ARN, e.g. `arn:aws:iam::123456789012:root`.
    pub arn: String,
    /// CloudTrail's `principalId` (the account id for root, `AIDA...` for an IAM user).
    pub principal_id: String,
    /// The IAM user name, when the principal is a user.
    pub user_name: Option<String>,
    /// Whether this is the account's root identity.
    pub is_root: bool,
    /// The access key id the request was signed with.
    pub access_key_id: String,
}

/// Looks up signing credentials; implemented by the server over its configured principals.
pub trait CredentialStore: Send + Sync + 'static {
    /// The principal and its secret access key for `access_key_id`, or `None` when the key is unknown.
    fn lookup(&self, access_key_id: &str) -> Option<(Principal, String)>;
}

/// A credential store held in memory; handy for tests and for embedding without a control plane.
#[derive(Debug, Default)]
pub struct InMemoryCredentialStore {
    entries: RwLock<HashMap<String, (Principal, String)>>,
}

impl InMemoryCredentialStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the credentials of `principal` under its `access_key_id`.
    pub fn insert(&self, principal: Principal, secret_access_key: impl Into<String>) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.insert(
            principal.access_key_id.clone(),
            (principal, secret_access_key.into()),
        );
    }

    /// A root principal of `account_id` signing with `access_key_id`.
    pub fn root_principal(account_id: &str, access_key_id: &str) -> Principal {
        Principal {
            account_id: account_id.to_owned(),
            arn: format!("arn:aws:iam::{account_id}:root"),
            principal_id: account_id.to_owned(),
            user_name: None,
            is_root: true,
            access_key_id: access_key_id.to_owned(),
        }
    }
}

impl CredentialStore for InMemoryCredentialStore {
    fn lookup(&self, access_key_id: &str) -> Option<(Principal, String)> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.get(access_key_id).cloned()
    }
}

/// s3s's secret-key hook over a [`CredentialStore`].
pub(crate) struct CredentialAuth {
    pub(crate) credentials: Arc<dyn CredentialStore>,
}

#[async_trait::async_trait]
impl S3Auth for CredentialAuth {
    async fn get_secret_key(&self, access_key: &str) -> s3s::S3Result<SecretKey> {
        match self.credentials.lookup(access_key) {
            Some((_, secret)) => Ok(SecretKey::from(secret)),
            None => Err(aws_errors::invalid_access_key_id()),
        }
    }
}
