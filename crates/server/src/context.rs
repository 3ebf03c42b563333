//! Per-request facts every API needs for its audit record: the request id, the caller's address and
//! user agent, the Host header and TLS parameters, and the time the request arrived.

use std::net::IpAddr;

use crate::listener::{ConnectionInfo, TlsInfo};

/// What is known about a request before any API looks at it.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The id returned in `x-amzn-RequestId` / `x-amz-request-id` and recorded as `requestID`.
    pub request_id: String,
    /// The caller's address (`sourceIPAddress`).
    pub source_ip: IpAddr,
    /// The caller's `User-Agent`.
    pub user_agent: Option<String>,
    /// The `Host` header (`tlsDetails.clientProvidedHostHeader`).
    pub host: Option<String>,
    /// TLS parameters, when the connection is TLS.
    pub tls: Option<TlsInfo>,
    /// When the request arrived.
    pub received_at: chrono::DateTime<chrono::Utc>,
}

impl CallContext {
    /// Builds the context from a request's headers and its connection.
    pub fn from_request(headers: &http::HeaderMap, connection: Option<&ConnectionInfo>) -> Self {
        let text = |name: http::header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            request_id: uuid::Uuid::new_v4().to_string(),
            source_ip: connection
                .map(|c| c.peer.ip())
                .unwrap_or(IpAddr::from([127, 0, 0, 1])),
            user_agent: text(http::header::USER_AGENT),
            host: text(http::header::HOST),
            tls: connection.and_then(|c| c.tls.clone()),
            received_at: chrono::Utc::now(),
        }
    }
}
