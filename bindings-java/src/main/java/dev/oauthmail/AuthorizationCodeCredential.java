package dev.oauthmail;

import java.util.function.Consumer;

/**
 * A user signing in through a browser (authorization code with PKCE and a
 * loopback redirect). Call {@link #signIn} once; after that {@code getToken()}
 * renews tokens with the refresh token.
 */
public final class AuthorizationCodeCredential extends TokenCredential {
    public AuthorizationCodeCredential(String tenantId, String clientId, CredentialOptions options)
            throws OAuthMailException {
        super(create(tenantId, clientId, CredentialOptions.orDefault(options)));
    }

    private static long create(String tenantId, String clientId, CredentialOptions o) throws OAuthMailException {
        return Native.authorizationCodeCredential(tenantId, clientId, o.authority, o.caFile, o.scopes, o.clientSecret,
                o.loginHint, o.persistentCache);
    }

    /**
     * Listens on 127.0.0.1, calls {@code openBrowser} with the sign-in URL (for example
     * {@code url -> Desktop.getDesktop().browse(URI.create(url))}), waits for the redirect and
     * exchanges the code. Blocks until signed in or timed out.
     */
    public AccessToken signIn(Consumer<String> openBrowser, String... scopes) throws OAuthMailException {
        return handle.call(h -> Native.authorizationCodeSignIn(h, openBrowser, scopes));
    }
}
