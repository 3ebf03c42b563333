//! Where delivered objects go: the [`Destination`] seam (one write-once `put_object`), the
//! [`DestinationResolver`] that picks a destination per bucket, and [`MemoryDestination`], an
//! in-memory bucket store that can be switched down and up (tests, benchmarks).
//!
//! The server implements the embedded-bucket destination over its S3 crate; any S3-compatible
//! endpoint is [`crate::S3CompatibleDestination`]. A destination never overwrites: a put on an
//! existing key answers [`DestinationErrorKind::AlreadyExists`](crate::DestinationErrorKind).
//! Nothing here knows trails, retries or keys: `worker` does.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::watch;

use crate::error::DestinationError;

/// A boxed future, as the destination and notifier traits return (no `async_trait` needed).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A store of objects trail delivery writes to.
pub trait Destination: Send + Sync {
    /// Stores `body` at `bucket`/`key` unless the key exists (then `AlreadyExists`), with
    /// `content_type` and user metadata (`x-amz-meta-<name>` on S3). Resolves once the object is
    /// durably stored.
    fn put_object<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        body: Bytes,
        content_type: &'a str,
        metadata: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<(), DestinationError>>;
}

/// Picks the destination of a bucket (embedded bucket, external endpoint, ...).
pub trait DestinationResolver: Send + Sync {
    /// The destination that holds `bucket`.
    fn destination_for(&self, bucket: &str) -> Arc<dyn Destination>;
}

/// A resolver that sends every bucket to one destination.
#[derive(Clone)]
pub struct SingleDestination(pub Arc<dyn Destination>);

impl fmt::Debug for SingleDestination {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("SingleDestination")
    }
}

impl DestinationResolver for SingleDestination {
    fn destination_for(&self, _bucket: &str) -> Arc<dyn Destination> {
        self.0.clone()
    }
}

/// One object held by a [`MemoryDestination`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// The body as put.
    pub body: Bytes,
    /// The content type as put.
    pub content_type: String,
    /// The user metadata as put.
    pub metadata: Vec<(String, String)>,
}

/// An in-memory, write-once object store that can be switched down (every put fails with a
/// retryable error) and up again.
#[derive(Debug)]
pub struct MemoryDestination {
    objects: Mutex<BTreeMap<(String, String), StoredObject>>,
    available: AtomicBool,
    stored: watch::Sender<usize>,
}

impl Default for MemoryDestination {
    fn default() -> Self {
        MemoryDestination {
            objects: Mutex::new(BTreeMap::new()),
            available: AtomicBool::new(true),
            stored: watch::Sender::new(0),
        }
    }
}

impl MemoryDestination {
    /// An empty, available store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes puts fail (`false`) or succeed again (`true`).
    pub fn set_available(&self, available: bool) {
        self.available.store(available, Ordering::SeqCst);
    }

    /// Every object, keyed by (bucket, key).
    pub fn objects(&self) -> BTreeMap<(String, String), StoredObject> {
        self.objects.lock().expect("objects lock poisoned").clone()
    }

    /// One object.
    pub fn get(&self, bucket: &str, key: &str) -> Option<StoredObject> {
        let objects = self.objects.lock().expect("objects lock poisoned");
        objects.get(&(bucket.to_owned(), key.to_owned())).cloned()
    }

    /// A watch of how many objects are stored, to wait for deliveries without polling.
    pub fn subscribe(&self) -> watch::Receiver<usize> {
        self.stored.subscribe()
    }

    fn store(&self, bucket: &str, key: &str, object: StoredObject) -> Result<(), DestinationError> {
        if !self.available.load(Ordering::SeqCst) {
            return Err(DestinationError::retryable(format!(
                "destination for bucket '{bucket}' is unavailable"
            )));
        }
        let mut objects = self.objects.lock().expect("objects lock poisoned");
        let slot = (bucket.to_owned(), key.to_owned());
        if objects.contains_key(&slot) {
            return Err(DestinationError::already_exists(format!(
                "object '{key}' already exists in bucket '{bucket}'"
            )));
        }
        objects.insert(slot, object);
        self.stored.send_replace(objects.len());
        Ok(())
    }
}

impl Destination for MemoryDestination {
    fn put_object<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        body: Bytes,
        content_type: &'a str,
        metadata: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<(), DestinationError>> {
        let object = StoredObject {
            body,
            content_type: content_type.to_owned(),
            metadata: metadata.to_vec(),
        };
        Box::pin(async move { self.store(bucket, key, object) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DestinationErrorKind;

    #[tokio::test]
    async fn memory_destination_is_write_once_and_can_go_down() {
        let destination = MemoryDestination::new();
        let put = |key: &'static str| destination.put_object("b", key, Bytes::from("x"), "t", &[]);
        put("k").await.unwrap();
        assert_eq!(
            put("k").await.unwrap_err().kind,
            DestinationErrorKind::AlreadyExists
        );
        destination.set_available(false);
        assert!(put("k2").await.unwrap_err().is_retryable());
        destination.set_available(true);
        put("k2").await.unwrap();
        assert_eq!(*destination.subscribe().borrow(), 2);
    }
}
