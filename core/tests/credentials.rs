//! Every credential type against the test kit's identity platform: success,
//! the AADSTS failures users meet, caching, single flight, refresh before
//! expiry, retries with Retry-After and no retries on 4xx.

mod common;

use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use common::{Fault, TestKit, browser, fixture, options, start_kit};
use oauthmail::credential::{CredentialOptions, DeviceCodeInfo, TokenCache};
use oauthmail::http::RetryPolicy;
use oauthmail::{
    AuthorizationCodeCredential, ClientCertificateCredential, ClientSecretCredential, DeviceCodeCredential, ErrorKind,
    RefreshTokenCredential, TokenCredential, UsernamePasswordCredential,
};

const OUTLOOK_DEFAULT: &str = "https://outlook.office365.com/.default";
const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";

fn secret_credential(secret: &str, opts: CredentialOptions) -> ClientSecretCredential {
    ClientSecretCredential::new(fixture::TENANT_ID, fixture::CONFIDENTIAL_APP_ID, secret, opts).unwrap()
}

fn grants(kit: &TestKit) -> Vec<String> {
    kit.requests().into_iter().filter(|r| r.is_token_request()).map(|r| r.grant_type.unwrap_or_default()).collect()
}

#[test]
fn client_secret_gets_an_app_token_for_exchange_and_graph() {
    let kit = start_kit();
    let cred = secret_credential(fixture::CONFIDENTIAL_APP_SECRET, options(&kit));
    assert_eq!(cred.default_scopes(), vec![OUTLOOK_DEFAULT.to_string()]);
    let token = cred.get_token(&[]).unwrap();
    let claims = token.claims().unwrap();
    assert_eq!(claims.aud.as_deref(), Some("https://outlook.office365.com"));
    assert_eq!(claims.tid.as_deref(), Some(fixture::TENANT_ID));
    assert_eq!(claims.app_id(), Some(fixture::CONFIDENTIAL_APP_ID));
    assert!(claims.has_permission("SMTP.SendAsApp"), "{:?}", claims.roles);
    assert!(token.remaining() > Duration::from_secs(3000));

    let graph = cred.get_token(&[GRAPH_DEFAULT]).unwrap();
    assert_eq!(graph.claims().unwrap().aud.as_deref(), Some("https://graph.microsoft.com"));
    assert!(graph.claims().unwrap().has_permission("Mail.Send"));
    // The tenant may also be given by domain.
    let by_domain = ClientSecretCredential::new(
        fixture::TENANT_DOMAIN,
        fixture::CONFIDENTIAL_APP_ID,
        fixture::CONFIDENTIAL_APP_SECRET,
        options(&kit),
    )
    .unwrap();
    by_domain.get_token(&[]).unwrap();
    assert_eq!(kit.token_requests(), 3);
}

#[test]
fn tokens_are_cached_per_scope_until_a_fresh_one_is_asked_for() {
    let kit = start_kit();
    let cred = secret_credential(fixture::CONFIDENTIAL_APP_SECRET, options(&kit));
    assert!(cred.cached_token(&[]).is_none(), "nothing cached yet, and nothing fetched");
    assert_eq!(kit.token_requests(), 0);
    let a = cred.get_token(&[]).unwrap();
    let b = cred.get_token(&[OUTLOOK_DEFAULT]).unwrap();
    assert_eq!(a.token(), b.token());
    assert_eq!(cred.cached_token(&[OUTLOOK_DEFAULT]).unwrap().token(), a.token());
    assert!(cred.cached_token(&[GRAPH_DEFAULT]).is_none());
    assert_eq!(kit.token_requests(), 1);
    cred.get_token(&[GRAPH_DEFAULT]).unwrap();
    assert_eq!(kit.token_requests(), 2);
    let fresh = cred.get_fresh_token(&[]).unwrap();
    assert_eq!(kit.token_requests(), 3);
    // The fresh token replaces the cached one.
    assert_eq!(cred.get_token(&[]).unwrap().token(), fresh.token());
    assert_eq!(cred.cached_token(&[]).unwrap().token(), fresh.token());
    assert_eq!(kit.token_requests(), 3);
}

