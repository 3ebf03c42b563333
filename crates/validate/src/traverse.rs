//! The digest-chain walk of the aws CLI (`DigestTraverser` and `DigestProvider` in
//! `awscli/customizations/cloudtrail/validation.py`), newest to oldest, with the same calls in the same
//! order, the same listing cache (whose lists are consumed as the walk pops keys), the same reactions
//! to each kind of failure (report and go to the next listed key, or abort), gap notices and
//! backfill handling.
//!
//! The control flow is a deliberate line-by-line port, because the order of events is the output.
//! It emits [`ChainEvent`]s and never prints or checks log files itself (the run loop does that, in
//! parallel, and prints in this order).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::date::{DateValue, display_date, key_date, parse_date_text, shift};
use crate::failure::{Failure, FatalError};
use crate::inflate::gunzip_first_member;
use crate::naming::{DigestNaming, is_backfill_key, key_timestamp};
use crate::python_compat::{
    b64decode, item_assignment_error, key_error, py_str, type_name, unhexlify,
};
use crate::regions::BucketRegions;
use crate::signature::{SignatureFailure, load_pkcs1_public_key, verify_pkcs1v15};
use crate::source::{BucketInRegion, PublicKeyEntry, Source};

/// The keys a digest must have before it is checked (`DigestTraverser.required_digest_keys`).
const REQUIRED_DIGEST_KEYS: [&str; 6] = [
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
];

/// What the walk reports, in order.
#[derive(Debug, Clone)]
pub enum ChainEvent {
    /// A digest whose signature verified (the CLI's generator yields it).
    ValidDigest {
        /// The decoded digest.
        digest: Map<String, Value>,
        /// From the backfill walk.
        is_backfill: bool,
    },
    /// A digest that failed, with its complete status line (without the backfill prefix).
    InvalidDigest {
        /// `Digest file\ts3://...\tINVALID: ...`.
        line: String,
        /// From the backfill walk.
        is_backfill: bool,
    },
    /// `GetObject` said `NoSuchKey`.
    MissingDigest {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// From the backfill walk.
        is_backfill: bool,
    },
    /// A chain start with older digests still listed.
    Gap {
        /// End time of the next (older) listed digest, from its key.
        next_end: DateTime<Utc>,
        /// Start time of the digest that started the chain.
        last_start: DateTime<Utc>,
        /// From the backfill walk.
        is_backfill: bool,
    },
}

/// Why the walk ended early.
#[derive(Debug)]
pub enum WalkStop {
    /// An error the CLI does not catch: exit 255.
    Fatal(FatalError),
    /// The consumer is gone (it stopped on its own fatal error).
    ConsumerGone,
}

impl From<FatalError> for WalkStop {
    fn from(error: FatalError) -> WalkStop {
        WalkStop::Fatal(error)
    }
}

/// An error inside the CLI's `try` block around one digest.
enum AttemptError {
    Failed(Failure),
    Stop(WalkStop),
}

impl From<Failure> for AttemptError {
    fn from(failure: Failure) -> AttemptError {
        AttemptError::Failed(failure)
    }
}

fn fatal(failure: Failure) -> WalkStop {
    WalkStop::Fatal(failure.into_fatal())
}

/// `(bucket, prefix, start_date, end_date)`, the CLI's listing cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ListingKey {
    bucket: String,
    prefix: Option<String>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// Which cached list a walk consumes.
#[derive(Debug, Clone)]
struct ListHandle {
    key: ListingKey,
    is_backfill: bool,
}

#[derive(Debug, Default)]
struct CachedListing {
    standard: Vec<String>,
    backfill: Vec<String>,
}

type PublicKeys = HashMap<String, PublicKeyEntry>;

/// The state of one validation's walks (standard, then backfill).
pub struct DigestWalker<'a> {
    source: &'a dyn Source,
    regions: &'a BucketRegions,
    naming: DigestNaming,
    starting_bucket: String,
    key_prefix: Option<String>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    listings: HashMap<ListingKey, CachedListing>,
    vouched_signatures: HashMap<(String, String), String>,
}

impl std::fmt::Debug for DigestWalker<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("DigestWalker")
            .field("naming", &self.naming)
            .field("starting_bucket", &self.starting_bucket)
            .field("start", &self.start)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

