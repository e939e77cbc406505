/* oauthmail-c: the benchmark's scenarios through the C API, written the way a C
   user of include/oauthmail.h writes them (tests/bench/CONTRACT.md).
   Usage: oauthmail-c <list|send|pop3|download|token|cold> <config.json>
   Prints one JSON object on stdout; any failure exits 1 with the error on stderr. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oauthmail.h"

#define BODY \
    "This is a small benchmark message. It carries no attachment and only plain\r\n" \
    "ASCII text, so that the time measured is the protocol, not the encoder.\r\n" \
    "The quick brown fox jumps over the lazy dog.\r\n"

static double seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Ends the run on an error, printing it the way the library describes it. */
static void check(oauthmail_error *err, const char *what) {
    char *text;
    if (err == NULL) return;
    text = oauthmail_error_describe(err);
    fprintf(stderr, "oauthmail-c: %s: %s\n", what, text);
    oauthmail_string_free(text);
    oauthmail_error_free(err);
    exit(1);
}

static const cJSON *field(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL) {
        fprintf(stderr, "oauthmail-c: config.json has no \"%s\"\n", key);
        exit(1);
    }
    return v;
}
static const char *str(const cJSON *obj, const char *key) { return cJSON_GetStringValue(field(obj, key)); }
static double num(const cJSON *obj, const char *key) { return cJSON_GetNumberValue(field(obj, key)); }

/* What every scenario needs from config.json. */
struct config {
    const cJSON *root, *scenario, *ports;
    const char *host, *user, *password;
};

/* A setting of the scenario object, else the top-level one (`token` has no user of its own). */
static const char *setting(const cJSON *root, const cJSON *scenario, const char *key) {
    return cJSON_HasObjectItem(scenario, key) ? str(scenario, key) : str(root, key);
}

static oauthmail_credential *credential(const struct config *c) {
    const cJSON *id = field(c->root, "identity");
    oauthmail_credential_options o;
    oauthmail_credential *cred = NULL;
    memset(&o, 0, sizeof o);
    o.authority = str(id, "authority");
    o.ca_file = str(id, "ca_file");
    check(oauthmail_username_password_credential_new(str(id, "tenant_id"), str(id, "client_id"), c->user,
                                                     c->password, &o, &cred),
          "credential");
    return cred;
}

static oauthmail_mail_options mail_options(const struct config *c, const char *security) {
    oauthmail_mail_options o;
    memset(&o, 0, sizeof o);
    o.security = security;
    o.ca_file = str(c->root, "ca_file");
    o.mechanism = "XOAUTH2";
    return o;
}

static oauthmail_imap_client *imap(const struct config *c, const oauthmail_credential *cred) {
    oauthmail_mail_options o = mail_options(c, "tls");
    oauthmail_imap_client *client = NULL;
    check(oauthmail_imap_client_new(c->host, (uint16_t)num(c->ports, "imaps"), c->user, cred, &o, &client), "IMAP");
    return client;
}

static void list_summaries(const struct config *c) {
    double start = seconds(CLOCK_MONOTONIC);
    oauthmail_credential *cred = credential(c);
    oauthmail_imap_client *client = imap(c, cred);
    oauthmail_message_list *messages = NULL;
    size_t n;
    check(oauthmail_imap_client_list_messages(client, str(c->scenario, "folder"), NULL, &messages), "list");
    n = oauthmail_message_list_count(messages);
    check(oauthmail_imap_client_close(client), "close");
    printf("{\"items\": %zu, \"seconds\": %.6f}\n", n, seconds(CLOCK_MONOTONIC) - start);
    oauthmail_message_list_free(messages);
    oauthmail_imap_client_free(client);
    oauthmail_credential_free(cred);
}

static void send_messages(const struct config *c) {
    double start = seconds(CLOCK_MONOTONIC);
    int i, count = (int)num(c->scenario, "count"), accepted = 0;
    oauthmail_credential *cred = credential(c);
    oauthmail_mail_options o = mail_options(c, "starttls");
    oauthmail_smtp_client *smtp = NULL;
    check(oauthmail_smtp_client_new(c->host, (uint16_t)num(c->ports, "submission"), c->user, cred, &o, &smtp), "SMTP");
    for (i = 0; i < count; i++) {
        oauthmail_message *msg = NULL;
        oauthmail_send_report *report = NULL;
        char subject[32];
        snprintf(subject, sizeof subject, "bench %d", i);
        check(oauthmail_message_new(&msg), "message");
        check(oauthmail_message_set_from(msg, c->user), "from");
        check(oauthmail_message_add_to(msg, str(c->scenario, "to")), "to");
        check(oauthmail_message_set_subject(msg, subject), "subject");
        check(oauthmail_message_set_text(msg, BODY), "text");
        check(oauthmail_smtp_client_send(smtp, msg, &report), "send");
        accepted += oauthmail_send_report_accepted_count(report) > 0;
        oauthmail_send_report_free(report);
        oauthmail_message_free(msg);
    }
    check(oauthmail_smtp_client_close(smtp), "close");
    printf("{\"items\": %d, \"seconds\": %.6f}\n", accepted, seconds(CLOCK_MONOTONIC) - start);
    oauthmail_smtp_client_free(smtp);
    oauthmail_credential_free(cred);
}

