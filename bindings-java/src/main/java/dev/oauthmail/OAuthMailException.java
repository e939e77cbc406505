package dev.oauthmail;

import java.time.Duration;
import java.util.Optional;

/**
 * Every error of oauthmail: its {@link ErrorKind} (one subclass per kind, such
 * as {@link AuthException}), the provider's own code ({@code AADSTS7000215},
 * {@code 5.7.139}, ...) and a one-sentence hint that says what to change.
 * Messages never contain a secret.
 */
public class OAuthMailException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;
    private final String detail;
    private final String code;
    private final String hint;
    private final long retryAfterMillis;

    OAuthMailException(ErrorKind kind, String message, String code, String hint, long retryAfterMillis) {
        super(describe(kind, message, code, hint));
        this.kind = kind;
        this.detail = message;
        this.code = code;
        this.hint = hint;
        this.retryAfterMillis = retryAfterMillis;
    }

    /** {@code Auth error AADSTS7000215: <message> (hint: <hint>)}, as in every language. */
    private static String describe(ErrorKind kind, String message, String code, String hint) {
        StringBuilder line = new StringBuilder(kind.canonicalName()).append(" error");
        if (code != null) {
            line.append(' ').append(code);
        }
        line.append(": ").append(message);
        if (hint != null) {
            line.append(" (hint: ").append(hint).append(')');
        }
        return line.toString();
    }

    /** Thrown by the native library: the exception of kind number {@code kind}. */
    static void raise(int kind, String message, String code, String hint, long retryAfterMillis)
            throws OAuthMailException {
        ErrorKind k = ErrorKind.fromNumber(kind);
        if (k == null) {
            throw new InternalException("unknown error kind " + kind + ": " + message, code, hint, retryAfterMillis);
        }
        throw k.exception(message, code, hint, retryAfterMillis);
    }

    public ErrorKind getKind() {
        return kind;
    }

    /** The provider's own code ({@code AADSTS7000215}, {@code 5.7.139}, ...), or null. */
    public String getCode() {
        return code;
    }

    /** One sentence that says what to change, or null. */
    public String getHint() {
        return hint;
    }

    /** What went wrong, without the kind, code and hint that {@link #getMessage()} adds. */
    public String getDetail() {
        return detail;
    }

    /** For {@link ThrottledException}: how long the server asked to wait. */
    public Optional<Duration> getRetryAfter() {
        return retryAfterMillis > 0 ? Optional.of(Duration.ofMillis(retryAfterMillis)) : Optional.empty();
    }
}
