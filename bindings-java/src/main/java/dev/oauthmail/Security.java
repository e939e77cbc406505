package dev.oauthmail;

/** How a mail connection is secured. By default it follows the port: implicit TLS on 465, 993 and 995. */
public enum Security {
    /** Plain until the STARTTLS (POP3: STLS) command, then TLS. */
    STARTTLS("starttls"),
    /** TLS from the first byte. */
    TLS("tls");

    final String wire;

    Security(String wire) {
        this.wire = wire;
    }

    static Security parse(String s) {
        return "tls".equals(s) ? TLS : STARTTLS;
    }
}
