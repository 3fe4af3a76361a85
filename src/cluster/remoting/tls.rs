//! TLS on the remoting connection (rustls): the servers' certificates checked against the plan's
//! CA file or the system's trust store, or, only when the plan says so, not at all. Handshake
//! failures are put in words an operator can act on, naming the plan key to change.

use crate::plan::TlsSpec;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls_platform_verifier::BuilderVerifierExt;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{CryptoProvider, aws_lc_rs};
use tokio_rustls::rustls::{
    self, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// A cluster's TLS settings, ready to wrap connections.
pub struct Tls {
    connector: TlsConnector,
    /// The name certificates are checked against, when not the host dialled.
    server_name: Option<ServerName<'static>>,
    /// The plan key of these settings (`source.tls`), for messages.
    key: String,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tls({})", self.key)
    }
}

impl Tls {
    /// Reads the plan's files (relative to `plan_dir`); every error names the key and the file.
    pub fn new(spec: &TlsSpec, plan_dir: &Path, side: &str) -> Result<Tls, String> {
        let key = format!("{side}.tls");
        let provider = Arc::new(aws_lc_rs::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("{key}: {e}"))?;
        let builder = match (&spec.ca_file, spec.accept_any_certificate) {
            (_, true) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider))),
            (Some(ca), false) => {
                let path = plan_dir.join(ca);
                let mut roots = RootCertStore::empty();
                let certs = read_certs(&path, &format!("{key}.ca_file"))?;
                for c in certs {
                    roots.add(c).map_err(|e| {
                        format!(
                            "{key}.ca_file: {} holds a certificate rustls cannot use: {e}",
                            path.display()
                        )
                    })?;
                }
                builder.with_root_certificates(roots)
            }
            (None, false) => builder.with_platform_verifier().map_err(|e| {
                format!("{key}: the system's trust store cannot be used ({e}): set `ca_file`")
            })?,
        };
        let config = match &spec.client_auth {
            None => builder.with_no_client_auth(),
            Some((cert, pkey)) => {
                let cert_path = plan_dir.join(cert);
                let chain = read_certs(&cert_path, &format!("{key}.client_cert_file"))?;
                let key_path = plan_dir.join(pkey);
                let private = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| {
                    format!(
                        "{key}.client_key_file: no private key can be read from {} ({e}): give a PEM key",
                        key_path.display()
                    )
                })?;
                builder.with_client_auth_cert(chain, private).map_err(|e| {
                    format!("{key}: the client certificate and key do not go together ({e})")
                })?
            }
        };
        let server_name = match &spec.server_name {
            Some(n) => Some(ServerName::try_from(n.clone()).map_err(|_| {
                format!("{key}.server_name: \"{n}\" is not a host name or an IP address")
            })?),
            None => None,
        };
        Ok(Tls {
            connector: TlsConnector::from(Arc::new(config)),
            server_name,
            key,
        })
    }

    /// The TLS handshake over a connected stream to `addr` ("host:port").
    pub async fn wrap(
        &self,
        stream: TcpStream,
        addr: &str,
    ) -> Result<TlsStream<TcpStream>, String> {
        let name = match &self.server_name {
            Some(n) => n.clone(),
            None => {
                let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
                let host = host.trim_start_matches('[').trim_end_matches(']');
                ServerName::try_from(host.to_string()).map_err(|_| {
                    format!(
                        "{} has no host name to check its certificate against: set {}.server_name",
                        addr, self.key
                    )
                })?
            }
        };
        self.connector
            .connect(name, stream)
            .await
            .map_err(|e| in_words(&e, &self.key))
    }
}

fn read_certs(path: &Path, key: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            format!(
                "{key}: no certificate can be read from {} ({e}): give a PEM file",
                path.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!("{key}: {} holds no certificate", path.display()));
    }
    Ok(certs)
}

/// A failed handshake in words: what the certificate lacks, or that the server does not speak
/// TLS, and which plan key decides it.
pub fn in_words(e: &std::io::Error, key: &str) -> String {
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(c)) => {
            use rustls::CertificateError as C;
            let what = match c {
                // Another CA with the same name fails its signature check.
                C::UnknownIssuer | C::BadSignature => {
                    "is not signed by a CA this wizard trusts".to_string()
                }
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    "is not issued for the name dialled".to_string()
                }
                C::Expired | C::ExpiredContext { .. } => "has expired".to_string(),
                C::NotValidYet | C::NotValidYetContext { .. } => "is not valid yet".to_string(),
                C::Revoked => "is revoked".to_string(),
                other => format!("is refused ({other:?})"),
            };
            format!(
                "the server's TLS certificate {what}: trust its CA with {key}.ca_file (or set {key}.server_name to the name it carries)"
            )
        }
        Some(rustls::Error::InvalidMessage(_)) => format!(
            "the server does not speak TLS (its answer is no TLS handshake): remove {key} if this port is plain"
        ),
        Some(other) => format!("the TLS handshake failed: {other}"),
        None if matches!(
            e.kind(),
            std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
        ) =>
        {
            format!(
                "the server closed the connection during the TLS handshake: it may not speak TLS on this port (remove {key}), or it wants a client certificate ({key}.client_cert_file)"
            )
        }
        None => format!("the TLS handshake failed: {e}"),
    }
}

/// Accepts any certificate, but still checks that the server holds the key it presents: set
/// only by `accept_any_certificate`, which preflight asks the operator to acknowledge.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
