package dev.oauthmail;

/** A refresh token you already have; rotated tokens are kept (in memory, or in the persistent cache when set). */
public final class RefreshTokenCredential extends TokenCredential {
    public RefreshTokenCredential(String tenantId, String clientId, String refreshToken) throws OAuthMailException {
        this(tenantId, clientId, refreshToken, null);
    }

    public RefreshTokenCredential(String tenantId, String clientId, String refreshToken, CredentialOptions options)
            throws OAuthMailException {
        super(create(tenantId, clientId, refreshToken, CredentialOptions.orDefault(options)));
    }

    private static long create(String tenantId, String clientId, String refreshToken, CredentialOptions o)
            throws OAuthMailException {
        return Native.refreshTokenCredential(tenantId, clientId, refreshToken, o.authority, o.caFile, o.scopes,
                o.clientSecret, o.loginHint, o.persistentCache);
    }
}
