//! Self-audit: every call to every API becomes a CloudTrail record that is in the durable event log
//! before the response leaves.
//!
//! Handlers describe the call with an [`AuditedCall`]; this module fills the fields AWS fills (ids,
//! times, identity, TLS details), wraps the record in an envelope for the owning account and waits for
//! the event log's fsync. It does not decide what a call's parameters are.

use std::sync::Arc;

use bytes::Bytes;
use opentrail_eventlog::EventLog;
use opentrail_record::audit::truncate_to;
use opentrail_record::{ApiCallRecord, Envelope, PrincipalIdentity, RecordSource, TlsDetails};
use serde_json::Value;

use crate::context::CallContext;
use crate::metrics::Metrics;

/// One finished call, described by its handler.
#[derive(Debug)]
pub struct AuditedCall<'a> {
    /// Who made it (None only when the caller could not be identified; such calls are not recorded).
    pub identity: Option<&'a PrincipalIdentity>,
    /// The region the request was signed for.
    pub region: &'a str,
    /// e.g. `cloudtrail.amazonaws.com`.
    pub event_source: &'a str,
    /// The operation.
    pub event_name: &'a str,
    /// Whether the operation only reads.
    pub read_only: bool,
    /// Request members, already in CloudTrail's naming.
    pub request_parameters: Value,
    /// Response members for mutating calls, already in CloudTrail's naming.
    pub response_elements: Value,
    /// `(errorCode, errorMessage)` on failure.
    pub error: Option<(&'a str, &'a str)>,
    /// Extra data (S3 calls).
    pub additional_event_data: Option<Value>,
    /// Resources touched.
    pub resources: Option<Value>,
    /// `true` for management events.
    pub management_event: bool,
    /// Another account that also receives the record (the owner of the resource a cross-account
    /// call touched); both copies carry the same `sharedEventID`.
    pub shared_with: Option<&'a str>,
}

impl<'a> AuditedCall<'a> {
    /// A management-event call with no parameters, response, error or extras yet; handlers fill the
    /// rest with struct-update syntax.
    pub fn management(
        identity: Option<&'a PrincipalIdentity>,
        region: &'a str,
        event_source: &'a str,
        event_name: &'a str,
        read_only: bool,
    ) -> Self {
        AuditedCall {
            identity,
            region,
            event_source,
            event_name,
            read_only,
            request_parameters: Value::Null,
            response_elements: Value::Null,
            error: None,
            additional_event_data: None,
            resources: None,
            management_event: true,
            shared_with: None,
        }
    }
}

/// Writes audit records to the event log.
#[derive(Debug, Clone)]
pub struct Auditor {
    log: EventLog,
    metrics: Arc<Metrics>,
}

/// The record could not be made durable; the call must fail.
#[derive(Debug, thiserror::Error)]
#[error("audit record not durable: {0}")]
pub struct AuditError(pub String);

impl Auditor {
    /// An auditor appending to `log`.
    pub fn new(log: EventLog, metrics: Arc<Metrics>) -> Self {
        Self { log, metrics }
    }

    /// Builds the record of `call` and waits until it is durable. Calls by unidentified callers are
    /// not recorded (there is no account to give them to; see docs/adr/0006-identity-and-regions.md).
    pub async fn record(
        &self,
        context: &CallContext,
        call: AuditedCall<'_>,
    ) -> Result<(), AuditError> {
        let Some(identity) = call.identity else {
            return Ok(());
        };
        let mut record = build_record(context, identity, &call);
        let ingest_time_ms = chrono::Utc::now().timestamp_millis();
        let envelope = |record: &ApiCallRecord| {
            Envelope {
                account_id: record.recipient_account_id.clone(),
                source: RecordSource::SelfAudit,
                ingest_time_ms,
                record: Bytes::from(record.to_json_bytes()),
            }
            .encode()
        };
        let mut payloads = Vec::with_capacity(2);
        match call.shared_with {
            Some(owner) if owner != identity.account_id => {
                record.shared_event_id = Some(uuid::Uuid::new_v4().to_string());
                payloads.push(envelope(&record));
                record.recipient_account_id = owner.to_owned();
                record.event_id = uuid::Uuid::new_v4().to_string();
                payloads.push(envelope(&record));
            }
            _ => payloads.push(envelope(&record)),
        }
        self.append(payloads).await
    }

    /// Appends already-encoded envelopes and waits for durability.
    pub async fn append(&self, payloads: Vec<Bytes>) -> Result<(), AuditError> {
        match self.log.append(payloads).await {
            Ok(_) => Ok(()),
            Err(error) => {
                self.metrics.count_audit_failure();
                tracing::error!(%error, "event log append failed");
                Err(AuditError(error.to_string()))
            }
        }
    }
}

/// Fills a record the way CloudTrail fills one for an API call.
pub fn build_record(
    context: &CallContext,
    identity: &PrincipalIdentity,
    call: &AuditedCall<'_>,
) -> ApiCallRecord {
    ApiCallRecord {
        event_version: opentrail_record::EVENT_VERSION,
        user_identity: Some(identity.clone()),
        event_time: opentrail_record::format_event_time(context.received_at),
        event_source: call.event_source.to_owned(),
        event_name: call.event_name.to_owned(),
        aws_region: call.region.to_owned(),
        source_ip_address: context.source_ip.to_string(),
        user_agent: context
            .user_agent
            .as_deref()
            .map(|agent| truncate_to(agent, 1024)),
        error_code: call.error.map(|(code, _)| code.to_owned()),
        error_message: call.error.map(|(_, message)| truncate_to(message, 1024)),
        request_parameters: call.request_parameters.clone(),
        response_elements: call.response_elements.clone(),
        additional_event_data: call.additional_event_data.clone(),
        request_id: context.request_id.clone(),
        event_id: uuid::Uuid::new_v4().to_string(),
        read_only: call.read_only,
        resources: call.resources.clone(),
        event_type: "AwsApiCall",
        management_event: call.management_event,
        recipient_account_id: identity.account_id.clone(),
        shared_event_id: None,
        event_category: if call.management_event {
            "Management"
        } else {
            "Data"
        },
        tls_details: context.tls.as_ref().map(|tls| TlsDetails {
            tls_version: tls.version.clone(),
            cipher_suite: tls.cipher_suite.clone(),
            client_provided_host_header: context.host.clone().unwrap_or_default(),
        }),
    }
}

/// `requestParameters` / `responseElements` for a JSON body: `null` for an empty object, otherwise
/// the members in CloudTrail's naming.
pub fn record_members(body: &Value) -> Value {
    match body {
        Value::Object(members) if members.is_empty() => Value::Null,
        Value::Null => Value::Null,
        other => opentrail_record::naming::to_record_members(other),
    }
}