/* list_messages over POP3 is UIDL, then TOP n 0 for every message. */
static void pop3_headers(const struct config *c) {
    double start = seconds(CLOCK_MONOTONIC);
    oauthmail_credential *cred = credential(c);
    oauthmail_mail_options o = mail_options(c, "tls");
    oauthmail_pop3_client *client = NULL;
    oauthmail_message_list *messages = NULL;
    size_t n;
    check(oauthmail_pop3_client_new(c->host, (uint16_t)num(c->ports, "pop3s"), c->user, cred, &o, &client), "POP3");
    check(oauthmail_pop3_client_list_messages(client, 0, &messages), "list");
    n = oauthmail_message_list_count(messages);
    check(oauthmail_pop3_client_close(client), "close");
    printf("{\"items\": %zu, \"seconds\": %.6f}\n", n, seconds(CLOCK_MONOTONIC) - start);
    oauthmail_message_list_free(messages);
    oauthmail_pop3_client_free(client);
    oauthmail_credential_free(cred);
}

static void download(const struct config *c) {
    double start = seconds(CLOCK_MONOTONIC);
    oauthmail_credential *cred = credential(c);
    oauthmail_imap_client *client = imap(c, cred);
    check(oauthmail_imap_client_select(client, str(c->scenario, "folder"), NULL), "select");
    check(oauthmail_imap_client_fetch_message_to_file(client, (uint32_t)num(c->scenario, "uid"), str(c->scenario, "out")),
          "fetch");
    check(oauthmail_imap_client_close(client), "close");
    printf("{\"items\": 1, \"seconds\": %.6f}\n", seconds(CLOCK_MONOTONIC) - start);
    oauthmail_imap_client_free(client);
    oauthmail_credential_free(cred);
}

static void token_lookups(const struct config *c) {
    long i, calls = (long)num(c->scenario, "calls");
    oauthmail_credential *cred = credential(c);
    oauthmail_access_token *t = NULL;
    double start, elapsed;
    check(oauthmail_credential_get_token(cred, NULL, 0, &t), "first token");
    oauthmail_access_token_free(t);
    start = seconds(CLOCK_MONOTONIC);
    for (i = 0; i < calls; i++) {
        check(oauthmail_credential_get_token(cred, NULL, 0, &t), "token");
        oauthmail_access_token_free(t);
    }
    elapsed = seconds(CLOCK_MONOTONIC) - start;
    printf("{\"items\": %ld, \"seconds\": %.9f, \"ns_per_call\": %.1f}\n", calls, elapsed, elapsed * 1e9 / (double)calls);
    oauthmail_credential_free(cred);
}

static void cold_start(const struct config *c) {
    oauthmail_credential *cred = credential(c);
    oauthmail_imap_client *client = imap(c, cred);
    double auth_at;
    check(oauthmail_imap_client_select(client, str(c->scenario, "folder"), NULL), "select");
    auth_at = seconds(CLOCK_REALTIME);
    printf("{\"items\": 1, \"auth_at\": %.6f}\n", auth_at);
    oauthmail_imap_client_free(client);
    oauthmail_credential_free(cred);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *text;
    long len;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        exit(1);
    }
    text = calloc(1, (size_t)len + 1);
    if (text == NULL || fread(text, 1, (size_t)len, f) != (size_t)len) {
        perror(path);
        exit(1);
    }
    fclose(f);
    return text;
}

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        void (*run)(const struct config *);
    } scenarios[] = {{"list", list_summaries}, {"send", send_messages}, {"pop3", pop3_headers},
                   {"download", download}, {"token", token_lookups}, {"cold", cold_start}};
    struct config c;
    char *text;
    size_t i;
    if (argc != 3) {
        fprintf(stderr, "usage: %s <scenario> <config.json>\n", argv[0]);
        return 2;
    }
    text = read_file(argv[2]);
    c.root = cJSON_Parse(text);
    if (c.root == NULL) {
        fprintf(stderr, "oauthmail-c: %s is not JSON\n", argv[2]);
        return 1;
    }
    c.scenario = field(c.root, "scenario");
    c.ports = field(c.root, "ports");
    c.host = str(c.root, "host");
    c.user = setting(c.root, c.scenario, "user");
    c.password = setting(c.root, c.scenario, "password");
    for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        if (strcmp(argv[1], scenarios[i].name) == 0) {
            scenarios[i].run(&c);
            cJSON_Delete((cJSON *)c.root);
            free(text);
            return 0;
        }
    }
    fprintf(stderr, "oauthmail-c: unknown scenario %s\n", argv[1]);
    return 2;
}