/// Where and what to walk.
#[derive(Debug, Clone)]
pub struct WalkPlan {
    /// Names of this trail's digests.
    pub naming: DigestNaming,
    /// The bucket to list first.
    pub bucket: String,
    /// The trail's key prefix.
    pub key_prefix: Option<String>,
    /// Start of the requested range (normalized).
    pub start: DateTime<Utc>,
    /// End of the requested range (normalized).
    pub end: DateTime<Utc>,
}

impl<'a> DigestWalker<'a> {
    /// A walker over `source`.
    pub fn new(source: &'a dyn Source, regions: &'a BucketRegions, plan: WalkPlan) -> Self {
        DigestWalker {
            source,
            regions,
            naming: plan.naming,
            starting_bucket: plan.bucket,
            key_prefix: plan.key_prefix,
            start: plan.start,
            end: plan.end,
            listings: HashMap::new(),
            vouched_signatures: HashMap::new(),
        }
    }

    /// Walks the standard chain, then the backfill chain, sending events to `emit` (which returns
    /// false when nobody listens any more).
    pub fn walk_all(&mut self, emit: &mut dyn FnMut(ChainEvent) -> bool) -> Result<(), WalkStop> {
        self.traverse_digests(false, emit)?;
        self.traverse_digests(true, emit)
    }

    /// `DigestTraverser.traverse_digests`.
    fn traverse_digests(
        &mut self,
        is_backfill: bool,
        emit: &mut dyn FnMut(ChainEvent) -> bool,
    ) -> Result<(), WalkStop> {
        let bucket = self.starting_bucket.clone();
        let list = self
            .load_digests(&bucket, self.start, self.end, is_backfill)
            .map_err(fatal)?;
        let public_keys = if is_backfill {
            PublicKeys::new()
        } else {
            let until = shift(self.end, 2 * 3600).map_err(fatal)?;
            self.load_public_keys(self.start, until).map_err(fatal)?
        };
        self.traverse_chain(list, bucket, public_keys, is_backfill, emit)
    }

    /// `DigestTraverser._traverse_digest_chain`.
    fn traverse_chain(
        &mut self,
        mut list: ListHandle,
        mut bucket: String,
        mut public_keys: PublicKeys,
        is_backfill: bool,
        emit: &mut dyn FnMut(ChainEvent) -> bool,
    ) -> Result<(), WalkStop> {
        let (mut key, mut end_date) = self.last_digest(&list, None).map_err(fatal)?;
        let mut last_start = end_date;
        let mut cursor = Cursor {
            key: &mut key,
            end_date: &mut end_date,
            last_start: &mut last_start,
            bucket: &mut bucket,
            list: &mut list,
        };
        while let (Some(current), Some(last)) = (cursor.key.clone(), *cursor.last_start) {
            if current.is_empty() || self.start > last {
                break;
            }
            let failure = match self.attempt(&mut cursor, &mut public_keys, is_backfill, emit) {
                Ok(()) => continue,
                Err(AttemptError::Stop(stop)) => return Err(stop),
                Err(AttemptError::Failed(failure)) => failure,
            };
            let current = cursor.key.clone().unwrap_or_default();
            let callback = if failure.is_client_error() {
                if !failure.is_no_such_key() {
                    return Err(fatal(failure));
                }
                NextCallback::Missing
            } else {
                NextCallback::Invalid(match failure {
                    Failure::Digest(line) => line,
                    other => format!(
                        "Digest file\ts3://{}/{current}\tINVALID: {}",
                        cursor.bucket,
                        other.text()
                    ),
                })
            };
            let found = self.find_next_digest(&cursor, &current, callback, is_backfill, emit);
            match found {
                Ok((next_key, next_end)) => {
                    *cursor.key = next_key;
                    *cursor.end_date = next_end;
                }
                Err(AttemptError::Stop(stop)) => return Err(stop),
                Err(AttemptError::Failed(failure)) => return Err(fatal(failure)),
            }
        }
        Ok(())
    }

