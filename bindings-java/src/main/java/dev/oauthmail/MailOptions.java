package dev.oauthmail;

import java.nio.file.Path;
import java.time.Duration;

/** Optional settings of an SMTP, IMAP or POP3 client. Fluent: {@code new MailOptions().caFile(path)}. */
public final class MailOptions {
    Security security;
    String caFile;
    long timeoutMillis;
    String[] scopes;

    /** Default: implicit TLS on 465, 993 and 995, STARTTLS otherwise. */
    public MailOptions security(Security security) {
        this.security = security;
        return this;
    }

    /** A PEM file of extra CAs to trust, besides the built-in roots. */
    public MailOptions caFile(Path caFile) {
        this.caFile = caFile == null ? null : caFile.toString();
        return this;
    }

    /** For connecting and for each read or write. */
    public MailOptions timeout(Duration timeout) {
        this.timeoutMillis = timeout == null ? 0 : Math.max(1, timeout.toMillis());
        return this;
    }

    /** Token scopes (default: the credential's). */
    public MailOptions scopes(String... scopes) {
        this.scopes = scopes;
        return this;
    }

    static MailOptions orDefault(MailOptions o) {
        return o == null ? new MailOptions() : o;
    }

    String securityWire() {
        return security == null ? null : security.wire;
    }
}
