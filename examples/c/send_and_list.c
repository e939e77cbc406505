/* send_and_list: what the original JavaMail program did, in C with oauthmail.
 *
 * Gets a token with the client-credentials grant (an app registration with
 * SMTP.SendAsApp and IMAP.AccessAsApp), sends one message from the mailbox
 * to itself over SMTP, then lists the newest messages of its INBOX over IMAP.
 *
 * Configuration (Azure Identity's variables plus oauthmail's):
 *   AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET   required
 *   OAUTHMAIL_USER                                         the mailbox, required
 *   AZURE_AUTHORITY_HOST   identity platform (default: Microsoft's public cloud)
 *   OAUTHMAIL_CA_FILE      extra trusted CAs (PEM) for private servers
 *   OAUTHMAIL_SMTP_HOST/_PORT, OAUTHMAIL_IMAP_HOST/_PORT   default: Office 365
 *
 * Build: cc -std=c99 send_and_list.c $(pkg-config --cflags --libs oauthmail)
 */
#include <stdio.h>
#include <stdlib.h>

#include "oauthmail.h"

/* Prints an error with its code and hint, frees it, and says whether it was one. */
static int failed(const char *what, oauthmail_error *err) {
    char *line;
    if (err == NULL) return 0;
    line = oauthmail_error_describe(err);
    fprintf(stderr, "%s failed: %s\n", what, line);
    oauthmail_string_free(line);
    oauthmail_error_free(err);
    return 1;
}

static const char *env(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

int main(void) {
    const char *user = env("OAUTHMAIL_USER", NULL);
    const char *tenant = env("AZURE_TENANT_ID", NULL), *client = env("AZURE_CLIENT_ID", NULL);
    const char *secret = env("AZURE_CLIENT_SECRET", NULL);
    oauthmail_credential_options copts = {0};
    oauthmail_mail_options mopts = {0};
    oauthmail_credential *cred = NULL;
    oauthmail_smtp_client *smtp = NULL;
    oauthmail_imap_client *imap = NULL;
    oauthmail_message *msg = NULL;
    oauthmail_message_list *list = NULL;
    oauthmail_list_options lopts = {0};
    int status = 1;
    size_t i;

    if (!user || !tenant || !client || !secret) {
        fprintf(stderr, "set AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and OAUTHMAIL_USER\n");
        return 2;
    }
    copts.authority = env("AZURE_AUTHORITY_HOST", NULL);
    copts.ca_file = env("OAUTHMAIL_CA_FILE", NULL);
    mopts.ca_file = copts.ca_file;

    if (failed("credential", oauthmail_client_secret_credential_new(tenant, client, secret, &copts, &cred))) return 1;
    if (failed("SMTP client", oauthmail_smtp_client_new(env("OAUTHMAIL_SMTP_HOST", "smtp.office365.com"),
                                                        (uint16_t)atoi(env("OAUTHMAIL_SMTP_PORT", "587")), user, cred,
                                                        &mopts, &smtp)) ||
        failed("IMAP client", oauthmail_imap_client_new(env("OAUTHMAIL_IMAP_HOST", "outlook.office365.com"),
                                                        (uint16_t)atoi(env("OAUTHMAIL_IMAP_PORT", "993")), user, cred,
                                                        &mopts, &imap)) ||
        failed("message", oauthmail_message_new(&msg)))
        goto done;

    if (failed("message", oauthmail_message_set_from(msg, user)) || failed("message", oauthmail_message_add_to(msg, user)) ||
        failed("message", oauthmail_message_set_subject(msg, "Test from oauthmail (C)")) ||
        failed("message", oauthmail_message_set_text(msg, "Sent with OAuth 2.0 instead of a password.\n")) ||
        failed("send", oauthmail_smtp_client_send(smtp, msg, NULL)))
        goto done;
    printf("sent a message to %s\n", user);

    lopts.limit = 10;
    if (failed("list", oauthmail_imap_client_list_messages(imap, "INBOX", &lopts, &list))) goto done;
    printf("newest %zu messages in INBOX:\n", oauthmail_message_list_count(list));
    for (i = 0; i < oauthmail_message_list_count(list); i++) {
        const oauthmail_message_summary *s = oauthmail_message_list_get(list, i);
        const char *from = oauthmail_message_summary_from(s);
        printf("%6u  %-30s  %s\n", oauthmail_message_summary_uid(s), from ? from : "(no sender)",
               oauthmail_message_summary_subject(s));
    }
    status = 0;

done:
    oauthmail_message_list_free(list);
    oauthmail_message_free(msg);
    oauthmail_imap_client_free(imap);
    oauthmail_smtp_client_free(smtp);
    oauthmail_credential_free(cred);
    return status;
}
