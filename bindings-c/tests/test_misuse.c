/* Misuse of the C API, against the test kit: NULL handles and arguments on
   every entry point family, invalid UTF-8, out-parameters untouched on error,
   closed clients, caller buffers that are too small, and one credential and
   one client shared by several threads (documented as thread-safe). Use after
   `_free` is undefined behaviour by contract and not tested. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "check.h"

#define APP "22222222-2222-2222-2222-222222222222"
#define MAILBOX "alice@example.test"
#define CONFIG OAUTHMAIL_ERROR_KIND_CONFIG
#define CLOSED OAUTHMAIL_ERROR_KIND_CLOSED

static const char BAD_UTF8[] = "\xc3\x28 \xff";
static oauthmail_credential *cred;
static oauthmail_mail_options mail_opts;
static const char *host;

static oauthmail_credential *app_credential(void) {
    oauthmail_credential_options o;
    oauthmail_credential *c = NULL;
    memset(&o, 0, sizeof o);
    o.authority = need_env("TK_AUTHORITY");
    o.ca_file = need_env("TK_CA");
    EXPECT_OK(oauthmail_client_secret_credential_new(need_env("TK_TENANT"), APP, "test-secret-1", &o, &c));
    return c;
}

static oauthmail_smtp_client *smtp_client(void) {
    oauthmail_smtp_client *c = NULL;
    EXPECT_OK(oauthmail_smtp_client_new(host, (uint16_t)atoi(need_env("TK_SMTP_TLS_PORT")), MAILBOX, cred,
                                        &mail_opts, &c));
    return c;
}

static oauthmail_imap_client *imap_client(void) {
    oauthmail_imap_client *c = NULL;
    EXPECT_OK(oauthmail_imap_client_new(host, (uint16_t)atoi(need_env("TK_IMAP_TLS_PORT")), MAILBOX, cred,
                                        &mail_opts, &c));
    return c;
}

static oauthmail_pop3_client *pop3_client(void) {
    oauthmail_pop3_client *c = NULL;
    EXPECT_OK(oauthmail_pop3_client_new(host, (uint16_t)atoi(need_env("TK_POP3_TLS_PORT")), MAILBOX, cred,
                                        &mail_opts, &c));
    return c;
}

/* A setter refused for a NULL or non-UTF-8 argument leaves the message as it was:
   the message still sends. (It used to be emptied, losing From and To.) */
static void test_message_builder(void) {
    typedef oauthmail_error *(*setter)(oauthmail_message *, const char *);
    static const setter setters[] = {
        oauthmail_message_set_from, oauthmail_message_set_sender,  oauthmail_message_add_reply_to,
        oauthmail_message_add_to,   oauthmail_message_add_cc,      oauthmail_message_add_bcc,
        oauthmail_message_set_subject, oauthmail_message_set_text, oauthmail_message_set_html,
    };
    oauthmail_message *msg = NULL, *sentinel = (oauthmail_message *)&sentinel;
    oauthmail_smtp_client *smtp;
    size_t i;
    if (!EXPECT_OK(oauthmail_message_new(&msg))) return;
    EXPECT_OK(oauthmail_message_set_from(msg, MAILBOX));
    EXPECT_OK(oauthmail_message_add_to(msg, "bob@example.test"));
    EXPECT_OK(oauthmail_message_set_subject(msg, "misuse: builder survives bad arguments"));
    for (i = 0; i < sizeof setters / sizeof setters[0]; i++) {
        EXPECT_ERROR(setters[i](msg, BAD_UTF8), CONFIG, NULL, 1);
        EXPECT_ERROR(setters[i](msg, NULL), CONFIG, NULL, 1);
        EXPECT_ERROR(setters[i](NULL, MAILBOX), CONFIG, NULL, 0);
    }
    EXPECT_ERROR(oauthmail_message_add_header(msg, "X-Ok", BAD_UTF8), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_message_add_header(msg, NULL, "v"), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_message_attach_bytes(msg, "a.txt", "text/plain", NULL, 3), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_message_attach_bytes(msg, BAD_UTF8, "text/plain", (const uint8_t *)"abc", 3), CONFIG,
                 NULL, 1);
    EXPECT_ERROR(oauthmail_message_attach_file(msg, NULL, NULL, NULL), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_message_attach_file(msg, "/tmp/x", BAD_UTF8, NULL), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_message_new(NULL), CONFIG, NULL, 1);
    CHECK(sentinel == (oauthmail_message *)&sentinel);
    smtp = smtp_client();
    if (smtp) {
        EXPECT_OK(oauthmail_smtp_client_send(smtp, msg, NULL));
        oauthmail_smtp_client_free(smtp);
    }
    oauthmail_message_free(msg);
}

