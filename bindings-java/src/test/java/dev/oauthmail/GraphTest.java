package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** GraphMailClient against the kit's Graph sendMail, read back over IMAP. */
class GraphTest {
    static GraphMailClient graph(TestKit kit, TokenCredential c) throws OAuthMailException {
        return new GraphMailClient(TestKit.ALICE, c, kit.str("graph_url"), "https://graph.microsoft.com/.default",
                kit.caPath(), true);
    }

    @Test
    void send_json_and_mime_through_graph() throws Exception {
        TestKit kit = TestKit.shared();
        String subject = MailTest.SUBJECT + " graph " + UUID.randomUUID();
        try (ClientSecretCredential app = kit.appCredential(); GraphMailClient g = graph(kit, app);
                ImapClient imap = MailTest.imap(kit, TestKit.BOB, app)) {
            SendReport r = g.send(Message.builder().from(TestKit.ALICE).to(TestKit.BOB).subject(subject)
                    .text(MailTest.BODY).attach("报告.txt", "text/plain", "data".getBytes(StandardCharsets.UTF_8))
                    .build());
            assertEquals(SendReport.Via.GRAPH, r.getVia());
            assertEquals(List.of(TestKit.BOB), r.getAccepted());
            MessageSummary m = MailStackTest.bySubject(imap.listMessages("INBOX", 50, false), subject);
            assertNotNull(m, "the Graph message arrived");
            assertTrue(m.hasAttachments());

            String mimeSubject = "mime " + UUID.randomUUID();
            byte[] mime = ("From: alice@example.test\r\nTo: bob@example.test\r\nSubject: " + mimeSubject
                    + "\r\n\r\nhello\r\n").getBytes(StandardCharsets.US_ASCII);
            assertEquals(List.of(TestKit.BOB), g.sendMime(mime).getAccepted());
            try (ImapClient again = MailTest.imap(kit, TestKit.BOB, app)) {
                assertNotNull(MailStackTest.bySubject(again.listMessages("INBOX", 50, false), mimeSubject));
            }
        }
    }

    @Test
    void graph_errors_carry_their_code() throws Exception {
        try (TestKit kit = TestKit.startPrivate(); ClientSecretCredential app = kit.appCredential();
                GraphMailClient g = graph(kit, app)) {
            kit.control("POST", "faults", "{\"target\":\"graph\",\"fault\":\"access_denied\",\"count\":1}");
            PermissionException e = assertThrows(PermissionException.class, () -> g.send(Message.builder()
                    .from(TestKit.ALICE).to(TestKit.BOB).subject("x").text("y").build()));
            assertEquals("ErrorAccessDenied", e.getCode());
            assertNotNull(e.getHint());
            g.close();
            assertThrows(ClosedException.class, () -> g.sendMime(new byte[] {1}));
        }
    }
}
