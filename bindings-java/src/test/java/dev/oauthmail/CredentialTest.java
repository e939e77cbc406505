package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class CredentialTest {
    @Test
    void scenario_token_client_secret() throws Exception {
        TestKit kit = TestKit.shared();
        try (ClientSecretCredential c = kit.appCredential()) {
            AccessToken t = c.getToken();
            assertFalse(t.getToken().isEmpty());
            assertTrue(t.getExpiresOn().isAfter(Instant.now()));
            assertFalse(t.toString().contains(t.getToken()), "toString hides the token");
            Claims claims = t.getClaims();
            assertEquals("https://outlook.office365.com", claims.getAudience());
            assertTrue(claims.getRoles().contains("SMTP.SendAsApp"), claims.toString());
            assertTrue(claims.getRoles().contains("IMAP.AccessAsApp"), claims.toString());
            assertEquals(TestKit.APP, claims.getAppId());
        }
    }

    @Test
    void scenario_token_every_credential() throws Exception {
        TestKit kit = TestKit.shared();
        try (ClientCertificateCredential cert = ClientCertificateCredential.fromFile(TestKit.TENANT, TestKit.CERT_APP,
                Path.of(kit.certAppPem()), kit.options())) {
            assertEquals(TestKit.CERT_APP, cert.getToken().getClaims().getAppId());
        }
        try (UsernamePasswordCredential alice = kit.user(TestKit.ALICE)) {
            Claims claims = alice.getToken().getClaims();
            assertEquals(TestKit.ALICE, claims.getUsername());
            assertTrue(claims.getScopes().contains("SMTP.Send"), claims.toString());
        }
        String refresh = refreshTokenFromPasswordSignIn(kit);
        try (RefreshTokenCredential r = new RefreshTokenCredential(TestKit.TENANT, TestKit.PUBLIC_APP, refresh,
                kit.options())) {
            assertEquals(TestKit.ALICE, r.getToken().getClaims().getUsername());
        }
        String appToken;
        try (ClientSecretCredential app = kit.appCredential()) {
            appToken = app.getToken().getToken();
        }
        try (StaticTokenCredential s = new StaticTokenCredential(appToken)) {
            assertEquals(appToken, s.getToken().getToken());
        }
        try (StaticTokenCredential expired = new StaticTokenCredential("opaque", Instant.now().minusSeconds(60))) {
            assertThrows(AuthException.class, expired::getToken);
        }
        try (UsernamePasswordCredential mfa = new UsernamePasswordCredential(TestKit.TENANT, TestKit.PUBLIC_APP,
                "mfa@example.test", "mfa-password", kit.options())) {
            AuthException e = assertThrows(AuthException.class, mfa::getToken);
            assertEquals("AADSTS50076", e.getCode());
        }
    }

    /** A refresh token straight from the kit's token endpoint (the binding keeps them to itself). */
    private static String refreshTokenFromPasswordSignIn(TestKit kit) throws Exception {
        String form = "grant_type=password&client_id=" + TestKit.PUBLIC_APP + "&username=" + TestKit.ALICE
                + "&password=alice-password&scope="
                + URLEncoder.encode("https://outlook.office365.com/.default offline_access", StandardCharsets.UTF_8);
        HttpClient http = HttpClient.newBuilder().sslContext(TestKit.sslContext(kit.caPath())).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(kit.str("token_url")))
                .header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return (String) Json.object(r.body()).get("refresh_token");
    }

    @Test
    void scenario_token_errors() throws Exception {
        TestKit kit = TestKit.shared();
        String secret = "wrong-secret-Zq8";
        try (ClientSecretCredential c = new ClientSecretCredential(TestKit.TENANT, TestKit.APP, secret,
                kit.options())) {
            AuthException e = assertThrows(AuthException.class, c::getToken);
            assertEquals(ErrorKind.AUTH, e.getKind());
            assertEquals("AADSTS7000215", e.getCode());
            assertNotNull(e.getHint());
            assertFalse(e.getHint().isEmpty());
            assertFalse(e.getMessage().contains(secret), e.getMessage());
            assertFalse(e.toString().contains(secret));
        }
    }

    @Test
    void scenario_one_token_many_threads() throws Exception {
        try (TestKit kit = TestKit.startPrivate(); ClientSecretCredential c = kit.appCredential()) {
            kit.control("DELETE", "requests", null);
            int threads = 8;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> tokens = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                tokens.add(pool.submit(() -> {
                    start.await();
                    return c.getToken().getToken();
                }));
            }
            start.countDown();
            String first = tokens.get(0).get();
            for (Future<String> t : tokens) {
                assertEquals(first, t.get());
            }
            pool.shutdown();
            assertEquals(1, kit.tokenRequests());
        }
    }

    @Test
    void bad_arguments_are_config_errors() throws Exception {
        TestKit kit = TestKit.shared();
        ConfigException e = assertThrows(ConfigException.class,
                () -> new ClientSecretCredential(null, TestKit.APP, TestKit.SECRET, kit.options()));
        assertTrue(e.getMessage().contains("tenantId"), e.getMessage());
        assertThrows(ConfigException.class, () -> new ClientSecretCredential(TestKit.TENANT, TestKit.APP,
                TestKit.SECRET, new CredentialOptions().authority("not a url")));
        assertThrows(ConfigException.class, () -> new ClientSecretCredential(TestKit.TENANT, TestKit.APP,
                TestKit.SECRET, new CredentialOptions().caFile(Path.of("/nonexistent/ca.pem"))));
        assertThrows(ConfigException.class, () -> new StaticTokenCredential(""));
        try (ClientSecretCredential c = kit.appCredential()) {
            assertThrows(ConfigException.class, () -> c.getToken((String) null));
        }
    }

    @Test
    void closed_credential() throws Exception {
        ClientSecretCredential c = TestKit.shared().appCredential();
        c.close();
        c.close();
        ClosedException e = assertThrows(ClosedException.class, c::getToken);
        assertEquals(ErrorKind.CLOSED, e.getKind());
    }

    @Test
    void provider_presets_come_from_core() throws Exception {
        Provider p = Provider.office365();
        assertEquals("smtp.office365.com", p.getSmtp().getHost());
        assertEquals(587, p.getSmtp().getPort());
        assertEquals(Security.STARTTLS, p.getSmtp().getSecurity());
        assertEquals("outlook.office365.com", p.getImap().getHost());
        assertEquals(993, p.getImap().getPort());
        assertEquals(Security.TLS, p.getImap().getSecurity());
        assertEquals(995, p.getPop3().getPort());
        assertEquals("https://outlook.office365.com/.default", p.getMailScope());
        assertEquals("https://mail.google.com/", Provider.gmail().getMailScope());
        assertThrows(ConfigException.class, () -> Provider.byName("nope"));
    }
}
