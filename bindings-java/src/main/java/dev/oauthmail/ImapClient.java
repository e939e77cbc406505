package dev.oauthmail;

import java.nio.file.Path;
import java.util.List;

/**
 * Reads mail over IMAP with OAuth 2.0, on one connection opened at first use
 * and reopened (with a fresh token) when the server ends it. Thread-safe.
 * UIDs refer to the folder last listed (INBOX at first).
 */
public final class ImapClient implements AutoCloseable {
    private final NativeHandle handle;

    public ImapClient(String host, int port, String username, TokenCredential credential) throws OAuthMailException {
        this(host, port, username, credential, null);
    }

    public ImapClient(String host, int port, String username, TokenCredential credential, MailOptions options)
            throws OAuthMailException {
        MailOptions o = MailOptions.orDefault(options);
        long h = Clients.credential(credential).call(c -> Native.imapClient(host, port, username, c, o.securityWire(),
                o.caFile, o.timeoutMillis, o.scopes));
        handle = new NativeHandle(h, "IMAP client");
    }

    /** The provider's IMAP host, port, security and mail scope. */
    public static ImapClient fromProvider(Provider provider, String username, TokenCredential credential)
            throws OAuthMailException {
        Endpoint e = provider.getImap();
        return new ImapClient(e.getHost(), e.getPort(), username, credential, provider.mailOptions(e));
    }

    /** Opens the connection now (otherwise the first call does). */
    public void connect() throws OAuthMailException {
        handle.call(h -> {
            Native.imapConnect(h);
            return null;
        });
    }

    /** Every message of INBOX, newest first. */
    public List<MessageSummary> listMessages() throws OAuthMailException {
        return listMessages("INBOX", 0, false);
    }

    /** Every message of {@code folder}, newest first. */
    public List<MessageSummary> listMessages(String folder) throws OAuthMailException {
        return listMessages(folder, 0, false);
    }

    /** At most {@code limit} messages (0: all) of {@code folder}, newest first; only unseen ones if asked. */
    public List<MessageSummary> listMessages(String folder, int limit, boolean unseenOnly) throws OAuthMailException {
        return MessageSummary.decodeAll(handle.call(h -> Native.imapListMessages(h, folder, limit, unseenOnly)));
    }

    /** The whole message (RFC 5322 bytes) with this UID in the current folder. */
    public byte[] fetchMessage(long uid) throws OAuthMailException {
        return handle.call(h -> Native.imapFetchMessage(h, uid));
    }

    /** Opens {@code folder}; later UIDs refer to it. */
    public void select(String folder) throws OAuthMailException {
        handle.call(h -> {
            Native.imapSelect(h, folder);
            return null;
        });
    }

    /**
     * Streams the message with this UID in the current folder to {@code file} (created or
     * replaced), without holding it in memory: for large messages. No partial file is left
     * behind when it fails.
     */
    public void fetchMessageToFile(long uid, Path file) throws OAuthMailException {
        String path = file == null ? null : file.toString(); // null: a ConfigException naming it
        handle.call(h -> {
            Native.imapFetchMessageToFile(h, uid, path);
            return null;
        });
    }

    /** Logs out; later calls throw {@link ClosedException}. Idempotent. */
    @Override
    public void close() {
        handle.close();
    }
}
