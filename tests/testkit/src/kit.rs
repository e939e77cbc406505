//! `TestKit`: starts the servers of one kit and is the Rust API tests use.

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::config::Config;
use crate::control;
use crate::faults::{Fault, FaultQueue, FaultSpec};
use crate::graph::{self, GraphFault};
use crate::http::{self, Outcome, Request, Response};
use crate::identity::Identity;
use crate::imap::{self, ImapFault, ImapState, ImapStats};
use crate::listener::Listener;
use crate::pki::{self, AppCertificate, BadCertificates, RsaKey, TlsIdentity};
use crate::pop3::{self, Pop3Fault, Pop3State, Pop3Stats};
use crate::request_log::{RequestLog, RequestRecord};
use crate::rogue::{RogueProtocol, RogueServer, RogueTls};
use crate::smtp::{self, SmtpFault, SmtpState, SmtpStats};
use crate::store::MailStore;
use crate::tokens::{TokenRejection, TokenRequest};
use crate::util::{b64url, sha256};

/// Files of a certificate-authenticated app whose certificate the kit generated.
#[derive(Clone, Debug)]
pub struct CertApp {
    pub client_id: String,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    /// Certificate and private key in one PEM file.
    pub pem_path: PathBuf,
    /// `x5t`: base64url SHA-1 of the certificate DER.
    pub thumbprint_sha1: String,
    /// `x5t#S256`: base64url SHA-256 of the certificate DER.
    pub thumbprint_sha256: String,
}

/// State shared by all connections of one kit.
pub(crate) struct Shared {
    pub identity: Identity,
    pub faults: FaultQueue<Fault>,
    pub log: RequestLog,
    pub store: MailStore,
    pub smtp: SmtpState,
    pub imap: ImapState,
    pub pop3: Pop3State,
    pub graph_faults: FaultQueue<GraphFault>,
    pub graph_sent: AtomicUsize,
    info: OnceLock<Value>,
}

impl Shared {
    pub fn info(&self) -> Value {
        self.info.get().cloned().unwrap_or(Value::Null)
    }

    pub fn inject_spec(&self, spec: &FaultSpec) -> Result<(), String> {
        match spec.target.as_deref().unwrap_or("token") {
            "token" | "identity" => self.faults.push(spec.http_fault()?, spec.count),
            "smtp" => self.smtp.faults.push(spec.smtp_fault()?, spec.count),
            "imap" => self.imap.faults.push(spec.imap_fault()?, spec.count),
            "pop3" => self.pop3.faults.push(spec.pop3_fault()?, spec.count),
            "graph" => self.graph_faults.push(spec.graph_fault()?, spec.count),
            other => return Err(format!("unknown fault target '{other}'")),
        }
        Ok(())
    }

    pub fn clear_faults(&self) {
        self.faults.clear();
        self.smtp.faults.clear();
        self.imap.faults.clear();
        self.pop3.faults.clear();
        self.graph_faults.clear();
    }

    /// A configured user or any address with a mailbox in the store.
    pub fn is_mailbox(&self, address: &str) -> bool {
        self.identity.config().find_user(address).is_some() || self.store.has_mailbox(address)
    }

    /// Mail is accepted for known mailboxes and for domains outside every tenant (their
    /// mailboxes are created on delivery); unknown addresses in a tenant's domain are refused.
    pub fn accepts_recipient(&self, address: &str) -> bool {
        let domain = address.rsplit_once('@').map_or("", |(_, d)| d);
        self.is_mailbox(address) || self.identity.config().find_tenant(domain).is_none()
    }

    /// Whether `mailbox` may send as `from` (itself, or a `send_as` address of its user).
    pub fn may_send_as(&self, mailbox: &str, from: &str) -> bool {
        mailbox.eq_ignore_ascii_case(from)
            || self
                .identity
                .config()
                .find_user(mailbox)
                .is_some_and(|u| u.send_as.iter().any(|a| a.eq_ignore_ascii_case(from)))
    }
}

