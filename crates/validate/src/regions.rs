//! The CLI's `S3ClientProvider` region cache: one `GetBucketLocation` per bucket (successful answers
//! are remembered, failures are not), shared by the digest walk and the log-file workers.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::source::{Source, SourceError};

/// Bucket name → Region of the S3 client that serves it.
#[derive(Debug)]
pub struct BucketRegions {
    client_region: Option<String>,
    known: Mutex<HashMap<String, String>>,
}

impl BucketRegions {
    /// Locations are asked from a client in `client_region` (the CLI's `--region`; `None` = the
    /// source's default Region).
    pub fn new(client_region: Option<String>) -> Self {
        BucketRegions {
            client_region,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The bucket's Region: `LocationConstraint`, or `us-east-1` when it is empty.
    pub fn region_of(&self, source: &dyn Source, bucket: &str) -> Result<String, SourceError> {
        if let Some(region) = self.lock().get(bucket) {
            return Ok(region.clone());
        }
        let location = source.bucket_location(bucket, self.client_region.as_deref())?;
        let region = location
            .filter(|region| !region.is_empty())
            .unwrap_or_else(|| "us-east-1".to_owned());
        self.lock().insert(bucket.to_owned(), region.clone());
        Ok(region)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
