package dev.oauthmail;

/**
 * A fresh access token whenever asked, from a credential's cache: the
 * one-line replacement for a hand-written {@code getAuthToken(tenant, clientId, secret)}.
 *
 * <pre>{@code
 * String token = TokenProvider.clientSecret(tenantId, clientId, secret).getToken();
 * }</pre>
 */
public final class TokenProvider {
    private final TokenCredential credential;
    private final String[] scopes;

    private TokenProvider(TokenCredential credential, String... scopes) {
        this.credential = credential;
        this.scopes = scopes.clone();
    }

    /** Tokens of {@code credential} for {@code scopes} (the credential's default scopes when none). */
    public static TokenProvider of(TokenCredential credential, String... scopes) {
        if (credential == null) {
            throw new IllegalArgumentException("credential is null");
        }
        return new TokenProvider(credential, scopes);
    }

    /** An Office 365 app (client-credentials grant) with a client secret. */
    public static TokenProvider clientSecret(String tenantId, String clientId, String clientSecret)
            throws OAuthMailException {
        return of(new ClientSecretCredential(tenantId, clientId, clientSecret));
    }

    /** The bearer token to give as the password (cached; renewed before it expires). */
    public String getToken() throws OAuthMailException {
        return credential.getToken(scopes).getToken();
    }

    public TokenCredential getCredential() {
        return credential;
    }
}
