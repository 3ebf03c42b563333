//! Accounts and principals: who may sign requests, and what identity their calls are recorded under.
//!
//! Principals come from the config file (IAM-user-like users and account roots) plus the default
//! account's root, whose keys come from `OPENTRAIL_ROOT_ACCESS_KEY_ID` / `OPENTRAIL_ROOT_SECRET_ACCESS_KEY`
//! or are generated on first start and kept (mode 0600) in the data directory.
//! This module does not verify signatures; it only answers "whose key is this".

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use opentrail_record::PrincipalIdentity;
use opentrail_record::identity::derive_user_principal_id;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::config::ServerConfig;

/// The file in the data directory that keeps generated root credentials.
pub const ROOT_CREDENTIALS_FILE: &str = "root-credentials.json";

/// An authenticated principal and its secret.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The identity recorded as `userIdentity`.
    pub identity: PrincipalIdentity,
    /// The secret access key.
    pub secret_access_key: String,
}

impl Principal {
    /// The principal's account.
    pub fn account_id(&self) -> &str {
        &self.identity.account_id
    }
}

/// The default account's root credentials and where they came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RootCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// True when this start generated them (the binary prints them then).
    #[serde(skip)]
    pub generated: bool,
}

/// Every principal that may sign requests, by access key id.
#[derive(Debug, Default)]
pub struct PrincipalDirectory {
    by_access_key: HashMap<String, Principal>,
}

/// Errors building the directory.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Two principals share an access key id.
    #[error("access key id \"{0}\" is configured twice")]
    DuplicateKey(String),
    /// Root credentials could not be read or written.
    #[error("root credentials file {path}: {source}")]
    RootFile {
        /// The file.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
}

impl PrincipalDirectory {
    /// Builds the directory from the config and the default account's root credentials.
    pub fn build(config: &ServerConfig, root: &RootCredentials) -> Result<Self, IdentityError> {
        let mut directory = Self::default();
        directory.insert(Principal {
            identity: PrincipalIdentity::root(&config.account_id, &root.access_key_id),
            secret_access_key: root.secret_access_key.clone(),
        })?;
        for account in &config.accounts {
            if let (Some(key), Some(secret)) =
                (&account.root_access_key_id, &account.root_secret_access_key)
            {
                directory.insert(Principal {
                    identity: PrincipalIdentity::root(&account.id, key),
                    secret_access_key: secret.clone(),
                })?;
            }
            for user in &account.users {
                let principal_id = derive_user_principal_id(&account.id, &user.name);
                directory.insert(Principal {
                    identity: PrincipalIdentity::iam_user(
                        &account.id,
                        &user.name,
                        &principal_id,
                        &user.access_key_id,
                    ),
                    secret_access_key: user.secret_access_key.clone(),
                })?;
            }
        }
        Ok(directory)
    }

    fn insert(&mut self, principal: Principal) -> Result<(), IdentityError> {
        let key = principal.identity.access_key_id.clone();
        if self.by_access_key.insert(key.clone(), principal).is_some() {
            return Err(IdentityError::DuplicateKey(key));
        }
        Ok(())
    }

    /// The principal owning an access key id.
    pub fn lookup(&self, access_key_id: &str) -> Option<&Principal> {
        self.by_access_key.get(access_key_id)
    }
}

/// Resolves the default account's root credentials: the environment wins; otherwise the stored file;
/// otherwise new ones are generated and stored with mode 0600.
pub fn resolve_root_credentials(
    data_dir: &Path,
    env_key: Option<String>,
    env_secret: Option<String>,
) -> Result<RootCredentials, IdentityError> {
    if let (Some(access_key_id), Some(secret_access_key)) = (env_key, env_secret) {
        return Ok(RootCredentials {
            access_key_id,
            secret_access_key,
            generated: false,
        });
    }
    let path = data_dir.join(ROOT_CREDENTIALS_FILE);
    let file_error = |source| IdentityError::RootFile {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read(&path) {
        Ok(bytes) => {
            let stored: RootCredentials = serde_json::from_slice(&bytes).map_err(|error| {
                file_error(std::io::Error::new(std::io::ErrorKind::InvalidData, error))
            })?;
            return Ok(stored);
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(file_error(error)),
    }
    let generated = RootCredentials {
        access_key_id: random_text("AKIA", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
        secret_access_key: random_text(
            "",
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            40,
        ),
        generated: true,
    };
    write_private(
        &path,
        &serde_json::to_vec_pretty(&generated).expect("credentials serialise"),
    )
    .map_err(file_error)?;
    Ok(generated)
}

fn random_text(prefix: &str, alphabet: &[u8], length: usize) -> String {
    let mut rng = rand::rng();
    let mut text = String::from(prefix);
    text.extend((0..length).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char));
    text
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    if let Some(parent) = path.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AccountConfig, UserConfig};
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn generated_root_credentials_are_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = resolve_root_credentials(dir.path(), None, None).unwrap();
        assert!(first.generated);
        assert!(first.access_key_id.starts_with("AKIA") && first.access_key_id.len() == 20);
        let mode = std::fs::metadata(dir.path().join(ROOT_CREDENTIALS_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = resolve_root_credentials(dir.path(), None, None).unwrap();
        assert!(!second.generated);
        assert_eq!(second.secret_access_key, first.secret_access_key);
        let env =
            resolve_root_credentials(dir.path(), Some("AKIAENV".into()), Some("s".into())).unwrap();
        assert_eq!(env.access_key_id, "AKIAENV");
    }

    #[test]
    fn directory_maps_keys_to_identities() {
        let config = ServerConfig {
            accounts: vec![AccountConfig {
                id: "111122223333".into(),
                root_access_key_id: None,
                root_secret_access_key: None,
                users: vec![UserConfig {
                    name: "alice".into(),
                    access_key_id: "AKIAALICE".into(),
                    secret_access_key: "s".into(),
                }],
            }],
            ..ServerConfig::default()
        };
        let root = RootCredentials {
            access_key_id: "AKIAROOT".into(),
            secret_access_key: "r".into(),
            generated: false,
        };
        let directory = PrincipalDirectory::build(&config, &root).unwrap();
        assert_eq!(
            directory.lookup("AKIAROOT").unwrap().identity.identity_type,
            "Root"
        );
        let alice = directory.lookup("AKIAALICE").unwrap();
        assert_eq!(alice.identity.arn, "arn:aws:iam::111122223333:user/alice");
        assert_eq!(alice.account_id(), "111122223333");
        assert!(directory.lookup("AKIANOBODY").is_none());
        let mut duplicate = config.clone();
        duplicate.accounts[0].users[0].access_key_id = "AKIAROOT".into();
        assert!(matches!(
            PrincipalDirectory::build(&duplicate, &root),
            Err(IdentityError::DuplicateKey(_))
        ));
    }
}