/// A running test kit. Dropping it stops its listeners and deletes its files.
pub struct TestKit {
    shared: Arc<Shared>,
    _https: Listener,
    _smtp_starttls: Listener,
    _smtp_tls: Listener,
    smtp_ports: (u16, u16),
    _imap: [Listener; 2],
    /// (STARTTLS, implicit TLS)
    imap_ports: (u16, u16),
    _pop3: [Listener; 2],
    /// (STLS, implicit TLS)
    pop3_ports: (u16, u16),
    authority: String,
    ca_pem: String,
    ca_path: PathBuf,
    jwt_public_key_path: PathBuf,
    cert_app: Option<CertApp>,
    bad_certificates: BadCertificates,
    _dir: tempfile::TempDir,
}

fn joined<T>(r: std::thread::Result<io::Result<T>>) -> io::Result<T> {
    r.unwrap_or_else(|_| Err(io::Error::other("key generation panicked")))
}

fn write_file(path: &Path, contents: &str) -> io::Result<()> {
    std::fs::write(path, contents)
}

/// Certificate DERs per lower-cased client id.
type RegisteredCertificates = HashMap<String, Vec<Vec<u8>>>;

/// Registered certificates per lower-cased client id, generating those asked for.
fn app_certificates(config: &Config, dir: &Path) -> io::Result<(RegisteredCertificates, Vec<CertApp>)> {
    let mut registered = RegisteredCertificates::new();
    let mut generated = Vec::new();
    let mut next_key = 1; // key 0 signs JWTs
    for app in &config.apps {
        let entry = registered.entry(app.client_id.to_ascii_lowercase()).or_default();
        for source in &app.certificates {
            let pem = if source.contains("-----BEGIN") {
                source.clone()
            } else {
                std::fs::read_to_string(source).map_err(|e| {
                    io::Error::new(e.kind(), format!("certificate of app {}: {source}: {e}", app.client_id))
                })?
            };
            entry.extend(pki::certificates_from_pem(&pem)?.into_iter().map(|c| c.to_vec()));
        }
        if app.generate_certificate {
            let key = RsaKey::pooled(next_key)?;
            next_key += 1;
            let cert = AppCertificate::generate(&app.client_id, &key)?;
            let app_dir = dir.join("cert-app").join(&app.client_id);
            std::fs::create_dir_all(&app_dir)?;
            let info = CertApp {
                client_id: app.client_id.clone(),
                cert_path: app_dir.join("cert.pem"),
                key_path: app_dir.join("key.pem"),
                pem_path: app_dir.join("combined.pem"),
                thumbprint_sha1: b64url(
                    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert.der).as_ref(),
                ),
                thumbprint_sha256: b64url(&sha256(&cert.der)),
            };
            write_file(&info.cert_path, &cert.cert_pem)?;
            write_file(&info.key_path, &cert.key_pem)?;
            write_file(&info.pem_path, &format!("{}{}", cert.cert_pem, cert.key_pem))?;
            entry.push(cert.der);
            generated.push(info);
        }
    }
    Ok((registered, generated))
}

