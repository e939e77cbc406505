package dev.oauthmail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The test kit: the one named by {@code OAUTHMAIL_TESTKIT} (its JSON line), or
 * one started from {@code target/debug/oauthmail-testkit}. Tests that inject
 * faults or count requests start a {@link #startPrivate() private} kit.
 */
final class TestKit implements AutoCloseable {
    static final String TENANT = "11111111-1111-1111-1111-111111111111";
    static final String APP = "22222222-2222-2222-2222-222222222222";
    static final String SECRET = "test-secret-1";
    static final String CERT_APP = "33333333-3333-3333-3333-333333333333";
    static final String PUBLIC_APP = "44444444-4444-4444-4444-444444444444";
    static final String ALICE = "alice@example.test";
    static final String BOB = "bob@example.test";

    private static TestKit shared;

    final Map<String, Object> info;
    private final Process process;
    private final HttpClient http;

    private TestKit(String line, Process process) throws Exception {
        this.info = Json.object(line);
        this.process = process;
        this.http = HttpClient.newBuilder().sslContext(sslContext(caPath())).build();
    }

    static synchronized TestKit shared() throws Exception {
        if (shared == null) {
            String line = System.getenv("OAUTHMAIL_TESTKIT");
            shared = line != null && !line.isEmpty() ? new TestKit(line, null) : startPrivate();
            TestKit kit = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(kit::close));
        }
        return shared;
    }

    static Path workspace() {
        return Path.of(System.getProperty("user.dir")).getParent();
    }

    static TestKit startPrivate() throws Exception {
        Path binary = workspace().resolve("target/debug/oauthmail-testkit");
        Process p = new ProcessBuilder(binary.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null) {
            throw new IOException(binary + " printed nothing (build it with cargo build -p oauthmail-testkit)");
        }
        return new TestKit(line, p);
    }

    String str(String key) {
        return (String) info.get(key);
    }

    @SuppressWarnings("unchecked")
    int port(String service, String kind) {
        return ((Number) ((Map<String, Object>) info.get(service)).get(kind)).intValue();
    }

    String authority() {
        return str("authority");
    }

    Path caPath() {
        return Path.of(str("ca_path"));
    }

    @SuppressWarnings("unchecked")
    String certAppPem() {
        return (String) ((Map<String, Object>) info.get("cert_app")).get("pem_path");
    }

    CredentialOptions options() {
        return new CredentialOptions().authority(authority()).caFile(caPath());
    }

    MailOptions mailOptions() {
        return new MailOptions().caFile(caPath());
    }

    ClientSecretCredential appCredential() throws OAuthMailException {
        return new ClientSecretCredential(TENANT, APP, SECRET, options());
    }

    UsernamePasswordCredential user(String address) throws OAuthMailException {
        String password = address.substring(0, address.indexOf('@')) + "-password";
        return new UsernamePasswordCredential(TENANT, PUBLIC_APP, address, password, options());
    }

    /** A control endpoint call ({@code {authority}/testkit/<path>}); the reply body. */
    String control(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(str("control_url") + "/" + path))
                .header("content-type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException(method + " " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    long tokenRequests() throws Exception {
        return ((Number) Json.object(control("GET", "requests", null)).get("token_requests")).longValue();
    }

    static SSLContext sslContext(Path caPem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    @Override
    public void close() {
        if (process != null) {
            try {
                process.getOutputStream().close();
                process.waitFor();
            } catch (IOException | InterruptedException e) {
                process.destroy();
            }
        }
    }
}
