//! Form posts to a token endpoint and their replies.

use std::time::{Duration, SystemTime};

use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use zeroize::{Zeroize as _, Zeroizing};

use super::AccessToken;
use crate::http::{HttpClient, HttpResponse};
use crate::oauth_error::OAuthErrorResponse;
use crate::{Error, ErrorKind, Result, Secret};

/// One form field; secret values are only ever put on the wire.
pub(crate) enum Field<'a> {
    Plain(&'static str, &'a str),
    Secret(&'static str, &'a Secret),
}

/// A successful token reply (`Debug` shows no token: they are `Secret`s).
#[derive(Debug)]
pub(crate) struct TokenResponse {
    pub access_token: Secret,
    pub expires_in: Duration,
    pub refresh_token: Option<Secret>,
}

impl TokenResponse {
    /// The access token, expiring `expires_in` after `requested`.
    pub fn access_token(&self, requested: SystemTime) -> AccessToken {
        AccessToken::new(self.access_token.clone(), requested + self.expires_in)
    }
}

#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: String,
    #[serde(default, deserialize_with = "number_or_string")]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// Some providers (Azure AD v1) send numbers as strings.
fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<u64>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    })
}

/// Posts `fields` as `application/x-www-form-urlencoded` and returns the
/// response, retried per the client's policy.
pub(crate) fn post_form(http: &HttpClient, url: &str, what: &str, fields: &[Field<'_>]) -> Result<HttpResponse> {
    let body = Zeroizing::new({
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for f in fields {
            match f {
                Field::Plain(k, v) => ser.append_pair(k, v),
                Field::Secret(k, v) => ser.append_pair(k, v.expose()),
            };
        }
        ser.finish()
    });
    http.send(what, |c| {
        c.post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body.as_str().to_owned())
    })
}

/// Posts a grant to the token endpoint and reads the token reply.
pub(crate) fn request_token(
    http: &HttpClient,
    token_url: &str,
    grant_type: &str,
    fields: &[Field<'_>],
) -> Result<TokenResponse> {
    tracing::debug!(url = token_url, grant_type, "token request");
    let mut all = vec![Field::Plain("grant_type", grant_type)];
    all.extend(fields.iter().map(|f| match f {
        Field::Plain(k, v) => Field::Plain(k, v),
        Field::Secret(k, v) => Field::Secret(k, v),
    }));
    let mut resp = post_form(http, token_url, "token request", &all)?;
    let result = parse_token_reply(&resp, token_url);
    resp.body.zeroize();
    match &result {
        Ok(t) => tracing::debug!(
            grant_type,
            expires_in = t.expires_in.as_secs(),
            refresh_token = t.refresh_token.is_some(),
            "token received"
        ),
        Err(e) => tracing::debug!(grant_type, status = resp.status, code = e.code(), "token request failed"),
    }
    result
}

/// The error for a non-2xx reply of an OAuth endpoint.
pub(crate) fn error_reply(resp: &HttpResponse, url: &str) -> Error {
    if let Some(oauth) = OAuthErrorResponse::parse(&resp.body) {
        let mut err = oauth.to_error(resp.status);
        if resp.status == 429 {
            err = err.with_kind(ErrorKind::Throttled);
        }
        if let Some(ra) = resp.retry_after() {
            err = err.with_retry_after(ra);
        }
        return err;
    }
    let kind = match resp.status {
        429 => ErrorKind::Throttled,
        500..=599 => ErrorKind::Network,
        _ => ErrorKind::Protocol,
    };
    let mut err = Error::new(kind, format!("{url} replied HTTP {} without an OAuth error", resp.status))
        .with_code(format!("HTTP {}", resp.status))
        .with_hint("Check that the authority or token URL points at an OAuth 2.0 token endpoint.");
    if let Some(ra) = resp.retry_after() {
        err = err.with_retry_after(ra);
    }
    err
}

pub(crate) fn parse_token_reply(resp: &HttpResponse, url: &str) -> Result<TokenResponse> {
    if !(200..300).contains(&resp.status) {
        return Err(error_reply(resp, url));
    }
    // Never quote the body: it holds tokens.
    let raw: RawTokenResponse = serde_json::from_slice(&resp.body)
        .map_err(|_| Error::protocol(format!("the token endpoint {url} sent a reply that is not a token response")))?;
    if raw.access_token.is_empty() {
        return Err(Error::protocol(format!("the token endpoint {url} sent an empty access token")));
    }
    Ok(TokenResponse {
        access_token: Secret::new(raw.access_token),
        // RFC 6749 recommends expires_in; without it assume the common hour.
        // Capped at a day so that absurd values cannot overflow time arithmetic.
        expires_in: Duration::from_secs(raw.expires_in.unwrap_or(3600).min(86_400)),
        refresh_token: raw.refresh_token.filter(|t| !t.is_empty()).map(Secret::new),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse { status, headers: HeaderMap::new(), body: body.as_bytes().to_vec() }
    }

    #[test]
    fn parses_success_with_string_expiry() {
        let t = parse_token_reply(&resp(200, r#"{"access_token":"at","expires_in":"120","refresh_token":"rt"}"#), "u")
            .unwrap();
        assert_eq!(t.access_token.expose(), "at");
        assert_eq!(t.expires_in, Duration::from_secs(120));
        assert_eq!(t.refresh_token.unwrap().expose(), "rt");
    }

    #[test]
    fn absurd_expiry_is_capped() {
        let t =
            parse_token_reply(&resp(200, r#"{"access_token":"at","expires_in":18446744073709551615}"#), "u").unwrap();
        assert_eq!(t.expires_in, Duration::from_secs(86_400));
        t.access_token(std::time::SystemTime::now());
    }

    #[test]
    fn malformed_reply_never_quotes_the_body() {
        let e = parse_token_reply(&resp(200, r#"{"access_token":"secret-at-123","#), "u").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(!format!("{e} {e:?}").contains("secret-at-123"));
    }

    #[test]
    fn error_replies() {
        let e = parse_token_reply(&resp(400, r#"{"error":"invalid_scope","error_codes":[70011]}"#), "u").unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Config, Some("AADSTS70011")));
        let e = parse_token_reply(&resp(503, "<html>down</html>"), "u").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Network);
        let mut r = resp(429, r#"{"error":"temporarily_unavailable"}"#);
        r.headers.insert(reqwest::header::RETRY_AFTER, "3".parse().unwrap());
        let e = parse_token_reply(&r, "u").unwrap_err();
        assert_eq!((e.kind(), e.retry_after()), (ErrorKind::Throttled, Some(Duration::from_secs(3))));
    }
}
