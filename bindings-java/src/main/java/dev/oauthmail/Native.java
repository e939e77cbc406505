package dev.oauthmail;

/**
 * Every native method of the library (implemented in the Rust crate
 * {@code oauthmail-jni}). Handles are {@code long}s owned by {@link NativeHandle}.
 * Errors arrive as {@link OAuthMailException} subclasses; a panic in Rust as an
 * {@link InternalException}.
 */
final class Native {
    static {
        NativeLibrary.load();
    }

    private Native() {}

    static native void free(long handle);

    static native long liveHandles();

    // Credentials
    static native long clientSecretCredential(String tenantId, String clientId, String clientSecret,
            String authority, String caFile, String[] scopes) throws OAuthMailException;

    static native long clientCertificateCredential(String tenantId, String clientId, byte[] certificatePem,
            byte[] keyPem, String authority, String caFile, String[] scopes) throws OAuthMailException;

    static native long usernamePasswordCredential(String tenantId, String clientId, String username, String password,
            String authority, String caFile, String[] scopes, String clientSecret) throws OAuthMailException;

    static native long refreshTokenCredential(String tenantId, String clientId, String refreshToken,
            String authority, String caFile, String[] scopes, String clientSecret, String loginHint,
            String persistentCache) throws OAuthMailException;

    static native long deviceCodeCredential(String tenantId, String clientId, DeviceCodeCredential.Prompt prompt,
            String authority, String caFile, String[] scopes, String clientSecret, String loginHint,
            String persistentCache) throws OAuthMailException;

    static native long authorizationCodeCredential(String tenantId, String clientId, String authority, String caFile,
            String[] scopes, String clientSecret, String loginHint, String persistentCache) throws OAuthMailException;

    static native AccessToken authorizationCodeSignIn(long credential, java.util.function.Consumer<String> openBrowser,
            String[] scopes) throws OAuthMailException;

    static native long staticTokenCredential(String token, long expiresOnUnix) throws OAuthMailException;

    static native AccessToken getToken(long credential, String[] scopes, boolean fresh) throws OAuthMailException;

    static native Claims tokenClaims(String token) throws OAuthMailException;

    static native String[] providerPreset(String name) throws OAuthMailException;

    // SMTP
    static native long smtpClient(String host, int port, String username, long credential, String security,
            String caFile, long timeoutMillis, String[] scopes) throws OAuthMailException;

    static native SendReport smtpSend(long handle, String from, String[] to, String[] cc, String[] bcc,
            String replyTo, String subject, String text, String html, String[] headers, String[] attachmentNames,
            byte[][] attachmentData) throws OAuthMailException;

    static native SendReport smtpSendRaw(long handle, String envelopeFrom, String[] recipients, byte[] message)
            throws OAuthMailException;

    static native void smtpConnect(long handle) throws OAuthMailException;

    // IMAP
    static native long imapClient(String host, int port, String username, long credential, String security,
            String caFile, long timeoutMillis, String[] scopes) throws OAuthMailException;

    static native void imapConnect(long handle) throws OAuthMailException;

    /** Rows in {@link MessageSummary#decodeAll}'s format. */
    static native byte[] imapListMessages(long handle, String folder, int limit, boolean unseenOnly)
            throws OAuthMailException;

    static native byte[] imapFetchMessage(long handle, long uid) throws OAuthMailException;

    static native void imapSelect(long handle, String folder) throws OAuthMailException;

    static native void imapFetchMessageToFile(long handle, long uid, String path) throws OAuthMailException;

    // POP3
    static native long pop3Client(String host, int port, String username, long credential, String security,
            String caFile, long timeoutMillis, String[] scopes) throws OAuthMailException;

    static native void pop3Connect(long handle) throws OAuthMailException;

    /** Rows in {@link MessageSummary#decodeAll}'s format. */
    static native byte[] pop3ListMessages(long handle, int limit) throws OAuthMailException;

    static native byte[] pop3FetchMessage(long handle, long number) throws OAuthMailException;

    static native void pop3Delete(long handle, long number) throws OAuthMailException;

    static native void pop3Quit(long handle) throws OAuthMailException;

    // Microsoft Graph
    static native long graphClient(String mailbox, long credential, String baseUrl, String scope, String caFile,
            boolean saveToSentItems) throws OAuthMailException;

    static native SendReport graphSend(long handle, String from, String[] to, String[] cc, String[] bcc,
            String replyTo, String subject, String text, String html, String[] headers, String[] attachmentNames,
            byte[][] attachmentData) throws OAuthMailException;

    static native SendReport graphSendMime(long handle, byte[] message) throws OAuthMailException;

    // Feature `testing` only: prove the error and panic mapping.
    static native void testingError(int kind) throws OAuthMailException;

    static native void testingPanic() throws OAuthMailException;
}
