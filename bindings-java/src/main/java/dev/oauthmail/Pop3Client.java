package dev.oauthmail;

import java.util.List;

/**
 * Reads mail over POP3 with OAuth 2.0. Thread-safe. Deletions take effect at
 * {@link #close()} (QUIT); a client that is never closed deletes nothing.
 */
public final class Pop3Client implements AutoCloseable {
    private final NativeHandle handle;

    public Pop3Client(String host, int port, String username, TokenCredential credential) throws OAuthMailException {
        this(host, port, username, credential, null);
    }

    public Pop3Client(String host, int port, String username, TokenCredential credential, MailOptions options)
            throws OAuthMailException {
        MailOptions o = MailOptions.orDefault(options);
        long h = Clients.credential(credential).call(c -> Native.pop3Client(host, port, username, c, o.securityWire(),
                o.caFile, o.timeoutMillis, o.scopes));
        handle = new NativeHandle(h, "POP3 client");
    }

    /** The provider's POP3 host, port, security and mail scope. */
    public static Pop3Client fromProvider(Provider provider, String username, TokenCredential credential)
            throws OAuthMailException {
        Endpoint e = provider.getPop3();
        return new Pop3Client(e.getHost(), e.getPort(), username, credential, provider.mailOptions(e));
    }

    /** Opens the connection now (otherwise the first call does). */
    public void connect() throws OAuthMailException {
        handle.call(h -> {
            Native.pop3Connect(h);
            return null;
        });
    }

    /** Every message, newest (highest number) first, from its headers. */
    public List<MessageSummary> listMessages() throws OAuthMailException {
        return listMessages(0);
    }

    /** At most {@code limit} messages (0: all), newest first. */
    public List<MessageSummary> listMessages(int limit) throws OAuthMailException {
        return MessageSummary.decodeAll(handle.call(h -> Native.pop3ListMessages(h, limit)));
    }

    /** The whole message with this number (its {@link MessageSummary#getUid()}). */
    public byte[] fetchMessage(long number) throws OAuthMailException {
        return handle.call(h -> Native.pop3FetchMessage(h, number));
    }

    /** Marks a message for deletion at {@link #quit()}. */
    public void deleteMessage(long number) throws OAuthMailException {
        handle.call(h -> {
            Native.pop3Delete(h, number);
            return null;
        });
    }

    /** Ends the session with QUIT, which applies deletions, and frees the client. Idempotent. */
    public void quit() throws OAuthMailException {
        handle.close(Native::pop3Quit);
    }

    /** As {@link #quit()}; a failing QUIT is not reported here (call {@code quit()} to see it). */
    @Override
    public void close() {
        try {
            quit();
        } catch (OAuthMailException e) {
            // The session is gone either way; deletions may not have been applied.
        }
    }
}
