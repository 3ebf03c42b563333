//! The s3s `S3` trait over the bucket store: one method per supported operation, each converting the
//! s3s input, calling [`BucketStore`], and building the s3s output.
//!
//! This file is wiring. Semantics live in [`crate::store`], listing in [`crate::listing`], multipart
//! rules in [`crate::multipart`]; authorization already happened in [`crate::access`] (except the
//! CopyObject source, checked here). Operations not implemented here fall back to s3s's
//! `NotImplemented`.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result};
use serde_json::{Value, json};

use crate::access::{AccessDecider, AccessDecision, AccessRequest};
use crate::audit::RequestContext;
use crate::aws_errors;
use crate::checksums::ChecksumVerifier;
use crate::convert::{self, encoded, fill_object_headers, upload_headers};
use crate::front::BucketInfo;
use crate::identity::Principal;
use crate::index::{ObjectRow, PutMode};
use crate::listing::{self, ListQuery, MAX_KEYS_LIMIT};
use crate::multipart::{self, MAX_PART_NUMBER, RequestedPart, UploadsQuery};
use crate::observe::probe;
use crate::store::{BucketStore, Integrity};

/// The S3 operations OpenTrail serves.
pub(crate) struct S3Handlers {
    pub(crate) store: Arc<BucketStore>,
    pub(crate) decider: Arc<dyn AccessDecider>,
}

/// The principal the access gate put into the request.
fn caller(extensions: &http::Extensions) -> S3Result<Principal> {
    extensions
        .get::<Principal>()
        .cloned()
        .ok_or_else(aws_errors::access_denied)
}

/// The request body, or an empty one.
fn body_of(body: Option<StreamingBlob>) -> StreamingBlob {
    body.unwrap_or_else(
        || StreamingBlob::wrap(futures::stream::empty::<Result<Bytes, io::Error>>()),
    )
}

/// `max-keys`, `max-parts` or `max-uploads`: default 1000, at most 1000, never negative.
fn page_size(requested: Option<i32>) -> S3Result<usize> {
    match requested {
        None => Ok(MAX_KEYS_LIMIT),
        Some(size) => usize::try_from(size)
            .map(|size| size.min(MAX_KEYS_LIMIT))
            .map_err(|_| {
                aws_errors::invalid_argument(
                    "Argument maxKeys must be an integer between 0 and 2147483647",
                )
            }),
    }
}

fn wants_url_encoding(encoding_type: Option<&EncodingType>) -> bool {
    encoding_type.is_some_and(|encoding| encoding.as_str().eq_ignore_ascii_case(EncodingType::URL))
}

fn listed_object(row: &ObjectRow, url_encoding: bool, owner: Option<&str>) -> Object {
    Object {
        e_tag: Some(convert::etag(&row.etag)),
        key: Some(encoded(url_encoding, &row.key)),
        last_modified: Some(convert::timestamp(row.last_modified_ms)),
        owner: owner.map(convert::owner),
        size: Some(i64::try_from(row.size).unwrap_or(i64::MAX)),
        storage_class: Some(ObjectStorageClass::from_static(
            ObjectStorageClass::STANDARD,
        )),
        ..Object::default()
    }
}

fn common_prefixes(prefixes: &[String], url_encoding: bool) -> Option<CommonPrefixList> {
    (!prefixes.is_empty()).then(|| {
        prefixes
            .iter()
            .map(|prefix| CommonPrefix {
                prefix: Some(encoded(url_encoding, prefix)),
            })
            .collect()
    })
}

/// Checks a PutBucketPolicy document: JSON object with `Version` and `Statement`.
fn parse_policy(policy: &str, bucket: &str) -> S3Result<Value> {
    opentrail_policy::BucketPolicy::parse(policy, bucket)
        .map_err(|error| aws_errors::malformed_policy_text(error.aws_message()))?;
    serde_json::from_str(policy).map_err(|_| {
        aws_errors::malformed_policy("Policies must be valid JSON and the first byte must be '{'")
    })
}

