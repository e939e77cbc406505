use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ring::rand::{SecureRandom as _, SystemRandom};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::base::CredentialBase;
use super::endpoint::Field;
use super::options::CredentialOptions;
use super::{AccessToken, TokenCredential};
use crate::{Error, Result, Secret};

/// How long a signed client assertion is valid.
const ASSERTION_LIFETIME_SECS: u64 = 600;

/// An application signing in as itself with a certificate: the
/// client-credentials grant with an RS256-signed JWT assertion whose header
/// names the certificate by its SHA-256 thumbprint (`x5t#S256`).
pub struct ClientCertificateCredential {
    base: CredentialBase,
    key: RsaKeyPair,
    /// base64url SHA-256 and SHA-1 thumbprints of the certificate (DER).
    x5t_s256: String,
    x5t: String,
}

impl std::fmt::Debug for ClientCertificateCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificateCredential")
            .field("base", &self.base)
            .field("x5t#S256", &self.x5t_s256)
            .field("private_key", &"***")
            .finish()
    }
}

impl ClientCertificateCredential {
    /// `certificate_pem` holds the certificate and its RSA private key (PKCS#8
    /// or PKCS#1), as in `AZURE_CLIENT_CERTIFICATE_PATH`; or pass the key
    /// separately in `key_pem`.
    pub fn new(
        tenant_id: &str,
        client_id: &str,
        certificate_pem: &[u8],
        key_pem: Option<&[u8]>,
        options: CredentialOptions,
    ) -> Result<Self> {
        let cert = CertificateDer::pem_slice_iter(certificate_pem)
            .next()
            .ok_or_else(|| {
                Error::config("no certificate found in the PEM data")
                    .with_hint("Pass a PEM file with a '-----BEGIN CERTIFICATE-----' block and the private key.")
            })?
            .map_err(|e| Error::config(format!("invalid certificate PEM: {e}")))?;
        // Errors about the key never quote it.
        let key = PrivateKeyDer::from_pem_slice(key_pem.unwrap_or(certificate_pem)).map_err(|_| {
            Error::config("no usable private key found in the PEM data")
                .with_hint("Include the certificate's RSA private key ('-----BEGIN PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----'), unencrypted.")
        })?;
        let key = match &key {
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => {
                return Err(Error::config("the private key is not an RSA key")
                    .with_hint("Microsoft Entra ID certificate credentials use RSA keys (RS256)."));
            }
        }
        .map_err(|e| Error::config(format!("the private key cannot be used for RS256: {e}")))?;
        let thumb = |alg| B64URL.encode(ring::digest::digest(alg, cert.as_ref()));
        Ok(ClientCertificateCredential {
            base: CredentialBase::new(tenant_id, client_id, &options)?,
            key,
            x5t_s256: thumb(&ring::digest::SHA256),
            x5t: thumb(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY),
        })
    }

    /// Reads the certificate (and key, unless `key_path` is given) from PEM files.
    pub fn from_files(
        tenant_id: &str,
        client_id: &str,
        certificate_path: &Path,
        key_path: Option<&Path>,
        options: CredentialOptions,
    ) -> Result<Self> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| Error::config(format!("cannot read {}", p.display())).with_source(e))
        };
        let cert = zeroize::Zeroizing::new(read(certificate_path)?);
        let key = key_path.map(read).transpose()?.map(zeroize::Zeroizing::new);
        ClientCertificateCredential::new(tenant_id, client_id, &cert, key.as_deref().map(|k| k.as_slice()), options)
    }

    /// The SHA-256 thumbprint (base64url) the assertion names.
    pub fn thumbprint_sha256(&self) -> &str {
        &self.x5t_s256
    }

    /// A signed client assertion for the token endpoint (RFC 7523).
    fn assertion(&self) -> Result<Secret> {
        let rng = SystemRandom::new();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut jti = [0u8; 16];
        rng.fill(&mut jti).map_err(|_| Error::internal("no random numbers available"))?;
        let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "x5t#S256": self.x5t_s256, "x5t": self.x5t });
        let claims = serde_json::json!({
            "aud": self.base.token_url,
            "iss": self.base.client_id,
            "sub": self.base.client_id,
            "jti": B64URL.encode(jti),
            "iat": now,
            "nbf": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let signing_input = format!("{}.{}", B64URL.encode(header.to_string()), B64URL.encode(claims.to_string()));
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &rng, signing_input.as_bytes(), &mut sig)
            .map_err(|_| Error::internal("signing the client assertion failed"))?;
        Ok(Secret::new(format!("{signing_input}.{}", B64URL.encode(sig))))
    }

    fn fetch(&self, scopes: &[String]) -> Result<AccessToken> {
        let scope = scopes.join(" ");
        let assertion = self.assertion()?;
        let requested = SystemTime::now();
        let resp = self.base.request(
            "client_credentials",
            &[
                Field::Plain("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                Field::Secret("client_assertion", &assertion),
                Field::Plain("scope", &scope),
            ],
        )?;
        Ok(resp.access_token(requested))
    }
}

impl TokenCredential for ClientCertificateCredential {
    fn get_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.base.token(scopes, "", false, |s| self.fetch(s))
    }

    fn get_fresh_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.base.token(scopes, "", true, |s| self.fetch(s))
    }

    fn cached_token(&self, scopes: &[&str]) -> Option<AccessToken> {
        self.base.cached(scopes, "")
    }

    fn default_scopes(&self) -> Vec<String> {
        self.base.default_scopes()
    }
}