impl TestKit {
    /// Starts the kit on 127.0.0.1 (ephemeral ports) with a freshly generated CA and keys.
    pub fn start(config: Config) -> io::Result<TestKit> {
        let dir = tempfile::Builder::new().prefix("oauthmail-testkit-").tempdir()?;
        // The RSA keys are the slow part; make them in parallel with the TLS material.
        let (tls, jwt_key, certs) = std::thread::scope(|s| {
            let jwt = s.spawn(|| RsaKey::pooled(0));
            let certs = s.spawn(|| app_certificates(&config, dir.path()));
            let tls = TlsIdentity::generate();
            (tls, joined(jwt.join()), joined(certs.join()))
        });
        let (tls, jwt_key, (certificates, cert_apps)) = (tls?, jwt_key?, certs?);

        let ca_path = dir.path().join("ca.pem");
        write_file(&ca_path, &tls.ca_pem)?;
        let jwt_public_key_path = dir.path().join("jwt-public.pem");
        write_file(&jwt_public_key_path, jwt_key.public_pem())?;

        let socket = crate::listener::bind_loopback()?;
        let port = socket.local_addr()?.port();
        let authority = format!("https://127.0.0.1:{port}");
        let store = MailStore::new();
        for user in &config.users {
            store.create_mailbox(&user.username);
        }
        let shared = Arc::new(Shared {
            identity: Identity::new(config, authority.clone(), jwt_key, certificates),
            faults: FaultQueue::new(),
            log: RequestLog::default(),
            store,
            smtp: SmtpState::new(),
            imap: ImapState::new(),
            pop3: Pop3State::new(),
            graph_faults: FaultQueue::new(),
            graph_sent: AtomicUsize::new(0),
            info: OnceLock::new(),
        });
        let server_config = tls.server_config.clone();
        let handler_state = shared.clone();
        let https = Listener::spawn(
            socket,
            "https",
            Arc::new(move |tcp| serve_https(&handler_state, server_config.clone(), tcp)),
        )?;
        let smtp_listener = |implicit_tls: bool| -> io::Result<(Listener, u16)> {
            let socket = crate::listener::bind_loopback()?;
            let port = socket.local_addr()?.port();
            let state = shared.clone();
            let config = tls.server_config.clone();
            let name = if implicit_tls { "smtps" } else { "smtp" };
            let listener = Listener::spawn(
                socket,
                name,
                Arc::new(move |tcp| smtp::serve(&state, config.clone(), tcp, implicit_tls)),
            )?;
            Ok((listener, port))
        };
        let (smtp_starttls, starttls_port) = smtp_listener(false)?;
        let (smtp_tls, tls_port) = smtp_listener(true)?;
        let (imap_listeners, imap_ports) = mail_listeners(&shared, &tls.server_config, "imap", imap::serve)?;
        let (pop3_listeners, pop3_ports) = mail_listeners(&shared, &tls.server_config, "pop3", pop3::serve)?;
        let kit = TestKit {
            shared,
            _https: https,
            _smtp_starttls: smtp_starttls,
            _smtp_tls: smtp_tls,
            smtp_ports: (starttls_port, tls_port),
            _imap: imap_listeners,
            imap_ports,
            _pop3: pop3_listeners,
            pop3_ports,
            authority,
            ca_pem: tls.ca_pem,
            ca_path,
            jwt_public_key_path,
            cert_app: cert_apps.into_iter().next(),
            bad_certificates: tls.bad,
            _dir: dir,
        };
        let _ = kit.shared.info.set(kit.build_info(port));
        Ok(kit)
    }

    /// A server that gets TLS wrong in the way `tls` says, speaking `protocol` (see `RogueServer`).
    pub fn rogue_server(&self, protocol: RogueProtocol, tls: RogueTls) -> io::Result<RogueServer> {
        RogueServer::start(protocol, tls, self.bad_certificates.clone())
    }

    /// Starts the kit with `Config::default_fixture()`.
    pub fn start_default() -> io::Result<TestKit> {
        TestKit::start(Config::default_fixture())
    }

