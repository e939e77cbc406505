//! Where tokens come from: a Microsoft cloud (or anything with the same v2
//! endpoint layout, such as the test kit), Google, or a fixed token URL.

use url::Url;

use crate::{Error, Result};

/// Microsoft's public cloud.
pub const MICROSOFT_PUBLIC: &str = "https://login.microsoftonline.com";
/// The US Government clouds (GCC High and DoD share the sign-in host).
pub const MICROSOFT_US_GOVERNMENT: &str = "https://login.microsoftonline.us";
/// The China cloud operated by 21Vianet (also `login.partner.microsoftonline.cn`).
pub const MICROSOFT_CHINA: &str = "https://login.chinacloudapi.cn";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_DEVICE_CODE_URL: &str = "https://oauth2.googleapis.com/device/code";
pub const GOOGLE_AUTHORIZE_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Exchange Online in the public cloud; `.default` asks for the app's granted permissions.
pub const OFFICE365_SCOPE: &str = "https://outlook.office365.com/.default";
pub const GMAIL_SCOPE: &str = "https://mail.google.com/";

/// The identity platform a credential talks to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Authority {
    /// Microsoft-style: `{base}/{tenant}/oauth2/v2.0/{token,devicecode,authorize}`.
    Microsoft { base_url: String },
    /// Google's fixed endpoints; the tenant is ignored.
    Google,
    /// A provider with fixed endpoint URLs; the tenant is ignored.
    Custom { token_url: String, device_code_url: Option<String>, authorize_url: Option<String> },
}

impl Default for Authority {
    fn default() -> Self {
        Authority::microsoft_public()
    }
}

impl Authority {
    pub fn microsoft_public() -> Self {
        Authority::Microsoft { base_url: MICROSOFT_PUBLIC.into() }
    }
    pub fn microsoft_us_government() -> Self {
        Authority::Microsoft { base_url: MICROSOFT_US_GOVERNMENT.into() }
    }
    pub fn microsoft_china() -> Self {
        Authority::Microsoft { base_url: MICROSOFT_CHINA.into() }
    }
    pub fn google() -> Self {
        Authority::Google
    }

    /// A Microsoft-style identity platform at `base_url` (e.g. the test kit's
    /// `https://127.0.0.1:PORT`, or `AZURE_AUTHORITY_HOST`).
    pub fn microsoft(base_url: &str) -> Result<Self> {
        let url = checked_url(base_url)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!("the authority URL '{base_url}' must not have a query or fragment")));
        }
        Ok(Authority::Microsoft { base_url: url.as_str().trim_end_matches('/').to_owned() })
    }

    /// A fixed token endpoint for any standard OAuth 2.0 provider.
    pub fn custom(token_url: &str) -> Result<Self> {
        Ok(Authority::Custom {
            token_url: checked_url(token_url)?.to_string(),
            device_code_url: None,
            authorize_url: None,
        })
    }

    /// Adds device-code and authorize endpoints to a custom authority.
    pub fn with_endpoints(self, device_code_url: Option<&str>, authorize_url: Option<&str>) -> Result<Self> {
        match self {
            Authority::Custom { token_url, .. } => Ok(Authority::Custom {
                token_url,
                device_code_url: device_code_url.map(|u| checked_url(u).map(String::from)).transpose()?,
                authorize_url: authorize_url.map(|u| checked_url(u).map(String::from)).transpose()?,
            }),
            _ => Err(Error::config("only a custom authority takes explicit endpoint URLs")),
        }
    }

    /// What users type: empty (public cloud), `google`, a Microsoft cloud
    /// name, a base URL, or a full token URL (a path ending in `/token`).
    pub fn parse(value: &str) -> Result<Self> {
        let v = value.trim();
        match v.to_ascii_lowercase().as_str() {
            "" | "public" | "azurepubliccloud" => return Ok(Authority::microsoft_public()),
            "usgovernment" | "azureusgovernment" | "gcchigh" | "dod" => return Ok(Authority::microsoft_us_government()),
            "china" | "azurechina" | "azurechinacloud" => return Ok(Authority::microsoft_china()),
            "google" | "gmail" => return Ok(Authority::Google),
            _ => {}
        }
        if v.eq_ignore_ascii_case(GOOGLE_TOKEN_URL) {
            return Ok(Authority::Google);
        }
        let url = checked_url(v)?;
        if url.path().trim_end_matches('/').ends_with("/token") {
            Authority::custom(v)
        } else {
            Authority::microsoft(v)
        }
    }

    pub fn is_microsoft(&self) -> bool {
        matches!(self, Authority::Microsoft { .. })
    }

    pub fn token_url(&self, tenant: &str) -> Result<String> {
        match self {
            Authority::Microsoft { base_url } => {
                Ok(format!("{base_url}/{}/oauth2/v2.0/token", checked_tenant(tenant)?))
            }
            Authority::Google => Ok(GOOGLE_TOKEN_URL.into()),
            Authority::Custom { token_url, .. } => Ok(token_url.clone()),
        }
    }

    pub fn device_code_url(&self, tenant: &str) -> Result<String> {
        match self {
            Authority::Microsoft { base_url } => {
                Ok(format!("{base_url}/{}/oauth2/v2.0/devicecode", checked_tenant(tenant)?))
            }
            Authority::Google => Ok(GOOGLE_DEVICE_CODE_URL.into()),
            Authority::Custom { device_code_url, .. } => device_code_url.clone().ok_or_else(|| {
                Error::config("this authority has no device code endpoint")
                    .with_hint("Give the provider's device authorization URL with Authority::with_endpoints.")
            }),
        }
    }

    pub fn authorize_url(&self, tenant: &str) -> Result<String> {
        match self {
            Authority::Microsoft { base_url } => {
                Ok(format!("{base_url}/{}/oauth2/v2.0/authorize", checked_tenant(tenant)?))
            }
            Authority::Google => Ok(GOOGLE_AUTHORIZE_URL.into()),
            Authority::Custom { authorize_url, .. } => authorize_url.clone().ok_or_else(|| {
                Error::config("this authority has no authorization endpoint")
                    .with_hint("Give the provider's authorization URL with Authority::with_endpoints.")
            }),
        }
    }

    /// The mail scope a credential asks for when none is given.
    pub fn default_scope(&self) -> &'static str {
        match self {
            Authority::Google => GMAIL_SCOPE,
            Authority::Microsoft { base_url } if base_url.ends_with(".us") => "https://outlook.office365.us/.default",
            Authority::Microsoft { base_url } if base_url.ends_with(".cn") => "https://partner.outlook.cn/.default",
            _ => OFFICE365_SCOPE,
        }
    }

    /// A stable text that identifies this authority in cache keys.
    pub fn cache_id(&self) -> String {
        match self {
            Authority::Microsoft { base_url } => base_url.clone(),
            Authority::Google => GOOGLE_TOKEN_URL.into(),
            Authority::Custom { token_url, .. } => token_url.clone(),
        }
    }
}

