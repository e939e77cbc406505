//! Delegated flows: password, refresh token, authorization code + PKCE, device code.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{aadsts, client, decode_jwt, status_json, token, token_at};
use oauthmail_testkit::fixture::*;
use oauthmail_testkit::{Config, TestKit};

const IMAP_SCOPE: &str = "https://outlook.office365.com/IMAP.AccessAsUser.All offline_access";

fn password_form<'a>(user: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "password"),
        ("client_id", PUBLIC_APP_ID),
        ("username", user),
        ("password", password),
        ("scope", IMAP_SCOPE),
    ]
}

#[test]
fn password_grant_and_its_errors() {
    let kit = TestKit::start_default().unwrap();
    let (status, body) = token(&kit, &password_form(ALICE, ALICE_PASSWORD));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "https://outlook.office365.com/IMAP.AccessAsUser.All offline_access");
    assert!(body["refresh_token"].is_string());
    let (_, claims) = decode_jwt(body["access_token"].as_str().unwrap());
    assert_eq!(claims["scp"], "IMAP.AccessAsUser.All");
    assert_eq!(claims["preferred_username"], ALICE);
    assert_eq!(claims["upn"], ALICE);
    assert_eq!(claims["aud"], OUTLOOK_RESOURCE);
    assert_eq!(claims["appid"], PUBLIC_APP_ID);
    assert!(claims.get("roles").is_none());

    for (form, code) in [
        (password_form(ALICE, "wrong"), 50126),
        (password_form(MFA_USER, MFA_PASSWORD), 50076),
        (password_form("nobody@example.test", "x"), 50034),
    ] {
        let (status, body) = token(&kit, &form);
        assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_grant"), "{body}");
        assert_eq!(aadsts(&body), code);
    }
    // A public client must not send a secret.
    let mut form = password_form(ALICE, ALICE_PASSWORD);
    form.push(("client_secret", "x"));
    let (status, body) = token(&kit, &form);
    assert_eq!((status, aadsts(&body)), (401, 700025));
    // `organizations` works for user flows.
    let (status, body) = token_at(&kit, "organizations", &password_form(BOB, BOB_PASSWORD));
    assert_eq!(status, 200, "{body}");
    let (_, claims) = decode_jwt(body["access_token"].as_str().unwrap());
    assert_eq!(claims["tid"], TENANT_ID);
}

#[test]
fn refresh_tokens_rotate_expire_and_revoke() {
    let kit = TestKit::start_default().unwrap();
    let (_, body) = token(&kit, &password_form(ALICE, ALICE_PASSWORD));
    let first = body["refresh_token"].as_str().unwrap().to_string();
    let refresh = |rt: &str, scope: Option<&str>| {
        let mut form = vec![("grant_type", "refresh_token"), ("client_id", PUBLIC_APP_ID), ("refresh_token", rt)];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        token(&kit, &form)
    };
    let (status, body) = refresh(&first, None);
    assert_eq!(status, 200, "{body}");
    let second = body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    // The old one keeps working (documented), and the scope can move to another resource.
    let (status, body) = refresh(&first, Some("https://graph.microsoft.com/Mail.Send offline_access"));
    assert_eq!(status, 200, "{body}");
    let (_, claims) = decode_jwt(body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], GRAPH_RESOURCE);
    assert_eq!(claims["scp"], "Mail.Send");

    let (status, body) = refresh("garbage", None);
    assert_eq!((status, aadsts(&body)), (400, 9002313));

    kit.set_refresh_token_lifetime(0);
    let (_, body) = token(&kit, &password_form(ALICE, ALICE_PASSWORD));
    let short = body["refresh_token"].as_str().unwrap().to_string();
    let (status, body) = refresh(&short, None);
    assert_eq!((status, aadsts(&body)), (400, 700082));

    kit.revoke_refresh_tokens();
    let (status, body) = refresh(&second, None);
    assert_eq!((status, aadsts(&body)), (400, 70043));
}

fn pkce_pair() -> (String, String) {
    let verifier = "the-code-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()));
    (verifier.to_string(), challenge)
}

