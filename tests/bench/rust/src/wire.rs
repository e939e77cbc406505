//! The raw floor's plumbing: std TCP + rustls trusting only one CA file,
//! buffered line reads, and one HTTPS POST for the token.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use crate::BoxError;

pub type Tls = StreamOwned<ClientConnection, TcpStream>;

/// A TLS client configuration whose only trust anchors are the CAs in `ca_file`.
pub fn tls_config(ca_file: &Path) -> Result<Arc<ClientConfig>, BoxError> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file)? {
        roots.add(cert?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Wraps an open TCP connection in verified TLS for `host` (a name or an IP address).
pub fn tls(config: &Arc<ClientConfig>, host: &str, tcp: TcpStream) -> Result<Tls, BoxError> {
    let name = ServerName::try_from(host.to_owned())?;
    let mut stream = StreamOwned::new(ClientConnection::new(config.clone(), name)?, tcp);
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(stream)
}

pub fn connect(config: &Arc<ClientConfig>, host: &str, port: u16) -> Result<BufReader<Tls>, BoxError> {
    let tcp = TcpStream::connect((host, port))?;
    tcp.set_nodelay(true)?;
    Ok(BufReader::with_capacity(64 * 1024, tls(config, host, tcp)?))
}

/// One line including its CRLF; an error at end of stream.
pub fn line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> Result<(), BoxError> {
    buf.clear();
    if r.read_until(b'\n', buf)? == 0 {
        return Err("connection closed by the server".into());
    }
    Ok(())
}

/// The XOAUTH2 initial response, base64.
pub fn xoauth2(user: &str, token: &str) -> String {
    STANDARD.encode(format!("user={user}\x01auth=Bearer {token}\x01\x01"))
}

fn form_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The resource-owner password grant as one hand-written HTTPS POST; returns `access_token`.
pub fn password_token(
    token_url: &str,
    ca_file: &Path,
    client_id: &str,
    user: &str,
    password: &str,
    scope: &str,
) -> Result<String, BoxError> {
    let rest = token_url.strip_prefix("https://").ok_or("token_url must be https")?;
    let (authority, path) = rest.split_at(rest.find('/').ok_or("token_url has no path")?);
    let (host, port) = authority.rsplit_once(':').ok_or("token_url has no port")?;
    let form = [("grant_type", "password"), ("client_id", client_id), ("username", user), ("password", password)];
    let mut body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", form_escape(v))).collect();
    body.push(format!("scope={}", form_escape(scope)));
    let body = body.join("&");
    let mut conn = connect(&tls_config(ca_file)?, host, port.parse()?)?;
    write!(
        conn.get_mut(),
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    conn.get_mut().flush()?;
    let mut buf = Vec::new();
    line(&mut conn, &mut buf)?;
    if !buf.starts_with(b"HTTP/1.1 200") {
        return Err(format!("token endpoint: {}", String::from_utf8_lossy(&buf).trim_end()).into());
    }
    let mut length = None;
    loop {
        line(&mut conn, &mut buf)?;
        if buf == b"\r\n" {
            break;
        }
        let header = String::from_utf8_lossy(&buf).to_ascii_lowercase();
        if let Some(v) = header.strip_prefix("content-length:") {
            length = Some(v.trim().parse::<usize>()?);
        }
    }
    let mut json = vec![0; length.ok_or("token response without Content-Length")?];
    conn.read_exact(&mut json)?;
    let value: serde_json::Value = serde_json::from_slice(&json)?;
    Ok(value["access_token"].as_str().ok_or("no access_token in the token response")?.to_owned())
}
