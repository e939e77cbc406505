package dev.oauthmail;

/**
 * The native library's log events (core, and the TLS and HTTP crates below it)
 * go to the {@link System.Logger} named {@code dev.oauthmail}: with
 * java.util.logging, {@code TRACE} is {@code FINER} and {@code DEBUG} is
 * {@code FINE}. The logger's level is read at the start of every call into the
 * library. A message is {@code spans: rust::module: text key=value}. Events
 * never contain tokens, secrets or passwords.
 */
final class Log {
    static final String NAME = "dev.oauthmail";
    private static final System.Logger LOGGER = System.getLogger(NAME);
    /** By the native library's numbers: 1 error ... 5 trace. */
    private static final System.Logger.Level[] LEVELS = {
        System.Logger.Level.ERROR, System.Logger.Level.WARNING, System.Logger.Level.INFO,
        System.Logger.Level.DEBUG, System.Logger.Level.TRACE,
    };

    private Log() {}

    /** Called by the native library: the most verbose level to pass on (0: none). */
    static int level() {
        for (int i = LEVELS.length; i > 0; i--) {
            if (LOGGER.isLoggable(LEVELS[i - 1])) {
                return i;
            }
        }
        return 0;
    }

    /** Called by the native library, on the thread where the event happened. */
    static void log(int level, String message) {
        LOGGER.log(LEVELS[Math.max(1, Math.min(level, LEVELS.length)) - 1], message);
    }
}