    /// `https://127.0.0.1:<port>` (no trailing slash).
    pub fn authority(&self) -> String {
        self.authority.clone()
    }

    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.authority)
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    /// The JWT signing key's public half, SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn jwt_public_key_pem(&self) -> &str {
        self.shared.identity.key().public_pem()
    }

    pub fn jwt_public_key_path(&self) -> &Path {
        &self.jwt_public_key_path
    }

    /// The `iss` of tokens for `tenant_id`.
    pub fn issuer(&self, tenant_id: &str) -> String {
        format!("{}/{tenant_id}/", self.shared.identity.config().issuer)
    }

    /// The generated certificate of the (first) app with `generate_certificate`.
    pub fn cert_app(&self) -> Option<&CertApp> {
        self.cert_app.as_ref()
    }

    pub fn config(&self) -> &Config {
        self.shared.identity.config()
    }

    /// Applies `fault` to the next `count` requests to the token and devicecode endpoints.
    pub fn inject(&self, fault: Fault, count: usize) {
        self.shared.faults.push(fault, count);
    }

    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// Requests served so far (control endpoints excluded), oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.log.all()
    }

    /// POSTs to `.../oauth2/v2.0/token`, successful or not (dropped ones included).
    pub fn token_requests(&self) -> usize {
        self.requests().iter().filter(|r| r.is_token_request()).count()
    }

    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Lifetime (`expires_in`) of access tokens issued from now on.
    pub fn set_token_lifetime(&self, secs: u64) {
        self.shared.identity.set_token_lifetime(secs);
    }

    /// Lifetime of refresh tokens issued from now on (0: they fail with AADSTS700082 at once).
    pub fn set_refresh_token_lifetime(&self, secs: u64) {
        self.shared.identity.set_refresh_token_lifetime(secs);
    }

    /// Every refresh token issued so far fails with AADSTS70043 from now on.
    pub fn revoke_refresh_tokens(&self) {
        self.shared.identity.revoke_refresh_tokens();
    }

    /// Approves all pending device codes as `user`; returns how many.
    pub fn approve_device_code(&self, user: &str) -> usize {
        self.shared.identity.approve_device_code(user, None)
    }

    /// Denies all pending device codes (polling gets `access_denied`); returns how many.
    pub fn deny_device_code(&self) -> usize {
        self.shared.identity.deny_device_code(None)
    }

    /// Device codes are approved for `user` after their first poll (None: manual approval).
    pub fn set_device_auto_approve(&self, user: Option<&str>) {
        self.shared.identity.set_device_auto_approve(user);
    }

    /// Mints an access token directly, signed like the token endpoint's.
    pub fn issue_token(&self, request: &TokenRequest) -> String {
        self.shared.identity.mint(request)
    }

    /// The mail store SMTP and Graph deliver into (clones share the data).
    pub fn store(&self) -> &MailStore {
        &self.shared.store
    }

    /// SMTP submission port (plain, STARTTLS required before AUTH).
    pub fn smtp_starttls_port(&self) -> u16 {
        self.smtp_ports.0
    }

    /// SMTP port with implicit TLS (like 465).
    pub fn smtp_tls_port(&self) -> u16 {
        self.smtp_ports.1
    }

    /// Applies `fault` to the next `count` SMTP events it belongs to (see `SmtpFault`).
    pub fn inject_smtp(&self, fault: SmtpFault, count: usize) {
        self.shared.smtp.faults.push(fault, count);
    }

    pub fn smtp_stats(&self) -> SmtpStats {
        self.shared.smtp.stats()
    }

    /// IMAP port with STARTTLS (like 143; AUTHENTICATE only after STARTTLS).
    pub fn imap_starttls_port(&self) -> u16 {
        self.imap_ports.0
    }

    /// IMAP port with implicit TLS (like 993).
    pub fn imap_tls_port(&self) -> u16 {
        self.imap_ports.1
    }

    /// Applies `fault` to the next `count` IMAP events it belongs to (see `ImapFault`).
    pub fn inject_imap(&self, fault: ImapFault, count: usize) {
        self.shared.imap.faults.push(fault, count);
    }

    /// IMAP counters since start (or the last `reset_imap_stats`).
    pub fn imap_stats(&self) -> ImapStats {
        self.shared.imap.stats()
    }

    pub fn reset_imap_stats(&self) {
        self.shared.imap.reset_stats();
    }

    /// POP3 port with STLS (like 110; AUTH only after STLS).
    pub fn pop3_starttls_port(&self) -> u16 {
        self.pop3_ports.0
    }

    /// POP3 port with implicit TLS (like 995).
    pub fn pop3_tls_port(&self) -> u16 {
        self.pop3_ports.1
    }

    /// Applies `fault` to the next `count` POP3 events it belongs to (see `Pop3Fault`).
    pub fn inject_pop3(&self, fault: Pop3Fault, count: usize) {
        self.shared.pop3.faults.push(fault, count);
    }

    /// POP3 counters since start (or the last `reset_pop3_stats`).
    pub fn pop3_stats(&self) -> Pop3Stats {
        self.shared.pop3.stats()
    }

    pub fn reset_pop3_stats(&self) {
        self.shared.pop3.reset_stats();
    }

    /// `{authority}/v1.0`, the Graph base URL.
    pub fn graph_url(&self) -> String {
        format!("{}/v1.0", self.authority)
    }

    /// Applies `fault` to the next `count` Graph requests.
    pub fn inject_graph(&self, fault: GraphFault, count: usize) {
        self.shared.graph_faults.push(fault, count);
    }

    /// Messages accepted by Graph sendMail so far.
    pub fn graph_messages_sent(&self) -> usize {
        self.shared.graph_sent.load(Ordering::SeqCst)
    }

    /// Checks a bearer token as the kit's mail servers do: signature, expiry, audience.
    pub fn verify_token(&self, token: &str, audiences: &[&str]) -> Result<Value, TokenRejection> {
        crate::tokens::verify(self.shared.identity.key(), token, audiences)
    }

    /// The JSON line the binary prints.
    pub fn info(&self) -> Value {
        self.shared.info()
    }

    fn build_info(&self, https_port: u16) -> Value {
        let config = self.config();
        let tenant_id = config.tenants.first().map(|t| t.id.clone()).unwrap_or_default();
        let cert_app = self.cert_app.as_ref().map_or(Value::Null, |c| {
            json!({
                "client_id": c.client_id,
                "cert_path": c.cert_path,
                "key_path": c.key_path,
                "pem_path": c.pem_path,
                "thumbprint_sha1": c.thumbprint_sha1,
                "thumbprint_sha256": c.thumbprint_sha256,
            })
        });
        json!({
            "authority": self.authority,
            "token_url": self.token_url(&tenant_id),
            "tenant_id": tenant_id,
            "ca_path": self.ca_path,
            "jwt_public_key_path": self.jwt_public_key_path,
            "jwt_issuer": self.issuer(&tenant_id),
            "jwt_kid": self.shared.identity.key().kid(),
            "cert_app": cert_app,
            "control_url": format!("{}/testkit", self.authority),
            "graph_url": self.graph_url(),
            "smtp": {
                "host": "127.0.0.1",
                "starttls_port": self.smtp_ports.0,
                "tls_port": self.smtp_ports.1,
            },
            "imap": {
                "host": "127.0.0.1",
                "starttls_port": self.imap_ports.0,
                "tls_port": self.imap_ports.1,
            },
            "pop3": {
                "host": "127.0.0.1",
                "starttls_port": self.pop3_ports.0,
                "tls_port": self.pop3_ports.1,
            },
            "ports": {"https": https_port, "smtp_starttls": self.smtp_ports.0, "smtp_tls": self.smtp_ports.1,
                      "imap_starttls": self.imap_ports.0, "imap_tls": self.imap_ports.1,
                      "pop3_starttls": self.pop3_ports.0, "pop3_tls": self.pop3_ports.1},
            "pid": std::process::id(),
        })
    }
}

