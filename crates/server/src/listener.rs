//! The one listener: accepts TCP (optionally TLS) connections, serves HTTP/1.1 and HTTP/2 on them, and
//! drains them on shutdown.
//!
//! Each request carries a [`ConnectionInfo`] in its extensions (the peer address and, over TLS, the
//! negotiated version and cipher suite) so self-audit can fill `sourceIPAddress` and `tlsDetails`.
//! Routing is not done here; see `dispatch`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// What the server knows about the connection a request came on.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The client's address.
    pub peer: SocketAddr,
    /// Set when the connection is TLS.
    pub tls: Option<TlsInfo>,
}

/// The negotiated TLS parameters, named as CloudTrail's `tlsDetails` names them.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    /// e.g. `TLSv1.3`.
    pub version: String,
    /// e.g. `TLS_AES_128_GCM_SHA256` or `ECDHE-RSA-AES128-GCM-SHA256`.
    pub cipher_suite: String,
}

/// Loads a PEM certificate chain and key into a rustls acceptor.
pub fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use anyhow::Context;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading TLS certificate {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing TLS certificate {}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("reading TLS key {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("TLS certificate and key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves `router` on `listener` until `shutdown` fires, then waits (up to `drain`) for open
/// connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: Router,
    shutdown: CancellationToken,
    drain: Duration,
) {
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let watcher = graceful.watcher();
        let router = router.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => {
                    serve_connection(
                        TokioIo::new(stream),
                        ConnectionInfo { peer, tls: None },
                        router,
                        watcher,
                    )
                    .await
                }
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => {
                        let info = ConnectionInfo {
                            peer,
                            tls: Some(describe_tls(stream.get_ref().1)),
                        };
                        serve_connection(TokioIo::new(stream), info, router, watcher).await
                    }
                    Err(error) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                },
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain period; closing them");
    }
}

async fn serve_connection<I>(
    io: I,
    info: ConnectionInfo,
    router: Router,
    watcher: hyper_util::server::graceful::Watcher,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
        request.extensions_mut().insert(info.clone());
        router.clone().oneshot(request.map(axum::body::Body::new))
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection_with_upgrades(io, service);
    if let Err(error) = watcher.watch(connection.into_owned()).await {
        tracing::debug!(%error, "connection ended with an error");
    }
}

fn describe_tls(connection: &rustls::ServerConnection) -> TlsInfo {
    let version = match connection.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
        _ => "unknown",
    };
    let suite = connection
        .negotiated_cipher_suite()
        .map(|suite| format!("{:?}", suite.suite()))
        .unwrap_or_default();
    TlsInfo {
        version: version.to_owned(),
        cipher_suite: cloudtrail_cipher_name(&suite),
    }
}

/// CloudTrail names TLS 1.3 suites by their IANA names (`TLS_AES_128_GCM_SHA256`) and TLS 1.2 suites by
/// their OpenSSL names (`ECDHE-RSA-AES128-GCM-SHA256`); rustls names them `TLS13_…` and `TLS_ECDHE_…_WITH_…`.
pub fn cloudtrail_cipher_name(rustls_name: &str) -> String {
    if let Some(rest) = rustls_name.strip_prefix("TLS13_") {
        return format!("TLS_{rest}");
    }
    let Some(rest) = rustls_name.strip_prefix("TLS_") else {
        return rustls_name.to_owned();
    };
    let Some((exchange, cipher)) = rest.split_once("_WITH_") else {
        return rustls_name.to_owned();
    };
    let cipher = cipher
        .replace("AES_128_GCM", "AES128-GCM")
        .replace("AES_256_GCM", "AES256-GCM")
        .replace("CHACHA20_POLY1305", "CHACHA20-POLY1305")
        .replace('_', "-");
    let cipher = cipher
        .strip_suffix("-SHA256")
        .filter(|c| c.contains("CHACHA"))
        .map(str::to_owned)
        .unwrap_or(cipher);
    format!("{}-{cipher}", exchange.replace('_', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cipher_names_follow_cloudtrail() {
        for (rustls_name, expected) in [
            ("TLS13_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
            (
                "TLS13_CHACHA20_POLY1305_SHA256",
                "TLS_CHACHA20_POLY1305_SHA256",
            ),
            (
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "ECDHE-RSA-AES128-GCM-SHA256",
            ),
            (
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                "ECDHE-ECDSA-AES256-GCM-SHA384",
            ),
            (
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                "ECDHE-RSA-CHACHA20-POLY1305",
            ),
        ] {
            assert_eq!(cloudtrail_cipher_name(rustls_name), expected);
        }
    }
}
