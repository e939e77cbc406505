package dev.oauthmail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Runs the programs of examples/java (compiled with the tests) with settings for the kit or the stack. */
final class Examples {
    private Examples() {}

    /** The example's {@code run(env)}; what it printed. */
    static String run(String className, Map<String, String> env) throws Exception {
        Method run = Class.forName(className).getDeclaredMethod("run", Map.class);
        run.setAccessible(true);
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            run.invoke(null, env);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        original.print(printed);
        return printed;
    }

    /** The kit's app, mailbox {@code user}, servers at {@code host} (JavaMail checks the name: localhost). */
    static Map<String, String> kit(TestKit kit, String user, String host) {
        Map<String, String> env = new HashMap<>();
        env.put("AZURE_TENANT_ID", TestKit.TENANT);
        env.put("AZURE_CLIENT_ID", TestKit.APP);
        env.put("AZURE_CLIENT_SECRET", TestKit.SECRET);
        env.put("AZURE_AUTHORITY_HOST", kit.authority());
        env.put("OAUTHMAIL_CA_FILE", kit.caPath().toString());
        env.put("OAUTHMAIL_USER", user);
        env.put("OAUTHMAIL_SMTP_HOST", host);
        env.put("OAUTHMAIL_SMTP_PORT", String.valueOf(kit.port("smtp", "starttls_port")));
        env.put("OAUTHMAIL_IMAP_HOST", host);
        env.put("OAUTHMAIL_IMAP_PORT", String.valueOf(kit.port("imap", "tls_port")));
        env.put("OAUTHMAIL_POP3_HOST", host);
        env.put("OAUTHMAIL_POP3_PORT", String.valueOf(kit.port("pop3", "tls_port")));
        return env;
    }

    /** The stack, with a user sign-in of {@code user} at the shared kit (whose tokens Dovecot trusts). */
    static Map<String, String> stack(TestKit kit, String user, String host) throws IOException {
        // One CA file, as a real deployment has: the identity platform's and the mail servers'.
        Path bundle = Files.createTempFile("oauthmail-cas", ".pem");
        bundle.toFile().deleteOnExit();
        Files.write(bundle, (Files.readString(kit.caPath()) + "\n" + Files.readString(MailStack.ca())).getBytes(
                StandardCharsets.US_ASCII));
        Map<String, String> env = new HashMap<>();
        env.put("AZURE_TENANT_ID", TestKit.TENANT);
        env.put("AZURE_CLIENT_ID", TestKit.PUBLIC_APP);
        env.put("AZURE_USERNAME", user);
        env.put("AZURE_PASSWORD", user.substring(0, user.indexOf('@')) + "-password");
        env.put("AZURE_AUTHORITY_HOST", kit.authority());
        env.put("OAUTHMAIL_CA_FILE", bundle.toString());
        env.put("OAUTHMAIL_USER", user);
        env.put("OAUTHMAIL_SMTP_HOST", host);
        env.put("OAUTHMAIL_SMTP_PORT", String.valueOf(MailStack.port("SUBMISSION")));
        env.put("OAUTHMAIL_IMAP_HOST", host);
        env.put("OAUTHMAIL_IMAP_PORT", String.valueOf(MailStack.port("IMAPS")));
        env.put("OAUTHMAIL_POP3_HOST", host);
        env.put("OAUTHMAIL_POP3_PORT", String.valueOf(MailStack.port("POP3S")));
        return env;
    }
}
