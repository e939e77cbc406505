package dev.oauthmail;

import java.time.Instant;

/** An access token and when it expires. {@link #toString()} never shows the token. */
public final class AccessToken {
    private final String token;
    private final Instant expiresOn;

    AccessToken(String token, long expiresOnUnix) {
        this.token = token;
        this.expiresOn = Instant.ofEpochSecond(expiresOnUnix);
    }

    /** The bearer token. Do not log it. */
    public String getToken() {
        return token;
    }

    public Instant getExpiresOn() {
        return expiresOn;
    }

    /** The JWT's claims, decoded without verifying the signature (for explaining, never for trusting). */
    public Claims getClaims() throws OAuthMailException {
        return Native.tokenClaims(token);
    }

    @Override
    public String toString() {
        return "AccessToken(expiresOn=" + expiresOn + ", token=***)";
    }
}
