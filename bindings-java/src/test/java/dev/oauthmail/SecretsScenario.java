package dev.oauthmail;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Run by {@link SecretScanTest} in a child JVM: the whole scenario (a token from
 * every credential type, SMTP send, IMAP and POP3 list and fetch, Graph send,
 * failures) on a private kit, with the {@code dev.oauthmail} logger at its most
 * verbose printing to stdout and every error to stderr. The secrets it saw are
 * written to the file named by {@code args[0]}, never printed.
 */
final class SecretsScenario {
    private static final Set<String> SECRETS = new LinkedHashSet<>(
            List.of(TestKit.SECRET, "alice-password", "bob-password", "wrong-secret-7"));
    /** Kept reachable: java.util.logging holds its loggers weakly. */
    private static final Logger LOGGER = Logger.getLogger(Log.NAME);

    private SecretsScenario() {}

    public static void main(String[] args) throws Exception {
        LOGGER.setLevel(Level.ALL);
        LOGGER.setUseParentHandlers(false);
        LOGGER.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                System.out.println(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        });
        try (TestKit kit = TestKit.startPrivate()) {
            run(kit);
        }
        Files.write(Path.of(args[0]), SECRETS);
        System.out.flush();
    }

    private static void keep(String secret) {
        if (secret != null) {
            SECRETS.add(secret);
        }
    }

    interface Step {
        Object run() throws Exception;
    }

    /** Runs {@code step}; an error goes to stderr whole (it is scanned too), and the scenario goes on. */
    private static Object attempt(String what, Step step) {
        try {
            return step.run();
        } catch (Exception e) {
            System.err.println(what + ": " + e);
            e.printStackTrace();
            return null;
        }
    }

    private static Message mail(String subject) {
        return Message.builder().from(TestKit.ALICE).to(TestKit.BOB).subject(subject).text("secret scan").build();
    }

    private static void run(TestKit kit) throws Exception {
        kit.control("POST", "seed", "{\"user\":\"" + TestKit.BOB + "\",\"count\":3}");
        Path dir = Files.createTempDirectory("oauthmail-java-secrets-");
        HttpClient http = HttpClient.newBuilder().sslContext(TestKit.sslContext(kit.caPath())).build();
        List<TokenCredential> credentials = new ArrayList<>();
        credentials.add(kit.appCredential());
        credentials.add(ClientCertificateCredential.fromFile(TestKit.TENANT, TestKit.CERT_APP,
                Path.of(kit.certAppPem()), kit.options()));
        credentials.add(new UsernamePasswordCredential(TestKit.TENANT, TestKit.PUBLIC_APP, TestKit.ALICE,
                "alice-password", kit.options().persistentCache(dir.resolve("password.json"))));
        credentials.add(new DeviceCodeCredential(TestKit.TENANT, TestKit.PUBLIC_APP, (code, uri, message, expires) -> {
        }, kit.options().persistentCache(dir.resolve("device.json"))));
        String issued = http.send(HttpRequest.newBuilder(URI.create(kit.str("token_url")))
                .header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=password&client_id=" + TestKit.PUBLIC_APP
                        + "&username=" + TestKit.BOB + "&password=bob-password&scope=" + URLEncoder.encode(
                                "https://outlook.office365.com/.default offline_access", StandardCharsets.UTF_8)))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        String refreshToken = (String) Json.object(issued).get("refresh_token");
        keep(refreshToken);
        keep((String) Json.object(issued).get("access_token"));
        credentials.add(new RefreshTokenCredential(TestKit.TENANT, TestKit.PUBLIC_APP, refreshToken, kit.options()));

        // Authorization code: the "browser" reads the code off the redirect, then delivers it.
        AuthorizationCodeCredential code = new AuthorizationCodeCredential(TestKit.TENANT, TestKit.PUBLIC_APP,
                kit.options().loginHint(TestKit.BOB).persistentCache(dir.resolve("code.json")));
        List<CompletableFuture<?>> visits = new ArrayList<>();
        keep(code.signIn(url -> visits.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.discarding()).thenCompose(r -> {
                    String location = r.headers().firstValue("location").orElseThrow();
                    Matcher m = Pattern.compile("[?&]code=([^&]+)").matcher(location);
                    keep(m.find() ? m.group(1) : null);
                    return HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(URI.create(location)).build(),
                            HttpResponse.BodyHandlers.discarding());
                }))).getToken());
        visits.get(0).get();
        credentials.add(code);

        for (TokenCredential c : credentials) {
            keep(c.getToken().getToken());
            keep(c.getFreshToken().getToken());
        }
        TokenCredential app = credentials.get(0);
        keep(app.getToken("https://graph.microsoft.com/.default").getToken());
        StaticTokenCredential statik = new StaticTokenCredential(credentials.get(2).getToken().getToken());

        MailOptions starttls = kit.mailOptions().security(Security.STARTTLS);
        MailOptions tls = kit.mailOptions().security(Security.TLS);
        try (SmtpClient a = new SmtpClient("127.0.0.1", kit.port("smtp", "starttls_port"), TestKit.ALICE, app, starttls);
                SmtpClient b = new SmtpClient("127.0.0.1", kit.port("smtp", "tls_port"), TestKit.ALICE, statik, tls)) {
            attempt("smtp", () -> a.send(mail("scan")));
            attempt("smtp static", () -> b.send(mail("scan static")));
        }
        kit.control("POST", "faults", "{\"target\":\"smtp\",\"fault\":\"drop_after_auth\",\"count\":1}");
        try (SmtpClient s = new SmtpClient("127.0.0.1", kit.port("smtp", "tls_port"), TestKit.ALICE, app, tls)) {
            attempt("smtp drop", () -> s.send(mail("drop")));
        }
        for (TokenCredential c : List.of(app, credentials.get(4))) {
            try (ImapClient imap = new ImapClient("127.0.0.1", kit.port("imap", "tls_port"), TestKit.BOB, c, tls);
                    Pop3Client pop3 = new Pop3Client("127.0.0.1", kit.port("pop3", "tls_port"), TestKit.BOB, c, tls)) {
                attempt("imap", () -> imap.fetchMessage(imap.listMessages("INBOX", 5, false).get(0).getUid()));
                attempt("pop3", () -> pop3.fetchMessage(pop3.listMessages(5).get(0).getUid()));
            }
        }
        kit.control("POST", "faults", "{\"target\":\"imap\",\"fault\":\"bye_access_token_expired\",\"count\":1}");
        try (ImapClient imap = new ImapClient("127.0.0.1", kit.port("imap", "tls_port"), TestKit.BOB, app, tls)) {
            attempt("imap bye", imap::listMessages);
        }
        try (GraphMailClient graph = new GraphMailClient(TestKit.ALICE, app, kit.str("graph_url"), null, kit.caPath(),
                true)) {
            attempt("graph", () -> graph.send(mail("graph")));
            kit.control("POST", "faults", "{\"target\":\"graph\",\"fault\":\"invalid_token\",\"count\":1}");
            attempt("graph refreshed", () -> graph.send(mail("graph again")));
        }

        // Failures whose messages are scanned too: a wrong secret, a refused token.
        try (ClientSecretCredential wrong = new ClientSecretCredential(TestKit.TENANT, TestKit.APP, "wrong-secret-7",
                kit.options())) {
            attempt("wrong secret", wrong::getToken);
        }
        String expired = (String) Json.object(kit.control("POST", "token",
                "{\"user\":\"" + TestKit.ALICE + "\",\"scp\":[\"SMTP.Send\"],\"expires_in\":-60}")).get("access_token");
        keep(expired);
        try (StaticTokenCredential refused = new StaticTokenCredential(expired,
                java.time.Instant.now().plusSeconds(600));
                SmtpClient s = new SmtpClient("127.0.0.1", kit.port("smtp", "tls_port"), TestKit.ALICE, refused, tls)) {
            attempt("expired", () -> s.send(mail("refused")));
        }
        for (TokenCredential c : credentials) {
            c.close();
        }
        statik.close();

        // The refresh tokens the user credentials keep (their persistent caches).
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Matcher m = Pattern.compile("0\\.testkit\\.[\\w-]+").matcher(Files.readString(f));
                while (m.find()) {
                    keep(m.group());
                }
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }
}
