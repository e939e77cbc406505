use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ring::rand::{SecureRandom as _, SystemRandom};

use super::base::{CredentialBase, RefreshState};
use super::endpoint::Field;
use super::options::CredentialOptions;
use super::{AccessToken, TokenCredential};
use crate::{Error, ErrorKind, Result, Secret};

/// How long `run_loopback` waits for the browser by default.
pub const DEFAULT_LOOPBACK_TIMEOUT: Duration = Duration::from_secs(300);

/// One sign-in in progress: the URL to open and what the reply must match.
pub struct AuthorizationRequest {
    pub url: String,
    pub state: String,
    pub redirect_uri: String,
    scopes: Vec<String>,
    /// The PKCE code verifier (RFC 7636); only its S256 hash is in the URL.
    verifier: Secret,
}

impl std::fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("url", &self.url)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// A user signing in in a browser: the authorization code grant with PKCE
/// (S256) and `state`. Desktop and CLI programs call
/// [`AuthorizationCodeCredential::run_loopback`]; web apps call
/// [`AuthorizationCodeCredential::authorize_url`] and
/// [`AuthorizationCodeCredential::exchange`]. After sign-in, `get_token`
/// uses the refresh token.
pub struct AuthorizationCodeCredential {
    base: CredentialBase,
    client_secret: Option<Secret>,
    login_hint: Option<String>,
    user: String,
    refresh: RefreshState,
    /// How long `run_loopback` waits for the browser.
    pub loopback_timeout: Duration,
}

impl std::fmt::Debug for AuthorizationCodeCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationCodeCredential").field("base", &self.base).field("user", &self.user).finish()
    }
}

fn random_b64(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new().fill(&mut buf).map_err(|_| Error::internal("no random numbers available"))?;
    Ok(B64URL.encode(buf))
}

impl AuthorizationCodeCredential {
    pub fn new(tenant_id: &str, client_id: &str, options: CredentialOptions) -> Result<Self> {
        let base = CredentialBase::new(tenant_id, client_id, &options)?;
        base.authority.authorize_url(&base.tenant_id)?;
        let user = options.login_hint.clone().unwrap_or_default();
        let refresh = RefreshState::new(None, &base, &user, &options)?;
        Ok(AuthorizationCodeCredential {
            base,
            client_secret: options.client_secret.clone(),
            login_hint: options.login_hint.clone(),
            user,
            refresh,
            loopback_timeout: DEFAULT_LOOPBACK_TIMEOUT,
        })
    }

    /// Whether a refresh token is at hand, so `get_token` works without a browser.
    pub fn is_signed_in(&self) -> bool {
        self.refresh.get().is_some()
    }

