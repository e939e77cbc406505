//! The fake Microsoft identity platform: token, device code and authorize endpoints.

mod assertion;
mod authorize;
mod device;
pub(crate) mod errors;
mod grants;
pub(crate) mod scopes;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::config::{App, Config, Tenant, User};
use crate::http::{Request, Response};
use crate::pki::RsaKey;
use crate::tokens::{self, TokenRequest};
use errors::AadError;
use scopes::{BUILTIN_RESOURCES, Scopes};

const USER_FLOW_TENANTS: [&str; 3] = ["common", "organizations", "consumers"];

/// State of the identity platform of one kit.
pub(crate) struct Identity {
    config: Config,
    authority: String,
    key: RsaKey,
    /// Registered certificates (DER) per lower-cased client id.
    certificates: HashMap<String, Vec<Vec<u8>>>,
    token_lifetime: AtomicU64,
    refresh_lifetime: AtomicU64,
    codes: Mutex<HashMap<String, authorize::AuthCode>>,
    refresh_tokens: Mutex<HashMap<String, grants::RefreshGrant>>,
    devices: Mutex<Vec<device::DeviceGrant>>,
    auto_approve: Mutex<Option<String>>,
}

/// The tenant named in the URL: a registered one, or a multi-tenant alias (`common`).
#[derive(Clone, Copy)]
enum TenantRef<'a> {
    Registered(&'a Tenant),
    Alias(&'a str),
}

impl TenantRef<'_> {
    fn name(&self) -> &str {
        match self {
            TenantRef::Registered(t) => &t.id,
            TenantRef::Alias(a) => a,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Form parameters by name (first occurrence wins; empty values count as absent).
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    fn require(&self, name: &str) -> Result<&str, AadError> {
        self.get(name).ok_or_else(|| AadError::missing_parameter(name))
    }
}

impl Identity {
    pub fn new(
        config: Config,
        authority: String,
        key: RsaKey,
        certificates: HashMap<String, Vec<Vec<u8>>>,
    ) -> Identity {
        Identity {
            token_lifetime: AtomicU64::new(config.token_lifetime_secs),
            refresh_lifetime: AtomicU64::new(config.refresh_token_lifetime_secs),
            auto_approve: Mutex::new(config.device_code_auto_approve.clone()),
            config,
            authority,
            key,
            certificates,
            codes: Mutex::new(HashMap::new()),
            refresh_tokens: Mutex::new(HashMap::new()),
            devices: Mutex::new(Vec::new()),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn key(&self) -> &RsaKey {
        &self.key
    }

    pub fn set_token_lifetime(&self, secs: u64) {
        self.token_lifetime.store(secs, Ordering::SeqCst);
    }

    pub fn set_refresh_token_lifetime(&self, secs: u64) {
        self.refresh_lifetime.store(secs, Ordering::SeqCst);
    }

    pub fn set_device_auto_approve(&self, user: Option<&str>) {
        *lock(&self.auto_approve) = user.map(str::to_string);
    }

    /// Handles `/{tenant}/oauth2/v2.0/{token,devicecode,authorize}` and `/devicelogin`;
    /// None for any other path.
    pub fn handle(&self, req: &Request) -> Option<Response> {
        if req.path == "/devicelogin" {
            return Some(Response::text(
                200,
                "oauthmail test kit: device codes are approved by the test kit, not in a browser.",
            ));
        }
        let rest = req.path.strip_prefix('/')?;
        let (tenant, endpoint) = rest.split_once('/')?;
        if req.method == "GET" {
            match endpoint {
                "v2.0/.well-known/openid-configuration" => return Some(self.discovery(tenant)),
                "discovery/v2.0/keys" => return Some(Response::json(200, &json!({"keys": [self.key.jwk()]}))),
                _ => {}
            }
        }
        let endpoint = endpoint.strip_prefix("oauth2/v2.0/")?;
        let result = match (req.method.as_str(), endpoint) {
            ("POST", "token") => self.token(tenant, &Form(req.form())),
            ("POST", "devicecode") => self.device_code(tenant, &Form(req.form())),
            ("GET", "authorize") => return Some(self.authorize(tenant, req)),
            (_, "token" | "devicecode" | "authorize") => {
                return Some(Response::text(405, "method not allowed"));
            }
            _ => return None,
        };
        Some(match result {
            Ok(body) => Response::json(200, &body),
            Err(err) => err.to_response(),
        })
    }

    /// OpenID Connect discovery document, so OIDC/MSAL-style clients find the endpoints.
    fn discovery(&self, tenant_name: &str) -> Response {
        let tenant = match self.resolve_tenant(tenant_name) {
            Ok(t) => t,
            Err(e) => return e.to_response(),
        };
        let base = format!("{}/{}", self.authority, tenant_name);
        let issuer_tenant = match tenant {
            TenantRef::Registered(t) => t.id.clone(),
            TenantRef::Alias(_) => "{tenantid}".into(),
        };
        Response::json(
            200,
            &json!({
                "issuer": format!("{}/{issuer_tenant}/", self.config.issuer),
                "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
                "token_endpoint": format!("{base}/oauth2/v2.0/token"),
                "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
                "jwks_uri": format!("{base}/discovery/v2.0/keys"),
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "client_credentials", "password",
                    "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                "code_challenge_methods_supported": ["S256", "plain"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "tenant_region_scope": "WW",
            }),
        )
    }

    fn resolve_tenant<'a>(&'a self, name: &'a str) -> Result<TenantRef<'a>, AadError> {
        if let Some(alias) = USER_FLOW_TENANTS.iter().find(|a| a.eq_ignore_ascii_case(name)) {
            return Ok(TenantRef::Alias(alias));
        }
        self.config.find_tenant(name).map(TenantRef::Registered).ok_or_else(|| AadError::unknown_tenant(name))
    }

    /// Canonical tenant id of a configured name (id or domain).
    fn tenant_id(&self, name: &str) -> String {
        self.config.find_tenant(name).map_or_else(|| name.to_string(), |t| t.id.clone())
    }

    fn find_app(&self, client_id: &str, tenant: TenantRef<'_>) -> Result<&App, AadError> {
        let app = self.config.find_app(client_id).ok_or_else(|| AadError::unknown_app(client_id, tenant.name()))?;
        if let TenantRef::Registered(t) = tenant
            && self.tenant_id(&app.tenant) != t.id
        {
            return Err(AadError::unknown_app(client_id, &t.id));
        }
        if !app.consented {
            return Err(AadError::no_consent(&app.client_id, &app.display_name));
        }
        Ok(app)
    }

    /// A user of the tenant (any tenant for `common`/`organizations`).
    fn find_user(&self, username: &str, tenant: TenantRef<'_>) -> Result<&User, AadError> {
        let not_found = || {
            AadError::invalid_grant(
                50034,
                format!(
                    "The user account {{EUII Hidden}} does not exist in the {} directory. To sign \
                     into this application, the account must be added to the directory.",
                    tenant.name()
                ),
            )
        };
        let user = self.config.find_user(username).ok_or_else(not_found)?;
        match tenant {
            TenantRef::Registered(t) if self.tenant_id(&user.tenant) != t.id => Err(not_found()),
            _ => Ok(user),
        }
    }

    fn known_resource(&self, resource: &str) -> bool {
        BUILTIN_RESOURCES.iter().any(|r| r.eq_ignore_ascii_case(resource))
            || self.config.apps.iter().any(|a| a.roles.keys().any(|r| r.eq_ignore_ascii_case(resource)))
    }

    fn parse_scopes(&self, scope: &str, tenant: TenantRef<'_>) -> Result<Scopes, AadError> {
        scopes::parse(scope, &|r| self.known_resource(r), tenant.name())
    }

    /// Checks the client's credentials; returns `appidacr` ("0" public, "1" secret, "2" cert).
    fn authenticate_client(&self, app: &App, form: &Form, tenant: TenantRef<'_>) -> Result<&'static str, AadError> {
        let secret = form.get("client_secret");
        let assertion = form.get("client_assertion");
        if app.public_client {
            if secret.is_some() || assertion.is_some() {
                return Err(AadError::invalid_client(
                    700025,
                    "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
                ));
            }
            return Ok("0");
        }
        if let Some(assertion) = assertion {
            let kind = form.require("client_assertion_type")?;
            if kind != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
                return Err(AadError::invalid_request(
                    90014,
                    "The request body must contain the following parameter: 'client_assertion_type'.",
                ));
            }
            let certs =
                self.certificates.get(&app.client_id.to_ascii_lowercase()).map(Vec::as_slice).unwrap_or_default();
            assertion::verify(self, app, assertion, certs, tenant)?;
            return Ok("2");
        }
        if let Some(secret) = secret {
            return match app.secrets.iter().find(|s| s.value == secret) {
                Some(s) if s.expired => Err(AadError::invalid_client(
                    7000222,
                    format!(
                        "The provided client secret keys for app '{}' are expired. Visit the \
                         Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, \
                         or consider using certificate credentials for added security: \
                         https://aka.ms/certCreds.",
                        app.client_id
                    ),
                )),
                Some(_) => Ok("1"),
                None => Err(AadError::invalid_client(
                    7000215,
                    format!(
                        "Invalid client secret provided. Ensure the secret being sent in the \
                         request is the client secret value, not the client secret ID, for a \
                         secret added to app '{}'.",
                        app.client_id
                    ),
                )),
            };
        }
        Err(AadError::invalid_client(
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ))
    }

    /// Mints an access token as the kit's signing key.
    pub fn mint(&self, req: &TokenRequest) -> String {
        let name = self.config.find_app(&req.client_id).map_or(req.client_id.as_str(), |a| a.display_name.as_str());
        let claims = tokens::claims(&self.config.issuer, req, self.lifetime(), name);
        tokens::mint(&self.key, &claims)
    }

    fn lifetime(&self) -> i64 {
        self.token_lifetime.load(Ordering::SeqCst) as i64
    }

    /// A v2.0 success body.
    fn token_response(&self, req: &TokenRequest, scope: Option<String>, refresh: Option<String>) -> Value {
        let expires_in = req.expires_in.unwrap_or(self.lifetime());
        let mut body = json!({
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": self.mint(req),
        });
        if let Some(scope) = scope {
            body["scope"] = json!(scope);
        }
        if let Some(refresh) = refresh {
            body["refresh_token"] = json!(refresh);
        }
        body
    }

    /// A delegated token for `user`, with a refresh token when `offline_access` was asked for.
    fn issue_delegated(&self, app: &App, user: &User, scopes: &Scopes, client_auth: &str) -> Value {
        let req = TokenRequest {
            tenant: self.tenant_id(&user.tenant),
            client_id: app.client_id.clone(),
            audience: scopes.resource.clone(),
            user: Some(user.username.clone()),
            scp: scopes.delegated(),
            client_auth: client_auth.into(),
            ..TokenRequest::default()
        };
        let refresh = scopes.offline().then(|| self.new_refresh_token(app, user, scopes));
        self.token_response(&req, Some(scopes.granted(refresh.is_some())), refresh)
    }
}
