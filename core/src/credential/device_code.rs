use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use zeroize::Zeroize as _;

use super::base::{CredentialBase, RefreshState};
use super::endpoint::{Field, error_reply, parse_token_reply, post_form};
use super::options::CredentialOptions;
use super::{AccessToken, TokenCredential};
use crate::oauth_error::OAuthErrorResponse;
use crate::{Error, Result, Secret};

/// What to show the user: where to go and which code to enter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCodeInfo {
    pub user_code: String,
    pub verification_uri: String,
    /// The provider's ready-made instruction ("To sign in, use a web browser to open ...").
    pub message: String,
    /// How long the code stays valid.
    pub expires_in: Duration,
}

/// Called once per sign-in with the code the user must enter.
pub type DeviceCodeCallback = Arc<dyn Fn(&DeviceCodeInfo) + Send + Sync>;

/// A user signing in on another device (RFC 8628), for CLIs and headless
/// machines: the callback shows a code, the user enters it in a browser, and
/// `get_token` returns once they have signed in. Later tokens come from the
/// refresh token without asking again.
pub struct DeviceCodeCredential {
    base: CredentialBase,
    callback: DeviceCodeCallback,
    client_secret: Option<Secret>,
    user: String,
    refresh: RefreshState,
}

impl std::fmt::Debug for DeviceCodeCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCodeCredential").field("base", &self.base).field("user", &self.user).finish()
    }
}

#[derive(Deserialize)]
struct DeviceCodeResponse {
    device_code: String,
    user_code: String,
    /// Google calls it `verification_url`.
    #[serde(alias = "verification_url")]
    verification_uri: String,
    expires_in: u64,
    #[serde(default)]
    interval: Option<u64>,
    #[serde(default)]
    message: Option<String>,
}

impl DeviceCodeCredential {
    pub fn new(
        tenant_id: &str,
        client_id: &str,
        callback: impl Fn(&DeviceCodeInfo) + Send + Sync + 'static,
        options: CredentialOptions,
    ) -> Result<Self> {
        let base = CredentialBase::new(tenant_id, client_id, &options)?;
        // Device code URL problems (a custom authority without one) show up now.
        base.authority.device_code_url(&base.tenant_id)?;
        let user = options.login_hint.clone().unwrap_or_default();
        let refresh = RefreshState::new(None, &base, &user, &options)?;
        Ok(DeviceCodeCredential {
            base,
            callback: Arc::new(callback),
            client_secret: options.client_secret.clone(),
            user,
            refresh,
        })
    }

    fn fetch(&self, scopes: &[String]) -> Result<AccessToken> {
        if let Some(token) = self.base.try_refresh_token(&self.refresh, scopes, self.client_secret.as_ref())? {
            return Ok(token);
        }
        let scope = self.base.user_scopes(scopes);
        let url = self.base.authority.device_code_url(&self.base.tenant_id)?;
        tracing::debug!(url, "device code request");
        let mut resp = post_form(
            &self.base.http,
            &url,
            "device code request",
            &[Field::Plain("client_id", &self.base.client_id), Field::Plain("scope", &scope)],
        )?;
        if !(200..300).contains(&resp.status) {
            return Err(error_reply(&resp, &url));
        }
        let parsed = serde_json::from_slice::<DeviceCodeResponse>(&resp.body);
        resp.body.zeroize();
        let dc =
            parsed.map_err(|_| Error::protocol(format!("{url} sent a reply that is not a device code response")))?;
        let device_code = Secret::new(dc.device_code);
        // Bounded so that server values cannot overflow the deadline arithmetic.
        let expires_in = Duration::from_secs(dc.expires_in.min(86_400));
        let info = DeviceCodeInfo {
            message: dc.message.unwrap_or_else(|| {
                format!("To sign in, open {} and enter the code {}.", dc.verification_uri, dc.user_code)
            }),
            user_code: dc.user_code,
            verification_uri: dc.verification_uri,
            expires_in,
        };
        (self.callback)(&info);
        self.poll(&device_code, Duration::from_secs(dc.interval.unwrap_or(5).min(300)), Instant::now() + expires_in)
    }

    /// Polls until the user has signed in, declined, or the code expired.
    fn poll(&self, device_code: &Secret, mut interval: Duration, deadline: Instant) -> Result<AccessToken> {
        let expired = || {
            Error::auth("the device code expired before the sign-in was completed")
                .with_code("expired_token")
                .with_hint("Start again and enter the code within the time shown.")
        };
        loop {
            if Instant::now() + interval > deadline {
                return Err(expired());
            }
            std::thread::sleep(interval);
            let mut fields = vec![
                Field::Plain("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                Field::Plain("client_id", &self.base.client_id),
                Field::Secret("device_code", device_code),
            ];
            if let Some(s) = &self.client_secret {
                fields.push(Field::Secret("client_secret", s));
            }
            let requested = SystemTime::now();
            // Not `request_token`: "pending" replies are expected here, not errors.
            let mut resp = post_form(&self.base.http, &self.base.token_url, "token request", &fields)?;
            if (200..300).contains(&resp.status) {
                let token = parse_token_reply(&resp, &self.base.token_url);
                resp.body.zeroize();
                let token = token?;
                tracing::debug!("device code sign-in completed");
                return Ok(self.refresh.accept(&token, requested));
            }
            let pending = OAuthErrorResponse::parse(&resp.body).map(|e| e.error);
            match pending.as_deref() {
                Some("authorization_pending") => tracing::trace!("device code: authorization pending"),
                Some("slow_down") => {
                    // RFC 8628 3.5: add 5 seconds to the interval for this and later polls.
                    interval += Duration::from_secs(5);
                    tracing::debug!(interval_secs = interval.as_secs(), "device code: slow down");
                }
                Some("expired_token") => return Err(expired()),
                Some("access_denied") | Some("authorization_declined") => {
                    return Err(Error::auth("the user declined the sign-in")
                        .with_code("access_denied")
                        .with_hint("Sign in again and approve the request."));
                }
                _ => return Err(error_reply(&resp, &self.base.token_url)),
            }
        }
    }
}

impl TokenCredential for DeviceCodeCredential {
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

    fn may_prompt(&self) -> bool {
        true
    }
}
