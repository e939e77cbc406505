//! Client credentials with secrets and certificate assertions, and the errors around them.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{aadsts, decode_jwt, token, token_at};
use oauthmail_testkit::fixture::*;
use oauthmail_testkit::{App, Config, TestKit};
use rsa::pkcs8::DecodePrivateKey;
use serde_json::json;

fn secret_form<'a>(client_id: &'a str, secret: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret), ("scope", scope)]
}

#[test]
fn secret_grant_issues_signed_app_token() {
    let kit = TestKit::start_default().unwrap();
    let (status, body) = token(
        &kit,
        &secret_form(CONFIDENTIAL_APP_ID, CONFIDENTIAL_APP_SECRET, "https://outlook.office365.com/.default"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert!(body.get("refresh_token").is_none());
    let access = body["access_token"].as_str().unwrap();
    let (header, claims) = decode_jwt(access);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["aud"], OUTLOOK_RESOURCE);
    assert_eq!(claims["tid"], TENANT_ID);
    assert_eq!(claims["appid"], CONFIDENTIAL_APP_ID);
    assert_eq!(claims["iss"], kit.issuer(TENANT_ID));
    assert_eq!(claims["roles"], json!(OUTLOOK_APP_ROLES));
    assert!(claims.get("scp").is_none());
    assert!(claims.get("preferred_username").is_none());
    let verified = kit.verify_token(access, &[OUTLOOK_RESOURCE]).unwrap();
    assert_eq!(verified["appid"], CONFIDENTIAL_APP_ID);
    assert!(kit.verify_token(access, &[GRAPH_RESOURCE]).is_err());
    let mut tampered = access.to_string();
    tampered.replace_range(tampered.len() - 4.., "AAAA");
    assert!(kit.verify_token(&tampered, &[OUTLOOK_RESOURCE]).is_err());

    // Graph roles, tenant addressed by domain.
    let (status, body) = token_at(
        &kit,
        TENANT_DOMAIN,
        &secret_form(CONFIDENTIAL_APP_ID, CONFIDENTIAL_APP_SECRET, "https://graph.microsoft.com/.default"),
    );
    assert_eq!(status, 200, "{body}");
    let (_, claims) = decode_jwt(body["access_token"].as_str().unwrap());
    assert_eq!(claims["roles"], json!(GRAPH_APP_ROLES));
    assert_eq!(kit.token_requests(), 2);
}

#[test]
fn secret_grant_errors_have_microsoft_codes() {
    let kit = TestKit::start_default().unwrap();
    let outlook = "https://outlook.office365.com/.default";
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str, u64);
    let cases: Vec<Case> = vec![
        (secret_form(CONFIDENTIAL_APP_ID, "wrong", outlook), 401, "invalid_client", 7000215),
        (secret_form(CONFIDENTIAL_APP_ID, EXPIRED_SECRET, outlook), 401, "invalid_client", 7000222),
        (secret_form("99999999-9999-9999-9999-999999999999", "x", outlook), 400, "unauthorized_client", 700016),
        (
            secret_form(CONFIDENTIAL_APP_ID, CONFIDENTIAL_APP_SECRET, "https://outlook.office365.com/SMTP.Send"),
            400,
            "invalid_scope",
            70011,
        ),
        (
            secret_form(CONFIDENTIAL_APP_ID, CONFIDENTIAL_APP_SECRET, "https://unknown.example/.default"),
            400,
            "invalid_resource",
            500011,
        ),
        (
            vec![("grant_type", "client_credentials"), ("client_id", CONFIDENTIAL_APP_ID), ("scope", outlook)],
            401,
            "invalid_client",
            7000218,
        ),
        (vec![("client_id", CONFIDENTIAL_APP_ID)], 400, "invalid_request", 900144),
    ];
    for (form, status, error, code) in cases {
        let (got_status, body) = token(&kit, &form);
        assert_eq!((got_status, body["error"].as_str().unwrap()), (status, error), "{form:?}: {body}");
        assert_eq!(aadsts(&body), code, "{form:?}");
    }
    let (status, body) =
        token_at(&kit, "no-such-tenant.example", &secret_form(CONFIDENTIAL_APP_ID, CONFIDENTIAL_APP_SECRET, outlook));
    assert_eq!(status, 400);
    assert_eq!(aadsts(&body), 90002);
    assert_eq!(kit.token_requests(), 8);
}

