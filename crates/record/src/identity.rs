//! The `userIdentity` object of a record, for the principals OpenTrail authenticates.
//!
//! OpenTrail's principals are IAM-user-like (name, access key) or an account's root. Their shapes follow
//! reference §7.1: `Root` has `principalId` = account id and `arn` `arn:aws:iam::<acct>:root`; `IAMUser`
//! has an `AIDA…`-style principal id, `arn:aws:iam::<acct>:user/<name>` and `userName`.
//! Assumed roles and federation are not modelled (OpenTrail issues no session credentials).

use serde::Serialize;

/// The identity of an authenticated caller, as it appears in records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrincipalIdentity {
    /// `Root` or `IAMUser`.
    #[serde(rename = "type")]
    pub identity_type: &'static str,
    /// The stable principal id.
    #[serde(rename = "principalId")]
    pub principal_id: String,
    /// The principal's ARN.
    pub arn: String,
    /// The principal's account.
    #[serde(rename = "accountId")]
    pub account_id: String,
    /// The access key the request was signed with.
    #[serde(rename = "accessKeyId")]
    pub access_key_id: String,
    /// The IAM user name (absent for root without an alias).
    #[serde(rename = "userName", skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

impl PrincipalIdentity {
    /// The identity of an account's root principal.
    pub fn root(account_id: &str, access_key_id: &str) -> Self {
        Self {
            identity_type: "Root",
            principal_id: account_id.to_owned(),
            arn: format!("arn:aws:iam::{account_id}:root"),
            account_id: account_id.to_owned(),
            access_key_id: access_key_id.to_owned(),
            user_name: None,
        }
    }

    /// The identity of an IAM user. `principal_id` is the user's stable id (an `AIDA…` string).
    pub fn iam_user(
        account_id: &str,
        user_name: &str,
        principal_id: &str,
        access_key_id: &str,
    ) -> Self {
        Self {
            identity_type: "IAMUser",
            principal_id: principal_id.to_owned(),
            arn: format!("arn:aws:iam::{account_id}:user/{user_name}"),
            account_id: account_id.to_owned(),
            access_key_id: access_key_id.to_owned(),
            user_name: Some(user_name.to_owned()),
        }
    }

    /// The name LookupEvents shows as `Username`: the user name, or `root`.
    pub fn display_name(&self) -> &str {
        self.user_name.as_deref().unwrap_or("root")
    }
}

/// Derives a stable, AWS-looking principal id (`AIDA` + 17 upper-case alphanumerics) from an account
/// and user name, so the id survives restarts without being stored.
pub fn derive_user_principal_id(account_id: &str, user_name: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    // FNV-1a over the pair; 17 base-32 digits need 85 bits, so two rounds with different seeds.
    let hash = |seed: u64| {
        let mut state = seed;
        for byte in account_id.bytes().chain([b':']).chain(user_name.bytes()) {
            state ^= u64::from(byte);
            state = state.wrapping_mul(0x0100_0000_01b3);
        }
        state
    };
    let (first, second) = (hash(0xcbf2_9ce4_8422_2325), hash(0x8422_2325_cbf2_9ce4));
    let mut id = String::from("AIDA");
    for index in 0..17u32 {
        let source = if index < 12 {
            first >> (index * 5)
        } else {
            second >> ((index - 12) * 5)
        };
        id.push(ALPHABET[(source & 31) as usize] as char);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_user_shapes_match_cloudtrail() {
        let root =
            serde_json::to_value(PrincipalIdentity::root("123456789012", "AKIAROOT")).unwrap();
        assert_eq!(
            root,
            serde_json::json!({"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root",
                "accountId":"123456789012","accessKeyId":"AKIAROOT"})
        );
        let user = PrincipalIdentity::iam_user("123456789012", "alice", "AIDAX", "AKIAUSER");
        assert_eq!(user.display_name(), "alice");
        assert_eq!(
            serde_json::to_value(&user).unwrap()["arn"],
            "arn:aws:iam::123456789012:user/alice"
        );
    }

    #[test]
    fn principal_ids_are_stable_and_distinct() {
        let alice = derive_user_principal_id("123456789012", "alice");
        assert_eq!(alice, derive_user_principal_id("123456789012", "alice"));
        assert_ne!(alice, derive_user_principal_id("123456789012", "bob"));
        assert_ne!(alice, derive_user_principal_id("210987654321", "alice"));
        assert_eq!(alice.len(), 21);
        assert!(alice.starts_with("AIDA"));
    }
}
