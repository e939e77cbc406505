/* Credentials, tokens, claims, the error object and NULL/invalid-argument
   handling, against the test kit (environment set by run.sh). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "check.h"

#define CONFIDENTIAL_APP "22222222-2222-2222-2222-222222222222"
#define CONFIDENTIAL_SECRET "test-secret-1"
#define PUBLIC_APP "44444444-4444-4444-4444-444444444444"

static const char *authority, *tenant, *ca_file;

static oauthmail_credential_options kit_options(void) {
    oauthmail_credential_options o;
    memset(&o, 0, sizeof o);
    o.authority = authority;
    o.ca_file = ca_file;
    return o;
}

/* Gets a token and checks it is a JWT for Exchange that names `who` (an app id
   or a user), then frees everything. */
static void check_token(const oauthmail_credential *cred, const char *who, int is_user) {
    oauthmail_access_token *token = NULL;
    oauthmail_claims *claims = NULL;
    if (!EXPECT_OK(oauthmail_credential_get_token(cred, NULL, 0, &token))) return;
    CHECK(strlen(oauthmail_access_token_token(token)) > 100);
    CHECK(oauthmail_access_token_expires_on(token) > (uint64_t)time(NULL));
    if (EXPECT_OK(oauthmail_access_token_claims(token, &claims))) {
        CHECK(strcmp(oauthmail_claims_audience(claims), "https://outlook.office365.com") == 0);
        CHECK(strcmp(oauthmail_claims_tenant_id(claims), tenant) == 0);
        CHECK(oauthmail_claims_expires_on(claims) == oauthmail_access_token_expires_on(token) ||
              oauthmail_claims_expires_on(claims) > 0);
        CHECK(strstr(oauthmail_claims_json(claims), "\"aud\"") != NULL);
        if (is_user) {
            CHECK(oauthmail_claims_preferred_username(claims) &&
                  strcmp(oauthmail_claims_preferred_username(claims), who) == 0);
            CHECK(oauthmail_claims_has_permission(claims, "IMAP.AccessAsUser.All"));
            CHECK(oauthmail_claims_roles_count(claims) == 0);
        } else {
            CHECK(strcmp(oauthmail_claims_app_id(claims), who) == 0);
            CHECK(oauthmail_claims_has_permission(claims, "SMTP.SendAsApp"));
            CHECK(!oauthmail_claims_has_permission(claims, "Mail.Send"));
            CHECK(oauthmail_claims_roles_count(claims) == 3);
            CHECK(oauthmail_claims_role(claims, 0) != NULL);
            CHECK(oauthmail_claims_role(claims, 3) == NULL);
        }
        oauthmail_claims_free(claims);
    }
    oauthmail_access_token_free(token);
}

static void test_error_kinds(void) {
    static const uint32_t kinds[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99};
    size_t i;
    char code[32];
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        oauthmail_error *e = oauthmail_testing_error(kinds[i]);
        CHECK(e != NULL);
        CHECK((uint32_t)oauthmail_error_get_kind(e) == kinds[i]);
        CHECK(strcmp(oauthmail_error_kind_name(e), oauthmail_error_kind_to_string(kinds[i])) == 0);
        snprintf(code, sizeof code, "TEST-%u", (unsigned)kinds[i]);
        CHECK(strcmp(oauthmail_error_code(e), code) == 0);
        CHECK(strstr(oauthmail_error_hint(e), oauthmail_error_kind_name(e)) != NULL);
        CHECK(strstr(oauthmail_error_message(e), oauthmail_error_kind_name(e)) != NULL);
        CHECK(oauthmail_error_retry_after_ms(e) == 0);
        {
            char *line = oauthmail_error_describe(e);
            CHECK(line != NULL && strstr(line, code) != NULL && strstr(line, "(hint: ") != NULL);
            oauthmail_string_free(line);
        }
        oauthmail_error_free(e);
    }
    /* The C enum values are the core numbers. */
    CHECK(OAUTHMAIL_ERROR_KIND_CONFIG == 1 && OAUTHMAIL_ERROR_KIND_CLOSED == 10 && OAUTHMAIL_ERROR_KIND_INTERNAL == 99);
    CHECK(strcmp(oauthmail_error_kind_to_string(OAUTHMAIL_ERROR_KIND_THROTTLED), "Throttled") == 0);
    CHECK(oauthmail_error_kind_to_string(0) == NULL && oauthmail_error_kind_to_string(11) == NULL);
    EXPECT_ERROR(oauthmail_testing_error(42), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 0);

    {
        oauthmail_error *e = oauthmail_testing_panic();
        CHECK(oauthmail_error_get_kind(e) == OAUTHMAIL_ERROR_KIND_INTERNAL);
        CHECK(strstr(oauthmail_error_message(e), "panic") != NULL);
        CHECK(oauthmail_error_hint(e) != NULL);
        oauthmail_error_free(e);
    }
    /* Getters on NULL. */
    CHECK(oauthmail_error_get_kind(NULL) == OAUTHMAIL_ERROR_KIND_INTERNAL);
    CHECK(oauthmail_error_message(NULL) == NULL && oauthmail_error_code(NULL) == NULL);
    CHECK(oauthmail_error_hint(NULL) == NULL && oauthmail_error_kind_name(NULL) == NULL);
    CHECK(oauthmail_error_retry_after_ms(NULL) == 0 && oauthmail_error_describe(NULL) == NULL);
    CHECK(strcmp(oauthmail_version(), OAUTHMAIL_VERSION) == 0);
}

