//! A TLS-terminating proxy in front of a plain RocketMQ server, as a TLS-only cluster presents
//! itself (the rocketmq-rust 1.0.0 servers have no TLS of their own): a test CA, a server
//! certificate for `localhost` signed by it, and a listener that speaks TLS outside and plain
//! TCP to the server inside. Real rustls on both ends; nothing is mocked.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;

/// A certificate authority and one server certificate it signed.
pub struct TestCa {
    pub ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

impl TestCa {
    /// A fresh CA, and a certificate for `names` signed by it.
    pub fn new(names: &[&str]) -> TestCa {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        TestCa {
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    pub fn write_ca(&self, path: &Path) {
        std::fs::write(path, &self.ca_pem).unwrap();
    }
}

/// Listens on a loopback port; each connection is a TLS session relayed to `backend`.
pub struct TlsProxy {
    pub addr: String,
    _rt: tokio::runtime::Runtime,
}

impl TlsProxy {
    pub fn start(backend: &str, ca: &TestCa) -> TlsProxy {
        let chain = vec![CertificateDer::from_pem_slice(ca.cert_pem.as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(ca.key_pem.as_bytes()).unwrap();
        let config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let backend = backend.to_string();
        rt.spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (acceptor, backend) = (acceptor.clone(), backend.clone());
                tokio::spawn(async move {
                    // A client that does not speak TLS fails here: the proxy just hangs up.
                    let Ok(mut tls) = acceptor.accept(socket).await else {
                        return;
                    };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(&backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsProxy { addr, _rt: rt }
    }
}
