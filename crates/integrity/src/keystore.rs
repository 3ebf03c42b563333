//! Per-region signing keys with rotation, persisted in one directory.
//!
//! Each region has one file `<dir>/<region>.json` (mode 0600, inside a 0700 directory) holding every
//! key the region ever signed with: the PKCS#1 private key, when it became the active key, and when
//! it was retired. A file is replaced atomically (temp file, fsync, rename, directory fsync), so a
//! crash leaves either the old or the new key list. The newest key is the active one; it is rotated
//! on demand ([`KeyStore::rotate`]) or when it is older than the store's key lifetime. Retired keys
//! stay listable for the window they signed in, as `ListPublicKeys` requires (reference §6.4).
//! Keys are never deleted. Key generation is CPU-heavy: call [`KeyStore::current`] and
//! [`KeyStore::rotate`] from a blocking context.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::IntegrityError;
use crate::keys::SigningKeyPair;

/// How long a key stays active before [`KeyStore::current`] rotates it (AWS keys last ~30 days).
pub const DEFAULT_KEY_LIFETIME: TimeDelta = TimeDelta::days(30);

const KEY_FILE_FORMAT_VERSION: u32 = 1;

/// One public key as `ListPublicKeys` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyInfo {
    /// DER of the PKCS#1 `RSAPublicKey` (`Value`, base64 on the wire).
    pub der: Vec<u8>,
    /// When the key became the region's active key.
    pub validity_start: DateTime<Utc>,
    /// When the key was retired, or for the active key when it is due to be rotated.
    pub validity_end: DateTime<Utc>,
    /// Lower-case hex MD5 of `der`.
    pub fingerprint: String,
}

/// Where new key pairs come from: the system RNG, or a fixed pool in unit tests (RSA key
/// generation is slow in debug builds).
type KeySource = Box<dyn Fn() -> Result<SigningKeyPair, IntegrityError> + Send + Sync>;

/// Keys per region with rotation; retired public keys stay listable for the time they signed.
pub struct KeyStore {
    dir: PathBuf,
    key_lifetime: TimeDelta,
    key_source: KeySource,
    regions: Mutex<HashMap<String, Vec<StoredKey>>>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("dir", &self.dir)
            .field("key_lifetime", &self.key_lifetime)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
struct StoredKey {
    pair: Arc<SigningKeyPair>,
    validity_start: DateTime<Utc>,
    retired_at: Option<DateTime<Utc>>,
}

/// The on-disk form of one region's keys.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegionKeyFile {
    format_version: u32,
    region: String,
    keys: Vec<KeyRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyRecord {
    fingerprint: String,
    validity_start: DateTime<Utc>,
    retired_at: Option<DateTime<Utc>>,
    private_key_pkcs1_der_hex: String,
}

impl KeyStore {
    /// Opens (creating if needed) the key directory and loads every region's keys, with
    /// [`DEFAULT_KEY_LIFETIME`].
    pub fn open(dir: &Path) -> Result<Self, IntegrityError> {
        Self::open_with_key_lifetime(dir, DEFAULT_KEY_LIFETIME)
    }

    /// Like [`KeyStore::open`], rotating active keys once they are `key_lifetime` old.
    pub fn open_with_key_lifetime(
        dir: &Path,
        key_lifetime: TimeDelta,
    ) -> Result<Self, IntegrityError> {
        Self::open_with_key_source(dir, key_lifetime, Box::new(SigningKeyPair::generate))
    }