static void test_null_and_invalid_arguments(void) {
    oauthmail_credential *sentinel = (oauthmail_credential *)&sentinel;
    oauthmail_credential *cred = sentinel;
    oauthmail_access_token *token = NULL;
    const char *bad_utf8 = "\xff\xfe";
    const char *scopes[] = {"https://outlook.office365.com/.default", NULL};
    oauthmail_credential_options o = kit_options();

    EXPECT_ERROR(oauthmail_client_secret_credential_new(NULL, CONFIDENTIAL_APP, "s", NULL, &cred),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, "s", NULL, NULL),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_client_secret_credential_new(tenant, bad_utf8, "s", NULL, &cred),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, "", NULL, &cred),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 0);
    EXPECT_ERROR(oauthmail_username_password_credential_new(tenant, PUBLIC_APP, "alice@example.test", NULL, &o, &cred),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_static_token_credential_new(NULL, 0, &cred), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_static_token_credential_new("", 0, &cred), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 0);
    EXPECT_ERROR(oauthmail_device_code_credential_new(tenant, PUBLIC_APP, NULL, NULL, &o, &cred),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 0);
    EXPECT_ERROR(oauthmail_client_certificate_credential_new(tenant, CONFIDENTIAL_APP, NULL, 10, NULL, 0, &o, &cred),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_client_certificate_credential_new(tenant, CONFIDENTIAL_APP, (const uint8_t *)"junk", 4,
                                                             NULL, 0, &o, &cred),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    /* Bad option fields. */
    o.ca_file = "/nonexistent/ca.pem";
    EXPECT_ERROR(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, "s", &o, &cred),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 0);
    o = kit_options();
    o.scopes_len = 2; /* scopes NULL with a length */
    EXPECT_ERROR(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, "s", &o, &cred),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    o.scopes = scopes; /* second element NULL */
    EXPECT_ERROR(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, "s", &o, &cred),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    o = kit_options();
    o.authority = "not a url";
    EXPECT_ERROR(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, "s", &o, &cred),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 0);
    /* Out-parameters are untouched on error. */
    CHECK(cred == sentinel);

    EXPECT_ERROR(oauthmail_credential_get_token(NULL, NULL, 0, &token), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    CHECK(token == NULL);
    EXPECT_ERROR(oauthmail_access_token_claims(NULL, NULL), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_authorization_code_credential_sign_in(NULL, NULL, 0, NULL, NULL, &token),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);

    /* Getters and frees on NULL. */
    CHECK(oauthmail_access_token_token(NULL) == NULL && oauthmail_access_token_expires_on(NULL) == 0);
    CHECK(oauthmail_claims_audience(NULL) == NULL && oauthmail_claims_roles_count(NULL) == 0);
    CHECK(!oauthmail_claims_has_permission(NULL, "x") && oauthmail_claims_json(NULL) == NULL);
    oauthmail_error_free(NULL);
    oauthmail_credential_free(NULL);
    oauthmail_access_token_free(NULL);
    oauthmail_claims_free(NULL);
    oauthmail_string_free(NULL);
}

