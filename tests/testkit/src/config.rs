//! Registered tenants, apps and users: from a JSON file (`serde`) or the builder methods.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fixture;

/// Everything the identity platform knows. `Config::default_fixture()` is what tests use.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub tenants: Vec<Tenant>,
    pub apps: Vec<App>,
    pub users: Vec<User>,
    /// Lifetime of access tokens (`expires_in`).
    pub token_lifetime_secs: u64,
    /// Lifetime of refresh tokens; past it a refresh gets AADSTS700082.
    pub refresh_token_lifetime_secs: u64,
    /// Issuer prefix; tokens carry `iss = "<issuer>/<tid>/"`.
    pub issuer: String,
    /// Polling interval the device code response asks for; polling faster gets `slow_down`.
    pub device_code_interval_secs: u64,
    /// Lifetime of a device code; past it polling gets `expired_token`.
    pub device_code_lifetime_secs: u64,
    /// Device codes are approved for this user after their first poll
    /// (None: only `approve_device_code` or `POST /testkit/device/approve` approves).
    pub device_code_auto_approve: Option<String>,
    /// Tolerated clock skew when checking a client assertion's `nbf`/`exp`.
    pub assertion_clock_skew_secs: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    pub id: String,
    /// Other names the tenant can be addressed by in URLs (`example.test`).
    #[serde(default)]
    pub domains: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct App {
    pub client_id: String,
    pub display_name: String,
    /// Home tenant; the app is unknown (AADSTS700016) in any other tenant.
    pub tenant: String,
    pub secrets: Vec<AppSecret>,
    /// Registered certificates for client assertions: PEM text or a path to a PEM file.
    pub certificates: Vec<String>,
    /// The kit generates an RSA certificate for this app at start and registers it.
    pub generate_certificate: bool,
    /// A public client needs no client authentication (password, device code, auth code flows).
    pub public_client: bool,
    /// App roles granted on each resource (`https://outlook.office365.com` -> `SMTP.SendAsApp`, ...).
    pub roles: BTreeMap<String, Vec<String>>,
    /// When false every token request for this app gets AADSTS65001 (no admin consent).
    #[serde(default = "yes")]
    pub consented: bool,
    /// Test-only binding of the app to one mailbox: app tokens then carry
    /// `preferred_username = mailbox`, because Dovecot matches a claim against the SASL user and
    /// real Exchange app tokens have no per-mailbox claim (Exchange uses RBAC scopes instead).
    pub mailbox: Option<String>,
    /// Allowed redirect URIs. `http://127.0.0.1` and `http://localhost` entries match any port
    /// and any path below theirs, like Entra's loopback rule.
    pub redirect_uris: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSecret {
    pub value: String,
    #[serde(default)]
    pub expired: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub username: String,
    pub password: String,
    pub tenant: String,
    #[serde(default)]
    pub display_name: String,
    /// The password grant fails with AADSTS50076 (interactive flows still work).
    #[serde(default)]
    pub mfa_required: bool,
    /// Other addresses this user may send as (SMTP MAIL FROM); any other gets SendAsDenied.
    #[serde(default)]
    pub send_as: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tenants: Vec::new(),
            apps: Vec::new(),
            users: Vec::new(),
            token_lifetime_secs: 3599,
            refresh_token_lifetime_secs: 90 * 86_400,
            issuer: "https://sts.testkit.local".into(),
            device_code_interval_secs: 1,
            device_code_lifetime_secs: 900,
            device_code_auto_approve: None,
            assertion_clock_skew_secs: 300,
        }
    }
}

impl Config {
    /// An empty configuration (no tenants, apps or users).
    pub fn new() -> Config {
        Config::default()
    }

    /// The shared fixture documented in the README and in `fixture`.
    pub fn default_fixture() -> Config {
        use fixture::*;
        let outlook_roles = OUTLOOK_APP_ROLES.iter().map(|r| r.to_string()).collect();
        let graph_roles = GRAPH_APP_ROLES.iter().map(|r| r.to_string()).collect();
        let confidential = App::confidential(CONFIDENTIAL_APP_ID, TENANT_ID)
            .display_name("oauthmail test app")
            .secret(CONFIDENTIAL_APP_SECRET)
            .expired_secret(EXPIRED_SECRET)
            .roles(OUTLOOK_RESOURCE, outlook_roles)
            .roles(GRAPH_RESOURCE, graph_roles);
        let mut cert_app = App::confidential(CERT_APP_ID, TENANT_ID)
            .display_name("oauthmail certificate app")
            .roles(OUTLOOK_RESOURCE, OUTLOOK_APP_ROLES.iter().map(|r| r.to_string()).collect())
            .roles(GRAPH_RESOURCE, GRAPH_APP_ROLES.iter().map(|r| r.to_string()).collect());
        cert_app.generate_certificate = true;
        Config::new()
            .tenant(TENANT_ID, &[TENANT_DOMAIN])
            .app(confidential)
            .app(cert_app)
            .app(
                App::public(PUBLIC_APP_ID, TENANT_ID)
                    .display_name("oauthmail public client")
                    .redirect_uri("http://127.0.0.1")
                    .redirect_uri("http://localhost"),
            )
            .app(
                App::confidential(NOROLES_APP_ID, TENANT_ID)
                    .display_name("oauthmail app without roles")
                    .secret(NOROLES_APP_SECRET),
            )
            .user(User::new(ALICE, ALICE_PASSWORD, TENANT_ID).display_name("Alice Example"))
            .user(User::new(BOB, BOB_PASSWORD, TENANT_ID).display_name("Bob Example"))
            .user(User::new(MFA_USER, MFA_PASSWORD, TENANT_ID).mfa_required())
            .device_code_auto_approve(ALICE)
    }