#[test]
fn sixteen_threads_share_one_token_request() {
    let kit = start_kit();
    let cache = TokenCache::default();
    // Two credential objects for the same app share the cache too.
    let creds: Vec<Arc<ClientSecretCredential>> = (0..2)
        .map(|_| Arc::new(secret_credential(fixture::CONFIDENTIAL_APP_SECRET, options(&kit).with_cache(cache.clone()))))
        .collect();
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let (cred, barrier) = (creds[i % 2].clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                cred.get_token(&[]).unwrap()
            })
        })
        .collect();
    let tokens: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(tokens.iter().all(|t| t.token() == tokens[0].token()));
    assert_eq!(kit.token_requests(), 1);
}

#[test]
fn token_is_refreshed_before_it_expires() {
    let kit = start_kit();
    kit.set_token_lifetime(3);
    let mut opts = options(&kit);
    opts.refresh_before = Some(Duration::from_secs(1));
    let cred = secret_credential(fixture::CONFIDENTIAL_APP_SECRET, opts);
    let first = cred.get_token(&[]).unwrap();
    cred.get_token(&[]).unwrap();
    assert_eq!(kit.token_requests(), 1);
    // Less than a second of the three is left now: the token is replaced
    // although it has not expired yet.
    std::thread::sleep(Duration::from_millis(2200));
    assert!(cred.cached_token(&[]).is_none(), "a token due for refresh is not handed out from the cache");
    let second = cred.get_token(&[]).unwrap();
    assert_eq!(kit.token_requests(), 2);
    assert_ne!(first.token(), second.token());
}

#[test]
fn aadsts_errors_are_mapped_and_4xx_is_never_retried() {
    let kit = start_kit();
    let cases: [(&str, &str, &str, &str, ErrorKind); 5] = [
        (fixture::TENANT_ID, fixture::CONFIDENTIAL_APP_ID, "wrong-secret", "AADSTS7000215", ErrorKind::Auth),
        (fixture::TENANT_ID, fixture::CONFIDENTIAL_APP_ID, fixture::EXPIRED_SECRET, "AADSTS7000222", ErrorKind::Auth),
        (fixture::TENANT_ID, "99999999-9999-9999-9999-999999999999", "x", "AADSTS700016", ErrorKind::Auth),
        ("00000000-0000-0000-0000-000000000000", fixture::CONFIDENTIAL_APP_ID, "x", "AADSTS90002", ErrorKind::Auth),
        (
            fixture::TENANT_ID,
            fixture::CONFIDENTIAL_APP_ID,
            fixture::CONFIDENTIAL_APP_SECRET,
            "AADSTS70011",
            ErrorKind::Config,
        ),
    ];
    for (i, (tenant, client, secret, code, kind)) in cases.into_iter().enumerate() {
        let cred = ClientSecretCredential::new(tenant, client, secret, options(&kit)).unwrap();
        let scope = if code == "AADSTS70011" { "https://outlook.office365.com/SMTP.Send" } else { OUTLOOK_DEFAULT };
        let err = cred.get_token(&[scope]).unwrap_err();
        assert_eq!(err.code(), Some(code), "{err}");
        assert_eq!(err.kind(), kind, "{err}");
        assert!(err.hint().is_some(), "{err}");
        assert!(!err.to_string().contains(secret) || secret == "x", "{err}");
        assert_eq!(kit.token_requests(), i + 1, "a 4xx reply must not be retried ({code})");
    }
}