    fn open_with_key_source(
        dir: &Path,
        key_lifetime: TimeDelta,
        key_source: KeySource,
    ) -> Result<Self, IntegrityError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| IntegrityError::io(dir, e))?;
        let regions = load_all_regions(dir)?;
        Ok(KeyStore {
            dir: dir.to_path_buf(),
            key_lifetime,
            key_source,
            regions: Mutex::new(regions),
        })
    }

    /// The region's active key at `now`; creates the region's first key on demand and rotates a
    /// key older than the key lifetime.
    pub fn current(
        &self,
        region: &str,
        now: DateTime<Utc>,
    ) -> Result<Arc<SigningKeyPair>, IntegrityError> {
        check_region(region)?;
        let mut regions = self.lock();
        let keys = regions.get(region).map(Vec::as_slice).unwrap_or_default();
        match keys.last() {
            Some(active) if now < active.validity_start + self.key_lifetime => {
                Ok(active.pair.clone())
            }
            _ => self.rotate_locked(&mut regions, region, now),
        }
    }

    /// Retires the region's active key at `now` and makes a freshly generated key active.
    pub fn rotate(&self, region: &str, now: DateTime<Utc>) -> Result<(), IntegrityError> {
        check_region(region)?;
        let mut regions = self.lock();
        self.rotate_locked(&mut regions, region, now).map(|_| ())
    }

    /// `ListPublicKeys` semantics (reference §6.4): every key of the region whose validity window
    /// overlaps `[start, end]`, oldest first. The active key counts as valid until it is rotated.
    pub fn public_keys(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<PublicKeyInfo> {
        let regions = self.lock();
        let Some(keys) = regions.get(region) else {
            return Vec::new();
        };
        keys.iter()
            .filter(|key| {
                key.validity_start <= end && key.retired_at.is_none_or(|retired| retired >= start)
            })
            .map(|key| PublicKeyInfo {
                der: key.pair.public_key_der().to_vec(),
                validity_start: key.validity_start,
                validity_end: key
                    .retired_at
                    .unwrap_or(key.validity_start + self.key_lifetime),
                fingerprint: key.pair.fingerprint().to_string(),
            })
            .collect()
    }

    /// The region's key (active or retired) with this fingerprint.
    pub fn by_fingerprint(&self, region: &str, fingerprint: &str) -> Option<Arc<SigningKeyPair>> {
        let regions = self.lock();
        regions
            .get(region)?
            .iter()
            .find(|key| key.pair.fingerprint() == fingerprint)
            .map(|key| key.pair.clone())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Vec<StoredKey>>> {
        // A panic while holding the lock cannot leave the map half-updated: every change is a
        // single push/replace after the file was written, so the data is still consistent.
        self.regions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Generates the new key, writes the region file, and only then updates memory.
    fn rotate_locked(
        &self,
        regions: &mut HashMap<String, Vec<StoredKey>>,
        region: &str,
        now: DateTime<Utc>,
    ) -> Result<Arc<SigningKeyPair>, IntegrityError> {
        let mut keys = regions.get(region).cloned().unwrap_or_default();
        // Never let windows run backwards if the caller's clock does.
        let switch_at = keys
            .last()
            .map_or(now, |active| now.max(active.validity_start));
        if let Some(active) = keys.last_mut() {
            active.retired_at = Some(switch_at);
        }
        let pair = Arc::new((self.key_source)()?);
        keys.push(StoredKey {
            pair: pair.clone(),
            validity_start: switch_at,
            retired_at: None,
        });
        write_region_file(&self.dir, region, &keys)?;
        regions.insert(region.to_string(), keys);
        Ok(pair)
    }
}

/// Region names become file names: allow only what AWS region ids use.
fn check_region(region: &str) -> Result<(), IntegrityError> {
    let plain = !region.is_empty()
        && region.len() <= 64
        && !region.starts_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if plain {
        Ok(())
    } else {
        Err(IntegrityError::InvalidRegion(region.to_string()))
    }
}

fn region_file_path(dir: &Path, region: &str) -> PathBuf {
    dir.join(format!("{region}.json"))
}

fn load_all_regions(dir: &Path) -> Result<HashMap<String, Vec<StoredKey>>, IntegrityError> {
    let mut regions = HashMap::new();
    for entry in fs::read_dir(dir).map_err(|e| IntegrityError::io(dir, e))? {
        let path = entry.map_err(|e| IntegrityError::io(dir, e))?.path();
        let Some(region) = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(".json"))
        else {
            continue;
        };
        // Leftover temp files (".<region>.json.tmp") and strangers fail this check and are skipped.
        if check_region(region).is_ok() {
            regions.insert(region.to_string(), load_region_file(&path, region)?);
        }
    }
    Ok(regions)
}

fn load_region_file(path: &Path, region: &str) -> Result<Vec<StoredKey>, IntegrityError> {
    let corrupt = |reason: String| IntegrityError::CorruptKeyFile {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = fs::read(path).map_err(|e| IntegrityError::io(path, e))?;
    let file: RegionKeyFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if file.format_version != KEY_FILE_FORMAT_VERSION {
        return Err(corrupt(format!(
            "unknown format version {}",
            file.format_version
        )));
    }
    if file.region != region {
        return Err(corrupt(format!(
            "file holds keys of region {:?}",
            file.region
        )));
    }
    file.keys
        .into_iter()
        .map(|record| stored_key_from_record(record).map_err(corrupt))
        .collect()
}

fn stored_key_from_record(record: KeyRecord) -> Result<StoredKey, String> {
    let der = hex::decode(&record.private_key_pkcs1_der_hex)
        .map_err(|e| format!("key {:?}: private key is not hex: {e}", record.fingerprint))?;
    let pair = SigningKeyPair::from_private_key_pkcs1_der(&der)
        .map_err(|e| format!("key {:?}: {e}", record.fingerprint))?;
    if pair.fingerprint() != record.fingerprint {
        return Err(format!(
            "key {:?}: private key has fingerprint {:?}",
            record.fingerprint,
            pair.fingerprint()
        ));
    }
    Ok(StoredKey {
        pair: Arc::new(pair),
        validity_start: record.validity_start,
        retired_at: record.retired_at,
    })
}

fn write_region_file(dir: &Path, region: &str, keys: &[StoredKey]) -> Result<(), IntegrityError> {
    let file = RegionKeyFile {
        format_version: KEY_FILE_FORMAT_VERSION,
        region: region.to_string(),
        keys: keys.iter().map(key_record).collect::<Result<_, _>>()?,
    };
    let bytes = serde_json::to_vec_pretty(&file).expect("key file serialises to JSON");
    write_atomically(dir, &region_file_path(dir, region), &bytes)
}

fn key_record(key: &StoredKey) -> Result<KeyRecord, IntegrityError> {
    Ok(KeyRecord {
        fingerprint: key.pair.fingerprint().to_string(),
        validity_start: key.validity_start,
        retired_at: key.retired_at,
        private_key_pkcs1_der_hex: hex::encode(key.pair.private_key_pkcs1_der()?.as_bytes()),
    })
}

/// temp file (0600) + fsync + rename + directory fsync.
fn write_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> Result<(), IntegrityError> {
    let file_name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("keys");
    let temp = dir.join(format!(".{file_name}.tmp"));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temp)
        .map_err(|e| IntegrityError::io(&temp, e))?;
    file.write_all(bytes)
        .map_err(|e| IntegrityError::io(&temp, e))?;
    file.sync_all().map_err(|e| IntegrityError::io(&temp, e))?;
    drop(file);
    fs::rename(&temp, target).map_err(|e| IntegrityError::io(target, e))?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| IntegrityError::io(dir, e))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::TimeZone;

    use super::*;
    use crate::test_support::test_keys;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()
    }

    fn hours(n: i64) -> TimeDelta {
        TimeDelta::hours(n)
    }

    /// A store that hands out the test binary's pre-generated keys in order.
    fn open_store(dir: &Path, key_lifetime: TimeDelta) -> KeyStore {
        let next = AtomicUsize::new(0);
        let source: KeySource = Box::new(move || {
            let keys = test_keys();
            Ok(keys[next.fetch_add(1, Ordering::Relaxed) % keys.len()].clone())
        });
        KeyStore::open_with_key_source(dir, key_lifetime, source).unwrap()
    }

    fn fingerprints(keys: &[PublicKeyInfo]) -> Vec<&str> {
        keys.iter().map(|k| k.fingerprint.as_str()).collect()
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn store_and_keys_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KeyStore>();
        assert_send_sync::<Arc<SigningKeyPair>>();
    }

    #[test]
    fn first_key_is_created_on_demand_and_persisted_privately() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("keys");
        let store = open_store(&dir, DEFAULT_KEY_LIFETIME);
        assert!(store.public_keys("us-east-1", t0(), t0()).is_empty());
        let key = store.current("us-east-1", t0()).unwrap();
        assert_eq!(
            store
                .current("us-east-1", t0() + hours(5))
                .unwrap()
                .fingerprint(),
            key.fingerprint()
        );
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("us-east-1.json")), 0o600);

        let reopened = KeyStore::open(&dir).unwrap();
        let again = reopened.current("us-east-1", t0() + hours(6)).unwrap();
        assert_eq!(again.fingerprint(), key.fingerprint());
        assert_eq!(again.sign_hex(b"m"), key.sign_hex(b"m"));
    }

    #[test]
    fn rotation_keeps_retired_keys_listable_for_the_time_they_signed() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_store(temp.path(), DEFAULT_KEY_LIFETIME);
        let first = store.current("us-east-1", t0()).unwrap();
        store.rotate("us-east-1", t0() + hours(10)).unwrap();
        let second = store.current("us-east-1", t0() + hours(11)).unwrap();
        assert_ne!(first.fingerprint(), second.fingerprint());
        let (a, b) = (first.fingerprint(), second.fingerprint());

        let reopened = KeyStore::open(temp.path()).unwrap();
        for store in [&store, &reopened] {
            let cases: [(DateTime<Utc>, DateTime<Utc>, Vec<&str>); 7] = [
                (t0() - hours(48), t0() - hours(1), vec![]),
                (t0(), t0(), vec![a]),
                (t0() + hours(9), t0() + hours(9), vec![a]),
                (t0() + hours(10), t0() + hours(10), vec![a, b]),
                (t0() + hours(11), t0() + hours(13), vec![b]),
                (t0() - hours(1), t0() + hours(1000), vec![a, b]),
                // The active key counts as valid until rotated, even past its planned end.
                (t0() + hours(2000), t0() + hours(2000), vec![b]),
            ];
            for (start, end, expected) in cases {
                let listed = store.public_keys("us-east-1", start, end);
                assert_eq!(fingerprints(&listed), expected, "range {start} .. {end}");
            }
            assert_eq!(
                store.by_fingerprint("us-east-1", a).unwrap().fingerprint(),
                a
            );
            assert!(store.by_fingerprint("eu-west-1", a).is_none());
            assert!(store.by_fingerprint("us-east-1", "0123").is_none());
        }
        let listed = store.public_keys("us-east-1", t0(), t0() + hours(11));
        assert_eq!(listed[0].der, first.public_key_der());
        assert_eq!(
            (listed[0].validity_start, listed[0].validity_end),
            (t0(), t0() + hours(10))
        );
        let planned_end = t0() + hours(10) + DEFAULT_KEY_LIFETIME;
        assert_eq!(
            (listed[1].validity_start, listed[1].validity_end),
            (t0() + hours(10), planned_end)
        );
    }

    #[test]
    fn current_rotates_a_key_older_than_the_lifetime() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_store(temp.path(), hours(24));
        let first = store.current("eu-west-1", t0()).unwrap();
        let same = store.current("eu-west-1", t0() + hours(23)).unwrap();
        assert_eq!(same.fingerprint(), first.fingerprint());
        let rotated = store.current("eu-west-1", t0() + hours(24)).unwrap();
        assert_ne!(rotated.fingerprint(), first.fingerprint());
        let listed = store.public_keys("eu-west-1", t0(), t0() + hours(30));
        assert_eq!(
            fingerprints(&listed),
            [first.fingerprint(), rotated.fingerprint()]
        );
        assert_eq!(listed[0].validity_end, t0() + hours(24));
    }

    #[test]
    fn regions_have_their_own_keys() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_store(temp.path(), DEFAULT_KEY_LIFETIME);
        let east = store.current("us-east-1", t0()).unwrap();
        let west = store.current("eu-west-1", t0()).unwrap();
        assert_ne!(east.fingerprint(), west.fingerprint());
        assert_eq!(
            fingerprints(&store.public_keys("eu-west-1", t0(), t0())),
            [west.fingerprint()]
        );
        assert!(
            store
                .by_fingerprint("us-east-1", west.fingerprint())
                .is_none()
        );
    }

    #[test]
    fn windows_never_run_backwards_when_the_clock_does() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_store(temp.path(), DEFAULT_KEY_LIFETIME);
        store.current("us-east-1", t0()).unwrap();
        store.rotate("us-east-1", t0() - hours(3)).unwrap();
        let listed = store.public_keys("us-east-1", t0() - hours(100), t0() + hours(100));
        assert_eq!(listed.len(), 2);
        assert_eq!(
            (listed[0].validity_start, listed[0].validity_end),
            (t0(), t0())
        );
        assert_eq!(listed[1].validity_start, t0());
    }

    #[test]
    fn region_names_that_are_not_plain_ids_are_rejected() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_store(temp.path(), DEFAULT_KEY_LIFETIME);
        for region in [
            "",
            "../etc",
            "US-EAST-1",
            "-x",
            "a/b",
            "us_east_1",
            &"a".repeat(65),
        ] {
            let result = store.current(region, t0());
            assert!(
                matches!(&result, Err(IntegrityError::InvalidRegion(r)) if r == region),
                "{result:?}"
            );
            assert!(store.rotate(region, t0()).is_err());
        }
        assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 0);
    }

    #[test]
    fn leftover_temp_files_are_ignored_and_corrupt_files_refused() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_store(temp.path(), DEFAULT_KEY_LIFETIME);
        let key = store.current("us-east-1", t0()).unwrap();
        fs::write(temp.path().join(".us-east-1.json.tmp"), b"half written").unwrap();
        let reopened = KeyStore::open(temp.path()).unwrap();
        assert!(
            reopened
                .by_fingerprint("us-east-1", key.fingerprint())
                .is_some()
        );

        let corruptions: [(&str, &[u8]); 3] = [
            ("not json", b"{"),
            (
                "wrong region inside",
                br#"{"formatVersion":1,"region":"eu-west-1","keys":[]}"#,
            ),
            (
                "unknown version",
                br#"{"formatVersion":9,"region":"us-east-1","keys":[]}"#,
            ),
        ];
        for (what, bytes) in corruptions {
            fs::write(temp.path().join("us-east-1.json"), bytes).unwrap();
            let result = KeyStore::open(temp.path());
            assert!(
                matches!(result, Err(IntegrityError::CorruptKeyFile { .. })),
                "{what}: {result:?}"
            );
        }
    }

    #[test]
    fn a_key_whose_fingerprint_does_not_match_is_refused() {
        let temp = tempfile::tempdir().unwrap();
        let store = open_store(temp.path(), DEFAULT_KEY_LIFETIME);
        let key = store.current("us-east-1", t0()).unwrap();
        let path = temp.path().join("us-east-1.json");
        let text = fs::read_to_string(&path).unwrap();
        fs::write(
            &path,
            text.replace(key.fingerprint(), "00000000000000000000000000000000"),
        )
        .unwrap();
        let result = KeyStore::open(temp.path());
        assert!(
            matches!(result, Err(IntegrityError::CorruptKeyFile { .. })),
            "{result:?}"
        );
    }
}
