package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Issue 10's misuse through the Java binding (surefire runs it with -Xcheck:jni):
 * nulls, invalid values, lone surrogates, huge inputs, use after close, and one
 * client and one credential shared by many threads. Each is a clear exception
 * (ConfigException naming the argument, MessageException, ClosedException),
 * never a crashed JVM.
 */
class MisuseTest {
    private static Message mail(String subject) {
        return Message.builder().from(TestKit.ALICE).to(TestKit.BOB).subject(subject).text("t").build();
    }

    private static void configError(String argument, Executable call) {
        ConfigException e = assertThrows(ConfigException.class, call);
        assertTrue(e.getMessage().contains("`" + argument + "`"), e.getMessage());
    }

    @Test
    void null_arguments_are_config_errors_naming_the_argument() throws Exception {
        TestKit kit = TestKit.shared();
        configError("clientId", () -> new ClientSecretCredential(TestKit.TENANT, null, TestKit.SECRET));
        configError("clientSecret", () -> new ClientSecretCredential(TestKit.TENANT, TestKit.APP, null));
        configError("username", () -> new UsernamePasswordCredential(TestKit.TENANT, TestKit.PUBLIC_APP, null, "p"));
        configError("password", () -> new UsernamePasswordCredential(TestKit.TENANT, TestKit.PUBLIC_APP, "u", null));
        configError("refreshToken", () -> new RefreshTokenCredential(TestKit.TENANT, TestKit.PUBLIC_APP, null));
        configError("token", () -> new StaticTokenCredential(null));
        configError("name", () -> Provider.byName(null));
        try (ClientSecretCredential c = kit.appCredential();
                SmtpClient smtp = MailTest.smtp(kit, TestKit.ALICE, c);
                ImapClient imap = MailTest.imap(kit, TestKit.BOB, c)) {
            configError("credential", () -> new Pop3Client("127.0.0.1", 995, TestKit.BOB, null));
            configError("username", () -> new Pop3Client("127.0.0.1", 995, null, c));
            configError("mailbox", () -> new GraphMailClient(null, c));
            configError("to[0]", () -> smtp.send(Message.builder().from(TestKit.ALICE).to((String) null).build()));
            configError("headers[1]", () -> smtp.send(Message.builder().from(TestKit.ALICE).to(TestKit.BOB)
                    .header("X-A", null).build()));
            configError("attachment data", () -> smtp.send(Message.builder().from(TestKit.ALICE).to(TestKit.BOB)
                    .attach("a.bin", "application/octet-stream", null).build()));
            configError("recipients", () -> smtp.sendRaw(TestKit.ALICE, null, new byte[1]));
            configError("envelopeFrom", () -> smtp.sendRaw(null, List.of(TestKit.BOB), new byte[1]));
            configError("message", () -> smtp.sendRaw(TestKit.ALICE, List.of(TestKit.BOB), null));
            configError("recipients[0]", () -> smtp.sendRaw(TestKit.ALICE, Collections.singletonList(null),
                    new byte[1]));
            configError("scopes[1]", () -> c.getToken("https://outlook.office365.com/.default", null));
            NullPointerException npe = assertThrows(NullPointerException.class,
                    () -> Message.builder().cc((String[]) null));
            assertEquals("cc", npe.getMessage());
            // Null where a default exists is the default.
            assertTrue(imap.listMessages(null, 1, false).size() <= 1);
            assertTrue(c.getToken((String[]) null).getToken().length() > 20);
        }
    }