#[test]
fn client_certificate_signs_an_assertion_the_kit_accepts() {
    let kit = start_kit();
    let app = kit.cert_app().expect("the fixture has a certificate app");
    let (cert_path, key_path) = (app.cert_path.as_path(), app.key_path.as_path());
    let cred = ClientCertificateCredential::from_files(
        fixture::TENANT_ID,
        fixture::CERT_APP_ID,
        cert_path,
        Some(key_path),
        options(&kit),
    )
    .unwrap();
    let token = cred.get_token(&[]).unwrap();
    assert_eq!(token.claims().unwrap().app_id(), Some(fixture::CERT_APP_ID));
    assert!(!format!("{cred:?}").contains("PRIVATE"));

    // The same certificate is not registered for another app.
    let other = ClientCertificateCredential::from_files(
        fixture::TENANT_ID,
        fixture::CONFIDENTIAL_APP_ID,
        cert_path,
        Some(key_path),
        options(&kit),
    )
    .unwrap();
    let err = other.get_token(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.code().is_some_and(|c| c.starts_with("AADSTS")), "{err}");

    // A file without a key is a clear configuration error.
    let err = ClientCertificateCredential::from_files(
        fixture::TENANT_ID,
        fixture::CERT_APP_ID,
        cert_path,
        Some(cert_path),
        options(&kit),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[test]
fn username_password_signs_in_and_then_uses_the_refresh_token() {
    let kit = start_kit();
    let cred = UsernamePasswordCredential::new(
        fixture::TENANT_ID,
        fixture::PUBLIC_APP_ID,
        fixture::ALICE,
        fixture::ALICE_PASSWORD,
        options(&kit),
    )
    .unwrap();
    let token = cred.get_token(&[]).unwrap();
    let claims = token.claims().unwrap();
    assert_eq!(claims.preferred_username.as_deref(), Some(fixture::ALICE));
    assert!(claims.scopes().contains(&"SMTP.Send"), "{:?}", claims.scp);
    let fresh = cred.get_fresh_token(&[]).unwrap();
    assert_eq!(fresh.claims().unwrap().preferred_username.as_deref(), Some(fixture::ALICE));
    assert_eq!(grants(&kit), ["password", "refresh_token"]);
}

#[test]
fn username_password_failures() {
    let kit = start_kit();
    let attempt = |user: &str, password: &str| {
        UsernamePasswordCredential::new(fixture::TENANT_ID, fixture::PUBLIC_APP_ID, user, password, options(&kit))
            .unwrap()
            .get_token(&[])
            .unwrap_err()
    };
    let err = attempt(fixture::ALICE, "wrong-password");
    assert_eq!((err.kind(), err.code()), (ErrorKind::Auth, Some("AADSTS50126")));
    assert!(!format!("{err} {err:?}").contains("wrong-password"));
    let err = attempt(fixture::MFA_USER, fixture::MFA_PASSWORD);
    assert_eq!((err.kind(), err.code()), (ErrorKind::Auth, Some("AADSTS50076")));
    assert!(err.hint().unwrap().contains("DeviceCodeCredential"));
    let err = attempt("nobody@example.test", "x");
    assert_eq!((err.kind(), err.code()), (ErrorKind::Auth, Some("AADSTS50034")));
    assert_eq!(kit.token_requests(), 3);
}

#[test]
fn device_code_shows_the_code_polls_and_signs_in() {
    let kit = start_kit();
    let shown: Arc<Mutex<Vec<DeviceCodeInfo>>> = Arc::default();
    let sink = shown.clone();
    let cred = DeviceCodeCredential::new(
        fixture::TENANT_ID,
        fixture::PUBLIC_APP_ID,
        move |info: &DeviceCodeInfo| sink.lock().unwrap().push(info.clone()),
        options(&kit),
    )
    .unwrap();
    let token = cred.get_token(&[]).unwrap();
    assert_eq!(token.claims().unwrap().preferred_username.as_deref(), Some(fixture::ALICE));
    let shown = shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1);
    assert!(!shown[0].user_code.is_empty());
    assert!(shown[0].verification_uri.starts_with("https://"), "{:?}", shown[0]);
    assert!(shown[0].message.contains(&shown[0].user_code));
    // The first poll is pending; the kit approves and the next one succeeds.
    let g = grants(&kit);
    assert!(g.len() >= 2 && g.iter().all(|g| g == "urn:ietf:params:oauth:grant-type:device_code"), "{g:?}");
    // Later tokens come from the refresh token, without asking the user.
    cred.get_fresh_token(&[]).unwrap();
    assert_eq!(grants(&kit).last().map(String::as_str), Some("refresh_token"));
}

#[test]
fn device_code_declined_is_an_auth_error() {
    let kit = start_kit();
    kit.set_device_auto_approve(None);
    let kit = Arc::new(kit);
    let k = kit.clone();
    let cred = DeviceCodeCredential::new(
        fixture::TENANT_ID,
        fixture::PUBLIC_APP_ID,
        move |info: &DeviceCodeInfo| {
            assert!(!info.user_code.is_empty());
            k.deny_device_code();
        },
        options(&kit),
    )
    .unwrap();
    let err = cred.get_token(&[]).unwrap_err();
    assert_eq!((err.kind(), err.code()), (ErrorKind::Auth, Some("access_denied")), "{err}");
}

#[test]
fn authorization_code_with_pkce_through_the_loopback_listener() {
    let kit = start_kit();
    let cred = AuthorizationCodeCredential::new(fixture::TENANT_ID, fixture::PUBLIC_APP_ID, options(&kit)).unwrap();
    assert!(!cred.is_signed_in());
    let err = cred.get_token(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);

    let browser = browser(&kit);
    let page: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = page.clone();
    let token = cred
        .run_loopback(&[], move |url| {
            assert!(url.contains("code_challenge_method=S256"), "{url}");
            assert!(url.contains("state="), "{url}");
            let url = url.to_owned();
            // Like a real browser, this runs apart from the waiting program.
            std::thread::spawn(move || {
                let resp = browser.get(&url).send().unwrap();
                *seen.lock().unwrap() = Some(resp.text().unwrap());
            });
        })
        .unwrap();
    assert_eq!(token.claims().unwrap().preferred_username.as_deref(), Some(fixture::ALICE));
    assert!(cred.is_signed_in());
    // The token is cached, and the refresh token replaces the browser later.
    cred.get_token(&[]).unwrap();
    assert_eq!(grants(&kit), ["authorization_code"]);
    cred.get_fresh_token(&[]).unwrap();
    assert_eq!(grants(&kit), ["authorization_code", "refresh_token"]);
    for _ in 0..100 {
        if page.lock().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(page.lock().unwrap().as_deref().unwrap_or("").contains("You can close this window"));
}

#[test]
fn authorization_code_rejects_a_foreign_state_and_a_wrong_verifier() {
    let kit = start_kit();
    let cred = AuthorizationCodeCredential::new(fixture::TENANT_ID, fixture::PUBLIC_APP_ID, options(&kit)).unwrap();
    let request = cred.authorize_url("http://127.0.0.1:1/", &[]).unwrap();
    let err = cred.exchange(&request, "some-code", "forged-state").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(kit.token_requests(), 0);

    // A real code redeemed with another request's PKCE verifier is refused.
    let first = cred.authorize_url("http://127.0.0.1:1/", &[]).unwrap();
    let second = cred.authorize_url("http://127.0.0.1:1/", &[]).unwrap();
    let browser = reqwest::blocking::Client::builder()
        .tls_backend_preconfigured({
            let mut tls = (*common::trust(&kit).client_config()).clone();
            tls.alpn_protocols = vec![b"http/1.1".to_vec()];
            tls
        })
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = browser.get(&first.url).send().unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let location = url::Url::parse(&location).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let err = cred.exchange(&second, &code, &second.state).unwrap_err();
    assert_eq!((err.kind(), err.code()), (ErrorKind::Auth, Some("AADSTS501481")), "{err}");
    assert!(err.hint().unwrap().contains("PKCE"), "{err}");
}

#[test]
fn refresh_token_credential_rotates_and_reports_expiry() {
    let kit = start_kit();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    // Sign in once with the password grant to get a refresh token into the file.
    UsernamePasswordCredential::new(
        fixture::TENANT_ID,
        fixture::PUBLIC_APP_ID,
        fixture::BOB,
        fixture::BOB_PASSWORD,
        options(&kit).with_persistent_cache(&file),
    )
    .unwrap()
    .get_token(&[])
    .unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let rt = stored["refresh_tokens"].as_object().unwrap().values().next().unwrap().as_str().unwrap().to_owned();

    let cred =
        RefreshTokenCredential::new(fixture::TENANT_ID, fixture::PUBLIC_APP_ID, rt.as_str(), options(&kit)).unwrap();
    let token = cred.get_token(&[]).unwrap();
    assert_eq!(token.claims().unwrap().preferred_username.as_deref(), Some(fixture::BOB));
    let rotated = cred.refresh_token().unwrap();
    assert_ne!(rotated.expose(), rt, "the kit rotates refresh tokens and the credential keeps the new one");
    cred.get_fresh_token(&[]).unwrap();

    kit.revoke_refresh_tokens();
    let err = cred.get_fresh_token(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(matches!(err.code(), Some("AADSTS70043" | "AADSTS700082")), "{err}");
    assert!(!format!("{err} {err:?}").contains(rotated.expose()));

    let bad =
        RefreshTokenCredential::new(fixture::TENANT_ID, fixture::PUBLIC_APP_ID, "not-a-refresh-token", options(&kit))
            .unwrap();
    assert_eq!(bad.get_token(&[]).unwrap_err().kind(), ErrorKind::Auth);
}

#[test]
fn persistent_cache_signs_in_again_without_the_password() {
    let kit = start_kit();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cache/tokens.json");
    let sign_in = |password: &str| {
        UsernamePasswordCredential::new(
            fixture::TENANT_ID,
            fixture::PUBLIC_APP_ID,
            fixture::ALICE,
            password,
            options(&kit).with_persistent_cache(&file),
        )
        .unwrap()
        .get_token(&[])
    };
    sign_in(fixture::ALICE_PASSWORD).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // A second run (new credential object) finds the refresh token in the
    // file, so even a wrong password is never sent.
    let token = sign_in("not-the-password").unwrap();
    assert_eq!(token.claims().unwrap().preferred_username.as_deref(), Some(fixture::ALICE));
    assert_eq!(grants(&kit), ["password", "refresh_token"]);
}

#[test]
fn throttling_is_retried_after_the_servers_retry_after() {
    let kit = start_kit();
    kit.inject(Fault::Throttle { retry_after_secs: 1 }, 1);
    let cred = secret_credential(fixture::CONFIDENTIAL_APP_SECRET, options(&kit));
    cred.get_token(&[]).unwrap();
    assert_eq!(kit.token_requests(), 2);

    // When honouring Retry-After would pass the time budget, the caller gets
    // a Throttled error carrying it, after a single request. A client that
    // ignored Retry-After would retry after its 20 ms backoff instead.
    let kit = start_kit();
    kit.inject(Fault::Throttle { retry_after_secs: 5 }, 1);
    let mut opts = options(&kit);
    opts.http.retry.max_elapsed = Duration::from_secs(2);
    let err = secret_credential(fixture::CONFIDENTIAL_APP_SECRET, opts).get_token(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    assert_eq!(kit.token_requests(), 1);
}

#[test]
fn server_errors_and_dropped_connections_are_retried_within_bounds() {
    let kit = start_kit();
    kit.inject(Fault::ServerError(503), 2);
    kit.inject(Fault::DropConnection, 1);
    let cred = secret_credential(fixture::CONFIDENTIAL_APP_SECRET, options(&kit));
    cred.get_token(&[]).unwrap();
    assert_eq!(kit.token_requests(), 4);

    let kit = start_kit();
    kit.inject(Fault::ServerError(500), 10);
    let mut opts = options(&kit);
    opts.http.retry.max_attempts = 3;
    let err = secret_credential(fixture::CONFIDENTIAL_APP_SECRET, opts).get_token(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert_eq!(kit.token_requests(), 3);
}

#[test]
fn malformed_replies_timeouts_and_untrusted_certificates() {
    let kit = start_kit();
    kit.inject(Fault::MalformedJson, 1);
    let err = secret_credential(fixture::CONFIDENTIAL_APP_SECRET, options(&kit)).get_token(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert_eq!(kit.token_requests(), 1);

    kit.inject(Fault::Slow(Duration::from_secs(3)), 1);
    let mut opts = options(&kit);
    opts.http.timeout = Duration::from_millis(500);
    opts.http.retry = RetryPolicy::none();
    let err = secret_credential(fixture::CONFIDENTIAL_APP_SECRET, opts).get_token(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");

    // Without the kit's CA the certificate is not trusted, and that is not retried.
    let before = kit.token_requests();
    let opts = options(&kit).with_tls(oauthmail::tls::TlsTrust::system());
    let err = secret_credential(fixture::CONFIDENTIAL_APP_SECRET, opts).get_token(&[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert_eq!(kit.token_requests(), before);
}

#[test]
fn bad_input_is_a_config_error_before_any_request() {
    let kit = start_kit();
    let err = ClientSecretCredential::new("bad/tenant", fixture::CONFIDENTIAL_APP_ID, "s", options(&kit)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = ClientSecretCredential::new(fixture::TENANT_ID, "", "s", options(&kit)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err =
        ClientSecretCredential::new(fixture::TENANT_ID, fixture::CONFIDENTIAL_APP_ID, "", options(&kit)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let cred = secret_credential(fixture::CONFIDENTIAL_APP_SECRET, options(&kit));
    assert_eq!(cred.get_token(&["two scopes"]).unwrap_err().kind(), ErrorKind::Config);
    assert!(CredentialOptions::new(Some("http://example.com"), None).is_err());
    assert_eq!(kit.token_requests(), 0);
}

#[test]
fn device_code_that_expires_before_sign_in() {
    let kit = TestKit::start(
        oauthmail_testkit::Config::default_fixture().manual_device_code_approval().device_code_lifetime(3),
    )
    .unwrap();
    let cred =
        DeviceCodeCredential::new(fixture::TENANT_ID, fixture::PUBLIC_APP_ID, |_: &DeviceCodeInfo| {}, options(&kit))
            .unwrap();
    let err = cred.get_token(&[]).unwrap_err();
    assert_eq!((err.kind(), err.code()), (ErrorKind::Auth, Some("expired_token")), "{err}");
    // It polled while the code was valid, then gave up without further requests.
    let polls = grants(&kit).len();
    assert!((1..=3).contains(&polls), "{polls} polls");
}

#[test]
fn custom_token_url_and_provider_presets() {
    let kit = start_kit();
    // A fixed token URL (any standard provider): the tenant argument is not used.
    let opts = options(&kit)
        .with_authority(oauthmail::Authority::custom(&kit.token_url(fixture::TENANT_ID)).unwrap())
        .with_scopes([OUTLOOK_DEFAULT]);
    let cred =
        ClientSecretCredential::new("", fixture::CONFIDENTIAL_APP_ID, fixture::CONFIDENTIAL_APP_SECRET, opts).unwrap();
    assert_eq!(cred.get_token(&[]).unwrap().claims().unwrap().tid.as_deref(), Some(fixture::TENANT_ID));

    // The presets choose the scope; the authority can still point at the kit.
    let gmail = CredentialOptions::for_provider(&oauthmail::Provider::gmail());
    assert_eq!(gmail.scopes, ["https://mail.google.com/"]);
    let office = CredentialOptions::for_provider(&oauthmail::Provider::office365_gcc_high());
    assert_eq!(office.scopes, ["https://outlook.office365.us/.default"]);
    let binding_style = CredentialOptions::new(Some(&kit.authority()), Some(kit.ca_path())).unwrap();
    let cred = ClientSecretCredential::new(
        fixture::TENANT_ID,
        fixture::CONFIDENTIAL_APP_ID,
        fixture::CONFIDENTIAL_APP_SECRET,
        binding_style,
    )
    .unwrap();
    cred.get_token(&[]).unwrap();
    assert_eq!(kit.token_requests(), 2);
}

#[test]
fn refresh_token_given_is_used_when_the_cached_one_was_revoked() {
    let kit = start_kit();
    let dir = tempfile::tempdir().unwrap();
    let (old_file, new_file) = (dir.path().join("old.json"), dir.path().join("new.json"));
    let sign_in = |file: &std::path::Path| {
        UsernamePasswordCredential::new(
            fixture::TENANT_ID,
            fixture::PUBLIC_APP_ID,
            fixture::BOB,
            fixture::BOB_PASSWORD,
            options(&kit).with_persistent_cache(file),
        )
        .unwrap()
        .get_token(&[])
        .unwrap();
        let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        stored["refresh_tokens"].as_object().unwrap().values().next().unwrap().as_str().unwrap().to_owned()
    };
    let revoked = sign_in(&old_file);
    kit.revoke_refresh_tokens();
    let valid = sign_in(&new_file);
    assert_ne!(revoked, valid);

    let mut opts = options(&kit).with_persistent_cache(&old_file);
    opts.login_hint = Some(fixture::BOB.into());
    let cred = RefreshTokenCredential::new(fixture::TENANT_ID, fixture::PUBLIC_APP_ID, valid.as_str(), opts).unwrap();
    assert_eq!(cred.refresh_token().unwrap().expose(), revoked, "the cached token is tried first");
    cred.get_token(&[]).unwrap();
    assert_eq!(grants(&kit), ["password", "password", "refresh_token", "refresh_token"]);
    // The file now holds the token the server returned, not the revoked one.
    let stored = std::fs::read_to_string(&old_file).unwrap();
    assert!(!stored.contains(&revoked));
    assert!(stored.contains(cred.refresh_token().unwrap().expose()));
}

/// A scripted plain-HTTP OAuth server on 127.0.0.1 (loopback http is allowed
/// for local development): answers each request with the next reply and
/// records when each arrived, for replies the test kit cannot be made to send.
/// Requests seen by the scripted server: path and arrival time.
type Arrivals = Arc<Mutex<Vec<(String, std::time::Instant)>>>;

fn scripted_server(replies: Vec<(u16, &'static str)>) -> (String, Arrivals) {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arrivals = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for (conn, (status, body)) in listener.incoming().flatten().zip(replies) {
            let mut reader = BufReader::new(conn);
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut len = 0;
            let mut header = String::new();
            while reader.read_line(&mut header).unwrap() > 2 {
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                header.clear();
            }
            let mut form = vec![0; len];
            reader.read_exact(&mut form).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
            log.lock().unwrap().push((path, std::time::Instant::now()));
            let mut conn = reader.into_inner();
            write!(conn, "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        }
    });
    (base, seen)
}

#[test]
fn device_code_slows_down_when_asked_and_reads_googles_field_names() {
    let (base, seen) = scripted_server(vec![
        (
            200,
            r#"{"device_code":"dc","user_code":"ABCD-EFGH","verification_url":"https://www.google.com/device","expires_in":60,"interval":0}"#,
        ),
        (428, r#"{"error":"authorization_pending"}"#),
        (400, r#"{"error":"slow_down"}"#),
        (200, r#"{"access_token":"opaque-token","expires_in":3599,"refresh_token":"rt","token_type":"Bearer"}"#),
    ]);
    let authority = oauthmail::Authority::custom(&format!("{base}/token"))
        .unwrap()
        .with_endpoints(Some(&format!("{base}/device")), None)
        .unwrap();
    let shown: Arc<Mutex<Vec<DeviceCodeInfo>>> = Arc::default();
    let sink = shown.clone();
    let opts = CredentialOptions::default().with_authority(authority).with_scopes(["https://mail.google.com/"]);
    let cred =
        DeviceCodeCredential::new("", "client", move |i: &DeviceCodeInfo| sink.lock().unwrap().push(i.clone()), opts)
            .unwrap();
    let token = cred.get_token(&[]).unwrap();
    assert_eq!(token.token().expose(), "opaque-token");
    assert_eq!(shown.lock().unwrap()[0].verification_uri, "https://www.google.com/device");
    let seen = seen.lock().unwrap();
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["/device", "/token", "/token", "/token"]);
    // RFC 8628: after slow_down the interval grows by five seconds.
    assert!(seen[3].1 - seen[2].1 >= Duration::from_secs(5));
}
