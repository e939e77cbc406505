package dev.oauthmail;

import java.time.Instant;

/** An access token you already have (from a vault, another library). It cannot be refreshed. */
public final class StaticTokenCredential extends TokenCredential {
    /** Expires when the token's {@code exp} claim says (one hour from now if it is not a JWT). */
    public StaticTokenCredential(String token) throws OAuthMailException {
        super(Native.staticTokenCredential(token, 0));
    }

    public StaticTokenCredential(String token, Instant expiresOn) throws OAuthMailException {
        super(Native.staticTokenCredential(token, expiresOn == null ? 0 : Math.max(1, expiresOn.getEpochSecond())));
    }
}