/* NULL handles, arguments and out-parameters on every client family: Config
   errors, out-parameters untouched. */
static void test_null_handles(void) {
    static char anchor;
    void *const SENT = &anchor;
    oauthmail_message_list *list = SENT;
    oauthmail_folder_list *folders = SENT;
    oauthmail_uid_list *uids = SENT;
    oauthmail_send_report *report = SENT;
    oauthmail_doctor_report *doctor = SENT;
    oauthmail_smtp_client *smtp = SENT;
    oauthmail_provider *provider = SENT;
    char *new_id = SENT;
    const char *flags[] = {"\\Seen"};
    uint32_t uid = 1, count = 7;
    uint64_t size = 7;
    size_t len = 7;
    uint8_t buf[8];

    EXPECT_ERROR(oauthmail_smtp_client_connect(NULL), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_smtp_client_send_raw(NULL, MAILBOX, flags, 1, buf, 1, &report), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_smtp_client_close(NULL), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_smtp_client_new(NULL, 1, MAILBOX, cred, NULL, &smtp), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_smtp_client_new(host, 1, BAD_UTF8, cred, NULL, &smtp), CONFIG, NULL, 1);

    EXPECT_ERROR(oauthmail_imap_client_connect(NULL), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_list_folders(NULL, &folders), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_select(NULL, "INBOX", NULL), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_search(NULL, "INBOX", NULL, &uids), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_list_messages(NULL, NULL, NULL, &list), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_fetch_message(NULL, 1, buf, sizeof buf, &len), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_fetch_message_to_file(NULL, 1, "/tmp/x"), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_set_flags(NULL, &uid, 1, flags, 1), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_clear_flags(NULL, &uid, 1, flags, 1), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_move(NULL, &uid, 1, "Archive"), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_copy(NULL, &uid, 1, "Archive"), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_delete(NULL, &uid, 1, true), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_create_folder(NULL, "x"), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_delete_folder(NULL, "x"), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_append(NULL, "INBOX", buf, 1, NULL, 0, &uid), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_close(NULL), CONFIG, NULL, 1);

    EXPECT_ERROR(oauthmail_pop3_client_connect(NULL), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_pop3_client_stat(NULL, &count, &size), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_pop3_client_list_messages(NULL, 0, &list), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_pop3_client_fetch_message(NULL, 1, buf, sizeof buf, &len), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_pop3_client_fetch_message_to_file(NULL, 1, "/tmp/x"), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_pop3_client_delete(NULL, 1), CONFIG, NULL, 1);

    EXPECT_ERROR(oauthmail_graph_client_send_mime(NULL, buf, 1, &report), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_graph_client_list_messages(NULL, NULL, NULL, &list), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_graph_client_fetch_message(NULL, "id", buf, sizeof buf, &len), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_graph_client_mark_read(NULL, "id", true), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_graph_client_move_message(NULL, "id", "archive", &new_id), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_graph_client_delete_message(NULL, "id"), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_graph_client_close(NULL), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_graph_client_new(MAILBOX, NULL, NULL, NULL), CONFIG, NULL, 1);

    EXPECT_ERROR(oauthmail_provider_new(BAD_UTF8, &provider), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_provider_new(NULL, &provider), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_smtp_client_from_provider(NULL, MAILBOX, cred, &smtp), CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_doctor_run(NULL, MAILBOX, NULL, 0, NULL, NULL, NULL, &doctor), CONFIG, NULL, 1);
    CHECK(oauthmail_provider_name(NULL) == NULL && oauthmail_provider_smtp_port(NULL) == 0);
    CHECK(oauthmail_error_message(NULL) == NULL && oauthmail_error_describe(NULL) == NULL);
    CHECK(oauthmail_error_get_kind(NULL) == OAUTHMAIL_ERROR_KIND_INTERNAL);
    CHECK(oauthmail_error_kind_to_string(12345) == NULL);
    oauthmail_provider_free(NULL);
    oauthmail_doctor_report_free(NULL);
    oauthmail_graph_client_free(NULL);
    oauthmail_authorization_request_free(NULL);

    CHECK(list == SENT && folders == SENT && uids == SENT && report == SENT && doctor == SENT);
    CHECK(smtp == SENT && provider == SENT && new_id == SENT);
    CHECK(uid == 1 && count == 7 && size == 7 && len == 7);
}

