//! TLS for every realdid connection: the settings a server or a client reads from its
//! configuration, and the one place they become tonic's TLS configuration.
//!
//! Everything that crosses a network between organisations — names and resident numbers at
//! enrolment, operator passwords, provider tokens, the identity a trace releases, proofs
//! read from the registry — travels over TLS 1.2 or 1.3 (rustls). An endpoint's scheme says
//! which: `https://` is TLS, checked against the configured CA (or the system's roots when
//! none is configured); `http://` is plaintext, for development only. A server with
//! [`ServerTls`] accepts only TLS; with a `client_ca` it also requires each client to show a
//! certificate that CA issued (mutual TLS, for peers that are known organisations).

use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, ServerTlsConfig};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file could not be read or written.
    #[error("TLS file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A setting makes no sense (a certificate without its key, an endpoint that is not a
    /// URL, an unknown scheme).
    #[error("TLS: {0}")]
    Settings(String),
    /// tonic refused the configuration (a PEM file that holds no certificate or key).
    #[error("TLS: {what}: {source}")]
    Refused {
        /// What was being configured.
        what: String,
        /// tonic's error.
        #[source]
        source: tonic::transport::Error,
    },
}

/// A server's TLS: its certificate chain and private key (PEM files), and for mutual TLS
/// the CA whose client certificates it accepts. Relative paths are resolved by the
/// configuration that holds them ([`ServerTls::resolved`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTls {
    /// The server's certificate chain, leaf first (PEM).
    pub cert: PathBuf,
    /// The server's private key (PEM, PKCS#8 or SEC1).
    pub key: PathBuf,
    /// When set, only clients with a certificate issued by this CA (PEM) are served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ca: Option<PathBuf>,
}

impl ServerTls {
    /// The same settings with relative paths taken from `base` (the configuration file's
    /// directory).
    pub fn resolved(&self, base: &Path) -> Self {
        Self {
            cert: base.join(&self.cert),
            key: base.join(&self.key),
            client_ca: self.client_ca.as_ref().map(|p| base.join(p)),
        }
    }

    /// Reads the files into tonic's server configuration.
    pub fn config(&self) -> Result<ServerTlsConfig, TlsError> {
        let identity = Identity::from_pem(read(&self.cert)?, read(&self.key)?);
        let mut config = ServerTlsConfig::new().identity(identity);
        if let Some(ca) = &self.client_ca {
            config = config
                .client_ca_root(Certificate::from_pem(read(ca)?))
                .client_auth_optional(false);
        }
        Ok(config)
    }
}

/// A client's TLS: the CA it trusts for `https://` endpoints (the system's roots when
/// absent) and, for mutual TLS, its own certificate and key. The default trusts the
/// system's roots and shows no certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTls {
    /// The CA certificate (PEM) that server certificates must chain to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
    /// This client's certificate chain (PEM), for servers that require one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    /// This client's private key (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

impl ClientTls {
    /// Trusting `ca` alone, showing no certificate.
    pub fn with_ca(ca: impl Into<PathBuf>) -> Self {
        Self {
            ca: Some(ca.into()),
            ..Self::default()
        }
    }

    /// The same settings with relative paths taken from `base`.
    pub fn resolved(&self, base: &Path) -> Self {
        Self {
            ca: self.ca.as_ref().map(|p| base.join(p)),
            cert: self.cert.as_ref().map(|p| base.join(p)),
            key: self.key.as_ref().map(|p| base.join(p)),
        }
    }

    /// An endpoint for `url`: TLS by these settings for `https://`, plaintext for
    /// `http://`. Nothing is connected yet.
    pub fn endpoint(&self, url: &str) -> Result<Endpoint, TlsError> {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .map_err(|e| TlsError::Settings(format!("endpoint {url:?}: {e}")))?;
        match endpoint.uri().scheme_str() {
            Some("https") => {
                endpoint
                    .tls_config(self.config()?)
                    .map_err(|source| TlsError::Refused {
                        what: format!("endpoint {url}"),
                        source,
                    })
            }
            Some("http") => Ok(endpoint),
            _ => Err(TlsError::Settings(format!(
                "endpoint {url:?}: the scheme must be https:// (or http:// for development)"
            ))),
        }
    }

    /// Connects to `url` ([`ClientTls::endpoint`]).
    pub async fn connect(&self, url: &str) -> Result<tonic::transport::Channel, TlsError> {
        self.endpoint(url)?
            .connect()
            .await
            .map_err(|source| TlsError::Refused {
                what: format!("connecting to {url}"),
                source,
            })
    }

    fn config(&self) -> Result<ClientTlsConfig, TlsError> {
        let mut config = ClientTlsConfig::new();
        config = match &self.ca {
            Some(ca) => config.ca_certificate(Certificate::from_pem(read(ca)?)),
            None => config.with_native_roots(),
        };
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => {
                Ok(config.identity(Identity::from_pem(read(cert)?, read(key)?)))
            }
            (None, None) => Ok(config),
            _ => Err(TlsError::Settings(
                "a client certificate needs its key, and a key its certificate".into(),
            )),
        }
    }
}

/// A service's TLS as its configuration file's `[tls]` table holds it: its own certificate
/// and key (served, and shown to peers that require mutual TLS), the CA whose client
/// certificates its server requires (mutual TLS), and the CA it trusts for its own
/// outgoing connections (the system's roots when absent). Without a certificate the service
/// serves plaintext but still connects out over TLS to `https://` endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTls {
    /// The service's certificate chain (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    /// The service's private key (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
    /// When set, the service's server requires client certificates of this CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ca: Option<PathBuf>,
    /// The CA trusted for outgoing `https://` connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
}