    @Test
    void invalid_values_are_config_errors() throws Exception {
        TestKit kit = TestKit.shared();
        try (ClientSecretCredential c = kit.appCredential();
                ImapClient imap = MailTest.imap(kit, TestKit.BOB, c);
                Pop3Client pop3 = MailTest.pop3(kit, TestKit.BOB, c)) {
            for (int port : new int[] {0, -1, 65536, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
                assertThrows(ConfigException.class, () -> new SmtpClient("127.0.0.1", port, TestKit.ALICE, c));
            }
            assertThrows(ConfigException.class, () -> imap.fetchMessage(-1));
            assertThrows(ConfigException.class, () -> imap.fetchMessage(1L << 40));
            assertThrows(ConfigException.class, () -> pop3.fetchMessage(Long.MIN_VALUE));
            assertThrows(ConfigException.class, () -> new GraphMailClient(TestKit.ALICE, c, "not a url", null, null,
                    true));
            assertThrows(ConfigException.class, () -> new ClientSecretCredential(TestKit.TENANT, TestKit.APP,
                    TestKit.SECRET, new CredentialOptions().authority("http://login.example.test")));
        }
    }

    @Test
    void lone_surrogates_are_config_errors_and_pairs_arrive_whole() throws Exception {
        TestKit kit = TestKit.shared();
        configError("clientSecret", () -> new ClientSecretCredential(TestKit.TENANT, TestKit.APP, "secret\uD800"));
        configError("token", () -> new StaticTokenCredential("\uDC00token"));
        try (ClientSecretCredential c = kit.appCredential(); SmtpClient smtp = MailTest.smtp(kit, TestKit.ALICE, c);
                ImapClient imap = MailTest.imap(kit, TestKit.BOB, c)) {
            configError("subject", () -> smtp.send(mail("pair \uD83D\uDE00 then lone \uD83D")));
            configError("text", () -> smtp.send(Message.builder().from(TestKit.ALICE).to(TestKit.BOB).subject("s")
                    .text("low first \uDE00\uD83D").build()));
            configError("to[0]", () -> smtp.send(Message.builder().from(TestKit.ALICE).to("b\uD800@example.test")
                    .build()));
            configError("recipients[0]", () -> smtp.sendRaw(TestKit.ALICE, List.of("\uDFFF@example.test"),
                    "Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)));
            // Well-formed text outside the BMP, and NUL-free text around it, arrives unchanged.
            String subject = "pair \uD83D\uDE00 and \u4E2D " + System.nanoTime();
            String id = smtp.send(mail(subject)).getMessageId().replaceAll("^<|>$", "");
            assertEquals(subject, MailTest.find(imap.listMessages(), id).getSubject());
        }
    }

    @Test
    void huge_inputs_are_clear_errors_and_nothing_is_sent() throws Exception {
        try (TestKit kit = TestKit.startPrivate(); ClientSecretCredential c = kit.appCredential();
                SmtpClient smtp = MailTest.smtp(kit, TestKit.ALICE, c)) {
            byte[] big = new byte[40 << 20];
            assertThrows(MessageException.class, () -> smtp.send(Message.builder().from(TestKit.ALICE)
                    .to(TestKit.BOB).subject("big").attach("big.bin", "application/octet-stream", big).build()));
            assertThrows(MessageException.class, () -> smtp.send(Message.builder().from(TestKit.ALICE)
                    .to("b".repeat(1 << 20) + "@example.test").subject("x").text("x").build()));
            assertTrue(kit.control("GET", "smtp", null).contains("\"messages_accepted\":0"));
            smtp.send(mail("after the huge ones"));
        }
    }

    @Test
    void use_after_close_is_closed_and_closing_twice_or_concurrently_is_a_no_op() throws Exception {
        TestKit kit = TestKit.shared();
        ClientSecretCredential c = kit.appCredential();
        GraphMailClient graph = new GraphMailClient(TestKit.ALICE, c, kit.str("graph_url"), null, kit.caPath(), true);
        SmtpClient smtp = MailTest.smtp(kit, TestKit.ALICE, c);
        Pop3Client pop3 = MailTest.pop3(kit, TestKit.BOB, c);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> closes = new ArrayList<>();
        for (AutoCloseable o : List.of(graph, graph, smtp, smtp, pop3, pop3)) {
            closes.add(pool.submit(() -> {
                o.close();
                return null;
            }));
        }
        for (Future<?> f : closes) {
            f.get();
        }
        pool.shutdown();
        assertThrows(ClosedException.class, () -> graph.send(mail("x")));
        assertThrows(ClosedException.class, () -> graph.sendMime(new byte[1]));
        assertThrows(ClosedException.class, smtp::connect);
        assertThrows(ClosedException.class, () -> smtp.sendRaw(TestKit.ALICE, List.of(TestKit.BOB), new byte[1]));
        assertThrows(ClosedException.class, () -> pop3.deleteMessage(1));
        pop3.quit(); // idempotent, as documented
        // A client keeps working after its credential is closed (documented); a closed credential makes no new ones.
        SmtpClient live = MailTest.smtp(kit, TestKit.ALICE, c);
        c.close();
        assertTrue(live.send(mail("after the credential closed")).getQueueId() != null);
        live.close();
        assertThrows(ClosedException.class, () -> MailTest.smtp(kit, TestKit.ALICE, c));
    }

    @Test
    void one_client_and_one_credential_shared_by_many_threads() throws Exception {
        try (TestKit kit = TestKit.startPrivate(); ClientSecretCredential c = kit.appCredential();
                SmtpClient smtp = MailTest.smtp(kit, TestKit.ALICE, c)) {
            ImapClient imap = MailTest.imap(kit, TestKit.BOB, c); // closed below, racing calls in flight
            ExecutorService pool = Executors.newFixedThreadPool(8);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> sends = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                String subject = "threads " + i;
                sends.add(pool.submit(() -> {
                    start.await();
                    smtp.send(mail(subject));
                    return subject;
                }));
            }
            start.countDown();
            Set<String> sent = new HashSet<>();
            for (Future<String> f : sends) {
                sent.add(f.get(60, TimeUnit.SECONDS));
            }
            List<Callable<Integer>> reads = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                long uid = i % 8 + 1;
                reads.add(() -> imap.fetchMessage(uid).length + imap.listMessages("INBOX", 0, false).size());
            }
            for (Future<Integer> f : pool.invokeAll(reads, 60, TimeUnit.SECONDS)) {
                assertTrue(f.get() > 32);
            }
            Set<String> listed = new HashSet<>();
            for (MessageSummary m : imap.listMessages()) {
                assertTrue(listed.add(m.getSubject()), "listed once: " + m.getSubject());
            }
            assertEquals(sent, listed);
            assertEquals(1, kit.tokenRequests());
            Map<String, Object> stats = Json.object(kit.control("GET", "smtp", null));
            assertEquals(32, ((Number) stats.get("messages_accepted")).intValue());

            // close() racing calls in flight: each call succeeds or throws ClosedException.
            List<Future<String>> racing = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                racing.add(pool.submit(() -> {
                    try {
                        imap.listMessages("INBOX", 1, false);
                        return "ok";
                    } catch (ClosedException e) {
                        return "closed";
                    }
                }));
            }
            imap.close();
            for (Future<String> f : racing) {
                assertTrue(Set.of("ok", "closed").contains(f.get()));
            }
            pool.shutdown();
        }
    }
}
