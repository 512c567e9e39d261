//! A local certificate authority for a devnet and for tests: one self-made CA, and
//! certificates it issues for loopback names, each good for serving and for showing as a
//! client (mutual TLS). A real network's organisations use their own PKI instead; nothing
//! here is meant for one.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::tls::{ClientTls, ServerTls, TlsError};

/// A CA: its certificate and the key it signs with.
pub struct DevCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for DevCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevCa").finish_non_exhaustive()
    }
}

/// A certificate and its private key, PEM.
#[derive(Clone)]
pub struct Issued {
    /// The certificate.
    pub cert_pem: String,
    /// The private key (PKCS#8).
    pub key_pem: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").finish_non_exhaustive()
    }
}

fn refused(what: &str) -> impl FnOnce(rcgen::Error) -> TlsError + '_ {
    move |e| TlsError::Settings(format!("{what}: {e}"))
}

impl DevCa {
    /// A new CA named `name`, with a fresh key.
    pub fn new(name: &str) -> Result<Self, TlsError> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(refused("CA"))?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().map_err(refused("CA key"))?;
        let pem = params.self_signed(&key).map_err(refused("CA"))?.pem();
        Ok(Self {
            pem,
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA's certificate, PEM: what clients and mutual-TLS servers trust.
    pub fn cert_pem(&self) -> &str {
        &self.pem
    }

    /// A certificate for `name` (its common name), valid for the host names and IP
    /// addresses `sans`, for serving and for client authentication.
    pub fn issue(&self, name: &str, sans: &[&str]) -> Result<Issued, TlsError> {
        let sans: Vec<String> = sans.iter().map(|s| (*s).to_owned()).collect();
        let mut params = CertificateParams::new(sans).map_err(refused(name))?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = KeyPair::generate().map_err(refused(name))?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(refused(name))?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Writes the CA's certificate to `dir/ca.pem` and returns its path. (The CA's key is
    /// never written: a devnet makes every certificate it needs when it is generated.)
    pub fn write_cert(&self, dir: &Path) -> Result<PathBuf, TlsError> {
        let path = dir.join("ca.pem");
        write(&path, &self.pem)?;
        Ok(path)
    }

    /// Issues a certificate for `name` and writes it to `dir/<name>.pem` and
    /// `dir/<name>.key` (readable by the owner only), returning the server settings that
    /// name them, requiring client certificates from this CA when `mutual`.
    pub fn write_server(
        &self,
        dir: &Path,
        name: &str,
        sans: &[&str],
        mutual: bool,
    ) -> Result<ServerTls, TlsError> {
        let issued = self.issue(name, sans)?;
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}.key"));
        write(&cert, &issued.cert_pem)?;
        write_private(&key, &issued.key_pem)?;
        Ok(ServerTls {
            cert,
            key,
            client_ca: mutual.then(|| dir.join("ca.pem")),
        })
    }

    /// The client settings that trust this CA (written by [`DevCa::write_cert`] into `dir`)
    /// and show the certificate written for `name` by [`DevCa::write_server`].
    pub fn client_of(dir: &Path, name: Option<&str>) -> ClientTls {
        ClientTls {
            ca: Some(dir.join("ca.pem")),
            cert: name.map(|n| dir.join(format!("{n}.pem"))),
            key: name.map(|n| dir.join(format!("{n}.key"))),
        }
    }
}

fn write(path: &Path, text: &str) -> Result<(), TlsError> {
    std::fs::write(path, text).map_err(|source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write_private(path: &Path, text: &str) -> Result<(), TlsError> {
    use std::io::Write as _;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| TlsError::Io {
            path: path.to_path_buf(),
            source,
        })
}