impl ServiceTls {
    /// The same settings with relative paths taken from `base`.
    pub fn resolved(&self, base: &Path) -> Self {
        let at = |p: &Option<PathBuf>| p.as_ref().map(|p| base.join(p));
        Self {
            cert: at(&self.cert),
            key: at(&self.key),
            client_ca: at(&self.client_ca),
            ca: at(&self.ca),
        }
    }

    /// The server side: `None` to serve plaintext (no certificate configured).
    pub fn server(&self) -> Result<Option<ServerTls>, TlsError> {
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Ok(Some(ServerTls {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: self.client_ca.clone(),
            })),
            (None, None) if self.client_ca.is_none() => Ok(None),
            (None, None) => Err(TlsError::Settings(
                "tls.client_ca needs tls.cert and tls.key: a server without a certificate cannot \
                 ask for its clients'"
                    .into(),
            )),
            _ => Err(TlsError::Settings(
                "tls.cert and tls.key go together".into(),
            )),
        }
    }

    /// The client side: the CA to trust, and this service's certificate to show.
    pub fn client(&self) -> ClientTls {
        ClientTls {
            ca: self.ca.clone(),
            cert: self.cert.clone(),
            key: self.key.clone(),
        }
    }
}

impl ServerTls {
    /// The same settings as a rustls server configuration, for a server that is not tonic's
    /// (the issuer's status-list HTTPS listener): HTTP/1.1 only.
    pub fn rustls_config(&self) -> Result<std::sync::Arc<rustls::ServerConfig>, TlsError> {
        let certs = certificates(&self.cert)?;
        let key = PrivateKeyDer::from_pem_slice(&read(&self.key)?).map_err(|e| {
            TlsError::Settings(format!("{}: no private key: {e}", self.key.display()))
        })?;
        let builder = rustls::ServerConfig::builder();
        let builder = match &self.client_ca {
            Some(ca) => {
                let verifier =
                    rustls::server::WebPkiClientVerifier::builder(std::sync::Arc::new(roots(ca)?))
                        .build()
                        .map_err(|e| TlsError::Settings(format!("{}: {e}", ca.display())))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|e| TlsError::Settings(format!("{}: {e}", self.cert.display())))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(std::sync::Arc::new(config))
    }
}

impl ClientTls {
    /// The same settings as a rustls client configuration, for a client that is not tonic's
    /// (the verifier's status-list fetcher).
    pub fn rustls_config(&self) -> Result<rustls::ClientConfig, TlsError> {
        let roots = match &self.ca {
            Some(ca) => roots(ca)?,
            None => {
                let mut store = rustls::RootCertStore::empty();
                let found = rustls_native_certs::load_native_certs();
                for cert in found.certs {
                    // A system certificate rustls cannot use is skipped, as the system's own
                    // clients would.
                    let _ = store.add(cert);
                }
                store
            }
        };
        let builder = rustls::ClientConfig::builder().with_root_certificates(roots);
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => {
                let key = PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|e| {
                    TlsError::Settings(format!("{}: no private key: {e}", key.display()))
                })?;
                builder
                    .with_client_auth_cert(certificates(cert)?, key)
                    .map_err(|e| TlsError::Settings(format!("{}: {e}", cert.display())))
            }
            (None, None) => Ok(builder.with_no_client_auth()),
            _ => Err(TlsError::Settings(
                "a client certificate needs its key, and a key its certificate".into(),
            )),
        }
    }
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Settings(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(TlsError::Settings(format!(
            "{}: no certificate in it",
            path.display()
        )));
    }
    Ok(certs)
}

fn roots(ca: &Path) -> Result<rustls::RootCertStore, TlsError> {
    let mut store = rustls::RootCertStore::empty();
    for cert in certificates(ca)? {
        store
            .add(cert)
            .map_err(|e| TlsError::Settings(format!("{}: {e}", ca.display())))?;
    }
    Ok(store)
}

/// The DER encoding of the first certificate in the PEM file at `path`: what a server sees
/// of a client that shows it, and what an operator's certificate is known by.
pub fn certificate_der(path: &Path) -> Result<Vec<u8>, TlsError> {
    let pem = read(path)?;
    CertificateDer::pem_slice_iter(&pem)
        .next()
        .ok_or_else(|| TlsError::Settings(format!("{}: holds no certificate", path.display())))?
        .map(|cert| cert.to_vec())
        .map_err(|e| TlsError::Settings(format!("{}: {e}", path.display())))
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_service_serves_tls_only_with_both_its_certificate_and_its_key() {
        let none = ServiceTls::default();
        assert_eq!(none.server().unwrap(), None);
        let full = ServiceTls {
            cert: Some("s.pem".into()),
            key: Some("s.key".into()),
            client_ca: Some("ca.pem".into()),
            ca: Some("ca.pem".into()),
        }
        .resolved(Path::new("/etc/realdid"));
        let server = full.server().unwrap().unwrap();
        assert_eq!(server.cert, Path::new("/etc/realdid/s.pem"));
        assert_eq!(
            server.client_ca.as_deref(),
            Some(Path::new("/etc/realdid/ca.pem"))
        );
        // As a client it shows the same certificate, to peers that require one.
        assert_eq!(full.client().cert, full.cert);
        for half in [
            ServiceTls {
                cert: Some("s.pem".into()),
                ..ServiceTls::default()
            },
            ServiceTls {
                client_ca: Some("ca.pem".into()),
                ..ServiceTls::default()
            },
        ] {
            assert!(half.server().is_err(), "{half:?}");
        }
    }
}