/// The region a CreateBucket asks for, `None` for the default.
fn requested_region(configuration: Option<&CreateBucketConfiguration>) -> S3Result<Option<String>> {
    let Some(constraint) =
        configuration.and_then(|configuration| configuration.location_constraint.as_ref())
    else {
        return Ok(None);
    };
    let region = constraint.as_str();
    let valid = region
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    match region {
        "" => Ok(None),
        _ if valid => Ok(Some(region.to_owned())),
        _ => Err(aws_errors::invalid_location_constraint()),
    }
}

impl S3Handlers {
    /// Asks the decider whether the caller may read the CopyObject source.
    async fn authorize_copy_source(
        &self,
        extensions: &http::Extensions,
        headers: &http::HeaderMap,
        (bucket, key): (&str, &str),
    ) -> S3Result<()> {
        match self
            .authorize(extensions, headers, "GetObject", bucket, key)
            .await?
        {
            AccessDecision::Allow => Ok(()),
            AccessDecision::Deny => Err(aws_errors::access_denied()),
        }
    }

    /// Asks the decider about one more operation of a request (the CopyObject source).
    async fn authorize(
        &self,
        extensions: &http::Extensions,
        headers: &http::HeaderMap,
        operation: &'static str,
        bucket: &str,
        key: &str,
    ) -> S3Result<AccessDecision> {
        let bucket_info = self.store.bucket(bucket).await?.map(BucketInfo::from);
        let keys = self.authorize_keys(
            extensions,
            headers,
            operation,
            bucket,
            bucket_info.as_ref(),
            [key],
        )?;
        Ok(keys[0])
    }

    /// The decider's answer for `operation` on each of `keys` of one bucket (each key of
    /// DeleteObjects is decided on its own, as S3 does).
    fn authorize_keys<'k>(
        &self,
        extensions: &http::Extensions,
        headers: &http::HeaderMap,
        operation: &'static str,
        bucket: &str,
        bucket_info: Option<&BucketInfo>,
        keys: impl IntoIterator<Item = &'k str>,
    ) -> S3Result<Vec<AccessDecision>> {
        let principal = caller(extensions)?;
        let context = extensions.get::<RequestContext>();
        let decisions = keys
            .into_iter()
            .map(|key| {
                let request = AccessRequest {
                    query: "",
                    principal: &principal,
                    operation,
                    bucket: Some(bucket),
                    key: Some(key),
                    bucket_info,
                    source_ip: context.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |context| {
                        context.source_ip
                    }),
                    secure_transport: context.is_some_and(|context| context.tls.is_some()),
                    headers,
                };
                self.decider.decide(&request)
            })
            .collect();
        Ok(decisions)
    }
}

