//! Key material generated at start: the TLS CA and server certificate (ECDSA P-256),
//! and RSA keys for JWT signing and certificate-authenticated apps.

use std::io;
use std::sync::{Arc, OnceLock};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_RSA_SHA256,
};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::util::{b64url, random_bytes, sha256};

fn other(err: impl std::fmt::Display) -> io::Error {
    io::Error::other(err.to_string())
}

/// The CA every test trusts and the rustls config of all TLS servers of one kit.
pub(crate) struct TlsIdentity {
    pub ca_pem: String,
    pub server_config: Arc<ServerConfig>,
    /// Server configs with certificates a client must refuse (for `RogueServer`).
    pub bad: BadCertificates,
}

/// Server configs whose certificate is wrong in exactly one way.
#[derive(Clone)]
pub(crate) struct BadCertificates {
    /// Signed by the kit's CA, valid, but for `mail.wrong-host.test` only.
    pub wrong_host: Arc<ServerConfig>,
    /// Signed by the kit's CA for `127.0.0.1`/`localhost`, but expired in 2021.
    pub expired: Arc<ServerConfig>,
    /// For `127.0.0.1`/`localhost`, valid, but signed by a CA nobody trusts.
    pub unknown_ca: Arc<ServerConfig>,
}

fn new_ca(name: &str) -> io::Result<(CertificateDer<'static>, String, Issuer<'static, KeyPair>)> {
    let ca_key = KeyPair::generate().map_err(other)?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params.distinguished_name.push(DnType::CommonName, name);
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.serial_number = Some(random_bytes(16).into());
    let ca_cert = ca_params.self_signed(&ca_key).map_err(other)?;
    Ok((ca_cert.der().clone(), ca_cert.pem(), Issuer::new(ca_params, ca_key)))
}

/// A rustls server config presenting a certificate for `names` signed by `issuer`;
/// `validity` overrides rcgen's default (1975..4096).
fn signed_server_config(
    names: &[&str],
    issuer: &Issuer<'static, KeyPair>,
    ca_der: &CertificateDer<'static>,
    validity: Option<(i32, i32)>,
) -> io::Result<Arc<ServerConfig>> {
    let server_key = KeyPair::generate().map_err(other)?;
    let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).map_err(other)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.serial_number = Some(random_bytes(16).into());
    if let Some((from, to)) = validity {
        params.not_before = rcgen::date_time_ymd(from, 1, 1);
        params.not_after = rcgen::date_time_ymd(to, 1, 1);
    }
    let server_cert = params.signed_by(&server_key, issuer).map_err(other)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(other)?
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone(), ca_der.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )
        .map_err(other)?;
    Ok(Arc::new(config))
}

impl TlsIdentity {
    /// A fresh CA and a server certificate for `127.0.0.1` and `localhost` signed by it.
    pub fn generate() -> io::Result<TlsIdentity> {
        let (ca_der, ca_pem, issuer) = new_ca("oauthmail testkit CA")?;
        let loopback = ["127.0.0.1", "localhost"];
        let server_config = signed_server_config(&loopback, &issuer, &ca_der, None)?;
        let (rogue_der, _, rogue_issuer) = new_ca("untrusted rogue CA")?;
        let bad = BadCertificates {
            wrong_host: signed_server_config(&["mail.wrong-host.test"], &issuer, &ca_der, None)?,
            expired: signed_server_config(&loopback, &issuer, &ca_der, Some((2020, 2021)))?,
            unknown_ca: signed_server_config(&loopback, &rogue_issuer, &rogue_der, None)?,
        };
        Ok(TlsIdentity { ca_pem, server_config, bad })
    }
}

/// An RSA-2048 key that signs RS256.
pub(crate) struct RsaKey {
    key_pair: RsaKeyPair,
    pkcs8_pem: String,
    public_pem: String,
    /// PKCS#1 RSAPublicKey DER, the form ring verifies with.
    public_pkcs1: Vec<u8>,
    /// Modulus and exponent, base64url (JWK `n`, `e`).
    jwk_n: String,
    jwk_e: String,
}

/// RSA generation takes ~0.5 s, so each process makes a few keys once and every kit in it
/// reuses them (key `i` of one kit equals key `i` of the next; tests never rely on them differing).
static KEY_POOL: [OnceLock<Vec<u8>>; 8] = [const { OnceLock::new() }; 8];

impl RsaKey {
    /// The process's `index`-th RSA-2048 key (a fresh one past the pool's size).
    pub fn pooled(index: usize) -> io::Result<RsaKey> {
        match KEY_POOL.get(index) {
            Some(slot) => {
                if slot.get().is_none() {
                    // Racing threads may both generate; one result wins, both are valid keys.
                    let _ = slot.set(generate_pkcs8()?);
                }
                RsaKey::from_pkcs8(slot.get().map(Vec::as_slice).unwrap_or_default())
            }
            None => RsaKey::from_pkcs8(&generate_pkcs8()?),
        }
    }

    fn from_pkcs8(der: &[u8]) -> io::Result<RsaKey> {
        let private = rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(other)?;
        let pkcs8_pem = private.to_pkcs8_pem(LineEnding::LF).map_err(other)?.to_string();
        let public_pem = private.to_public_key().to_public_key_pem(LineEnding::LF).map_err(other)?;
        let key_pair = RsaKeyPair::from_pkcs8(der).map_err(other)?;
        let public_pkcs1 = key_pair.public().as_ref().to_vec();
        let jwk_n = b64url(&private.n().to_bytes_be());
        let jwk_e = b64url(&private.e().to_bytes_be());
        Ok(RsaKey { key_pair, pkcs8_pem, public_pem, public_pkcs1, jwk_n, jwk_e })
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0u8; self.key_pair.public().modulus_len()];
        self.key_pair
            .sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), message, &mut signature)
            .expect("RSA signing with a valid key and buffer cannot fail");
        signature
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &self.public_pkcs1)
            .verify(message, signature)
            .is_ok()
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`), the form Dovecot loads.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    pub fn private_pem(&self) -> &str {
        &self.pkcs8_pem
    }

    /// A key id derived from the public key.
    pub fn kid(&self) -> String {
        b64url(&sha256(&self.public_pkcs1)[..16])
    }

    /// The public key as a JWK (for the JWKS endpoint).
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid(),
                           "n": self.jwk_n, "e": self.jwk_e})
    }
}

fn generate_pkcs8() -> io::Result<Vec<u8>> {
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(other)?;
    Ok(private.to_pkcs8_der().map_err(other)?.as_bytes().to_vec())
}

/// A self-signed RSA certificate for a certificate-authenticated app.
pub(crate) struct AppCertificate {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: Vec<u8>,
}

impl AppCertificate {
    pub fn generate(client_id: &str, key: &RsaKey) -> io::Result<AppCertificate> {
        let key_pair = KeyPair::from_pkcs8_pem_and_sign_algo(key.private_pem(), &PKCS_RSA_SHA256).map_err(other)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, format!("oauthmail testkit app {client_id}"));
        params.serial_number = Some(random_bytes(16).into());
        let cert = params.self_signed(&key_pair).map_err(other)?;
        Ok(AppCertificate { cert_pem: cert.pem(), key_pem: key.private_pem().to_string(), der: cert.der().to_vec() })
    }
}

/// Parses every certificate in a PEM text (registered app certificates).
pub(crate) fn certificates_from_pem(pem: &str) -> io::Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes()).collect::<Result<Vec<_>, _>>().map_err(other)
}