/* Invalid UTF-8 and bad arrays reaching live clients: Config, nothing sent. */
static void test_invalid_arguments_on_live_clients(void) {
    oauthmail_imap_client *imap = imap_client();
    oauthmail_pop3_client *pop3 = pop3_client();
    oauthmail_smtp_client *smtp = smtp_client();
    const char *bad_flags[] = {"\\Seen", BAD_UTF8};
    const char *rcpts[] = {"bob@example.test", NULL};
    uint32_t uid = 1;
    if (imap) {
        EXPECT_ERROR(oauthmail_imap_client_select(imap, BAD_UTF8, NULL), CONFIG, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_create_folder(imap, BAD_UTF8), CONFIG, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_set_flags(imap, &uid, 1, bad_flags, 2), CONFIG, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_move(imap, NULL, 3, "Archive"), CONFIG, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_append(imap, "INBOX", NULL, 10, NULL, 0, NULL), CONFIG, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_fetch_message_to_file(imap, 1, BAD_UTF8), CONFIG, NULL, 1);
    }
    if (pop3) EXPECT_ERROR(oauthmail_pop3_client_fetch_message_to_file(pop3, 1, NULL), CONFIG, NULL, 1);
    if (smtp) {
        EXPECT_ERROR(oauthmail_smtp_client_send_raw(smtp, BAD_UTF8, rcpts, 1, (const uint8_t *)"x", 1, NULL), CONFIG,
                     NULL, 1);
        EXPECT_ERROR(oauthmail_smtp_client_send_raw(smtp, MAILBOX, rcpts, 2, (const uint8_t *)"x", 1, NULL), CONFIG,
                     NULL, 1);
    }
    oauthmail_imap_client_free(imap);
    oauthmail_pop3_client_free(pop3);
    oauthmail_smtp_client_free(smtp);
}

/* Fetching into caller buffers: too small is a Config error naming the size,
   `*out_len` untouched; exact size works; NULL with capacity 0 asks the size. */
static void test_small_buffers(void) {
    static const char raw[] = "From: alice@example.test\r\nSubject: buffer sizes\r\n\r\nsixteen bytes!!\r\n";
    const size_t n = sizeof raw - 1;
    char name[32];
    oauthmail_imap_client *imap = imap_client();
    oauthmail_pop3_client *pop3;
    uint8_t *buf = malloc(n + 8);
    uint32_t uid = 0, count = 0;
    uint64_t size = 0;
    size_t len = 7;
    oauthmail_error *err;
    if (imap == NULL || buf == NULL) return;
    if (EXPECT_OK(oauthmail_imap_client_append(imap, "INBOX", (const uint8_t *)raw, n, NULL, 0, &uid)) && uid) {
        memset(buf, 0xA5, n + 8);
        err = oauthmail_imap_client_fetch_message(imap, uid, buf, n - 1, &len);
        snprintf(name, sizeof name, "%zu", n);
        CHECK(err && strstr(oauthmail_error_message(err), name) != NULL);
        EXPECT_ERROR(err, CONFIG, NULL, 1);
        CHECK(len == 7 && buf[n - 1] == 0xA5 && buf[n] == 0xA5);
        EXPECT_ERROR(oauthmail_imap_client_fetch_message(imap, uid, NULL, 0, &len), CONFIG, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_fetch_message(imap, uid, NULL, n, &len), CONFIG, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_fetch_message(imap, uid, buf, n, NULL), CONFIG, NULL, 1);
        CHECK(len == 7);
        /* The session is still usable after the refusals. */
        if (EXPECT_OK(oauthmail_imap_client_fetch_message(imap, uid, buf, n, &len)))
            CHECK(len == n && memcmp(buf, raw, n) == 0 && buf[n] == 0xA5);
    }
    oauthmail_imap_client_free(imap);
    pop3 = pop3_client();
    if (pop3 && EXPECT_OK(oauthmail_pop3_client_stat(pop3, &count, &size)) && count > 0) {
        len = 7;
        EXPECT_ERROR(oauthmail_pop3_client_fetch_message(pop3, count, buf, 1, &len), CONFIG, NULL, 1);
        CHECK(len == 7);
        EXPECT_OK(oauthmail_pop3_client_fetch_message(pop3, count, buf, n + 8, &len));
        EXPECT_ERROR(oauthmail_pop3_client_fetch_message(pop3, 0, buf, n, &len), CONFIG, NULL, 0);
    }
    oauthmail_pop3_client_free(pop3);
    free(buf);
}