#[test]
fn app_without_roles_or_consent() {
    let config = Config::default_fixture()
        .modify_app(CONFIDENTIAL_APP_ID, |app| app.consented = false)
        .app(App::confidential("66666666-6666-6666-6666-666666666666", TENANT_ID).secret("s").mailbox(ALICE));
    let kit = TestKit::start(config).unwrap();
    let outlook = "https://outlook.office365.com/.default";
    let (status, body) = token(&kit, &secret_form(NOROLES_APP_ID, NOROLES_APP_SECRET, outlook));
    assert_eq!(status, 200, "{body}");
    let (_, claims) = decode_jwt(body["access_token"].as_str().unwrap());
    assert!(claims.get("roles").is_none(), "{claims}");

    let (status, body) = token(&kit, &secret_form(CONFIDENTIAL_APP_ID, CONFIDENTIAL_APP_SECRET, outlook));
    assert_eq!(status, 400);
    assert_eq!(aadsts(&body), 65001);

    // The test-only mailbox binding shows up as preferred_username.
    let (status, body) = token(&kit, &secret_form("66666666-6666-6666-6666-666666666666", "s", outlook));
    assert_eq!(status, 200, "{body}");
    let (_, claims) = decode_jwt(body["access_token"].as_str().unwrap());
    assert_eq!(claims["preferred_username"], ALICE);
}

/// A client assertion as MSAL builds it, signed with `key_pem`.
fn assertion(key_pem: &str, aud: &str, exp_offset: i64, x5t: Option<&str>) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let mut header = json!({"alg": "RS256", "typ": "JWT"});
    if let Some(x5t) = x5t {
        header["x5t"] = json!(x5t);
    }
    let claims = json!({
        "aud": aud, "iss": CERT_APP_ID, "sub": CERT_APP_ID, "jti": "1",
        "nbf": now - 10, "iat": now - 10, "exp": now + exp_offset,
    });
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(key_pem).unwrap();
    let pkcs8 = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&key).unwrap();
    let signer = ring::signature::RsaKeyPair::from_pkcs8(pkcs8.as_bytes()).unwrap();
    let mut sig = vec![0u8; signer.public().modulus_len()];
    signer
        .sign(&ring::signature::RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), input.as_bytes(), &mut sig)
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

#[test]
fn certificate_assertions_are_verified() {
    let kit = TestKit::start_default().unwrap();
    let cert_app = kit.cert_app().unwrap().clone();
    let key_pem = std::fs::read_to_string(&cert_app.key_path).unwrap();
    assert!(std::fs::read_to_string(&cert_app.pem_path).unwrap().contains("BEGIN CERTIFICATE"));
    let aud = kit.token_url(TENANT_ID);
    let post = |assertion: &str| {
        token(
            &kit,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CERT_APP_ID),
                ("scope", "https://outlook.office365.com/.default"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", assertion),
            ],
        )
    };
    let good = assertion(&key_pem, &aud, 600, Some(&cert_app.thumbprint_sha1));
    let (status, body) = post(&good);
    assert_eq!(status, 200, "{body}");
    let (_, claims) = decode_jwt(body["access_token"].as_str().unwrap());
    assert_eq!(claims["appidacr"], "2");
    assert_eq!(claims["roles"], json!(OUTLOOK_APP_ROLES));

    // Without x5t the kit tries every registered certificate.
    let (status, _) = post(&assertion(&key_pem, &aud, 600, None));
    assert_eq!(status, 200);

    // Expired beyond the clock skew.
    let (status, body) = post(&assertion(&key_pem, &aud, -3600, Some(&cert_app.thumbprint_sha1)));
    assert_eq!((status, aadsts(&body)), (401, 700024));

    // Addressed to another endpoint.
    let (status, body) = post(&assertion(&key_pem, "https://login.example/x/oauth2/v2.0/token", 600, None));
    assert_eq!((status, aadsts(&body)), (401, 700212));

    // Signed by a key that is not the registered certificate's.
    let other = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let other_pem = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&other, rsa::pkcs8::LineEnding::LF).unwrap();
    let (status, body) = post(&assertion(&other_pem, &aud, 600, Some(&cert_app.thumbprint_sha1)));
    assert_eq!((status, aadsts(&body)), (401, 700027));

    // Garbage.
    let (status, body) = post("not-a-jwt");
    assert_eq!((status, aadsts(&body)), (401, 50027));
}

#[test]
fn config_file_registers_certificates() {
    let kit = TestKit::start_default().unwrap();
    let cert_path = kit.cert_app().unwrap().cert_path.to_str().unwrap().to_string();
    let json = json!({
        "tenants": [{"id": TENANT_ID}],
        "apps": [{"client_id": CERT_APP_ID, "tenant": TENANT_ID, "certificates": [cert_path],
                  "roles": {"https://outlook.office365.com": ["SMTP.SendAsApp"]}}],
        "token_lifetime_secs": 60
    });
    let config = Config::from_json(&json.to_string()).unwrap();
    assert_eq!(config.apps[0].certificates.len(), 1);
    let second = TestKit::start(config).unwrap();
    let key_pem = std::fs::read_to_string(&kit.cert_app().unwrap().key_path).unwrap();
    let (status, body) = token(
        &second,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CERT_APP_ID),
            ("scope", "https://outlook.office365.com/.default"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", &assertion(&key_pem, &second.token_url(TENANT_ID), 600, None)),
        ],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 60);
    assert!(Config::from_json(r#"{"tenants": [], "bogus": 1}"#).is_err());
}
