package dev.oauthmail;

/**
 * Something that hands out access tokens, cached and refreshed before they
 * expire. Thread-safe: share one credential between every client and thread,
 * and concurrent callers share one token request. Clients keep what they need,
 * so closing a credential does not stop clients made with it.
 */
public abstract class TokenCredential implements AutoCloseable {
    final NativeHandle handle;

    TokenCredential(long handle) {
        this.handle = new NativeHandle(handle, "credential");
    }

    /** A token for {@code scopes} (the credential's default scopes when none), from the cache while it is fresh. */
    public AccessToken getToken(String... scopes) throws OAuthMailException {
        return handle.call(h -> Native.getToken(h, scopes, false));
    }

    /** A new token, bypassing the cache: for when a server rejected the cached one. */
    public AccessToken getFreshToken(String... scopes) throws OAuthMailException {
        return handle.call(h -> Native.getToken(h, scopes, true));
    }

    /** Frees the native credential; idempotent. */
    @Override
    public void close() {
        handle.close();
    }
}
