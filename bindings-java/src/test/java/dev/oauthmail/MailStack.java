package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;

/**
 * The real Postfix + Dovecot stack described by the MAILSTACK_* variables
 * (tests/mailstack/README.md). Its Dovecot trusts the shared test kit's
 * tokens. Tests skip without it, and fail when OAUTHMAIL_REQUIRE_MAILSTACK=1.
 */
final class MailStack {
    private MailStack() {}

    static void require() {
        boolean up = System.getenv("MAILSTACK_SUBMISSION_PORT") != null && System.getenv("OAUTHMAIL_TESTKIT") != null;
        if (!up && "1".equals(System.getenv("OAUTHMAIL_REQUIRE_MAILSTACK"))) {
            fail("OAUTHMAIL_REQUIRE_MAILSTACK=1 but MAILSTACK_* or OAUTHMAIL_TESTKIT is not set");
        }
        assumeTrue(up, "no mail stack (MAILSTACK_* and OAUTHMAIL_TESTKIT not set)");
    }

    static String host() {
        return System.getenv("MAILSTACK_HOST");
    }

    /** The name in the stack's certificate, for clients that check it (JavaMail). */
    static String tlsName() {
        return System.getenv("MAILSTACK_TLS_NAME");
    }

    static int port(String name) {
        return Integer.parseInt(System.getenv("MAILSTACK_" + name + "_PORT"));
    }

    static Path ca() {
        return Path.of(System.getenv("MAILSTACK_CA_CERT"));
    }

    static MailOptions options(Security security) {
        return new MailOptions().caFile(ca()).security(security);
    }

    /** Polls {@code find} until it returns a value: delivery through Postfix to Dovecot takes a moment. */
    static <T> T eventually(Find<T> find) throws Exception {
        for (int i = 0; i < 100; i++) {
            T v = find.get();
            if (v != null) {
                return v;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the message did not arrive");
    }

    @FunctionalInterface
    interface Find<T> {
        T get() throws Exception;
    }
}
