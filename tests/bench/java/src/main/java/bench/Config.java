package bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** config.json of one run (tests/bench/CONTRACT.md), and the output line. */
final class Config {
    final String host;
    final String tlsName;
    final Path caFile;
    final Map<String, Object> ports;
    final Map<String, Object> identity;
    final Map<String, Object> scenario;

    Config(Path file) throws IOException {
        Map<String, Object> c = Json.object(Json.parse(Files.readString(file)));
        host = (String) c.get("host");
        tlsName = (String) c.get("tls_name");
        caFile = Path.of((String) c.get("ca_file"));
        ports = Json.object(c.get("ports"));
        identity = Json.object(c.get("identity"));
        scenario = Json.object(c.get("scenario"));
    }

    int port(String name) {
        return ((Number) ports.get(name)).intValue();
    }

    String id(String key) {
        return (String) identity.get(key);
    }

    String str(String key) {
        return (String) scenario.get(key);
    }

    int num(String key) {
        return ((Number) scenario.get(key)).intValue();
    }

    /** An SSLContext that trusts only the CAs in this PEM file (the JDK's default checks otherwise). */
    static SSLContext trustOnly(Path pem) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            int n = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca" + n++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** The ~200-byte body of every benchmark message. */
    static String body() {
        return "This is a benchmark message of oauthmail's comparison. ".repeat(4).trim();
    }

    /** Prints the run's result as the last stdout line: {"items": n, "seconds": s, ...extra}. */
    static void report(long items, long elapsedNanos, String extra) {
        String more = extra == null ? "" : ", " + extra;
        System.out.println("{\"items\": " + items + ", \"seconds\": " + elapsedNanos / 1e9 + more + "}");
    }

    /** The cold-start line: wall clock (microseconds) right after the SELECT. */
    static void reportCold() {
        Instant now = Instant.now();
        String at = now.getEpochSecond() + String.format(Locale.ROOT, ".%06d", now.getNano() / 1000);
        System.out.println("{\"items\": 1, \"auth_at\": " + at + "}");
    }
}