/// A mail server's two listeners, (STARTTLS-style plain, implicit TLS), and their ports.
fn mail_listeners(
    shared: &Arc<Shared>,
    tls: &Arc<rustls::ServerConfig>,
    name: &str,
    serve: fn(&Shared, Arc<rustls::ServerConfig>, TcpStream, bool),
) -> io::Result<([Listener; 2], (u16, u16))> {
    let mut listeners = Vec::new();
    let mut ports = Vec::new();
    for implicit_tls in [false, true] {
        let socket = crate::listener::bind_loopback()?;
        ports.push(socket.local_addr()?.port());
        let (state, config) = (shared.clone(), tls.clone());
        let label = if implicit_tls { format!("{name}s") } else { name.to_string() };
        listeners.push(Listener::spawn(
            socket,
            &label,
            Arc::new(move |tcp| serve(&state, config.clone(), tcp, implicit_tls)),
        )?);
    }
    let [plain, tls]: [Listener; 2] = listeners.try_into().map_err(|_| io::Error::other("two listeners"))?;
    Ok(([plain, tls], (ports[0], ports[1])))
}

fn serve_https(shared: &Shared, config: Arc<rustls::ServerConfig>, tcp: TcpStream) {
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    let _ = http::serve_connection(&mut stream, &|req| route(shared, req));
    stream.conn.send_close_notify();
    let _ = stream.flush();
}