    /// The body of the CLI's `try:` for one digest.
    fn attempt(
        &mut self,
        cursor: &mut Cursor<'_>,
        public_keys: &mut PublicKeys,
        is_backfill: bool,
        emit: &mut dyn FnMut(ChainEvent) -> bool,
    ) -> Result<(), AttemptError> {
        let current = cursor.key.clone().unwrap_or_default();
        let bucket = cursor.bucket.clone();
        let (digest, end_date) =
            self.load_and_validate_digest(public_keys, &bucket, &current, is_backfill)?;
        *cursor.end_date = Some(end_date);
        let start_value = parse_json_date(&digest, "digestStartTime")?;
        *cursor.last_start = Some(start_value.normalized());
        let previous_bucket = non_null_text(&digest, "previousDigestS3Bucket");
        let previous_key = non_null_text(&digest, "previousDigestS3Object");
        let event = ChainEvent::ValidDigest {
            digest,
            is_backfill,
        };
        if !emit(event) {
            return Err(AttemptError::Stop(WalkStop::ConsumerGone));
        }
        match (previous_bucket, previous_key) {
            (Some(previous_bucket), Some(previous_key)) => {
                *cursor.key = Some(previous_key);
                if previous_bucket != *cursor.bucket {
                    *cursor.bucket = previous_bucket.clone();
                    *cursor.list =
                        self.load_digests(&previous_bucket, self.start, end_date, is_backfill)?;
                }
            }
            _ => {
                let (next_key, next_end) =
                    self.find_next_digest(cursor, &current, NextCallback::Gap, is_backfill, emit)?;
                *cursor.key = next_key;
                *cursor.end_date = next_end;
            }
        }
        Ok(())
    }

    /// `DigestTraverser._find_next_digest`.
    fn find_next_digest(
        &mut self,
        cursor: &Cursor<'_>,
        last_key: &str,
        callback: NextCallback,
        is_backfill: bool,
        emit: &mut dyn FnMut(ChainEvent) -> bool,
    ) -> Result<(Option<String>, Option<DateTime<Utc>>), AttemptError> {
        let (next_key, next_end) = self.last_digest(cursor.list, Some(last_key))?;
        let event = match callback {
            NextCallback::Gap => match (next_end, *cursor.last_start) {
                (Some(next_end), Some(last_start)) if next_key.is_some() => Some(ChainEvent::Gap {
                    next_end,
                    last_start,
                    is_backfill,
                }),
                _ => None,
            },
            NextCallback::Missing => Some(ChainEvent::MissingDigest {
                bucket: cursor.bucket.clone(),
                key: last_key.to_owned(),
                is_backfill,
            }),
            NextCallback::Invalid(line) => Some(ChainEvent::InvalidDigest { line, is_backfill }),
        };
        if let Some(event) = event
            && !emit(event)
        {
            return Err(AttemptError::Stop(WalkStop::ConsumerGone));
        }
        Ok((next_key, next_end))
    }

    /// `DigestTraverser._get_last_digest`: pops the newest key, or the newest one dated before
    /// `before_key`'s date.
    fn last_digest(
        &mut self,
        list: &ListHandle,
        before_key: Option<&str>,
    ) -> Result<(Option<String>, Option<DateTime<Utc>>), Failure> {
        let keys = self.listed_keys(list);
        if keys.is_empty() {
            return Ok((None, None));
        }
        let Some(before_key) = before_key else {
            let key = keys.pop().unwrap_or_default();
            let date = parse_key_date(&key)?.normalized();
            return Ok((Some(key), Some(date)));
        };
        let before_date = parse_key_date(before_key)?;
        while let Some(key) = keys.pop() {
            let date = parse_key_date(&key)?.normalized();
            if DateValue::from_utc(date).compare(&before_date)?.is_lt() {
                return Ok((Some(key), Some(date)));
            }
        }
        Ok((None, None))
    }

    fn listed_keys(&mut self, list: &ListHandle) -> &mut Vec<String> {
        let cached = self.listings.entry(list.key.clone()).or_default();
        if list.is_backfill {
            &mut cached.backfill
        } else {
            &mut cached.standard
        }
    }

