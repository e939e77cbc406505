package dev.oauthmail;

import java.util.List;

/**
 * Sends mail over SMTP submission with OAuth 2.0 (XOAUTH2 or OAUTHBEARER),
 * keeping one authenticated connection for many messages. Thread-safe (sends
 * are serialised on the connection). Close it, or use try-with-resources.
 */
public final class SmtpClient implements AutoCloseable {
    private final NativeHandle handle;

    public SmtpClient(String host, int port, String username, TokenCredential credential) throws OAuthMailException {
        this(host, port, username, credential, null);
    }

    public SmtpClient(String host, int port, String username, TokenCredential credential, MailOptions options)
            throws OAuthMailException {
        MailOptions o = MailOptions.orDefault(options);
        long h = Clients.credential(credential).call(c -> Native.smtpClient(host, port, username, c, o.securityWire(),
                o.caFile, o.timeoutMillis, o.scopes));
        handle = new NativeHandle(h, "SMTP client");
    }

    /** The provider's SMTP host, port, security and mail scope. */
    public static SmtpClient fromProvider(Provider provider, String username, TokenCredential credential)
            throws OAuthMailException {
        Endpoint e = provider.getSmtp();
        return new SmtpClient(e.getHost(), e.getPort(), username, credential, provider.mailOptions(e));
    }

    /** Validates and sends one message. */
    public SendReport send(Message m) throws OAuthMailException {
        Clients.require(m, "message");
        return handle.call(h -> Native.smtpSend(h, m.from, m.to, m.cc, m.bcc, m.replyTo, m.subject, m.text, m.html,
                m.headers, m.attachmentNames, m.attachmentData));
    }

    /** Sends RFC 5322 bytes as they are, to this envelope (only line ends are made CRLF). */
    public SendReport sendRaw(String envelopeFrom, List<String> recipients, byte[] message) throws OAuthMailException {
        Clients.require(recipients, "recipients");
        String[] rcpts = recipients.toArray(new String[0]);
        return handle.call(h -> Native.smtpSendRaw(h, envelopeFrom, rcpts, message));
    }

    /** Connects and authenticates now (to check settings) instead of at the first send. */
    public void connect() throws OAuthMailException {
        handle.call(h -> {
            Native.smtpConnect(h);
            return null;
        });
    }

    /** Ends the session (QUIT); later calls throw {@link ClosedException}. Idempotent. */
    @Override
    public void close() {
        handle.close();
    }
}