    /// Reads a JSON config file (same field names as this struct).
    pub fn from_json(text: &str) -> Result<Config, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn tenant(mut self, id: &str, domains: &[&str]) -> Config {
        self.tenants.push(Tenant { id: id.into(), domains: domains.iter().map(|d| d.to_string()).collect() });
        self
    }

    pub fn app(mut self, app: App) -> Config {
        self.apps.push(app);
        self
    }

    pub fn user(mut self, user: User) -> Config {
        self.users.push(user);
        self
    }

    pub fn token_lifetime(mut self, secs: u64) -> Config {
        self.token_lifetime_secs = secs;
        self
    }

    pub fn refresh_token_lifetime(mut self, secs: u64) -> Config {
        self.refresh_token_lifetime_secs = secs;
        self
    }

    pub fn device_code_interval(mut self, secs: u64) -> Config {
        self.device_code_interval_secs = secs;
        self
    }

    pub fn device_code_lifetime(mut self, secs: u64) -> Config {
        self.device_code_lifetime_secs = secs;
        self
    }

    pub fn device_code_auto_approve(mut self, user: &str) -> Config {
        self.device_code_auto_approve = Some(user.into());
        self
    }

    pub fn manual_device_code_approval(mut self) -> Config {
        self.device_code_auto_approve = None;
        self
    }

    /// Changes one registered app in place (e.g. withdraw consent in a test).
    pub fn modify_app(mut self, client_id: &str, change: impl FnOnce(&mut App)) -> Config {
        if let Some(app) = self.apps.iter_mut().find(|a| a.client_id == client_id) {
            change(app);
        }
        self
    }

    /// Changes one registered user in place.
    pub fn modify_user(mut self, username: &str, change: impl FnOnce(&mut User)) -> Config {
        if let Some(user) = self.users.iter_mut().find(|u| u.username.eq_ignore_ascii_case(username)) {
            change(user);
        }
        self
    }

    pub(crate) fn find_tenant(&self, name: &str) -> Option<&Tenant> {
        self.tenants
            .iter()
            .find(|t| t.id.eq_ignore_ascii_case(name) || t.domains.iter().any(|d| d.eq_ignore_ascii_case(name)))
    }

    pub(crate) fn find_app(&self, client_id: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    }

    pub(crate) fn find_user(&self, username: &str) -> Option<&User> {
        self.users.iter().find(|u| u.username.eq_ignore_ascii_case(username))
    }
}

impl App {
    /// A confidential client (needs a secret or certificate) registered in `tenant`.
    pub fn confidential(client_id: &str, tenant: &str) -> App {
        App {
            client_id: client_id.into(),
            display_name: client_id.into(),
            tenant: tenant.into(),
            consented: true,
            ..App::default()
        }
    }

    /// A public client (no client authentication).
    pub fn public(client_id: &str, tenant: &str) -> App {
        App { public_client: true, ..App::confidential(client_id, tenant) }
    }

    pub fn display_name(mut self, name: &str) -> App {
        self.display_name = name.into();
        self
    }

    pub fn secret(mut self, value: &str) -> App {
        self.secrets.push(AppSecret { value: value.into(), expired: false });
        self
    }

    pub fn expired_secret(mut self, value: &str) -> App {
        self.secrets.push(AppSecret { value: value.into(), expired: true });
        self
    }

    /// Registers a certificate (PEM text or path) for client assertions.
    pub fn certificate(mut self, pem_or_path: &str) -> App {
        self.certificates.push(pem_or_path.into());
        self
    }

    pub fn roles(mut self, resource: &str, roles: Vec<String>) -> App {
        self.roles.insert(resource.trim_end_matches('/').into(), roles);
        self
    }

    pub fn not_consented(mut self) -> App {
        self.consented = false;
        self
    }

    pub fn mailbox(mut self, mailbox: &str) -> App {
        self.mailbox = Some(mailbox.into());
        self
    }

    pub fn redirect_uri(mut self, uri: &str) -> App {
        self.redirect_uris.push(uri.into());
        self
    }
}

impl User {
    pub fn new(username: &str, password: &str, tenant: &str) -> User {
        User {
            username: username.into(),
            password: password.into(),
            tenant: tenant.into(),
            display_name: username.into(),
            mfa_required: false,
            send_as: Vec::new(),
        }
    }

    pub fn display_name(mut self, name: &str) -> User {
        self.display_name = name.into();
        self
    }

    pub fn mfa_required(mut self) -> User {
        self.mfa_required = true;
        self
    }

    pub fn send_as(mut self, address: &str) -> User {
        self.send_as.push(address.into());
        self
    }
}