/// An `https` URL, or `http` to a loopback address (local development only):
/// credentials are never sent in clear over a network.
fn checked_url(value: &str) -> Result<Url> {
    let url = Url::parse(value.trim()).map_err(|e| Error::config(format!("invalid authority URL '{value}': {e}")))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(Error::config(format!("the authority URL '{value}' must use https"))
                .with_hint("Tokens and secrets are only sent over TLS; use an https:// URL."));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config("the authority URL must not contain credentials"));
    }
    Ok(url)
}

/// Tenant ids, domains, `common`, `organizations`, `consumers`: one path segment.
fn checked_tenant(tenant: &str) -> Result<&str> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 256
        && tenant.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        && tenant != "."
        && tenant != "..";
    if ok {
        Ok(tenant)
    } else {
        Err(Error::config(format!("invalid tenant '{}'", tenant.escape_debug()))
            .with_hint("Use the directory (tenant) ID, a verified domain, 'organizations' or 'common'."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_endpoints() {
        let a = Authority::default();
        assert_eq!(
            a.token_url("contoso.com").unwrap(),
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"
        );
        assert_eq!(
            a.device_code_url("common").unwrap(),
            "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode"
        );
        assert_eq!(
            a.authorize_url("organizations").unwrap(),
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"
        );
        let kit = Authority::parse("https://127.0.0.1:4443/").unwrap();
        assert_eq!(kit.token_url("t").unwrap(), "https://127.0.0.1:4443/t/oauth2/v2.0/token");
        assert_eq!(kit.default_scope(), OFFICE365_SCOPE);
    }

    #[test]
    fn clouds_and_scopes() {
        assert_eq!(Authority::parse("").unwrap(), Authority::microsoft_public());
        assert_eq!(Authority::parse("https://login.microsoftonline.us").unwrap(), Authority::microsoft_us_government());
        assert_eq!(Authority::microsoft_us_government().default_scope(), "https://outlook.office365.us/.default");
        assert_eq!(Authority::parse("China").unwrap(), Authority::microsoft_china());
        assert_eq!(Authority::microsoft_china().default_scope(), "https://partner.outlook.cn/.default");
        let g = Authority::parse("google").unwrap();
        assert_eq!(g.token_url("ignored").unwrap(), GOOGLE_TOKEN_URL);
        assert_eq!(g.device_code_url("x").unwrap(), GOOGLE_DEVICE_CODE_URL);
        assert_eq!(g.authorize_url("x").unwrap(), GOOGLE_AUTHORIZE_URL);
        assert_eq!(g.default_scope(), GMAIL_SCOPE);
        assert_eq!(Authority::parse(GOOGLE_TOKEN_URL).unwrap(), Authority::Google);
    }

    #[test]
    fn custom_token_url() {
        let a = Authority::parse("https://idp.example/realms/x/protocol/openid-connect/token").unwrap();
        assert_eq!(a.token_url("anything").unwrap(), "https://idp.example/realms/x/protocol/openid-connect/token");
        assert_eq!(a.device_code_url("t").unwrap_err().kind(), crate::ErrorKind::Config);
        let a = a.with_endpoints(Some("https://idp.example/device"), None).unwrap();
        assert_eq!(a.device_code_url("t").unwrap(), "https://idp.example/device");
    }

    #[test]
    fn rejects_unsafe_input() {
        assert!(Authority::parse("http://login.example.com").is_err());
        assert!(Authority::parse("http://127.0.0.1:8080").is_ok());
        assert!(Authority::parse("not a url").is_err());
        assert!(Authority::parse("https://user:pw@idp.example/token").is_err());
        let a = Authority::default();
        for bad in ["", "../x", "a/b", "a?b", "..", "t#x"] {
            assert_eq!(a.token_url(bad).unwrap_err().kind(), crate::ErrorKind::Config, "{bad}");
        }
    }
}