static void test_client_secret(void) {
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *cred = NULL, *bad = NULL;
    oauthmail_access_token *t1 = NULL, *t2 = NULL;
    if (!EXPECT_OK(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, CONFIDENTIAL_SECRET, &o, &cred)))
        return;
    check_token(cred, CONFIDENTIAL_APP, 0);
    /* The second call is served from the cache: the same token. */
    if (EXPECT_OK(oauthmail_credential_get_token(cred, NULL, 0, &t1)) &&
        EXPECT_OK(oauthmail_credential_get_token(cred, NULL, 0, &t2))) {
        CHECK(strcmp(oauthmail_access_token_token(t1), oauthmail_access_token_token(t2)) == 0);
    }
    oauthmail_access_token_free(t1);
    oauthmail_access_token_free(t2);
    {
        const char *graph[] = {"https://graph.microsoft.com/.default"};
        oauthmail_claims *claims = NULL;
        if (EXPECT_OK(oauthmail_credential_get_fresh_token(cred, graph, 1, &t1)) &&
            EXPECT_OK(oauthmail_access_token_claims(t1, &claims))) {
            CHECK(strcmp(oauthmail_claims_audience(claims), "https://graph.microsoft.com") == 0);
            CHECK(oauthmail_claims_has_permission(claims, "Mail.Send"));
        }
        oauthmail_claims_free(claims);
        oauthmail_access_token_free(t1);
    }
    oauthmail_credential_free(cred);

    /* A wrong secret: Auth with Microsoft's code and a hint. */
    if (EXPECT_OK(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, "wrong", &o, &bad))) {
        t1 = NULL;
        EXPECT_ERROR(oauthmail_credential_get_token(bad, NULL, 0, &t1), OAUTHMAIL_ERROR_KIND_AUTH, "AADSTS7000215", 1);
        CHECK(t1 == NULL);
        oauthmail_credential_free(bad);
    }
    if (EXPECT_OK(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, "expired-secret", &o, &bad))) {
        EXPECT_ERROR(oauthmail_credential_get_token(bad, NULL, 0, &t1), OAUTHMAIL_ERROR_KIND_AUTH, "AADSTS7000222", 1);
        oauthmail_credential_free(bad);
    }
    if (EXPECT_OK(oauthmail_client_secret_credential_new("99999999-9999-9999-9999-999999999999", CONFIDENTIAL_APP,
                                                         CONFIDENTIAL_SECRET, &o, &bad))) {
        EXPECT_ERROR(oauthmail_credential_get_token(bad, NULL, 0, &t1), OAUTHMAIL_ERROR_KIND_AUTH, "AADSTS90002", 1);
        oauthmail_credential_free(bad);
    }
}

static void test_transport_errors(void) {
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *cred = NULL;
    oauthmail_access_token *t = NULL;
    /* Without the kit's CA the certificate is not trusted. */
    o.ca_file = NULL;
    if (EXPECT_OK(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, CONFIDENTIAL_SECRET, &o, &cred))) {
        EXPECT_ERROR(oauthmail_credential_get_token(cred, NULL, 0, &t), OAUTHMAIL_ERROR_KIND_TLS, NULL, 0);
        oauthmail_credential_free(cred);
    }
    /* Nothing listens on port 1. */
    o = kit_options();
    o.authority = "https://127.0.0.1:1";
    if (EXPECT_OK(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, CONFIDENTIAL_SECRET, &o, &cred))) {
        EXPECT_ERROR(oauthmail_credential_get_token(cred, NULL, 0, &t), OAUTHMAIL_ERROR_KIND_NETWORK, NULL, 0);
        oauthmail_credential_free(cred);
    }
}

/* Clears queued faults, so that later tests see a normal kit. */
static int curl_clear_faults(void) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "curl -sf -o /dev/null --cacert '%s' -X DELETE '%s/faults'", ca_file,
             need_env("TK_CONTROL_URL"));
    return system(cmd);
}

/* Queues a fault at the kit's control endpoint (through curl); 0 on success. */
static int kit_fault(const char *json) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "curl -sf -o /dev/null --cacert '%s' -H 'Content-Type: application/json' -d '%s' '%s/faults'",
             ca_file, json, need_env("TK_CONTROL_URL"));
    return system(cmd);
}

/* A reply that is not JSON: Protocol, and the body is not quoted. */
static void test_protocol_error(void) {
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *cred = NULL;
    oauthmail_access_token *t = NULL;
    if (EXPECT_OK(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, CONFIDENTIAL_SECRET, &o, &cred))) {
        CHECK(kit_fault("{\"fault\":\"malformed_json\",\"count\":5}") == 0);
        EXPECT_ERROR(oauthmail_credential_get_token(cred, NULL, 0, &t), OAUTHMAIL_ERROR_KIND_PROTOCOL, NULL, 0);
        CHECK(curl_clear_faults() == 0);
        oauthmail_credential_free(cred);
    }
}

