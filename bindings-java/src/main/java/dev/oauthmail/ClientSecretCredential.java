package dev.oauthmail;

/** An application signing in as itself with a client secret (the client-credentials grant). */
public final class ClientSecretCredential extends TokenCredential {
    public ClientSecretCredential(String tenantId, String clientId, String clientSecret) throws OAuthMailException {
        this(tenantId, clientId, clientSecret, null);
    }

    public ClientSecretCredential(String tenantId, String clientId, String clientSecret, CredentialOptions options)
            throws OAuthMailException {
        super(create(tenantId, clientId, clientSecret, CredentialOptions.orDefault(options)));
    }

    private static long create(String tenantId, String clientId, String clientSecret, CredentialOptions o)
            throws OAuthMailException {
        return Native.clientSecretCredential(tenantId, clientId, clientSecret, o.authority, o.caFile, o.scopes);
    }
}
