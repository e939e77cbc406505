package dev.oauthmail;

import java.nio.file.Path;

/** Sends mail through Microsoft Graph, for tenants where SMTP AUTH is switched off. Thread-safe. */
public final class GraphMailClient implements AutoCloseable {
    private final NativeHandle handle;

    /** Microsoft's public cloud. */
    public GraphMailClient(String mailbox, TokenCredential credential) throws OAuthMailException {
        this(mailbox, credential, null, null, null, true);
    }

    /**
     * @param baseUrl Graph base URL with version ({@code https://graph.microsoft.com/v1.0}); null for the default
     * @param scope token scope ({@code https://graph.microsoft.com/.default}); null for the default
     * @param caFile extra CAs to trust, or null
     * @param saveToSentItems keep a copy in Sent Items (Graph's default)
     */
    public GraphMailClient(String mailbox, TokenCredential credential, String baseUrl, String scope, Path caFile,
            boolean saveToSentItems) throws OAuthMailException {
        String ca = caFile == null ? null : caFile.toString();
        long h = Clients.credential(credential).call(c -> Native.graphClient(mailbox, c, baseUrl, scope, ca,
                saveToSentItems));
        handle = new NativeHandle(h, "Graph client");
    }

    /** The provider's Graph URL and scope. */
    public static GraphMailClient fromProvider(Provider provider, String mailbox, TokenCredential credential)
            throws OAuthMailException {
        if (provider.getGraphUrl() == null) {
            throw new ConfigException("the provider " + provider.getName() + " has no Microsoft Graph", null, null, 0);
        }
        return new GraphMailClient(mailbox, credential, provider.getGraphUrl(), provider.getGraphScope(), null, true);
    }

    /** Validates the message and sends it as a Graph message (one body: HTML when both are set). */
    public SendReport send(Message m) throws OAuthMailException {
        Clients.require(m, "message");
        return handle.call(h -> Native.graphSend(h, m.from, m.to, m.cc, m.bcc, m.replyTo, m.subject, m.text, m.html,
                m.headers, m.attachmentNames, m.attachmentData));
    }

    /** Sends RFC 5322 bytes as they are, to the addresses in their To, Cc and Bcc headers. */
    public SendReport sendMime(byte[] message) throws OAuthMailException {
        return handle.call(h -> Native.graphSendMime(h, message));
    }

    /** Later calls throw {@link ClosedException}. Idempotent. */
    @Override
    public void close() {
        handle.close();
    }
}