static void test_certificate(void) {
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *cred = NULL;
    const char *client = need_env("TK_CERT_CLIENT");
    if (EXPECT_OK(oauthmail_client_certificate_credential_from_files(tenant, client, need_env("TK_CERT_PATH"),
                                                                     need_env("TK_KEY_PATH"), &o, &cred))) {
        check_token(cred, client, 0);
        oauthmail_credential_free(cred);
    }
    {
        /* The combined PEM (certificate + key) passed as bytes. */
        FILE *f = fopen(need_env("TK_CERT_PEM"), "rb");
        char buf[16384];
        size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f) fclose(f);
        CHECK(n > 0);
        if (EXPECT_OK(oauthmail_client_certificate_credential_new(tenant, client, (const uint8_t *)buf, n, NULL, 0,
                                                                  &o, &cred))) {
            check_token(cred, client, 0);
            oauthmail_credential_free(cred);
        }
    }
}

static void test_username_password(void) {
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *cred = NULL;
    oauthmail_access_token *t = NULL;
    if (EXPECT_OK(oauthmail_username_password_credential_new(tenant, PUBLIC_APP, "alice@example.test",
                                                             "alice-password", &o, &cred))) {
        check_token(cred, "alice@example.test", 1);
        oauthmail_credential_free(cred);
    }
    if (EXPECT_OK(oauthmail_username_password_credential_new(tenant, PUBLIC_APP, "alice@example.test", "wrong", &o,
                                                             &cred))) {
        EXPECT_ERROR(oauthmail_credential_get_token(cred, NULL, 0, &t), OAUTHMAIL_ERROR_KIND_AUTH, "AADSTS50126", 1);
        oauthmail_credential_free(cred);
    }
    if (EXPECT_OK(oauthmail_username_password_credential_new(tenant, PUBLIC_APP, "mfa@example.test", "mfa-password",
                                                             &o, &cred))) {
        EXPECT_ERROR(oauthmail_credential_get_token(cred, NULL, 0, &t), OAUTHMAIL_ERROR_KIND_AUTH, "AADSTS50076", 1);
        oauthmail_credential_free(cred);
    }
}

static void test_refresh_token(void) {
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *cred = NULL;
    oauthmail_access_token *t = NULL;
    if (EXPECT_OK(oauthmail_refresh_token_credential_new(tenant, PUBLIC_APP, need_env("TK_REFRESH_TOKEN"), &o, &cred))) {
        check_token(cred, "alice@example.test", 1);
        oauthmail_credential_free(cred);
    }
    if (EXPECT_OK(oauthmail_refresh_token_credential_new(tenant, PUBLIC_APP, "not-a-refresh-token", &o, &cred))) {
        EXPECT_ERROR(oauthmail_credential_get_token(cred, NULL, 0, &t), OAUTHMAIL_ERROR_KIND_AUTH, "AADSTS9002313", 1);
        oauthmail_credential_free(cred);
    }
}

struct device_seen {
    int calls;
    char user_code[64];
};

static void on_device_code(const oauthmail_device_code_info *info, void *user_data) {
    struct device_seen *seen = user_data;
    seen->calls++;
    snprintf(seen->user_code, sizeof seen->user_code, "%s", info->user_code);
    CHECK(info->verification_uri != NULL && strstr(info->message, info->user_code) != NULL);
    CHECK(info->expires_in_secs > 0);
}

static void test_device_code(void) {
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *cred = NULL;
    struct device_seen seen;
    memset(&seen, 0, sizeof seen);
    if (EXPECT_OK(oauthmail_device_code_credential_new(tenant, PUBLIC_APP, on_device_code, &seen, &o, &cred))) {
        check_token(cred, "alice@example.test", 1);
        CHECK(seen.calls == 1 && strlen(seen.user_code) > 0);
        oauthmail_credential_free(cred);
    }
}

/* Plays the browser: follows the authorize URL (the kit signs alice in with no
   UI) to the loopback redirect, in the background because sign_in is waiting. */
static void open_with_curl(const char *url, void *user_data) {
    char cmd[4096];
    int n = snprintf(cmd, sizeof cmd, "curl -s -o /dev/null -L --cacert '%s' '%s' &", (const char *)user_data, url);
    CHECK(n > 0 && (size_t)n < sizeof cmd && strchr(url, '\'') == NULL);
    CHECK(system(cmd) == 0);
}

