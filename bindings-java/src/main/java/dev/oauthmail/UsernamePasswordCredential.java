package dev.oauthmail;

/** A user signing in with name and password (the legacy resource-owner password grant; fails with MFA). */
public final class UsernamePasswordCredential extends TokenCredential {
    public UsernamePasswordCredential(String tenantId, String clientId, String username, String password)
            throws OAuthMailException {
        this(tenantId, clientId, username, password, null);
    }

    public UsernamePasswordCredential(String tenantId, String clientId, String username, String password,
            CredentialOptions options) throws OAuthMailException {
        super(create(tenantId, clientId, username, password, CredentialOptions.orDefault(options)));
    }

    private static long create(String tenantId, String clientId, String username, String password,
            CredentialOptions o) throws OAuthMailException {
        return Native.usernamePasswordCredential(tenantId, clientId, username, password, o.authority, o.caFile,
                o.scopes, o.clientSecret);
    }
}