#[async_trait::async_trait]
impl S3 for S3Handlers {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let principal = caller(&req.extensions)?;
        let input = req.input;
        if let Some(configuration) = &input.create_bucket_configuration {
            let constraint = configuration
                .location_constraint
                .as_ref()
                .map(|c| c.as_str().to_owned());
            probe(&req.extensions, |state| {
                state.request_parameters.insert(
                    "CreateBucketConfiguration".into(),
                    json!({"LocationConstraint": constraint, "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}),
                );
            });
        }
        if !s3s::path::check_bucket_name(&input.bucket) {
            return Err(aws_errors::invalid_bucket_name());
        }
        let region = requested_region(input.create_bucket_configuration.as_ref())?;
        let region = region.unwrap_or_else(|| self.store.default_region().to_owned());
        self.store
            .create_bucket(&input.bucket, &principal.account_id, &region)
            .await?;
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{}", input.bucket)),
        }))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.store.delete_bucket(&req.input.bucket).await?;
        Ok(S3Response::new(DeleteBucketOutput::default()))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let bucket = self
            .store
            .bucket(&req.input.bucket)
            .await?
            .ok_or_else(aws_errors::no_such_bucket)?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(bucket.region),
            ..HeadBucketOutput::default()
        }))
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let principal = caller(&req.extensions)?;
        let buckets = self.store.buckets_owned_by(&principal.account_id).await?;
        let buckets = buckets
            .into_iter()
            .filter(|bucket| {
                req.input
                    .prefix
                    .as_deref()
                    .is_none_or(|prefix| bucket.name.starts_with(prefix))
            })
            .map(|bucket| Bucket {
                bucket_region: Some(bucket.region),
                creation_date: Some(convert::timestamp(bucket.created_ms)),
                name: Some(bucket.name),
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(convert::owner(&principal.account_id)),
            prefix: req.input.prefix,
            ..ListBucketsOutput::default()
        }))
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let bucket = self
            .store
            .bucket(&req.input.bucket)
            .await?
            .ok_or_else(aws_errors::no_such_bucket)?;
        let location_constraint =
            (bucket.region != "us-east-1").then(|| BucketLocationConstraint::from(bucket.region));
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint,
        }))
    }

    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        let document = parse_policy(&req.input.policy, &req.input.bucket);
        if let Ok(document) = &document {
            probe(&req.extensions, |state| {
                state
                    .request_parameters
                    .insert("bucketPolicy".into(), document.clone());
            });
        }
        document?;
        self.store
            .set_policy(&req.input.bucket, Some(req.input.policy))
            .await?;
        Ok(S3Response::new(PutBucketPolicyOutput::default()))
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        let policy = self.store.policy(&req.input.bucket).await?;
        Ok(S3Response::new(GetBucketPolicyOutput {
            policy: Some(policy),
        }))
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        self.store.set_policy(&req.input.bucket, None).await?;
        Ok(S3Response::new(DeleteBucketPolicyOutput::default()))
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let mut input = req.input;
        let integrity = Integrity {
            content_md5: convert::content_md5(input.content_md5.as_deref())?,
            checksums: ChecksumVerifier::for_request(&req.headers, req.trailing_headers),
        };
        let mode = match input.if_none_match {
            Some(ETagCondition::Any) => PutMode::IfAbsent,
            _ => PutMode::Overwrite,
        };
        let attributes = upload_headers!(input).into_attributes();
        let body = body_of(input.body.take());
        let row = self
            .store
            .put_object(
                &input.bucket,
                &input.key,
                body,
                attributes,
                &integrity,
                mode,
            )
            .await?;
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(convert::etag(&row.etag)),
            size: Some(i64::try_from(row.size).unwrap_or(i64::MAX)),
            ..PutObjectOutput::default()
        }))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let opened = self
            .store
            .open_object(&input.bucket, &input.key, input.range)
            .await?;
        let mut output = GetObjectOutput {
            content_length: Some(
                i64::try_from(opened.span.end - opened.span.start).unwrap_or(i64::MAX),
            ),
            content_range: input.range.map(|_| {
                format!(
                    "bytes {}-{}/{}",
                    opened.span.start,
                    opened.span.end.saturating_sub(1),
                    opened.row.size
                )
            }),
            body: Some(StreamingBlob::wrap(opened.reader)),
            ..GetObjectOutput::default()
        };
        fill_object_headers!(output, &opened.row);
        Ok(S3Response::new(output))
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let row = self
            .store
            .head_object(&req.input.bucket, &req.input.key)
            .await?;
        let mut output = HeadObjectOutput {
            content_length: Some(i64::try_from(row.size).unwrap_or(i64::MAX)),
            ..HeadObjectOutput::default()
        };
        fill_object_headers!(output, &row);
        Ok(S3Response::new(output))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.store
            .delete_object(&req.input.bucket, &req.input.key)
            .await?;
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        let quiet = input.delete.quiet.unwrap_or(false);
        let bucket_info = self
            .store
            .bucket(&input.bucket)
            .await?
            .map(BucketInfo::from);
        let decisions = self.authorize_keys(
            &req.extensions,
            &req.headers,
            "DeleteObject",
            &input.bucket,
            bucket_info.as_ref(),
            input
                .delete
                .objects
                .iter()
                .map(|object| object.key.as_str()),
        )?;
        let mut keys = Vec::with_capacity(input.delete.objects.len());
        let mut errors = Vec::new();
        for (object, decision) in input.delete.objects.into_iter().zip(decisions) {
            match decision {
                AccessDecision::Allow => keys.push(object.key),
                AccessDecision::Deny => errors.push(s3s::dto::Error {
                    key: Some(object.key),
                    code: Some("AccessDenied".to_owned()),
                    message: Some("Access Denied".to_owned()),
                    ..s3s::dto::Error::default()
                }),
            }
        }
        let deleted = if quiet {
            Vec::new()
        } else {
            keys.iter()
                .map(|key| DeletedObject {
                    key: Some(key.clone()),
                    ..DeletedObject::default()
                })
                .collect()
        };
        self.store.delete_objects(&input.bucket, keys).await?;
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..DeleteObjectsOutput::default()
        }))
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let mut input = req.input;
        let CopySource::Bucket {
            bucket: source_bucket,
            key: source_key,
            ..
        } = input.copy_source.clone()
        else {
            return Err(aws_errors::not_implemented(
                "Copying from access points and outposts is not supported",
            ));
        };
        self.authorize_copy_source(&req.extensions, &req.headers, (&source_bucket, &source_key))
            .await?;
        let replace = input.metadata_directive.as_ref().is_some_and(|directive| {
            directive
                .as_str()
                .eq_ignore_ascii_case(MetadataDirective::REPLACE)
        });
        if !replace && *source_bucket == *input.bucket && *source_key == *input.key {
            return Err(aws_errors::copy_onto_itself());
        }
        let replacement = replace.then(|| upload_headers!(input).into_attributes());
        let row = self
            .store
            .copy_object(
                (&source_bucket, &source_key),
                (&input.bucket, &input.key),
                replacement,
            )
            .await?;
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(convert::etag(&row.etag)),
                last_modified: Some(convert::timestamp(row.last_modified_ms)),
                ..CopyObjectResult::default()
            }),
            ..CopyObjectOutput::default()
        }))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let principal = caller(&req.extensions)?;
        let input = req.input;
        let url = wants_url_encoding(input.encoding_type.as_ref());
        let max_keys = page_size(input.max_keys)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let query = ListQuery {
            prefix: &prefix,
            delimiter: input.delimiter.as_deref(),
            start_after: input.marker.as_deref().filter(|marker| !marker.is_empty()),
            max_keys,
        };
        let page = self.store.list(&input.bucket, query).await?;
        let owner = input.bucket.clone();
        let owner_account = self
            .store
            .bucket(&owner)
            .await?
            .map(|bucket| bucket.owner_account_id);
        let has_delimiter = input
            .delimiter
            .as_deref()
            .is_some_and(|delimiter| !delimiter.is_empty());
        let next_marker = (page.is_truncated && has_delimiter)
            .then(|| page.last_returned.as_deref().map(|last| encoded(url, last)))
            .flatten();
        let owner_account = owner_account.unwrap_or(principal.account_id);
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(encoded(url, &prefix)),
            marker: Some(encoded(url, input.marker.as_deref().unwrap_or(""))),
            max_keys: Some(i32::try_from(max_keys).unwrap_or(i32::MAX)),
            is_truncated: Some(page.is_truncated),
            contents: Some(
                page.objects
                    .iter()
                    .map(|row| listed_object(row, url, Some(&owner_account)))
                    .collect(),
            ),
            common_prefixes: common_prefixes(&page.common_prefixes, url),
            delimiter: input
                .delimiter
                .as_deref()
                .map(|delimiter| encoded(url, delimiter)),
            next_marker,
            encoding_type: input.encoding_type,
            ..ListObjectsOutput::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let url = wants_url_encoding(input.encoding_type.as_ref());
        let max_keys = page_size(input.max_keys)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let resume_after = match input.continuation_token.as_deref() {
            Some(token) => Some(listing::decode_continuation_token(token).ok_or_else(|| {
                aws_errors::invalid_argument("The continuation token provided is incorrect")
            })?),
            None => input.start_after.clone().filter(|start| !start.is_empty()),
        };
        let query = ListQuery {
            prefix: &prefix,
            delimiter: input.delimiter.as_deref(),
            start_after: resume_after.as_deref(),
            max_keys,
        };
        let page = self.store.list(&input.bucket, query).await?;
        let owner_account = match input.fetch_owner {
            Some(true) => self
                .store
                .bucket(&input.bucket)
                .await?
                .map(|bucket| bucket.owner_account_id),
            _ => None,
        };
        let key_count = page.objects.len() + page.common_prefixes.len();
        let next_continuation_token = page
            .is_truncated
            .then(|| {
                page.last_returned
                    .as_deref()
                    .map(listing::continuation_token)
            })
            .flatten();
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(encoded(url, &prefix)),
            max_keys: Some(i32::try_from(max_keys).unwrap_or(i32::MAX)),
            key_count: Some(i32::try_from(key_count).unwrap_or(i32::MAX)),
            continuation_token: input.continuation_token,
            is_truncated: Some(page.is_truncated),
            next_continuation_token,
            contents: Some(
                page.objects
                    .iter()
                    .map(|row| listed_object(row, url, owner_account.as_deref()))
                    .collect(),
            ),
            common_prefixes: common_prefixes(&page.common_prefixes, url),
            delimiter: input
                .delimiter
                .as_deref()
                .map(|delimiter| encoded(url, delimiter)),
            start_after: input
                .start_after
                .as_deref()
                .map(|start| encoded(url, start)),
            encoding_type: input.encoding_type,
            ..ListObjectsV2Output::default()
        }))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let principal = caller(&req.extensions)?;
        let mut input = req.input;
        let attributes = upload_headers!(input).into_attributes();
        let upload_id = self
            .store
            .create_upload(&input.bucket, &input.key, attributes, &principal.account_id)
            .await?;
        probe(&req.extensions, |state| {
            state.response_elements =
                Some(json!({"bucket": input.bucket, "key": input.key, "uploadId": upload_id}));
        });
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload_id),
            ..CreateMultipartUploadOutput::default()
        }))
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let mut input = req.input;
        if !(1..=MAX_PART_NUMBER).contains(&input.part_number) {
            return Err(aws_errors::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
            ));
        }
        let integrity = Integrity {
            content_md5: convert::content_md5(input.content_md5.as_deref())?,
            checksums: ChecksumVerifier::for_request(&req.headers, req.trailing_headers),
        };
        let body = body_of(input.body.take());
        let part = self
            .store
            .upload_part(
                (&input.bucket, &input.key, &input.upload_id),
                input.part_number,
                body,
                &integrity,
            )
            .await?;
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(convert::etag(&part.etag)),
            ..UploadPartOutput::default()
        }))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        let completed = input
            .multipart_upload
            .and_then(|upload| upload.parts)
            .unwrap_or_default();
        let requested = completed
            .into_iter()
            .map(|part| match (part.part_number, part.e_tag) {
                (Some(part_number), Some(etag)) => Ok(RequestedPart {
                    part_number,
                    etag: etag.value().to_owned(),
                }),
                _ => Err(aws_errors::malformed_xml()),
            })
            .collect::<S3Result<Vec<_>>>()?;
        let row = self
            .store
            .complete_upload((&input.bucket, &input.key, &input.upload_id), &requested)
            .await?;
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            location: Some(format!("/{}/{}", input.bucket, input.key)),
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(convert::etag(&row.etag)),
            ..CompleteMultipartUploadOutput::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = req.input;
        self.store
            .abort_upload(&input.bucket, &input.key, &input.upload_id)
            .await?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = req.input;
        let upload = self
            .store
            .upload(&input.bucket, &input.key, &input.upload_id)
            .await?;
        let max_parts = page_size(input.max_parts)?;
        let marker = input.part_number_marker.unwrap_or(0);
        let mut parts: Vec<_> = self
            .store
            .parts(&input.upload_id)
            .await?
            .into_iter()
            .filter(|part| part.part_number > marker)
            .collect();
        let is_truncated = parts.len() > max_parts;
        parts.truncate(max_parts);
        let next_part_number_marker = parts.last().map(|part| part.part_number);
        let initiator = convert::owner(&upload.initiator_account_id);
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            initiator: Some(Initiator {
                display_name: initiator.display_name.clone(),
                id: initiator.id.clone(),
            }),
            owner: Some(initiator),
            is_truncated: Some(is_truncated),
            max_parts: Some(i32::try_from(max_parts).unwrap_or(i32::MAX)),
            part_number_marker: input.part_number_marker,
            next_part_number_marker,
            storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
            parts: Some(
                parts
                    .iter()
                    .map(|part| Part {
                        e_tag: Some(convert::etag(&part.etag)),
                        last_modified: Some(convert::timestamp(part.last_modified_ms)),
                        part_number: Some(part.part_number),
                        size: Some(i64::try_from(part.size).unwrap_or(i64::MAX)),
                        ..Part::default()
                    })
                    .collect(),
            ),
            ..ListPartsOutput::default()
        }))
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        let url = wants_url_encoding(input.encoding_type.as_ref());
        let max_uploads = page_size(input.max_uploads)?;
        let uploads = self.store.uploads_in(&input.bucket).await?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let page = multipart::page_uploads(
            uploads,
            &UploadsQuery {
                prefix: &prefix,
                delimiter: input.delimiter.as_deref(),
                key_marker: input.key_marker.as_deref(),
                upload_id_marker: input.upload_id_marker.as_deref(),
                max_uploads,
            },
        );
        let listed = page
            .uploads
            .iter()
            .map(|upload| {
                let initiator = convert::owner(&upload.initiator_account_id);
                MultipartUpload {
                    initiated: Some(convert::timestamp(upload.initiated_ms)),
                    initiator: Some(Initiator {
                        display_name: initiator.display_name.clone(),
                        id: initiator.id.clone(),
                    }),
                    key: Some(encoded(url, &upload.key)),
                    owner: Some(initiator),
                    storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                    upload_id: Some(upload.upload_id.clone()),
                    ..MultipartUpload::default()
                }
            })
            .collect();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: Some(encoded(url, &prefix)),
            delimiter: input
                .delimiter
                .as_deref()
                .map(|delimiter| encoded(url, delimiter)),
            key_marker: input
                .key_marker
                .as_deref()
                .map(|marker| encoded(url, marker)),
            upload_id_marker: input.upload_id_marker,
            next_key_marker: page
                .next_key_marker
                .as_deref()
                .map(|marker| encoded(url, marker)),
            next_upload_id_marker: page.next_upload_id_marker,
            max_uploads: Some(i32::try_from(max_uploads).unwrap_or(i32::MAX)),
            is_truncated: Some(page.is_truncated),
            uploads: Some(listed),
            common_prefixes: common_prefixes(&page.common_prefixes, url),
            encoding_type: input.encoding_type,
            ..ListMultipartUploadsOutput::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_validated_by_the_policy_language() {
        let check = |policy: &str, expected: Result<(), &str>| {
            let outcome = parse_policy(policy, "b1")
                .map(|_| ())
                .map_err(|error| error.message().unwrap_or("").to_owned());
            assert_eq!(outcome, expected.map_err(str::to_owned), "{policy}");
        };
        let allow = r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*"}"#;
        check(
            &format!(r#"{{"Version":"2012-10-17","Statement":[{allow}]}}"#),
            Ok(()),
        );
        check(
            &format!(r#"{{"Version":"2012-10-17","Statement":{allow}}}"#),
            Ok(()),
        );
        check(
            "[1]",
            Err("Policies must be valid JSON and the first byte must be '{'"),
        );
        check(
            r#"{"Version":"2012-10-17"}"#,
            Err("Missing required field Statement"),
        );
        check(
            &format!(
                r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
                allow.replace("b1/*", "other-bucket/*")
            ),
            Err("Policy has invalid resource"),
        );
    }

    #[test]
    fn page_sizes_are_clamped() {
        assert_eq!(page_size(None).unwrap(), 1000);
        assert_eq!(page_size(Some(5)).unwrap(), 5);
        assert_eq!(page_size(Some(5000)).unwrap(), 1000);
        assert_eq!(
            page_size(Some(-1)).unwrap_err().code().as_str(),
            "InvalidArgument"
        );
    }
}
