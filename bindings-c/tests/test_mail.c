/* SMTP (message builder and raw), IMAP and POP3 through the C API: against
   the test kit, and against the real Postfix/Dovecot stack when the
   MAILSTACK_* environment is set. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define PUBLIC_APP "44444444-4444-4444-4444-444444444444"

/* One place to send to and read from. */
struct stack {
    const char *name;
    const char *host;
    uint16_t smtp_port, smtps_port, imaps_port, pop3s_port;
    const char *ca_file;   /* the mail servers' CA */
    int readback_waits;    /* real servers deliver asynchronously */
};

static const char *authority, *tenant, *kit_ca;
static char tag[64];

static oauthmail_credential *user_credential(const char *user, const char *password) {
    oauthmail_credential_options o;
    oauthmail_credential *cred = NULL;
    memset(&o, 0, sizeof o);
    o.authority = authority;
    o.ca_file = kit_ca;
    if (!EXPECT_OK(oauthmail_username_password_credential_new(tenant, PUBLIC_APP, user, password, &o, &cred)))
        return NULL;
    return cred;
}

static oauthmail_mail_options mail_options(const struct stack *s, const char *security) {
    oauthmail_mail_options o;
    memset(&o, 0, sizeof o);
    o.ca_file = s->ca_file;
    o.security = security;
    return o;
}

/* Runs `curl` against the kit's control endpoint (faults); 0 on success. */
static int kit_control(const char *path, const char *json) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "curl -sf -o /dev/null --cacert '%s' -H 'Content-Type: application/json' -d '%s' '%s/%s'",
             kit_ca, json, need_env("TK_CONTROL_URL"), path);
    return system(cmd);
}

/* Whether `len` bytes at `buf` contain `needle` (memmem is not C99/POSIX). */
static int contains(const uint8_t *buf, size_t len, const char *needle) {
    size_t n = strlen(needle), i;
    for (i = 0; i + n <= len; i++)
        if (memcmp(buf + i, needle, n) == 0) return 1;
    return 0;
}

/* Whether a listed message carries `flag` (servers may add others, such as \Recent). */
static int has_flag(const oauthmail_message_summary *s, const char *flag) {
    size_t i;
    for (i = 0; i < oauthmail_message_summary_flags_count(s); i++)
        if (strcmp(oauthmail_message_summary_flag(s, i), flag) == 0) return 1;
    return 0;
}

/* Finds the summary whose subject is `subject`, or NULL. */
static const oauthmail_message_summary *find(const oauthmail_message_list *list, const char *subject) {
    size_t i;
    for (i = 0; i < oauthmail_message_list_count(list); i++) {
        const oauthmail_message_summary *s = oauthmail_message_list_get(list, i);
        if (strcmp(oauthmail_message_summary_subject(s), subject) == 0) return s;
    }
    return NULL;
}