    /// The URL to open in a browser, with a fresh `state` and PKCE challenge.
    /// Empty `scopes` means the credential's defaults.
    pub fn authorize_url(&self, redirect_uri: &str, scopes: &[&str]) -> Result<AuthorizationRequest> {
        let redirect = url::Url::parse(redirect_uri)
            .map_err(|e| Error::config(format!("invalid redirect URI '{redirect_uri}': {e}")))?;
        if !matches!(redirect.scheme(), "http" | "https") {
            return Err(Error::config("the redirect URI must be an http or https URL"));
        }
        let scopes = self.base.scopes(scopes)?;
        let verifier = Secret::new(random_b64(32)?);
        let challenge = B64URL.encode(ring::digest::digest(&ring::digest::SHA256, verifier.expose().as_bytes()));
        let state = random_b64(16)?;
        let mut url = url::Url::parse(&self.base.authority.authorize_url(&self.base.tenant_id)?)
            .map_err(|e| Error::config(format!("invalid authorize URL: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.base.client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &self.base.user_scopes(&scopes))
                .append_pair("state", &state)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if self.base.authority.is_microsoft() {
                q.append_pair("response_mode", "query");
            } else {
                // Google only issues a refresh token when asked for offline access.
                q.append_pair("access_type", "offline");
            }
            if let Some(hint) = &self.login_hint {
                q.append_pair("login_hint", hint);
            }
        }
        Ok(AuthorizationRequest { url: url.into(), state, redirect_uri: redirect_uri.to_owned(), scopes, verifier })
    }

    /// Redeems the `code` the redirect brought, after checking its `state`.
    pub fn exchange(&self, request: &AuthorizationRequest, code: &str, state: &str) -> Result<AccessToken> {
        if state != request.state {
            return Err(Error::auth("the sign-in reply does not belong to this request (state mismatch)")
                .with_hint("Start the sign-in again; a reply from another or an old attempt was received."));
        }
        if code.is_empty() {
            return Err(Error::auth("the sign-in reply carries no authorization code"));
        }
        let code = Secret::new(code);
        let scope = self.base.user_scopes(&request.scopes);
        let mut fields = vec![
            Field::Secret("code", &code),
            Field::Plain("redirect_uri", &request.redirect_uri),
            Field::Secret("code_verifier", &request.verifier),
            Field::Plain("scope", &scope),
        ];
        if let Some(s) = &self.client_secret {
            fields.push(Field::Secret("client_secret", s));
        }
        let requested = SystemTime::now();
        let resp = self.base.request("authorization_code", &fields)?;
        let token = self.refresh.accept(&resp, requested);
        let scope_refs: Vec<&str> = request.scopes.iter().map(String::as_str).collect();
        // Seed the cache so the next get_token for these scopes needs no request.
        self.base.token(&scope_refs, &self.user, true, |_| Ok(token.clone()))
    }

    /// Signs in through the system browser: listens on `127.0.0.1` on a free
    /// port, calls `open_browser` with the authorize URL, waits (up to
    /// `loopback_timeout`) for the one redirect, shows a "you can close this
    /// window" page, and exchanges the code.
    pub fn run_loopback(&self, scopes: &[&str], open_browser: impl FnOnce(&str)) -> Result<AccessToken> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::io("cannot listen on 127.0.0.1 for the sign-in redirect", e))?;
        let port = listener.local_addr().map_err(|e| Error::io("cannot read the listening port", e))?.port();
        let request = self.authorize_url(&format!("http://127.0.0.1:{port}/"), scopes)?;
        tracing::debug!(port, "waiting for the sign-in redirect");
        open_browser(&request.url);
        let deadline = Instant::now() + self.loopback_timeout;
        listener.set_nonblocking(true).map_err(|e| Error::io("cannot configure the listener", e))?;
        loop {
            let (stream, _) = match listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(Error::new(ErrorKind::Timeout, "no sign-in redirect arrived in time")
                            .with_hint("Complete the sign-in in the browser, or raise loopback_timeout."));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                Err(e) => return Err(Error::io("accepting the sign-in redirect failed", e)),
            };
            if let Some(reply) = handle_redirect(stream, &request.state)? {
                let (code, state) = reply?;
                return self.exchange(&request, code.expose(), &state);
            }
        }
    }

    fn fetch(&self, scopes: &[String]) -> Result<AccessToken> {
        self.base.try_refresh_token(&self.refresh, scopes, self.client_secret.as_ref())?.ok_or_else(|| {
            Error::auth("the user has not signed in yet")
                .with_hint("Call run_loopback (desktop/CLI) or authorize_url + exchange (web) first.")
        })
    }
}

type Redirect = Result<(Secret, String)>;

/// Reads one HTTP request. `None` for requests that are not the redirect
/// (a browser's favicon request); else the code and state, or the error the
/// identity platform sent, after answering the browser.
fn handle_redirect(stream: TcpStream, expected_state: &str) -> Result<Option<Redirect>> {
    stream.set_nonblocking(false).map_err(|e| Error::io("cannot configure the redirect connection", e))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| Error::io("cannot configure the redirect connection", e))?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return Ok(None);
    }
    // Drain the headers so the browser sees a clean reply.
    let mut header = String::new();
    while reader.read_line(&mut header).map(|n| n > 2).unwrap_or(false) {
        header.clear();
    }
    let mut stream = reader.into_inner();
    let target = line.split_whitespace().nth(1).unwrap_or("");
    let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else { return Ok(None) };
    let get = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    let (code, state, error) = (get("code"), get("state"), get("error"));
    if code.is_none() && error.is_none() {
        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return Ok(None);
    }
    let ok = code.is_some() && state.as_deref() == Some(expected_state);
    let body = if ok {
        "<!doctype html><title>Signed in</title><p>You are signed in. You can close this window.</p>"
    } else {
        "<!doctype html><title>Sign-in failed</title><p>The sign-in did not succeed. You can close this window and try again.</p>"
    };
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
    if let Some(error) = error {
        let description = get("error_description").unwrap_or_default();
        let summary = description.lines().next().unwrap_or("").trim().to_owned();
        let text = if summary.is_empty() { error.clone() } else { summary };
        return Ok(Some(Err(Error::auth(format!("the sign-in failed: {text}")).with_code(error))));
    }
    Ok(Some(Ok((Secret::new(code.unwrap_or_default()), state.unwrap_or_default()))))
}

impl TokenCredential for AuthorizationCodeCredential {
    fn get_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.base.token(scopes, &self.user, false, |s| self.fetch(s))
    }

    fn get_fresh_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.base.token(scopes, &self.user, true, |s| self.fetch(s))
    }

    fn cached_token(&self, scopes: &[&str]) -> Option<AccessToken> {
        self.base.cached(scopes, &self.user)
    }

    fn default_scopes(&self) -> Vec<String> {
        self.base.default_scopes()
    }
}
