//! The device code flow: `/devicecode`, polling at `/token`, and approval by the test.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::errors::AadError;
use super::scopes::Scopes;
use super::{Form, Identity, TenantRef, lock};
use crate::config::App;
use crate::util::{random_bytes, random_token};

#[derive(Clone, Debug, PartialEq, Eq)]
enum DeviceState {
    Pending,
    Approved(String),
    Denied,
    Redeemed,
}

pub(crate) struct DeviceGrant {
    device_code: String,
    user_code: String,
    client_id: String,
    scopes: Scopes,
    created: Instant,
    lifetime: Duration,
    interval: Duration,
    last_poll: Option<Instant>,
    state: DeviceState,
}

/// Nine characters from an alphabet without look-alikes, like Microsoft's user codes.
fn user_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    random_bytes(9).iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

fn pending_error(error: &'static str, code: u32, description: &str) -> AadError {
    AadError::new(400, error, code, description)
}

impl Identity {
    pub(super) fn device_code(&self, tenant_name: &str, form: &Form) -> Result<Value, AadError> {
        let tenant = self.resolve_tenant(tenant_name)?;
        let app = self.find_app(form.require("client_id")?, tenant)?;
        let scopes = self.delegated_scopes(form.require("scope")?, tenant)?;
        let grant = DeviceGrant {
            device_code: random_token(),
            user_code: user_code(),
            client_id: app.client_id.clone(),
            scopes,
            created: Instant::now(),
            lifetime: Duration::from_secs(self.config.device_code_lifetime_secs),
            interval: Duration::from_secs(self.config.device_code_interval_secs),
            last_poll: None,
            state: DeviceState::Pending,
        };
        let verification_uri = format!("{}/devicelogin", self.authority);
        let body = json!({
            "device_code": grant.device_code,
            "user_code": grant.user_code,
            "verification_uri": verification_uri,
            "expires_in": self.config.device_code_lifetime_secs,
            "interval": self.config.device_code_interval_secs,
            "message": format!(
                "To sign in, use a web browser to open the page {verification_uri} and enter the code {} to authenticate.",
                grant.user_code
            ),
        });
        lock(&self.devices).push(grant);
        Ok(body)
    }

    pub(super) fn redeem_device_code(&self, app: &App, form: &Form, tenant: TenantRef<'_>) -> Result<Value, AadError> {
        let client_auth = self.authenticate_client(app, form, tenant)?;
        let code = form.require("device_code")?;
        let (username, scopes) = {
            let mut devices = lock(&self.devices);
            let invalid = || AadError::invalid_grant(70000, "Provided grant is invalid or malformed.");
            let grant = devices.iter_mut().find(|g| g.device_code == code).ok_or_else(invalid)?;
            if !grant.client_id.eq_ignore_ascii_case(&app.client_id) {
                return Err(invalid());
            }
            let now = Instant::now();
            if now.duration_since(grant.created) >= grant.lifetime {
                return Err(pending_error("expired_token", 70019, "Verification code expired."));
            }
            match grant.state.clone() {
                DeviceState::Denied => {
                    return Err(pending_error("access_denied", 65004, "User declined to consent to access the app."));
                }
                DeviceState::Redeemed => return Err(invalid()),
                DeviceState::Pending => {
                    if grant.last_poll.is_some_and(|t| now.duration_since(t) < grant.interval) {
                        return Err(pending_error(
                            "slow_down",
                            70016,
                            "OAuth 2.0 device flow error. Polling too fast; slow down.",
                        ));
                    }
                    grant.last_poll = Some(now);
                    if let Some(user) = lock(&self.auto_approve).clone() {
                        grant.state = DeviceState::Approved(user);
                    }
                    return Err(pending_error(
                        "authorization_pending",
                        70016,
                        "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                    ));
                }
                DeviceState::Approved(user) => {
                    grant.state = DeviceState::Redeemed;
                    (user, grant.scopes.clone())
                }
            }
        };
        let user = self.find_user(&username, tenant)?;
        Ok(self.issue_delegated(app, user, &scopes, client_auth))
    }

    /// Approves pending device codes (all, or the one with `user_code`) as `user`;
    /// returns how many were approved.
    pub fn approve_device_code(&self, user: &str, user_code: Option<&str>) -> usize {
        self.set_device_state(user_code, DeviceState::Approved(user.to_string()))
    }

    /// Denies pending device codes (all, or the one with `user_code`): polling gets `access_denied`.
    pub fn deny_device_code(&self, user_code: Option<&str>) -> usize {
        self.set_device_state(user_code, DeviceState::Denied)
    }

    fn set_device_state(&self, user_code: Option<&str>, state: DeviceState) -> usize {
        let mut n = 0;
        for grant in lock(&self.devices).iter_mut() {
            let selected = user_code.is_none_or(|c| c.eq_ignore_ascii_case(&grant.user_code));
            if selected && grant.state == DeviceState::Pending {
                grant.state = state.clone();
                n += 1;
            }
        }
        n
    }
}