static void send_messages(const struct stack *st, const oauthmail_credential *alice, const char *subject,
                          const char *raw_subject) {
    oauthmail_mail_options o = mail_options(st, "starttls");
    oauthmail_smtp_client *smtp = NULL;
    oauthmail_message *msg = NULL;
    oauthmail_send_report *report = NULL;
    static const uint8_t note[] = "a small attachment\n";

    if (!EXPECT_OK(oauthmail_smtp_client_new(st->host, st->smtp_port, "alice@example.test", alice, &o, &smtp))) return;
    EXPECT_OK(oauthmail_smtp_client_connect(smtp));
    if (EXPECT_OK(oauthmail_message_new(&msg))) {
        EXPECT_OK(oauthmail_message_set_from(msg, "Alice Ünicode <alice@example.test>"));
        EXPECT_OK(oauthmail_message_add_to(msg, "Bob <bob@example.test>"));
        EXPECT_OK(oauthmail_message_set_subject(msg, subject));
        EXPECT_OK(oauthmail_message_set_text(msg, "Hello from C.\nZweite Zeile: äöü ✓\n"));
        EXPECT_OK(oauthmail_message_set_html(msg, "<p>Hello from <b>C</b>.</p>"));
        EXPECT_OK(oauthmail_message_add_header(msg, "X-Test-Tag", tag));
        EXPECT_OK(oauthmail_message_attach_bytes(msg, "note.txt", "text/plain", note, sizeof note - 1));
        if (EXPECT_OK(oauthmail_smtp_client_send(smtp, msg, &report))) {
            CHECK(oauthmail_send_report_message_id(report) != NULL);
            CHECK(oauthmail_send_report_accepted_count(report) == 1);
            CHECK(strcmp(oauthmail_send_report_accepted(report, 0), "bob@example.test") == 0);
            CHECK(oauthmail_send_report_accepted(report, 1) == NULL);
            CHECK(oauthmail_send_report_rejected_count(report) == 0);
            CHECK(strcmp(oauthmail_send_report_via(report), "smtp") == 0);
            CHECK(oauthmail_send_report_reply(report) != NULL);
            oauthmail_send_report_free(report);
        }
        oauthmail_message_free(msg);
    }

    /* Invalid messages: a Message error, nothing sent. */
    if (EXPECT_OK(oauthmail_message_new(&msg))) {
        EXPECT_OK(oauthmail_message_set_from(msg, "alice@example.test"));
        EXPECT_OK(oauthmail_message_set_subject(msg, "no recipients"));
        EXPECT_ERROR(oauthmail_smtp_client_send(smtp, msg, NULL), OAUTHMAIL_ERROR_KIND_MESSAGE, NULL, 0);
        EXPECT_OK(oauthmail_message_add_to(msg, "not an address"));
        EXPECT_ERROR(oauthmail_smtp_client_send(smtp, msg, NULL), OAUTHMAIL_ERROR_KIND_MESSAGE, NULL, 0);
        oauthmail_message_free(msg);
    }
    if (EXPECT_OK(oauthmail_message_new(&msg))) {
        EXPECT_OK(oauthmail_message_set_from(msg, "alice@example.test"));
        EXPECT_OK(oauthmail_message_add_to(msg, "bob@example.test"));
        EXPECT_OK(oauthmail_message_add_header(msg, "X-Evil", "a\r\nBcc: eve@example.org"));
        EXPECT_ERROR(oauthmail_smtp_client_send(smtp, msg, NULL), OAUTHMAIL_ERROR_KIND_MESSAGE, NULL, 0);
        oauthmail_message_free(msg);
    }
    EXPECT_OK(oauthmail_smtp_client_close(smtp));
    oauthmail_smtp_client_free(smtp);

    /* Raw bytes over implicit TLS. */
    o = mail_options(st, "tls");
    if (EXPECT_OK(oauthmail_smtp_client_new(st->host, st->smtps_port, "alice@example.test", alice, &o, &smtp))) {
        char raw[512];
        const char *rcpts[] = {"bob@example.test"};
        int n = snprintf(raw, sizeof raw,
                         "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: %s\r\n"
                         "Message-ID: <%s@c.test>\r\n\r\nraw body\r\n",
                         raw_subject, tag);
        if (EXPECT_OK(oauthmail_smtp_client_send_raw(smtp, "alice@example.test", rcpts, 1, (const uint8_t *)raw,
                                                     (size_t)n, &report))) {
            CHECK(oauthmail_send_report_message_id(report) == NULL);
            CHECK(oauthmail_send_report_accepted_count(report) == 1);
            oauthmail_send_report_free(report);
        }
        EXPECT_ERROR(oauthmail_smtp_client_send_raw(smtp, "alice@example.test", NULL, 0, (const uint8_t *)raw,
                                                    (size_t)n, NULL),
                     OAUTHMAIL_ERROR_KIND_MESSAGE, NULL, 0);
        EXPECT_ERROR(oauthmail_smtp_client_send_raw(smtp, "alice@example.test", rcpts, 1, NULL, 5, NULL),
                     OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
        /* After close: Closed, with a hint. */
        EXPECT_OK(oauthmail_smtp_client_close(smtp));
        EXPECT_ERROR(oauthmail_smtp_client_send_raw(smtp, "alice@example.test", rcpts, 1, (const uint8_t *)raw,
                                                    (size_t)n, NULL),
                     OAUTHMAIL_ERROR_KIND_CLOSED, NULL, 1);
        oauthmail_smtp_client_free(smtp);
    }
}

/* Lists bob's INBOX over IMAP until `subject` is there (real servers deliver
   asynchronously). */
static oauthmail_message_list *wait_for(const struct stack *st, oauthmail_imap_client *imap, const char *subject) {
    int attempt;
    for (attempt = 0; attempt <= st->readback_waits; attempt++) {
        oauthmail_message_list *list = NULL;
        if (!EXPECT_OK(oauthmail_imap_client_list_messages(imap, "INBOX", NULL, &list))) return NULL;
        if (find(list, subject)) return list;
        oauthmail_message_list_free(list);
        sleep(1);
    }
    return NULL;
}

static void read_over_imap(const struct stack *st, const oauthmail_credential *bob, const char *subject) {
    oauthmail_mail_options o = mail_options(st, "tls");
    oauthmail_imap_client *imap = NULL;
    oauthmail_message_list *list;
    oauthmail_folder_list *folders = NULL;
    const oauthmail_message_summary *s;
    uint32_t uid;
    uint64_t size;

    if (!EXPECT_OK(oauthmail_imap_client_new(st->host, st->imaps_port, "bob@example.test", bob, &o, &imap))) return;
    EXPECT_OK(oauthmail_imap_client_connect(imap));
    if (EXPECT_OK(oauthmail_imap_client_list_folders(imap, &folders))) {
        size_t i;
        int inbox = 0;
        for (i = 0; i < oauthmail_folder_list_count(folders); i++)
            inbox |= strcmp(oauthmail_folder_name(oauthmail_folder_list_get(folders, i)), "INBOX") == 0;
        CHECK(inbox);
        CHECK(oauthmail_folder_list_get(folders, oauthmail_folder_list_count(folders)) == NULL);
        oauthmail_folder_list_free(folders);
    }
    list = wait_for(st, imap, subject);
    CHECK(list != NULL);
    if (list == NULL) {
        oauthmail_imap_client_free(imap);
        return;
    }
    s = find(list, subject);
    uid = oauthmail_message_summary_uid(s);
    size = oauthmail_message_summary_size(s);
    CHECK(uid > 0 && size > 0);
    CHECK(strcmp(oauthmail_message_summary_from_address(s), "alice@example.test") == 0);
    CHECK(strstr(oauthmail_message_summary_from(s), "Alice Ünicode") != NULL);
    CHECK(oauthmail_message_summary_to_count(s) == 1 && strstr(oauthmail_message_summary_to(s, 0), "bob@example.test"));
    CHECK(oauthmail_message_summary_date(s) > 0);
    CHECK(oauthmail_message_summary_message_id(s) != NULL);
    CHECK(oauthmail_message_summary_has_attachments(s));
    CHECK(oauthmail_message_summary_uidl(s) == NULL);

    {
        /* Into a buffer of exactly the listed size, and too small a one. */
        uint8_t *buf = malloc((size_t)size);
        uint8_t small[16];
        size_t len = 12345;
        if (EXPECT_OK(oauthmail_imap_client_fetch_message(imap, uid, buf, (size_t)size, &len))) {
            CHECK(len == size);
            CHECK(len > 0 && contains(buf, len, "X-Test-Tag: "));
        }
        len = 7;
        EXPECT_ERROR(oauthmail_imap_client_fetch_message(imap, uid, small, sizeof small, &len),
                     OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
        CHECK(len == 7);
        EXPECT_ERROR(oauthmail_imap_client_fetch_message(imap, uid, NULL, 10, &len), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
        EXPECT_ERROR(oauthmail_imap_client_fetch_message(imap, uid, buf, (size_t)size, NULL),
                     OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
        {
            /* To a file: the same bytes. */
            char path[128];
            struct stat sb;
            snprintf(path, sizeof path, "/tmp/oauthmail-c-%s.eml", tag);
            if (EXPECT_OK(oauthmail_imap_client_fetch_message_to_file(imap, uid, path))) {
                CHECK(stat(path, &sb) == 0 && (uint64_t)sb.st_size == size);
                unlink(path);
            }
        }
        free(buf);
    }
    {
        /* Search, flags. */
        oauthmail_search_query q;
        oauthmail_uid_list *uids = NULL;
        const char *flagged[] = {"\\Flagged"};
        memset(&q, 0, sizeof q);
        q.subject = tag;
        if (EXPECT_OK(oauthmail_imap_client_search(imap, "INBOX", &q, &uids))) {
            CHECK(oauthmail_uid_list_count(uids) >= 1);
            CHECK(oauthmail_uid_list_get(uids, oauthmail_uid_list_count(uids)) == 0);
            oauthmail_uid_list_free(uids);
        }
        EXPECT_OK(oauthmail_imap_client_set_flags(imap, &uid, 1, flagged, 1));
        q.flagged = 1;
        if (EXPECT_OK(oauthmail_imap_client_search(imap, "INBOX", &q, &uids))) {
            CHECK(oauthmail_uid_list_count(uids) == 1 && oauthmail_uid_list_data(uids)[0] == uid);
            oauthmail_uid_list_free(uids);
        }
        EXPECT_OK(oauthmail_imap_client_clear_flags(imap, &uid, 1, flagged, 1));
        if (EXPECT_OK(oauthmail_imap_client_search(imap, "INBOX", &q, &uids))) {
            CHECK(oauthmail_uid_list_count(uids) == 0 && oauthmail_uid_list_data(uids) == NULL);
            oauthmail_uid_list_free(uids);
        }
        EXPECT_ERROR(oauthmail_imap_client_set_flags(imap, NULL, 3, flagged, 1), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    }
    {
        oauthmail_mailbox_info info;
        memset(&info, 0, sizeof info);
        if (EXPECT_OK(oauthmail_imap_client_select(imap, "INBOX", &info))) {
            CHECK(info.exists >= 1 && info.uid_next > uid && !info.read_only);
        }
        EXPECT_ERROR(oauthmail_imap_client_select(imap, "No Such Folder", &info), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 0);
        {
            /* A folder of our own: append, move into it, delete it. */
            static const char copy[] = "From: bob@example.test\r\nSubject: appended\r\n\r\nkept\r\n";
            const char *seen[] = {"\\Seen"};
            char folder[96];
            uint32_t appended = 0;
            oauthmail_message_list *in_folder = NULL;
            snprintf(folder, sizeof folder, "C test %s", tag);
            EXPECT_OK(oauthmail_imap_client_create_folder(imap, folder));
            EXPECT_OK(oauthmail_imap_client_append(imap, folder, (const uint8_t *)copy, sizeof copy - 1, seen, 1,
                                                   &appended));
            EXPECT_ERROR(oauthmail_imap_client_append(imap, folder, NULL, 0, NULL, 0, NULL), OAUTHMAIL_ERROR_KIND_MESSAGE,
                         NULL, 0);
            if (EXPECT_OK(oauthmail_imap_client_list_messages(imap, folder, NULL, &in_folder))) {
                const oauthmail_message_summary *a = find(in_folder, "appended");
                CHECK(oauthmail_message_list_count(in_folder) == 1 && a != NULL);
                CHECK(a && (appended == 0 || oauthmail_message_summary_uid(a) == appended));
                CHECK(a && has_flag(a, "\\Seen"));
                oauthmail_message_list_free(in_folder);
            }
            EXPECT_OK(oauthmail_imap_client_delete_folder(imap, folder));
        }
        /* Delete: gone from the listing. */
        EXPECT_OK(oauthmail_imap_client_select(imap, "INBOX", NULL));
        EXPECT_OK(oauthmail_imap_client_delete(imap, &uid, 1, true));
        oauthmail_message_list_free(list);
        if (EXPECT_OK(oauthmail_imap_client_list_messages(imap, "INBOX", NULL, &list))) {
            CHECK(find(list, subject) == NULL);
            oauthmail_message_list_free(list);
        }
    }
    EXPECT_OK(oauthmail_imap_client_close(imap));
    EXPECT_ERROR(oauthmail_imap_client_list_messages(imap, "INBOX", NULL, &list), OAUTHMAIL_ERROR_KIND_CLOSED, NULL, 1);
    oauthmail_imap_client_free(imap);
}

static void read_over_pop3(const struct stack *st, const oauthmail_credential *bob, const char *subject) {
    oauthmail_mail_options o = mail_options(st, "tls");
    oauthmail_pop3_client *pop3 = NULL;
    oauthmail_message_list *list = NULL;
    uint32_t count = 0;
    uint64_t total = 0;
    if (!EXPECT_OK(oauthmail_pop3_client_new(st->host, st->pop3s_port, "bob@example.test", bob, &o, &pop3))) return;
    EXPECT_OK(oauthmail_pop3_client_connect(pop3));
    if (EXPECT_OK(oauthmail_pop3_client_stat(pop3, &count, &total))) CHECK(count >= 1 && total > 0);
    if (EXPECT_OK(oauthmail_pop3_client_list_messages(pop3, 0, &list))) {
        const oauthmail_message_summary *s = find(list, subject);
        CHECK(s != NULL);
        if (s) {
            uint8_t buf[4096];
            size_t len = 0;
            CHECK(oauthmail_message_summary_uidl(s) != NULL);
            if (EXPECT_OK(oauthmail_pop3_client_fetch_message(pop3, oauthmail_message_summary_uid(s), buf, sizeof buf,
                                                              &len))) {
                CHECK(len > 0 && contains(buf, len, "raw body"));
            }
        }
        oauthmail_message_list_free(list);
    }
    EXPECT_OK(oauthmail_pop3_client_close(pop3));
    oauthmail_pop3_client_free(pop3);
}

/* One IMAP client shared by several threads: calls are serialised. */
static void *list_thread(void *client) {
    oauthmail_message_list *list = NULL;
    oauthmail_error *err = oauthmail_imap_client_list_messages(client, "INBOX", NULL, &list);
    int ok = err == NULL && list != NULL;
    oauthmail_error_free(err);
    oauthmail_message_list_free(list);
    return ok ? client : NULL;
}

static void shared_imap_client(const struct stack *st, const oauthmail_credential *bob) {
    oauthmail_mail_options o = mail_options(st, "tls");
    oauthmail_imap_client *imap = NULL;
    pthread_t threads[4];
    int i;
    if (!EXPECT_OK(oauthmail_imap_client_new(st->host, st->imaps_port, "bob@example.test", bob, &o, &imap))) return;
    for (i = 0; i < 4; i++) CHECK(pthread_create(&threads[i], NULL, list_thread, imap) == 0);
    for (i = 0; i < 4; i++) {
        void *result = NULL;
        CHECK(pthread_join(threads[i], &result) == 0 && result == imap);
    }
    oauthmail_imap_client_free(imap);
}

static void run_stack(const struct stack *st, const oauthmail_credential *alice, const oauthmail_credential *bob) {
    char subject[160], raw_subject[160];
    printf("-- %s\n", st->name);
    snprintf(subject, sizeof subject, "Grüße aus C — 📬 %s", tag);
    snprintf(raw_subject, sizeof raw_subject, "raw %s", tag);
    send_messages(st, alice, subject, raw_subject);
    read_over_pop3(st, bob, raw_subject);
    read_over_imap(st, bob, subject);
    shared_imap_client(st, bob);
}

/* Kit-only: error kinds that need fault injection or the kit's refusals. */
static void kit_errors(const struct stack *st, const oauthmail_credential *alice) {
    oauthmail_mail_options o = mail_options(st, "tls");
    oauthmail_smtp_client *smtp = NULL;
    oauthmail_message *msg = NULL;
    oauthmail_imap_client *imap = NULL;
    oauthmail_pop3_client *pop3 = NULL;
    oauthmail_error *err;
    if (!EXPECT_OK(oauthmail_message_new(&msg))) return;
    EXPECT_OK(oauthmail_message_set_from(msg, "alice@example.test"));
    EXPECT_OK(oauthmail_message_add_to(msg, "bob@example.test"));
    EXPECT_OK(oauthmail_message_set_subject(msg, "fault"));
    if (EXPECT_OK(oauthmail_smtp_client_new(st->host, st->smtps_port, "alice@example.test", alice, &o, &smtp))) {
        /* Exchange's "SMTP AUTH is disabled" is a Permission error with its code and a hint. */
        CHECK(kit_control("faults", "{\"target\":\"smtp\",\"fault\":\"auth_disabled\",\"count\":1}") == 0);
        EXPECT_ERROR(oauthmail_smtp_client_send(smtp, msg, NULL), OAUTHMAIL_ERROR_KIND_PERMISSION, "5.7.139", 1);
        /* Server busy: Throttled, with how long to wait. */
        CHECK(kit_control("faults", "{\"target\":\"smtp\",\"fault\":\"throttle\",\"count\":1}") == 0);
        err = oauthmail_smtp_client_send(smtp, msg, NULL);
        CHECK(oauthmail_error_retry_after_ms(err) > 0);
        EXPECT_ERROR(err, OAUTHMAIL_ERROR_KIND_THROTTLED, "4.7.500", 1);
        /* Sending as someone else. */
        EXPECT_OK(oauthmail_message_set_from(msg, "carol@example.test"));
        EXPECT_ERROR(oauthmail_smtp_client_send(smtp, msg, NULL), OAUTHMAIL_ERROR_KIND_PERMISSION, "5.2.252", 1);
        oauthmail_smtp_client_free(smtp);
    }
    /* A server slower than the client's timeout_ms: Timeout. */
    o.timeout_ms = 300;
    if (EXPECT_OK(oauthmail_smtp_client_new(st->host, st->smtps_port, "alice@example.test", alice, &o, &smtp))) {
        CHECK(kit_control("faults", "{\"target\":\"smtp\",\"fault\":\"slow\",\"delay_ms\":3000,\"count\":1}") == 0);
        EXPECT_ERROR(oauthmail_smtp_client_send(smtp, msg, NULL), OAUTHMAIL_ERROR_KIND_TIMEOUT, NULL, 1);
        oauthmail_smtp_client_free(smtp);
    }
    o.timeout_ms = 0;
    oauthmail_message_free(msg);
    /* Logging in to another user's mailbox with alice's token: refused at connect. */
    if (EXPECT_OK(oauthmail_pop3_client_new(st->host, st->pop3s_port, "bob@example.test", alice, &o, &pop3))) {
        oauthmail_error *e = oauthmail_pop3_client_connect(pop3);
        CHECK(e != NULL && (oauthmail_error_get_kind(e) == OAUTHMAIL_ERROR_KIND_AUTH ||
                            oauthmail_error_get_kind(e) == OAUTHMAIL_ERROR_KIND_PERMISSION));
        CHECK(e != NULL && oauthmail_error_hint(e) != NULL);
        oauthmail_error_free(e);
        oauthmail_pop3_client_free(pop3);
    }
    /* The server's certificate is not trusted without its CA. */
    o.ca_file = NULL;
    if (EXPECT_OK(oauthmail_imap_client_new(st->host, st->imaps_port, "bob@example.test", alice, &o, &imap))) {
        EXPECT_ERROR(oauthmail_imap_client_connect(imap), OAUTHMAIL_ERROR_KIND_TLS, NULL, 0);
        oauthmail_imap_client_free(imap);
    }
    /* Bad options are Config errors. */
    o = mail_options(st, "carrier-pigeon");
    EXPECT_ERROR(oauthmail_imap_client_new(st->host, st->imaps_port, "bob@example.test", alice, &o, &imap),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    o = mail_options(st, "tls");
    o.mechanism = "PLAIN";
    EXPECT_ERROR(oauthmail_pop3_client_new(st->host, st->pop3s_port, "bob@example.test", alice, &o, NULL),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_smtp_client_new(st->host, st->smtp_port, "alice@example.test", NULL, NULL, &smtp),
                 OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_smtp_client_send(NULL, NULL, NULL), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_imap_client_fetch_message(NULL, 1, NULL, 0, NULL), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_pop3_client_close(NULL), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 1);
    EXPECT_ERROR(oauthmail_message_set_subject(NULL, "x"), OAUTHMAIL_ERROR_KIND_CONFIG, NULL, 0);
    oauthmail_smtp_client_free(NULL);
    oauthmail_imap_client_free(NULL);
    oauthmail_pop3_client_free(NULL);
    oauthmail_message_free(NULL);
    oauthmail_message_list_free(NULL);
    oauthmail_folder_list_free(NULL);
    oauthmail_uid_list_free(NULL);
    oauthmail_send_report_free(NULL);
    CHECK(oauthmail_message_list_count(NULL) == 0 && oauthmail_message_summary_subject(NULL) == NULL);
}

int main(void) {
    oauthmail_credential *alice, *bob;
    struct stack kit;
    authority = need_env("TK_AUTHORITY");
    tenant = need_env("TK_TENANT");
    kit_ca = need_env("TK_CA");
    snprintf(tag, sizeof tag, "c%ld-%ld", (long)getpid(), (long)time(NULL));

    alice = user_credential("alice@example.test", "alice-password");
    bob = user_credential("bob@example.test", "bob-password");
    if (alice == NULL || bob == NULL) return check_summary("test_mail");

    kit.name = "test kit";
    kit.host = need_env("TK_MAIL_HOST");
    kit.smtp_port = (uint16_t)atoi(need_env("TK_SMTP_STARTTLS_PORT"));
    kit.smtps_port = (uint16_t)atoi(need_env("TK_SMTP_TLS_PORT"));
    kit.imaps_port = (uint16_t)atoi(need_env("TK_IMAP_TLS_PORT"));
    kit.pop3s_port = (uint16_t)atoi(need_env("TK_POP3_TLS_PORT"));
    kit.ca_file = kit_ca;
    kit.readback_waits = 0;
    run_stack(&kit, alice, bob);
    kit_errors(&kit, alice);

    if (getenv("MAILSTACK_HOST") != NULL) {
        struct stack real;
        real.name = "real Postfix + Dovecot";
        real.host = need_env("MAILSTACK_HOST");
        real.smtp_port = (uint16_t)atoi(need_env("MAILSTACK_SUBMISSION_PORT"));
        real.smtps_port = (uint16_t)atoi(need_env("MAILSTACK_SMTPS_PORT"));
        real.imaps_port = (uint16_t)atoi(need_env("MAILSTACK_IMAPS_PORT"));
        real.pop3s_port = (uint16_t)atoi(need_env("MAILSTACK_POP3S_PORT"));
        real.ca_file = need_env("MAILSTACK_CA_CERT");
        real.readback_waits = 30;
        run_stack(&real, alice, bob);
    } else if (getenv("OAUTHMAIL_REQUIRE_MAILSTACK") != NULL) {
        fprintf(stderr, "OAUTHMAIL_REQUIRE_MAILSTACK is set but MAILSTACK_HOST is not\n");
        CHECK(0);
    } else {
        printf("-- real Postfix + Dovecot: skipped (no MAILSTACK_* environment)\n");
    }
    oauthmail_credential_free(alice);
    oauthmail_credential_free(bob);
    return check_summary("test_mail");
}
