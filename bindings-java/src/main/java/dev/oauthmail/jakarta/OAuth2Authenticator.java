package dev.oauthmail.jakarta;

import dev.oauthmail.OAuthMailException;
import dev.oauthmail.TokenCredential;
import dev.oauthmail.TokenProvider;
import jakarta.mail.Authenticator;
import jakarta.mail.PasswordAuthentication;
import java.util.Properties;

/**
 * For Jakarta Mail users: hands Jakarta Mail a fresh, cached access token as
 * the password each time it connects, so a long-running program keeps working
 * past token expiry. Use with the XOAUTH2 properties from {@link #xoauth2Properties}:
 *
 * <pre>{@code
 * Session session = Session.getInstance(props, new OAuth2Authenticator(user, tokenProvider));
 * Transport.send(message);                       // no password argument
 * store.connect(host, port, user, null);         // null password: the authenticator answers
 * }</pre>
 *
 * Jakarta Mail asks the authenticator only when no password is passed.
 */
public final class OAuth2Authenticator extends Authenticator {
    private final String username;
    private final TokenProvider tokens;

    public OAuth2Authenticator(String username, TokenProvider tokens) {
        if (username == null || tokens == null) {
            throw new IllegalArgumentException("username and tokens are required");
        }
        this.username = username;
        this.tokens = tokens;
    }

    public OAuth2Authenticator(String username, TokenCredential credential) {
        this(username, TokenProvider.of(credential));
    }

    @Override
    protected PasswordAuthentication getPasswordAuthentication() {
        try {
            return new PasswordAuthentication(username, tokens.getToken());
        } catch (OAuthMailException e) {
            // Jakarta Mail's callback cannot throw; it reports the failed login instead.
            throw new IllegalStateException("no access token for " + username + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code mail.<protocol>.auth.mechanisms=XOAUTH2} (and {@code auth=true}, which SMTP needs)
     * for each protocol given ({@code smtp}, {@code imaps}, {@code pop3s}, ...).
     */
    public static Properties xoauth2Properties(Properties props, String... protocols) {
        for (String p : protocols) {
            props.put("mail." + p + ".auth", "true");
            props.put("mail." + p + ".auth.mechanisms", "XOAUTH2");
        }
        return props;
    }
}
