package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's secret scan through the Java binding: {@link SecretsScenario} runs
 * the whole scenario in a child JVM (with -Xcheck:jni) with the
 * {@code dev.oauthmail} logger at its most verbose; every line it printed
 * (stdout and stderr, the native library's own output included) is scanned
 * for every secret the kit issued.
 */
class SecretScanTest {
    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                in.transferTo(out);
                return out.toString(StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** The base64 SASL responses (XOAUTH2, OAUTHBEARER) that would carry {@code token}. */
    private static List<String> withSasl(String token) {
        List<String> all = new ArrayList<>(List.of(token));
        for (String user : List.of(TestKit.ALICE, TestKit.BOB)) {
            for (String sasl : List.of("user=" + user + "\u0001auth=Bearer " + token + "\u0001\u0001",
                    "n,a=" + user + ",\u0001auth=Bearer " + token + "\u0001\u0001")) {
                all.add(Base64.getEncoder().encodeToString(sasl.getBytes(StandardCharsets.UTF_8)));
            }
        }
        return all;
    }

    @Test
    void no_secret_the_kit_issued_appears_in_any_log_line_error_or_output() throws Exception {
        Path secretsFile = Files.createTempFile("oauthmail-secrets-", ".txt");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Xcheck:jni", "-cp", System.getProperty("java.class.path"),
                SecretsScenario.class.getName(), secretsFile.toString()).start();
        p.getOutputStream().close();
        CompletableFuture<String> stdout = drain(p.getInputStream());
        CompletableFuture<String> stderr = drain(p.getErrorStream());
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the scenario finished");
        String err = stderr.get();
        assertEquals(0, p.exitValue(), err);
        List<String> secrets = Files.readAllLines(secretsFile);
        Files.delete(secretsFile);
        List<String> lines = new ArrayList<>(List.of(stdout.get().split("\n")));
        lines.addAll(List.of(err.split("\n")));

        // The scan can fail: the scenario logged at TRACE from core and its TLS stack, and kept the secrets.
        assertTrue(lines.size() > 500, "only " + lines.size() + " lines captured");
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("FINER ")), "TRACE events reached the logger");
        assertTrue(lines.stream().anyMatch(l -> l.contains("oauthmail::smtp")), "core SMTP events reached the logger");
        assertTrue(lines.stream().anyMatch(l -> l.contains("rustls::")), "log records of rustls reached the logger");
        assertTrue(err.contains("AADSTS7000215"), "the failures were printed");
        assertFalse(lines.stream().anyMatch(l -> l.contains("in native method")), "-Xcheck:jni found nothing");
        assertTrue(secrets.stream().filter(s -> s.startsWith("eyJ")).count() >= 6, "access tokens were kept");
        assertTrue(secrets.stream().anyMatch(s -> s.startsWith("0.testkit.")), "refresh tokens were kept");

        for (String secret : secrets) {
            for (String shown : secret.startsWith("eyJ") ? withSasl(secret) : List.of(secret)) {
                for (String line : lines) {
                    assertFalse(line.contains(shown), () -> "a secret in: " + line.replace(shown, "<secret>"));
                }
            }
        }
        // Ones the scenario could not see (a device code, a refresh token kept only in memory) have the kit's shapes.
        for (Pattern shape : List.of(Pattern.compile("eyJ[\\w-]{10,}\\.eyJ[\\w-]{10,}\\.[\\w-]{10,}"),
                Pattern.compile("0\\.testkit\\.[\\w-]{20,}"))) {
            for (String line : lines) {
                assertFalse(shape.matcher(line).find(), () -> "a token in: " + shape.matcher(line).replaceAll("<token>"));
            }
        }
    }
}