/* Every verb of a closed client fails with Closed; closing twice is harmless. */
static void test_closed_clients(void) {
    oauthmail_imap_client *imap = imap_client();
    oauthmail_pop3_client *pop3 = pop3_client();
    oauthmail_smtp_client *smtp = smtp_client();
    oauthmail_message_list *list = NULL;
    oauthmail_folder_list *folders = NULL;
    uint32_t count = 0, uid = 1;
    uint64_t size = 0;
    size_t len = 0;
    uint8_t buf[16];
    if (imap) {
        EXPECT_OK(oauthmail_imap_client_connect(imap));
        EXPECT_OK(oauthmail_imap_client_close(imap));
        EXPECT_OK(oauthmail_imap_client_close(imap));
        EXPECT_ERROR(oauthmail_imap_client_list_messages(imap, NULL, NULL, &list), CLOSED, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_list_folders(imap, &folders), CLOSED, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_select(imap, "INBOX", NULL), CLOSED, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_fetch_message(imap, 1, buf, sizeof buf, &len), CLOSED, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_set_flags(imap, &uid, 1, NULL, 0), CLOSED, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_append(imap, "INBOX", buf, 1, NULL, 0, NULL), CLOSED, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_connect(imap), CLOSED, NULL, 1);
        CHECK(list == NULL && folders == NULL && len == 0);
    }
    if (pop3) {
        EXPECT_OK(oauthmail_pop3_client_close(pop3)); /* closed before it ever connected */
        EXPECT_ERROR(oauthmail_pop3_client_stat(pop3, &count, &size), CLOSED, NULL, 1);
        EXPECT_ERROR(oauthmail_pop3_client_list_messages(pop3, 0, &list), CLOSED, NULL, 1);
        EXPECT_ERROR(oauthmail_pop3_client_fetch_message(pop3, 1, buf, sizeof buf, &len), CLOSED, NULL, 1);
        EXPECT_ERROR(oauthmail_pop3_client_connect(pop3), CLOSED, NULL, 1);
        EXPECT_OK(oauthmail_pop3_client_close(pop3));
    }
    if (smtp) {
        EXPECT_OK(oauthmail_smtp_client_close(smtp));
        EXPECT_ERROR(oauthmail_smtp_client_connect(smtp), CLOSED, NULL, 1);
    }
    oauthmail_imap_client_free(imap);
    oauthmail_pop3_client_free(pop3);
    oauthmail_smtp_client_free(smtp);
}

/* One SMTP client and one credential shared by several threads: every send
   succeeds (the client serialises them), and each thread's own IMAP client
   uses the same credential at the same time. */
struct shared {
    oauthmail_smtp_client *smtp;
    oauthmail_message *msg;
    int ok;
};

static void *send_and_list(void *arg) {
    struct shared *s = arg;
    oauthmail_imap_client *imap = NULL;
    oauthmail_message_list *list = NULL;
    oauthmail_error *e1 = oauthmail_smtp_client_send(s->smtp, s->msg, NULL), *e2 = NULL, *e3 = NULL;
    e2 = oauthmail_imap_client_new(host, (uint16_t)atoi(need_env("TK_IMAP_TLS_PORT")), MAILBOX, cred, &mail_opts,
                                   &imap);
    if (e2 == NULL) e3 = oauthmail_imap_client_list_messages(imap, NULL, NULL, &list);
    s->ok = e1 == NULL && e2 == NULL && e3 == NULL && list != NULL;
    oauthmail_error_free(e1);
    oauthmail_error_free(e2);
    oauthmail_error_free(e3);
    oauthmail_message_list_free(list);
    oauthmail_imap_client_free(imap);
    return NULL;
}

static void test_threads(void) {
    enum { N = 6 };
    pthread_t threads[N];
    struct shared s[N];
    oauthmail_smtp_client *smtp = smtp_client();
    oauthmail_message *msg = NULL;
    int i;
    if (smtp == NULL || !EXPECT_OK(oauthmail_message_new(&msg))) return;
    EXPECT_OK(oauthmail_message_set_from(msg, MAILBOX));
    EXPECT_OK(oauthmail_message_add_to(msg, "bob@example.test"));
    EXPECT_OK(oauthmail_message_set_subject(msg, "misuse: shared by threads"));
    for (i = 0; i < N; i++) {
        s[i].smtp = smtp;
        s[i].msg = msg; /* read-only while sending: allowed from several threads */
        s[i].ok = 0;
        CHECK(pthread_create(&threads[i], NULL, send_and_list, &s[i]) == 0);
    }
    for (i = 0; i < N; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(s[i].ok);
    }
    oauthmail_message_free(msg);
    oauthmail_smtp_client_free(smtp);
}

int main(void) {
    host = need_env("TK_MAIL_HOST");
    memset(&mail_opts, 0, sizeof mail_opts);
    mail_opts.ca_file = need_env("TK_CA");
    mail_opts.security = "tls";
    cred = app_credential();
    if (cred == NULL) return check_summary("test_misuse");
    test_message_builder();
    test_null_handles();
    test_invalid_arguments_on_live_clients();
    test_small_buffers();
    test_closed_clients();
    test_threads();
    oauthmail_credential_free(cred);
    return check_summary("test_misuse");
}