static void test_authorization_code(void) {
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *cred = NULL, *other = NULL;
    oauthmail_access_token *t = NULL;
    if (!EXPECT_OK(oauthmail_authorization_code_credential_new(tenant, PUBLIC_APP, &o, &cred))) return;
    if (EXPECT_OK(oauthmail_authorization_code_credential_sign_in(cred, NULL, 0, open_with_curl, (void *)ca_file, &t))) {
        CHECK(strlen(oauthmail_access_token_token(t)) > 100);
        oauthmail_access_token_free(t);
        /* Signed in: get_token now works from the cache / refresh token. */
        check_token(cred, "alice@example.test", 1);
    }
    /* sign_in on a credential of another type is a Config error. */
    if (EXPECT_OK(oauthmail_static_token_credential_new("opaque", 0, &other))) {
        EXPECT_ERROR(oauthmail_authorization_code_credential_sign_in(other, NULL, 0, open_with_curl, NULL, &t),
                     OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
        oauthmail_credential_free(other);
    }
    oauthmail_credential_free(cred);
}

/* Copies the value of query parameter `name` from `url` into `out`. */
static int query_param(const char *url, const char *name, char *out, size_t cap) {
    char key[32];
    const char *p, *end;
    snprintf(key, sizeof key, "%s=", name);
    p = strstr(url, key);
    if (p == NULL) return 0;
    p += strlen(key);
    end = strchr(p, '&');
    if (end == NULL) end = p + strlen(p);
    if ((size_t)(end - p) >= cap) return 0;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return 1;
}

/* The web-app flow: the program gets the redirect itself (here: curl does the
   request without following the redirect) and hands code and state over. */
static void test_authorization_code_manual(void) {
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *cred = NULL;
    oauthmail_authorization_request *req = NULL;
    oauthmail_access_token *t = NULL;
    char cmd[4096], location[2048], code[512], state[128];
    FILE *p;
    size_t n;
    if (!EXPECT_OK(oauthmail_authorization_code_credential_new(tenant, PUBLIC_APP, &o, &cred))) return;
    if (!EXPECT_OK(oauthmail_authorization_code_credential_authorize_url(cred, "http://127.0.0.1/callback", NULL, 0,
                                                                         &req))) {
        oauthmail_credential_free(cred);
        return;
    }
    CHECK(strstr(oauthmail_authorization_request_url(req), "code_challenge_method=S256") != NULL);
    CHECK(strlen(oauthmail_authorization_request_state(req)) > 10);
    snprintf(cmd, sizeof cmd, "curl -s -o /dev/null -w '%%{redirect_url}' --cacert '%s' '%s'", ca_file,
             oauthmail_authorization_request_url(req));
    p = popen(cmd, "r");
    n = p ? fread(location, 1, sizeof location - 1, p) : 0;
    if (p) pclose(p);
    location[n] = '\0';
    CHECK(query_param(location, "code", code, sizeof code) && query_param(location, "state", state, sizeof state));
    CHECK(strcmp(state, oauthmail_authorization_request_state(req)) == 0);
    /* A reply with another state is refused before the code is redeemed. */
    EXPECT_ERROR(oauthmail_authorization_code_credential_exchange(cred, req, code, "forged-state", &t),
                 OAUTHMAIL_ERROR_KIND_AUTH, NULL, 1);
    CHECK(t == NULL);
    if (EXPECT_OK(oauthmail_authorization_code_credential_exchange(cred, req, code, state, &t))) {
        oauthmail_access_token_free(t);
        check_token(cred, "alice@example.test", 1);
    }
    EXPECT_ERROR(oauthmail_authorization_code_credential_authorize_url(cred, "ftp://x", NULL, 0, &req),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 0);
    CHECK(oauthmail_authorization_request_url(NULL) == NULL);
    oauthmail_authorization_request_free(req);
    oauthmail_authorization_request_free(NULL);
    oauthmail_credential_free(cred);
}

/* Secrets never appear in what an error says. */
static void test_no_secret_in_errors(void) {
    static const char secret[] = "Zq8~distinctive-secret-value";
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *cred = NULL;
    oauthmail_access_token *t = NULL;
    if (EXPECT_OK(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, secret, &o, &cred))) {
        oauthmail_error *e = oauthmail_credential_get_token(cred, NULL, 0, &t);
        char *line = oauthmail_error_describe(e);
        CHECK(e != NULL && line != NULL && strstr(line, "AADSTS7000215") != NULL);
        CHECK(line != NULL && strstr(line, secret) == NULL && strstr(line, "distinctive") == NULL);
        oauthmail_string_free(line);
        oauthmail_error_free(e);
        oauthmail_credential_free(cred);
    }
    if (EXPECT_OK(oauthmail_username_password_credential_new(tenant, PUBLIC_APP, "alice@example.test", secret, &o,
                                                             &cred))) {
        oauthmail_error *e = oauthmail_credential_get_token(cred, NULL, 0, &t);
        char *line = oauthmail_error_describe(e);
        CHECK(e != NULL && line != NULL && strstr(line, "distinctive") == NULL);
        oauthmail_string_free(line);
        oauthmail_error_free(e);
        oauthmail_credential_free(cred);
    }
}