    /// `DigestProvider.load_digest_keys_in_range` (cached per bucket, prefix and range).
    fn load_digests(
        &mut self,
        bucket: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        is_backfill: bool,
    ) -> Result<ListHandle, Failure> {
        let key = ListingKey {
            bucket: bucket.to_owned(),
            prefix: self.key_prefix.clone(),
            start,
            end,
        };
        if !self.listings.contains_key(&key) {
            let listing = self.load_all_digest_keys(bucket, start, end)?;
            self.listings.insert(key.clone(), listing);
        }
        Ok(ListHandle { key, is_backfill })
    }

    /// `DigestProvider.load_all_digest_keys_in_range`: one paginated ListObjects.
    fn load_all_digest_keys(
        &self,
        bucket: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<CachedListing, Failure> {
        let prefix = self.key_prefix.as_deref();
        let mut marker = self.naming.marker_key(start, prefix)?;
        let listing_prefix = self.naming.listing_prefix(prefix);
        let region = self.regions.region_of(self.source, bucket)?;
        let target_start = key_date(&start.naive_utc());
        let target_end = key_date(&shift(end, 3600)?.naive_utc());
        let mut listing = CachedListing::default();
        let location = BucketInRegion {
            bucket,
            region: &region,
        };
        loop {
            let page = self
                .source
                .list_objects(location.clone(), &listing_prefix, &marker)?;
            for key in &page.keys {
                if key.is_empty() || !self.naming.is_digest_key(key, prefix) {
                    continue;
                }
                let stamp = key_timestamp(key);
                if stamp > target_end {
                    return Ok(listing);
                }
                if stamp < target_start {
                    continue;
                }
                if is_backfill_key(key) {
                    listing.backfill.push(key.clone());
                } else {
                    listing.standard.push(key.clone());
                }
            }
            let next = page
                .next_marker
                .clone()
                .or_else(|| page.keys.last().cloned());
            match next {
                Some(next) if page.is_truncated => {
                    if next == marker {
                        return Err(Failure::Other(format!(
                            "The same next token was received twice: {{'Marker': '{next}'}}"
                        )));
                    }
                    marker = next;
                }
                _ => return Ok(listing),
            }
        }
    }

    /// `DigestTraverser._load_public_keys`.
    fn load_public_keys(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<PublicKeys, Failure> {
        let listed = self
            .source
            .list_public_keys(start, end)?
            .ok_or_else(|| Failure::Other(key_error("PublicKeyList")))?;
        let mut keys = PublicKeys::new();
        for entry in listed {
            let fingerprint = entry
                .fingerprint
                .clone()
                .ok_or_else(|| Failure::Other(key_error("Fingerprint")))?;
            keys.insert(fingerprint, entry);
        }
        if keys.is_empty() {
            return Err(Failure::Other(format!(
                "No public keys found between {} and {}",
                display_date(&start.naive_utc()),
                display_date(&end.naive_utc())
            )));
        }
        Ok(keys)
    }

    /// `DigestTraverser._load_and_validate_digest`.
    fn load_and_validate_digest(
        &mut self,
        public_keys: &mut PublicKeys,
        bucket: &str,
        key: &str,
        is_backfill: bool,
    ) -> Result<(Map<String, Value>, DateTime<Utc>), Failure> {
        let fetched = self.fetch_digest(bucket, key)?;
        let digest = &fetched.digest;
        if REQUIRED_DIGEST_KEYS
            .iter()
            .any(|name| !digest.contains_key(*name))
        {
            return Err(invalid_format(bucket, key));
        }
        let at_bucket = digest["digestS3Bucket"].as_str() == Some(bucket);
        let at_key = digest["digestS3Object"].as_str() == Some(key);
        if !at_bucket || !at_key {
            return Err(Failure::Digest(format!(
                "Digest file\ts3://{bucket}/{key}\tINVALID: has been moved from its original location"
            )));
        }
        let fingerprint_value = &digest["digestPublicKeyFingerprint"];
        let fingerprint = lookup_text(fingerprint_value)?;
        let known = |keys: &PublicKeys| {
            fingerprint
                .as_ref()
                .is_some_and(|text| keys.contains_key(text))
        };
        if !known(public_keys) && is_backfill {
            let generated = fetched
                .backfill_timestamp
                .as_deref()
                .ok_or_else(|| Failure::Other(key_error("_backfill_generation_timestamp")))?;
            let generated = parse_date_text(generated)
                .map_err(|error| Failure::Other(error.to_string()))?
                .normalized();
            let more = self.load_public_keys(shift(generated, -3600)?, shift(generated, 3600)?)?;
            public_keys.extend(more);
        }
        let Some(entry) = fingerprint.as_ref().and_then(|text| public_keys.get(text)) else {
            return Err(Failure::Digest(format!(
                "Digest file\ts3://{bucket}/{key}\tINVALID: public key not found in region {} for fingerprint {}",
                self.naming.home_region,
                py_str(fingerprint_value)
            )));
        };
        let encoded_key = entry
            .value
            .as_deref()
            .ok_or_else(|| Failure::Other(key_error("Value")))?;
        validate_signature(bucket, key, encoded_key, &fetched)?;
        let end_date = parse_json_date(digest, "digestEndTime")?.normalized();
        Ok((fetched.digest, end_date))
    }

    /// `DigestProvider.fetch_digest`, plus the local-copy signature fallback.
    fn fetch_digest(&mut self, bucket: &str, key: &str) -> Result<FetchedDigest, Failure> {
        let region = self.regions.region_of(self.source, bucket)?;
        let location = BucketInRegion {
            bucket,
            region: &region,
        };
        let object = self.source.get_object(location, key)?;
        let inflated =
            gunzip_first_member(&object.body).ok_or_else(|| invalid_format(bucket, key))?;
        let value: Value = std::str::from_utf8(&inflated)
            .ok()
            .and_then(|text| serde_json::from_str(text).ok())
            .ok_or_else(|| invalid_format(bucket, key))?;
        if let Value::Object(digest) = &value {
            self.remember_vouched_signature(digest);
        }
        let mut metadata = object.metadata;
        if self.source.signatures_may_be_missing() && !metadata.contains_key("signature") {
            self.fill_vouched_signature(bucket, key, &mut metadata)?;
        }
        let (Some(signature), Some(_)) = (
            metadata.get("signature"),
            metadata.get("signature-algorithm"),
        ) else {
            return Err(signature_failed(bucket, key));
        };
        let Value::Object(digest) = value else {
            return Err(Failure::Other(item_assignment_error(&value)));
        };
        let backfill_timestamp = if is_backfill_key(key) {
            let timestamp = metadata.get("backfill-generation-timestamp").cloned();
            if timestamp.is_none() {
                return Err(invalid_format(bucket, key));
            }
            timestamp
        } else {
            None
        };
        Ok(FetchedDigest {
            digest,
            inflated,
            signature: signature.clone(),
            backfill_timestamp,
        })
    }

    /// Local copies only: a digest without a sidecar takes the signature a newer digest recorded
    /// for it in `previousDigestSignature`. Any signature that verifies proves the content, so
    /// where it was found does not matter.
    fn fill_vouched_signature(
        &self,
        bucket: &str,
        key: &str,
        metadata: &mut std::collections::BTreeMap<String, String>,
    ) -> Result<(), Failure> {
        match self
            .vouched_signatures
            .get(&(bucket.to_owned(), key.to_owned()))
        {
            Some(signature) => {
                metadata.insert("signature".to_owned(), signature.clone());
                metadata
                    .entry("signature-algorithm".to_owned())
                    .or_insert_with(|| "SHA256withRSA".to_owned());
                Ok(())
            }
            None => {
                let sidecar = self.source.sidecar_hint(bucket, key).unwrap_or_default();
                Err(Failure::Digest(format!(
                    "Digest file\ts3://{bucket}/{key}\tINVALID: signature not available (no sidecar {sidecar} and no newer digest names this file)"
                )))
            }
        }
    }

    fn remember_vouched_signature(&mut self, digest: &Map<String, Value>) {
        if !self.source.signatures_may_be_missing() {
            return;
        }
        let field = |name: &str| digest.get(name).and_then(Value::as_str).map(str::to_owned);
        if let (Some(bucket), Some(key), Some(signature)) = (
            field("previousDigestS3Bucket"),
            field("previousDigestS3Object"),
            field("previousDigestSignature"),
        ) {
            self.vouched_signatures.insert((bucket, key), signature);
        }
    }
}

/// The mutable loop variables of `_traverse_digest_chain`.
struct Cursor<'c> {
    key: &'c mut Option<String>,
    end_date: &'c mut Option<DateTime<Utc>>,
    last_start: &'c mut Option<DateTime<Utc>>,
    bucket: &'c mut String,
    list: &'c mut ListHandle,
}

/// Which callback `_find_next_digest` invokes.
enum NextCallback {
    Gap,
    Missing,
    Invalid(String),
}

/// A fetched, decoded digest and what `fetch_digest` attached to it.
struct FetchedDigest {
    digest: Map<String, Value>,
    inflated: Vec<u8>,
    signature: String,
    backfill_timestamp: Option<String>,
}

/// `Sha256RSADigestValidator.validate`.
fn validate_signature(
    bucket: &str,
    key: &str,
    encoded_key: &str,
    fetched: &FetchedDigest,
) -> Result<(), Failure> {
    let digest = &fetched.digest;
    let der = b64decode(encoded_key).map_err(Failure::Other)?;
    let Some(public_key) = load_pkcs1_public_key(&der) else {
        return Err(Failure::Digest(format!(
            "Digest file\ts3://{bucket}/{key}\tINVALID: Unable to load PKCS #1 key with fingerprint {}",
            py_str(&digest["digestPublicKeyFingerprint"])
        )));
    };
    let to_sign = string_to_sign(digest, &fetched.inflated);
    let signature = unhexlify(&fetched.signature).map_err(Failure::Other)?;
    match verify_pkcs1v15(to_sign.as_bytes(), &signature, &public_key) {
        Ok(()) => Ok(()),
        Err(SignatureFailure::Mismatch) => Err(signature_failed(bucket, key)),
        Err(SignatureFailure::Error(text)) => Err(Failure::Other(text)),
    }
}

/// The signed string (reference §6.3), with Python's `str()` of each field.
pub fn string_to_sign(digest: &Map<String, Value>, inflated: &[u8]) -> String {
    let previous = match &digest["previousDigestSignature"] {
        Value::Null => "null".to_owned(),
        other => py_str(other),
    };
    format!(
        "{}\n{}/{}\n{}\n{}",
        py_str(&digest["digestEndTime"]),
        py_str(&digest["digestS3Bucket"]),
        py_str(&digest["digestS3Object"]),
        hex::encode(Sha256::digest(inflated)),
        previous
    )
}

fn invalid_format(bucket: &str, key: &str) -> Failure {
    Failure::Digest(format!(
        "Digest file\ts3://{bucket}/{key}\tINVALID: invalid format"
    ))
}

fn signature_failed(bucket: &str, key: &str) -> Failure {
    Failure::Digest(format!(
        "Digest file\ts3://{bucket}/{key}\tINVALID: signature verification failed"
    ))
}

/// A value used as a dict key: strings can match, other scalars cannot, lists and dicts raise.
fn lookup_text(value: &Value) -> Result<Option<String>, Failure> {
    match value {
        Value::String(text) => Ok(Some(text.clone())),
        Value::Array(_) | Value::Object(_) => Err(Failure::Other(format!(
            "unhashable type: '{}'",
            type_name(value)
        ))),
        _ => Ok(None),
    }
}

/// `digest.get(name)` when not `None`, as text (non-strings by their `str()`).
fn non_null_text(digest: &Map<String, Value>, name: &str) -> Option<String> {
    match digest.get(name) {
        None | Some(Value::Null) => None,
        Some(value) => Some(py_str(value)),
    }
}

/// `parse_date(digest[name])`.
pub fn parse_json_date(digest: &Map<String, Value>, name: &str) -> Result<DateValue, Failure> {
    match digest.get(name) {
        Some(Value::String(text)) => {
            parse_date_text(text).map_err(|error| Failure::Other(error.to_string()))
        }
        Some(other) => Err(Failure::Other(format!(
            "Parser must be a string or character stream, not {}",
            type_name(other)
        ))),
        None => Err(Failure::Other(key_error(name))),
    }
}

/// `parse_date(extract_digest_key_date(key))`.
fn parse_key_date(key: &str) -> Result<DateValue, Failure> {
    parse_date_text(&key_timestamp(key)).map_err(|error| Failure::Other(error.to_string()))
}
