//! Which API a request is for. Signed requests name their service in the SigV4 credential scope;
//! unsigned ones are recognised by their shape (an `X-Amz-Target` header means a JSON service, a
//! query-protocol form names its `Action`, anything else is S3, where anonymous requests are legal).
//!
//! `GET /health` and `GET /metrics` are served here without authentication; they expose no account data.

use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::App;
use crate::api_error::ApiFailure;
use crate::context::CallContext;
use crate::listener::ConnectionInfo;

/// The services a request can be dispatched to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// awsJson1.1 services (`X-Amz-Target`).
    Json,
    /// STS, query protocol.
    Sts,
    /// OpenTrail's own ingest endpoint.
    OpenTrail,
    /// SNS, query protocol.
    Sns,
    /// S3, REST-XML.
    S3,
    /// CloudWatch (`monitoring`): RPC v2 CBOR, awsJson1.0 or query.
    Monitoring,
    /// A service OpenTrail does not speak.
    Unknown,
}

/// Builds the router: health, metrics, and everything else through [`dispatch`].
pub fn router(app: App) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .fallback(dispatch)
        .with_state(app)
}

async fn metrics(State(app): State<App>) -> Response {
    let log_lines = crate::metrics::render_event_log(&app.log);
    let body = app.metrics.render(&log_lines);
    (
        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        body,
    )
        .into_response()
}

/// Decides the service of a request.
pub fn classify(request: &Request) -> Service {
    let scope_service =
        opentrail_sigv4::parse_auth(request.method(), request.uri(), request.headers())
            .ok()
            .flatten()
            .map(|auth| auth.scope.service);
    match scope_service.as_deref() {
        Some("cloudtrail" | "logs") => return Service::Json,
        Some("monitoring") => return Service::Monitoring,
        Some("sts") => return Service::Sts,
        Some("opentrail") => return Service::OpenTrail,
        Some("sns") => return Service::Sns,
        Some("s3") => return Service::S3,
        Some(_) => return Service::Unknown,
        None => {}
    }
    if request.headers().contains_key("x-amz-target") {
        return Service::Json;
    }
    let query = request.uri().query().unwrap_or("");
    if query.contains("Action=GetCallerIdentity") {
        return Service::Sts;
    }
    if crate::sns_api::is_unauthenticated_link(request) {
        return Service::Sns;
    }
    if request.uri().path() == "/ingest" && request.method() == http::Method::POST {
        return Service::OpenTrail;
    }
    Service::S3
}

async fn dispatch(State(app): State<App>, request: Request) -> Response {
    let context = CallContext::from_request(
        request.headers(),
        request.extensions().get::<ConnectionInfo>(),
    );
    let service = classify(&request);
    let (label, response) = match service {
        Service::Json => (
            "cloudtrail",
            crate::json_api::handle(&app, context, request).await,
        ),
        Service::Sts => ("sts", crate::sts_api::handle(&app, context, request).await),
        Service::OpenTrail => (
            "opentrail",
            crate::ingest_api::handle(&app, context, request).await,
        ),
        Service::Sns => ("sns", crate::sns_api::handle(&app, context, request).await),
        Service::S3 => ("s3", crate::s3_glue::handle(&app, context, request).await),
        Service::Monitoring => (
            "monitoring",
            crate::monitoring_api::handle(&app, context, request).await,
        ),
        Service::Unknown => {
            let failure = ApiFailure::new(
                "UnknownServiceException",
                "OpenTrail does not serve this service",
            );
            ("unknown", failure.into_json_response(&context.request_id))
        }
    };
    app.metrics.count_request(label, response.status().as_u16());
    response
}
