//! TLS is always verified and a certificate error is final: a server on 127.0.0.1 with a
//! self-signed certificate (tests/fixtures/untrusted-*.pem) is refused after one connection,
//! never retried.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use onboard_netbird::{ApiError, Client, ClientConfig, RetryPolicy, Scope, Token, TransportKind};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;

const CERT: &[u8] = include_bytes!("fixtures/untrusted-cert.pem");
const KEY: &[u8] = include_bytes!("fixtures/untrusted-key.pem");

/// A TLS server with an untrusted certificate; counts the connections it accepts.
async fn untrusted_server() -> (String, Arc<AtomicUsize>) {
    let cert = CertificateDer::from_pem_slice(CERT).unwrap();
    let key = PrivateKeyDer::from_pem_slice(KEY).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move { acceptor.accept(stream).await.ok() });
        }
    });
    (format!("https://127.0.0.1:{}", addr.port()), accepted)
}

#[tokio::test]
async fn an_untrusted_certificate_fails_at_once_and_is_not_retried() {
    let (url, accepted) = untrusted_server().await;
    let mut cfg = ClientConfig::new(url, Token::new("nbp_TESTSECRET0123456789"));
    cfg.retry = RetryPolicy {
        max_retries: 6,
        initial_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        jitter: 0.0,
        max_reposts: 2,
        deadline: None,
    };
    let client = Client::new(cfg).unwrap();
    let err = client.list_accounts(&Scope::Own).await.unwrap_err();
    match &err {
        ApiError::Transport { kind, attempts, .. } => {
            assert_eq!(*kind, TransportKind::Tls, "{err}");
            assert_eq!(*attempts, 1, "{err}");
        }
        other => panic!("expected a tls transport error, got {other}"),
    }
    assert!(err.to_string().contains("certificate"), "{err}");
    assert!(!err.to_string().contains("TESTSECRET"), "{err}");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "one connection, no retry"
    );
}