#[test]
fn authorization_code_with_pkce() {
    let kit = TestKit::start_default().unwrap();
    let http = client(&kit);
    let (verifier, challenge) = pkce_pair();
    let redirect = "http://127.0.0.1:45678/callback";
    let authorize_url = format!("{}/{TENANT_ID}/oauth2/v2.0/authorize", kit.authority());
    let authorize = |extra: &[(&str, &str)]| {
        let mut query = vec![
            ("client_id", PUBLIC_APP_ID),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("scope", IMAP_SCOPE),
            ("state", "st4te"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        query.extend_from_slice(extra);
        http.get(url::Url::parse_with_params(&authorize_url, &query).unwrap()).send().unwrap()
    };
    let resp = authorize(&[("login_hint", BOB)]);
    assert_eq!(resp.status().as_u16(), 302);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(redirect));
    let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "st4te");
    let code = params["code"].clone();

    let redeem = |verifier: &str| {
        token(
            &kit,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", PUBLIC_APP_ID),
                ("code", &code),
                ("redirect_uri", redirect),
                ("code_verifier", verifier),
            ],
        )
    };
    let (status, body) = redeem("wrong-verifier");
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_grant"));
    assert_eq!(aadsts(&body), 501481);
    let (status, body) = redeem(&verifier);
    assert_eq!(status, 200, "{body}");
    let (_, claims) = decode_jwt(body["access_token"].as_str().unwrap());
    assert_eq!(claims["preferred_username"], BOB);
    assert!(body["refresh_token"].is_string());
    let (status, body) = redeem(&verifier);
    assert_eq!((status, aadsts(&body)), (400, 54005));

    // Default user is alice; a redirect URI that is not registered is refused without redirecting.
    let resp = authorize(&[]);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.to_string();
    let (status, body) = token(
        &kit,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC_APP_ID),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &verifier),
        ],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(decode_jwt(body["access_token"].as_str().unwrap()).1["preferred_username"], ALICE);

    let resp = http
        .get(
            url::Url::parse_with_params(
                &authorize_url,
                &[
                    ("client_id", PUBLIC_APP_ID),
                    ("response_type", "code"),
                    ("redirect_uri", "https://evil.example/cb"),
                    ("scope", IMAP_SCOPE),
                ],
            )
            .unwrap(),
        )
        .send()
        .unwrap();
    let (status, body) = status_json(resp);
    assert_eq!((status, aadsts(&body)), (400, 50011));
}

fn device_code(kit: &TestKit) -> serde_json::Value {
    let resp = client(kit)
        .post(format!("{}/{TENANT_ID}/oauth2/v2.0/devicecode", kit.authority()))
        .form(&[("client_id", PUBLIC_APP_ID), ("scope", IMAP_SCOPE)])
        .send()
        .unwrap();
    let (status, body) = status_json(resp);
    assert_eq!(status, 200, "{body}");
    for field in ["device_code", "user_code", "verification_uri", "message"] {
        assert!(body[field].is_string(), "{field} in {body}");
    }
    assert!(body["expires_in"].is_u64() && body["interval"].is_u64());
    body
}

fn poll(kit: &TestKit, device_code: &str) -> (u16, serde_json::Value) {
    token(
        kit,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", PUBLIC_APP_ID),
            ("device_code", device_code),
        ],
    )
}

#[test]
fn device_code_flow_auto_and_manual() {
    let kit = TestKit::start_default().unwrap();
    // Default fixture: approved for alice after the first poll.
    let code = device_code(&kit);
    let dc = code["device_code"].as_str().unwrap();
    let (status, body) = poll(&kit, dc);
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "authorization_pending"));
    let (status, body) = poll(&kit, dc);
    assert_eq!(status, 200, "{body}");
    assert_eq!(decode_jwt(body["access_token"].as_str().unwrap()).1["preferred_username"], ALICE);
    let (status, _) = poll(&kit, dc);
    assert_eq!(status, 400, "a device code is redeemed once");

    // Manual approval through the HTTP control endpoint; polling too fast gets slow_down.
    kit.set_device_auto_approve(None);
    let code = device_code(&kit);
    let dc = code["device_code"].as_str().unwrap();
    assert_eq!(poll(&kit, dc).1["error"], "authorization_pending");
    assert_eq!(poll(&kit, dc).1["error"], "slow_down");
    let resp = client(&kit)
        .post(format!("{}/testkit/device/approve", kit.authority()))
        .json(&serde_json::json!({"user": BOB, "user_code": code["user_code"]}))
        .send()
        .unwrap();
    assert_eq!(status_json(resp).1["approved"], 1);
    let (status, body) = poll(&kit, dc);
    assert_eq!(status, 200, "{body}");
    assert_eq!(decode_jwt(body["access_token"].as_str().unwrap()).1["preferred_username"], BOB);

    let code = device_code(&kit);
    assert_eq!(kit.deny_device_code(), 1);
    let (status, body) = poll(&kit, code["device_code"].as_str().unwrap());
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "access_denied"));
}

#[test]
fn device_code_expires() {
    let kit = TestKit::start(Config::default_fixture().device_code_lifetime(0)).unwrap();
    let code = device_code(&kit);
    let (status, body) = poll(&kit, code["device_code"].as_str().unwrap());
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "expired_token"));
    assert_eq!(aadsts(&body), 70019);
}