static void test_static_token(void) {
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *app = NULL, *cred = NULL;
    oauthmail_access_token *source = NULL, *t = NULL;
    oauthmail_claims *claims = NULL;
    if (EXPECT_OK(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, CONFIDENTIAL_SECRET, &o, &app)) &&
        EXPECT_OK(oauthmail_credential_get_token(app, NULL, 0, &source)) &&
        EXPECT_OK(oauthmail_static_token_credential_new(oauthmail_access_token_token(source), 0, &cred))) {
        check_token(cred, CONFIDENTIAL_APP, 0);
        if (EXPECT_OK(oauthmail_credential_get_token(cred, NULL, 0, &t))) {
            /* expires_on comes from the JWT's exp claim. */
            CHECK(oauthmail_access_token_expires_on(t) == oauthmail_access_token_expires_on(source));
            oauthmail_access_token_free(t);
        }
        oauthmail_credential_free(cred);
    }
    oauthmail_access_token_free(source);
    oauthmail_credential_free(app);

    /* An expired static token cannot be refreshed: Auth with a hint. */
    if (EXPECT_OK(oauthmail_static_token_credential_new("opaque-token", 1, &cred))) {
        EXPECT_ERROR(oauthmail_credential_get_token(cred, NULL, 0, &t), OAUTHMAIL_ERROR_KIND_AUTH, NULL, 1);
        oauthmail_credential_free(cred);
    }
    /* An opaque token has no readable claims: Config with a hint. */
    if (EXPECT_OK(oauthmail_static_token_credential_new("opaque-token", 0, &cred))) {
        if (EXPECT_OK(oauthmail_credential_get_token(cred, NULL, 0, &t))) {
            CHECK(strcmp(oauthmail_access_token_token(t), "opaque-token") == 0);
            EXPECT_ERROR(oauthmail_access_token_claims(t, &claims), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
            CHECK(claims == NULL);
            oauthmail_access_token_free(t);
        }
        oauthmail_credential_free(cred);
    }
}

/* One credential shared by several threads. */
static void *get_token_thread(void *arg) {
    oauthmail_access_token *t = NULL;
    oauthmail_error *e = oauthmail_credential_get_token(arg, NULL, 0, &t);
    int ok = e == NULL && t != NULL && strlen(oauthmail_access_token_token(t)) > 100;
    oauthmail_error_free(e);
    oauthmail_access_token_free(t);
    return ok ? arg : NULL;
}

static void test_threads(void) {
    oauthmail_credential_options o = kit_options();
    oauthmail_credential *cred = NULL;
    pthread_t threads[4];
    int i;
    if (!EXPECT_OK(oauthmail_client_secret_credential_new(tenant, CONFIDENTIAL_APP, CONFIDENTIAL_SECRET, &o, &cred)))
        return;
    for (i = 0; i < 4; i++) CHECK(pthread_create(&threads[i], NULL, get_token_thread, cred) == 0);
    for (i = 0; i < 4; i++) {
        void *result = NULL;
        CHECK(pthread_join(threads[i], &result) == 0 && result == cred);
    }
    oauthmail_credential_free(cred);
}

int main(void) {
    authority = need_env("TK_AUTHORITY");
    tenant = need_env("TK_TENANT");
    ca_file = need_env("TK_CA");
    test_error_kinds();
    test_null_and_invalid_arguments();
    test_client_secret();
    test_transport_errors();
    test_protocol_error();
    test_certificate();
    test_username_password();
    test_refresh_token();
    test_device_code();
    test_authorization_code();
    test_authorization_code_manual();
    test_no_secret_in_errors();
    test_static_token();
    test_threads();
    return check_summary("test_credentials");
}
