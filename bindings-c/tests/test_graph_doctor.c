/* Microsoft Graph sending, provider presets and the doctor check through the
   C API, against the test kit. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#define CONFIDENTIAL_APP "22222222-2222-2222-2222-222222222222"
#define NOROLES_APP "55555555-5555-5555-5555-555555555555"
#define PUBLIC_APP "44444444-4444-4444-4444-444444444444"

static const char *authority, *tenant, *ca;

static oauthmail_credential *app(const char *client, const char *secret) {
    oauthmail_credential_options o;
    oauthmail_credential *cred = NULL;
    memset(&o, 0, sizeof o);
    o.authority = authority;
    o.ca_file = ca;
    EXPECT_OK(oauthmail_client_secret_credential_new(tenant, client, secret, &o, &cred));
    return cred;
}

static void test_graph(void) {
    oauthmail_credential *cred = app(CONFIDENTIAL_APP, "test-secret-1");
    oauthmail_credential *noroles = app(NOROLES_APP, "noroles-secret");
    oauthmail_graph_options o;
    oauthmail_graph_client *graph = NULL;
    oauthmail_message *msg = NULL;
    oauthmail_send_report *report = NULL;
    static const char mime[] = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: graph mime\r\n\r\nbody\r\n";
    memset(&o, 0, sizeof o);
    o.base_url = need_env("TK_GRAPH_URL");
    o.ca_file = ca;
    if (!EXPECT_OK(oauthmail_graph_client_new("alice@example.test", cred, &o, &graph))) return;
    if (EXPECT_OK(oauthmail_message_new(&msg))) {
        EXPECT_OK(oauthmail_message_set_from(msg, "alice@example.test"));
        EXPECT_OK(oauthmail_message_add_to(msg, "bob@example.test"));
        EXPECT_OK(oauthmail_message_set_subject(msg, "über Graph ✓"));
        EXPECT_OK(oauthmail_message_set_text(msg, "sent through Microsoft Graph"));
        if (EXPECT_OK(oauthmail_graph_client_send(graph, msg, &report))) {
            CHECK(strcmp(oauthmail_send_report_via(report), "graph") == 0);
            oauthmail_send_report_free(report);
        }
        EXPECT_OK(oauthmail_graph_client_send_mime(graph, (const uint8_t *)mime, sizeof mime - 1, NULL));
        EXPECT_OK(oauthmail_graph_client_close(graph));
        EXPECT_ERROR(oauthmail_graph_client_send(graph, msg, NULL), OAUTHMAIL_ERROR_KIND_CLOSED, NULL, 1);
        oauthmail_graph_client_free(graph);
        /* An app without the Mail.Send role: Permission, with a hint. */
        if (EXPECT_OK(oauthmail_graph_client_new("alice@example.test", noroles, &o, &graph))) {
            EXPECT_ERROR(oauthmail_graph_client_send(graph, msg, NULL), OAUTHMAIL_ERROR_KIND_PERMISSION, NULL, 1);
            oauthmail_graph_client_free(graph);
        }
        oauthmail_message_free(msg);
    }
    /* Reading bob's mailbox over Graph: the message sent above. */
    if (EXPECT_OK(oauthmail_graph_client_new("bob@example.test", cred, &o, &graph))) {
        oauthmail_message_list *list = NULL;
        oauthmail_graph_list_options lo;
        memset(&lo, 0, sizeof lo);
        if (EXPECT_OK(oauthmail_graph_client_list_messages(graph, NULL, &lo, &list))) {
            const oauthmail_message_summary *s = NULL;
            size_t i;
            for (i = 0; i < oauthmail_message_list_count(list); i++)
                if (strcmp(oauthmail_message_summary_subject(oauthmail_message_list_get(list, i)), "über Graph ✓") == 0)
                    s = oauthmail_message_list_get(list, i);
            CHECK(s != NULL);
            if (s) {
                const char *id = oauthmail_message_summary_id(s);
                static uint8_t buf[65536];
                size_t len = 0;
                char *new_id = NULL;
                oauthmail_message_list *unread = NULL;
                CHECK(id != NULL && oauthmail_message_summary_uid(s) == 0);
                if (EXPECT_OK(oauthmail_graph_client_fetch_message(graph, id, buf, sizeof buf, &len)))
                    CHECK(len > 0 && len < sizeof buf && strstr((const char *)buf, "Subject: ") != NULL &&
                          strstr((const char *)buf, "bob@example.test") != NULL);
                EXPECT_OK(oauthmail_graph_client_mark_read(graph, id, true));
                lo.unread_only = true;
                if (EXPECT_OK(oauthmail_graph_client_list_messages(graph, "inbox", &lo, &unread))) {
                    for (i = 0; i < oauthmail_message_list_count(unread); i++)
                        CHECK(strcmp(oauthmail_message_summary_id(oauthmail_message_list_get(unread, i)), id) != 0);
                    oauthmail_message_list_free(unread);
                }
                if (EXPECT_OK(oauthmail_graph_client_move_message(graph, id, "archive", &new_id))) {
                    CHECK(new_id != NULL && strlen(new_id) > 0);
                    EXPECT_OK(oauthmail_graph_client_delete_message(graph, new_id));
                    oauthmail_string_free(new_id);
                }
                EXPECT_ERROR(oauthmail_graph_client_mark_read(graph, NULL, true), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
            }
            oauthmail_message_list_free(list);
        }
        oauthmail_graph_client_free(graph);
    }
    EXPECT_ERROR(oauthmail_graph_client_new(NULL, cred, &o, &graph), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    oauthmail_graph_client_free(NULL);
    oauthmail_credential_free(cred);
    oauthmail_credential_free(noroles);
}

static void test_providers(void) {
    oauthmail_provider *p = NULL;
    oauthmail_credential *cred = NULL;
    oauthmail_smtp_client *smtp = NULL;
    oauthmail_imap_client *imap = NULL;
    oauthmail_pop3_client *pop3 = NULL;
    oauthmail_graph_client *graph = NULL;
    if (EXPECT_OK(oauthmail_provider_new("office365", &p))) {
        CHECK(strcmp(oauthmail_provider_smtp_host(p), "smtp.office365.com") == 0 && oauthmail_provider_smtp_port(p) == 587);
        CHECK(strcmp(oauthmail_provider_imap_host(p), "outlook.office365.com") == 0 && oauthmail_provider_imap_port(p) == 993);
        CHECK(oauthmail_provider_pop3_port(p) == 995 && oauthmail_provider_pop3_host(p) != NULL);
        CHECK(strcmp(oauthmail_provider_mail_scope(p), "https://outlook.office365.com/.default") == 0);
        CHECK(strcmp(oauthmail_provider_graph_url(p), "https://graph.microsoft.com/v1.0") == 0);
        CHECK(oauthmail_provider_name(p) != NULL);
        /* Clients from the preset (no connection is made). */
        if (EXPECT_OK(oauthmail_static_token_credential_new("opaque", 0, &cred))) {
            EXPECT_OK(oauthmail_smtp_client_from_provider(p, "alice@example.test", cred, &smtp));
            EXPECT_OK(oauthmail_imap_client_from_provider(p, "alice@example.test", cred, &imap));
            EXPECT_OK(oauthmail_pop3_client_from_provider(p, "alice@example.test", cred, &pop3));
            EXPECT_OK(oauthmail_graph_client_from_provider(p, "alice@example.test", cred, &graph));
            oauthmail_smtp_client_free(smtp);
            oauthmail_imap_client_free(imap);
            oauthmail_pop3_client_free(pop3);
            oauthmail_graph_client_free(graph);
        }
        oauthmail_provider_free(p);
    }
    if (EXPECT_OK(oauthmail_provider_new("gmail", &p))) {
        CHECK(oauthmail_provider_graph_url(p) == NULL);
        CHECK(strcmp(oauthmail_provider_smtp_host(p), "smtp.gmail.com") == 0);
        EXPECT_ERROR(oauthmail_graph_client_from_provider(p, "a@gmail.com", cred, &graph), OAUTHMAIL_ERROR_KIND_CONFIG,
                     NULL, 0);
        oauthmail_provider_free(p);
    }
    EXPECT_ERROR(oauthmail_provider_new("yahoo", &p), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_provider_new(NULL, &p), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    CHECK(oauthmail_provider_smtp_port(NULL) == 0 && oauthmail_provider_name(NULL) == NULL);
    oauthmail_provider_free(NULL);
    oauthmail_credential_free(cred);
}

static const oauthmail_doctor_finding *finding(const oauthmail_doctor_report *r, const char *check) {
    size_t i;
    for (i = 0; i < oauthmail_doctor_report_count(r); i++) {
        const oauthmail_doctor_finding *f = oauthmail_doctor_report_get(r, i);
        if (strcmp(oauthmail_doctor_finding_check(f), check) == 0) return f;
    }
    return NULL;
}

static void test_doctor(void) {
    oauthmail_credential_options co;
    oauthmail_mail_options mo;
    oauthmail_credential *alice = NULL, *bad;
    oauthmail_smtp_client *smtp = NULL;
    oauthmail_imap_client *imap = NULL;
    oauthmail_doctor_report *report = NULL;
    const char *host = need_env("TK_MAIL_HOST");
    memset(&co, 0, sizeof co);
    co.authority = authority;
    co.ca_file = ca;
    memset(&mo, 0, sizeof mo);
    mo.ca_file = ca;
    mo.security = "tls";
    if (!EXPECT_OK(oauthmail_username_password_credential_new(tenant, PUBLIC_APP, "alice@example.test",
                                                             "alice-password", &co, &alice)))
        return;
    EXPECT_OK(oauthmail_smtp_client_new(host, (uint16_t)atoi(need_env("TK_SMTP_TLS_PORT")), "alice@example.test",
                                        alice, &mo, &smtp));
    EXPECT_OK(oauthmail_imap_client_new(host, (uint16_t)atoi(need_env("TK_IMAP_TLS_PORT")), "alice@example.test",
                                        alice, &mo, &imap));
    if (EXPECT_OK(oauthmail_doctor_run(alice, "alice@example.test", NULL, 0, smtp, imap, NULL, &report))) {
        size_t i;
        CHECK(oauthmail_doctor_report_ok(report));
        CHECK(finding(report, "smtp") && oauthmail_doctor_finding_status(finding(report, "smtp")) == OAUTHMAIL_DOCTOR_STATUS_OK);
        CHECK(finding(report, "imap") && oauthmail_doctor_finding_status(finding(report, "imap")) == OAUTHMAIL_DOCTOR_STATUS_OK);
        CHECK(finding(report, "pop3") &&
              oauthmail_doctor_finding_status(finding(report, "pop3")) == OAUTHMAIL_DOCTOR_STATUS_SKIPPED);
        for (i = 0; i < oauthmail_doctor_report_count(report); i++)
            CHECK(oauthmail_doctor_finding_summary(oauthmail_doctor_report_get(report, i)) != NULL);
        oauthmail_doctor_report_free(report);
    }
    /* A wrong secret: the token check names Microsoft's code and how to fix it. */
    bad = app(CONFIDENTIAL_APP, "wrong-secret");
    if (bad && EXPECT_OK(oauthmail_doctor_run(bad, "alice@example.test", NULL, 0, NULL, NULL, NULL, &report))) {
        const oauthmail_doctor_finding *token = finding(report, "token");
        CHECK(!oauthmail_doctor_report_ok(report));
        CHECK(token && oauthmail_doctor_finding_status(token) == OAUTHMAIL_DOCTOR_STATUS_PROBLEM);
        CHECK(token && strcmp(oauthmail_doctor_finding_code(token), "AADSTS7000215") == 0);
        CHECK(token && oauthmail_doctor_finding_fix_count(token) > 0 && oauthmail_doctor_finding_fix(token, 0) != NULL);
        CHECK(oauthmail_doctor_report_get(report, oauthmail_doctor_report_count(report)) == NULL);
        oauthmail_doctor_report_free(report);
    }
    EXPECT_ERROR(oauthmail_doctor_run(alice, NULL, NULL, 0, NULL, NULL, NULL, &report), OAUTHMAIL_ERROR_KIND_CONFIG,
                 NULL, 1);
    CHECK(!oauthmail_doctor_report_ok(NULL) && oauthmail_doctor_finding_check(NULL) == NULL);
    oauthmail_doctor_report_free(NULL);
    oauthmail_smtp_client_free(smtp);
    oauthmail_imap_client_free(imap);
    oauthmail_credential_free(alice);
    oauthmail_credential_free(bad);
}

int main(void) {
    authority = need_env("TK_AUTHORITY");
    tenant = need_env("TK_TENANT");
    ca = need_env("TK_CA");
    test_graph();
    test_providers();
    test_doctor();
    return check_summary("test_graph_doctor");
}
