package dev.oauthmail;

import java.nio.file.Path;

/**
 * Settings every credential takes; each is optional. Fluent:
 * {@code new CredentialOptions().authority(url).caFile(path)}.
 */
public final class CredentialOptions {
    String authority;
    String caFile;
    String[] scopes;
    String clientSecret;
    String loginHint;
    String persistentCache;

    /**
     * The identity platform: a base URL ({@code https://login.microsoftonline.com}, the
     * default), a cloud name ({@code us_government}, {@code china}), {@code google}, or a token URL.
     */
    public CredentialOptions authority(String authority) {
        this.authority = authority;
        return this;
    }

    /** A PEM file of extra CAs to trust for the identity platform, besides the built-in roots. */
    public CredentialOptions caFile(Path caFile) {
        this.caFile = caFile == null ? null : caFile.toString();
        return this;
    }

    /** Scopes used when {@code getToken()} gets none (default: the authority's mail scope). */
    public CredentialOptions scopes(String... scopes) {
        this.scopes = scopes;
        return this;
    }

    /** The client secret of a confidential client, for user sign-ins of providers that need one (Google). */
    public CredentialOptions clientSecret(String clientSecret) {
        this.clientSecret = clientSecret;
        return this;
    }

    /** A user name to suggest at sign-in, and the key of the persistent cache. */
    public CredentialOptions loginHint(String loginHint) {
        this.loginHint = loginHint;
        return this;
    }

    /** For user sign-ins: a file that keeps the refresh token between runs. */
    public CredentialOptions persistentCache(Path file) {
        this.persistentCache = file == null ? null : file.toString();
        return this;
    }

    static CredentialOptions orDefault(CredentialOptions options) {
        return options == null ? new CredentialOptions() : options;
    }
}