fn is_faultable(req: &Request) -> bool {
    req.method == "POST" && (req.path.ends_with("/oauth2/v2.0/token") || req.path.ends_with("/oauth2/v2.0/devicecode"))
}

fn fault_response(fault: &Fault) -> Outcome {
    let transient = |status: u16, code: u32, text: &str| {
        let err = crate::identity::errors::AadError::new(status, "temporarily_unavailable", code, text);
        err.to_response()
    };
    match fault {
        Fault::Throttle { retry_after_secs } => Outcome::Respond(
            transient(
                429,
                50196,
                "The server terminated an operation because it encountered a client request loop. Too many requests.",
            )
            .with_header("Retry-After", &retry_after_secs.to_string()),
        ),
        Fault::ServerError(status) => {
            Outcome::Respond(transient(*status, 90033, "A transient error has occurred. Please try again."))
        }
        Fault::MalformedJson => Outcome::Respond(Response::new(
            200,
            "application/json; charset=utf-8",
            r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOiJKV1Qi"#,
        )),
        Fault::DropConnection => Outcome::Drop,
        Fault::Slow(_) => unreachable!("slow faults delay the normal answer"),
    }
}

fn route(shared: &Shared, req: &Request) -> Outcome {
    if let Some(endpoint) = req.path.strip_prefix("/testkit/") {
        return Outcome::Respond(control::handle(shared, endpoint, req));
    }
    if let Some((outcome, fault)) = graph::handle(shared, req) {
        log_request(shared, req, &outcome, fault.map(|f| format!("{f:?}")));
        return outcome;
    }
    let fault = if is_faultable(req) { shared.faults.take() } else { None };
    let outcome = match &fault {
        None | Some(Fault::Slow(_)) => {
            if let Some(Fault::Slow(delay)) = &fault {
                std::thread::sleep(*delay);
            }
            Outcome::Respond(shared.identity.handle(req).unwrap_or_else(|| {
                Response::json(
                    404,
                    &json!({"error": "not_found", "error_description": format!("no endpoint {}", req.path)}),
                )
            }))
        }
        Some(f) => fault_response(f),
    };
    log_request(shared, req, &outcome, fault.map(|f| format!("{f:?}")));
    outcome
}

fn log_request(shared: &Shared, req: &Request, outcome: &Outcome, fault: Option<String>) {
    let is_form = req.header("content-type").is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let form = if req.method == "POST" && is_form { req.form() } else { Vec::new() };
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| req.query_param(name).map(str::to_string))
    };
    shared.log.push(RequestRecord {
        method: req.method.clone(),
        path: req.path.clone(),
        grant_type: field("grant_type"),
        client_id: field("client_id"),
        status: match outcome {
            Outcome::Respond(r) => r.status,
            Outcome::Drop => 0,
        },
        fault,
        time: SystemTime::now(),
    });
}
