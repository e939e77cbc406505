package dev.oauthmail;

/**
 * A user signing in on another device (RFC 8628), for command-line tools and
 * headless machines: {@code getToken()} calls the prompt with a code to show,
 * returns once the user has entered it in a browser, and later tokens come
 * from the refresh token without asking again.
 */
public final class DeviceCodeCredential extends TokenCredential {
    /** Shows the sign-in code; called on the thread that asked for the token. */
    @FunctionalInterface
    public interface Prompt {
        /**
         * @param userCode the code to enter
         * @param verificationUri where to enter it
         * @param message the provider's ready-made instruction
         * @param expiresInSeconds how long the code stays valid
         */
        void show(String userCode, String verificationUri, String message, long expiresInSeconds);
    }

    public DeviceCodeCredential(String tenantId, String clientId, Prompt prompt, CredentialOptions options)
            throws OAuthMailException {
        super(create(tenantId, clientId, prompt, CredentialOptions.orDefault(options)));
    }

    private static long create(String tenantId, String clientId, Prompt prompt, CredentialOptions o)
            throws OAuthMailException {
        return Native.deviceCodeCredential(tenantId, clientId, prompt, o.authority, o.caFile, o.scopes,
                o.clientSecret, o.loginHint, o.persistentCache);
    }
}
