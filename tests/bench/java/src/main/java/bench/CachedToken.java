package bench;

/** What a careful JavaMail user adds: one token, kept until five minutes before it expires. */
final class CachedToken {
    private static final long MARGIN_NANOS = 300_000_000_000L;
    private final TokenEndpoint endpoint;
    private TokenEndpoint.Token token;

    CachedToken(TokenEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    String get() throws Exception {
        if (token == null || System.nanoTime() > token.expiresAtNanos - MARGIN_NANOS) {
            token = endpoint.post();
        }
        return token.accessToken;
    }
}
