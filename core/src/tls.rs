//! One rustls configuration for every connection: HTTPS, SMTP, IMAP, POP3.
//!
//! Certificates and host names are always verified. Trust roots are the
//! Mozilla roots (webpki-roots) plus whatever CA the caller adds; there is no
//! switch that turns verification off.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::{CertificateDer, pem::PemObject};
use rustls::{ClientConfig, RootCertStore};

use crate::{Error, Result};

/// The certificates we trust beyond the built-in roots.
#[derive(Clone, Default)]
pub struct TlsTrust {
    extra: Vec<CertificateDer<'static>>,
    config: Arc<OnceLock<Arc<ClientConfig>>>,
}

impl std::fmt::Debug for TlsTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTrust").field("extra_cas", &self.extra.len()).finish()
    }
}

/// The one crypto provider of the library.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: OnceLock<Arc<rustls::crypto::CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())).clone()
}

impl TlsTrust {
    /// Built-in roots only.
    pub fn system() -> Self {
        TlsTrust::default()
    }

    /// Built-in roots plus every certificate in `pem`.
    pub fn with_pem(pem: &[u8]) -> Result<Self> {
        let mut extra = Vec::new();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| Error::config(format!("invalid PEM in CA bundle: {e}")))?;
            extra.push(cert);
        }
        if extra.is_empty() {
            return Err(Error::config("the CA bundle contains no PEM certificate")
                .with_hint("Pass a file with one or more '-----BEGIN CERTIFICATE-----' blocks."));
        }
        Ok(TlsTrust { extra, config: Default::default() })
    }

    /// Built-in roots plus the CA certificates in the PEM file at `path`.
    pub fn from_ca_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let pem = std::fs::read(path)
            .map_err(|e| Error::config(format!("cannot read CA file {}", path.display())).with_source(e))?;
        TlsTrust::with_pem(&pem)
    }

    /// `None` means built-in roots only.
    pub fn from_optional_ca_file(path: Option<&Path>) -> Result<Self> {
        path.map_or_else(|| Ok(TlsTrust::system()), TlsTrust::from_ca_file)
    }

    /// The extra CA certificates as PEM, for libraries that take PEM.
    pub fn extra_pem(&self) -> String {
        use base64::Engine as _;
        let mut out = String::new();
        for cert in &self.extra {
            out.push_str("-----BEGIN CERTIFICATE-----\n");
            let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
            for line in b64.as_bytes().chunks(64) {
                out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
                out.push('\n');
            }
            out.push_str("-----END CERTIFICATE-----\n");
        }
        out
    }

    pub fn extra_certificates(&self) -> &[CertificateDer<'static>] {
        &self.extra
    }

    /// A verified client configuration (TLS 1.2 and 1.3), built once per trust.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.config
            .get_or_init(|| {
                let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
                for cert in &self.extra {
                    // A CA that webpki cannot parse is ignored rather than fatal,
                    // like every other TLS stack; connections then fail as untrusted.
                    if let Err(e) = roots.add(cert.clone()) {
                        tracing::warn!("ignoring unusable CA certificate: {e}");
                    }
                }
                let config = ClientConfig::builder_with_provider(provider())
                    .with_safe_default_protocol_versions()
                    .expect("ring supports the default protocol versions")
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                Arc::new(config)
            })
            .clone()
    }
}

/// A server's refusal of STARTTLS/STLS as a `Tls` error: the connection cannot be secured, so
/// nothing is sent, whatever the reply code suggests (454 and `[UNAVAILABLE]` look transient).
/// Connection failures while asking keep their kind.
pub(crate) fn starttls_refused(e: Error) -> Error {
    use crate::ErrorKind::{Network, Timeout, Tls};
    if matches!(e.kind(), Network | Timeout | Tls) {
        return e;
    }
    let refused = Error::new(Tls, format!("the server refused to start TLS: {}", e.message_text())).with_hint(
        "Nothing was sent. The server would not encrypt the connection: check its TLS setup, or use security 'tls' \
         on its implicit-TLS port (465, 993, 995).",
    );
    match e.code() {
        Some(code) => refused.with_code(code),
        None => refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_files_without_certificates() {
        let err = TlsTrust::with_pem(b"not a certificate").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
    }

    #[test]
    fn missing_ca_file_is_a_config_error() {
        let err = TlsTrust::from_ca_file("/nonexistent/ca.pem").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(err.message_text().contains("/nonexistent/ca.pem"));
    }
}
