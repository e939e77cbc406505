package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MailTest {
    static final String SUBJECT = "Test测试邮件标题";
    static final String BODY = "Test测试邮件正文";

    /** The Message-ID of the message scenario_send_unicode sent, found again by the later scenarios. */
    private static String sentMessageId;

    static SmtpClient smtp(TestKit kit, String user, TokenCredential c) throws OAuthMailException {
        return new SmtpClient("127.0.0.1", kit.port("smtp", "starttls_port"), user, c, kit.mailOptions());
    }

    static ImapClient imap(TestKit kit, String user, TokenCredential c) throws OAuthMailException {
        return new ImapClient("127.0.0.1", kit.port("imap", "tls_port"), user, c,
                kit.mailOptions().security(Security.TLS));
    }

    static Pop3Client pop3(TestKit kit, String user, TokenCredential c) throws OAuthMailException {
        return new Pop3Client("127.0.0.1", kit.port("pop3", "tls_port"), user, c,
                kit.mailOptions().security(Security.TLS));
    }

    static MessageSummary find(List<MessageSummary> list, String messageId) {
        for (MessageSummary m : list) {
            if (messageId.equals(m.getMessageId())) {
                return m;
            }
        }
        throw new AssertionError("message " + messageId + " not in " + list);
    }

    @Test
    @Order(1)
    void scenario_send_unicode() throws Exception {
        TestKit kit = TestKit.shared();
        try (ClientSecretCredential c = kit.appCredential(); SmtpClient smtp = smtp(kit, TestKit.ALICE, c)) {
            SendReport r = smtp.send(Message.builder().from(TestKit.ALICE).to(TestKit.BOB).subject(SUBJECT).text(BODY)
                    .build());
            assertNotNull(r.getQueueId(), r.toString());
            assertEquals(SendReport.Via.SMTP, r.getVia());
            assertEquals(List.of(TestKit.BOB), r.getAccepted());
            sentMessageId = r.getMessageId().replaceAll("^<|>$", "");
            try (ImapClient imap = imap(kit, TestKit.BOB, c)) {
                MessageSummary m = find(imap.listMessages(), sentMessageId);
                assertEquals(SUBJECT, m.getSubject());
                assertEquals(BODY, Mime.text(imap.fetchMessage(m.getUid())));
            }
        }
    }

    @Test
    @Order(2)
    void scenario_list_imap() throws Exception {
        TestKit kit = TestKit.shared();
        try (ClientSecretCredential c = kit.appCredential(); ImapClient imap = imap(kit, TestKit.BOB, c)) {
            List<MessageSummary> list = imap.listMessages("INBOX");
            assertFalse(list.isEmpty());
            MessageSummary m = find(list, sentMessageId);
            assertTrue(m.getUid() > 0);
            assertEquals(SUBJECT, m.getSubject());
            assertEquals(TestKit.ALICE, m.getFrom().getAddress());
            assertEquals(TestKit.BOB, m.getTo().get(0).getAddress());
            assertNotNull(m.getDate());
            assertTrue(m.getSize() > 0);
            assertNotNull(m.getFlags());
            assertTrue(m.getCc().isEmpty());
            assertFalse(m.hasAttachments());
            assertNull(m.getUidl(), "IMAP rows have no UIDL");
            // decodeAll read the native rows to their last byte; each row is plausible.
            for (MessageSummary row : list) {
                assertTrue(row.getUid() > 0 && row.getSize() > 0, row.toString());
            }
            assertEquals(1, imap.listMessages("INBOX", 1, false).size());
        }
    }

    @Test
    @Order(3)
    void scenario_fetch_message() throws Exception {
        TestKit kit = TestKit.shared();
        try (ClientSecretCredential c = kit.appCredential(); ImapClient imap = imap(kit, TestKit.BOB, c)) {
            MessageSummary m = find(imap.listMessages(), sentMessageId);
            byte[] raw = imap.fetchMessage(m.getUid());
            assertEquals(SUBJECT, Mime.parse(raw).getSubject());
            assertEquals(BODY, Mime.text(raw));
            assertThrows(ConfigException.class, () -> imap.fetchMessage(-1));

            // Streamed to a file: the same bytes; a failed fetch leaves no file behind.
            Path dir = Files.createTempDirectory("oauthmail-fetch");
            Path file = dir.resolve("message.eml");
            imap.select("INBOX");
            imap.fetchMessageToFile(m.getUid(), file);
            assertArrayEquals(raw, Files.readAllBytes(file));
            Path missing = dir.resolve("missing.eml");
            assertThrows(OAuthMailException.class, () -> imap.fetchMessageToFile(999_999, missing));
            assertFalse(Files.exists(missing));
            assertThrows(ConfigException.class, () -> imap.fetchMessageToFile(m.getUid(), null));
            assertThrows(ConfigException.class, () -> imap.select(null));
            assertThrows(OAuthMailException.class, () -> imap.select("No Such Folder"));
        }
    }

    @Test
    @Order(4)
    void scenario_list_pop3() throws Exception {
        TestKit kit = TestKit.shared();
        try (ClientSecretCredential c = kit.appCredential(); Pop3Client pop3 = pop3(kit, TestKit.BOB, c)) {
            List<MessageSummary> list = pop3.listMessages();
            MessageSummary m = find(list, sentMessageId);
            assertEquals(SUBJECT, m.getSubject());
            assertNotNull(m.getUidl());
            assertEquals(BODY, Mime.text(pop3.fetchMessage(m.getUid())));
        }
    }

    @Test
    void scenario_smtp_auth_disabled() throws Exception {
        try (TestKit kit = TestKit.startPrivate(); ClientSecretCredential c = kit.appCredential();
                SmtpClient smtp = smtp(kit, TestKit.ALICE, c)) {
            kit.control("POST", "faults", "{\"target\":\"smtp\",\"fault\":\"auth_disabled\",\"count\":1}");
            PermissionException e = assertThrows(PermissionException.class, () -> smtp.send(
                    Message.builder().from(TestKit.ALICE).to(TestKit.BOB).subject("x").text("y").build()));
            assertEquals("5.7.139", e.getCode());
            assertTrue(e.getHint().contains("Set-CASMailbox") || e.getHint().contains("GraphMailClient"), e.getHint());
        }
    }

    @Test
    void scenario_imap_not_connected() throws Exception {
        try (TestKit kit = TestKit.startPrivate(); ClientSecretCredential c = kit.appCredential();
                ImapClient imap = imap(kit, TestKit.BOB, c)) {
            kit.control("POST", "faults", "{\"target\":\"imap\",\"fault\":\"not_connected\",\"count\":1}");
            PermissionException e = assertThrows(PermissionException.class, imap::listMessages);
            assertTrue(e.getHint().contains("Add-MailboxPermission"), e.getHint());
        }
    }

    @Test
    void scenario_closed_client() throws Exception {
        TestKit kit = TestKit.shared();
        try (ClientSecretCredential c = kit.appCredential()) {
            SmtpClient smtp = smtp(kit, TestKit.ALICE, c);
            ImapClient imap = imap(kit, TestKit.BOB, c);
            Pop3Client pop3 = pop3(kit, TestKit.BOB, c);
            smtp.close();
            imap.close();
            pop3.close();
            smtp.close();
            Message m = Message.builder().from(TestKit.ALICE).to(TestKit.BOB).subject("x").text("y").build();
            assertEquals(ErrorKind.CLOSED, assertThrows(ClosedException.class, () -> smtp.send(m)).getKind());
            assertThrows(ClosedException.class, imap::listMessages);
            assertThrows(ClosedException.class, pop3::listMessages);
            assertThrows(ClosedException.class, () -> imap.fetchMessage(1));
        }
    }

    @Test
    void bad_input_is_an_error_not_a_crash() throws Exception {
        TestKit kit = TestKit.shared();
        try (ClientSecretCredential c = kit.appCredential(); SmtpClient smtp = smtp(kit, TestKit.ALICE, c)) {
            assertThrows(ConfigException.class, () -> smtp.send(null));
            assertThrows(MessageException.class, () -> smtp.send(Message.builder().from(TestKit.ALICE).subject("x")
                    .text("no recipients").build()));
            assertThrows(MessageException.class, () -> smtp.send(Message.builder().from(TestKit.ALICE)
                    .to("bob@example.test\r\nBcc: evil@example.com").subject("x").text("y").build()));
            assertThrows(ConfigException.class, () -> new SmtpClient("127.0.0.1", 70000, TestKit.ALICE, c));
            assertThrows(ConfigException.class, () -> new SmtpClient("127.0.0.1", 587, TestKit.ALICE, null));
            assertThrows(ConfigException.class, () -> new ImapClient(null, 993, TestKit.BOB, c));
        }
    }

    @Test
    void one_client_many_threads() throws Exception {
        TestKit kit = TestKit.shared();
        try (ClientSecretCredential c = kit.appCredential(); ImapClient imap = imap(kit, TestKit.BOB, c)) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Integer>> sizes = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                sizes.add(pool.submit(() -> imap.listMessages("INBOX", 5, false).size()));
            }
            for (Future<Integer> f : sizes) {
                assertTrue(f.get() > 0);
            }
            pool.shutdown();
        }
    }

    /** Makes clients and drops them without close(). */
    private static void forget(TestKit kit, TokenCredential c) throws OAuthMailException {
        smtp(kit, TestKit.ALICE, c);
        imap(kit, TestKit.BOB, c);
        pop3(kit, TestKit.BOB, c);
    }

    @Test
    void cleaner_frees_forgotten_clients() throws Exception {
        TestKit kit = TestKit.shared();
        try (ClientSecretCredential c = kit.appCredential()) {
            forget(kit, c);
            long made = Native.liveHandles();
            for (int i = 0; i < 200 && Native.liveHandles() > made - 3; i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertTrue(Native.liveHandles() <= made - 3, "the Cleaner freed the three clients");
        }
    }
}
