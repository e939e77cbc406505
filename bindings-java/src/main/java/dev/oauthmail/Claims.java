package dev.oauthmail;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** The claims of a JWT access token that explain what it may do. */
public final class Claims {
    private final String audience;
    private final List<String> roles;
    private final List<String> scopes;
    private final String tenantId;
    private final String appId;
    private final String username;
    private final long expiresOnUnix;

    Claims(String audience, String[] roles, String[] scopes, String tenantId, String appId, String username,
            long expiresOnUnix) {
        this.audience = audience;
        this.roles = Collections.unmodifiableList(Arrays.asList(roles));
        this.scopes = Collections.unmodifiableList(Arrays.asList(scopes));
        this.tenantId = tenantId;
        this.appId = appId;
        this.username = username;
        this.expiresOnUnix = expiresOnUnix;
    }

    /** {@code https://outlook.office365.com} for mail, {@code https://graph.microsoft.com} for Graph. */
    public String getAudience() {
        return audience;
    }

    /** Application permissions, e.g. {@code SMTP.SendAsApp}, {@code IMAP.AccessAsApp}. */
    public List<String> getRoles() {
        return roles;
    }

    /** Delegated permissions ({@code scp}), e.g. {@code SMTP.Send}. */
    public List<String> getScopes() {
        return scopes;
    }

    public String getTenantId() {
        return tenantId;
    }

    public String getAppId() {
        return appId;
    }

    /** The signed-in user ({@code preferred_username} or {@code upn}), or null for app tokens. */
    public String getUsername() {
        return username;
    }

    /** {@code exp}, in seconds since the Unix epoch (0 when absent). */
    public long getExpiresOnUnix() {
        return expiresOnUnix;
    }

    @Override
    public String toString() {
        return "Claims(aud=" + audience + ", roles=" + roles + ", scp=" + scopes + ", tid=" + tenantId
                + ", appid=" + appId + ", user=" + username + ")";
    }
}
