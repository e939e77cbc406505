package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The same scenario as the core tests, through real servers we did not write. */
class MailStackTest {
    static MessageSummary bySubject(List<MessageSummary> list, String subject) {
        for (MessageSummary m : list) {
            if (subject.equals(m.getSubject())) {
                return m;
            }
        }
        return null;
    }

    @Test
    void scenario_real_stack_roundtrip() throws Exception {
        MailStack.require();
        TestKit kit = TestKit.shared();
        String subject = MailTest.SUBJECT + " " + UUID.randomUUID();
        try (UsernamePasswordCredential alice = kit.user(TestKit.ALICE);
                SmtpClient smtp = new SmtpClient(MailStack.host(), MailStack.port("SUBMISSION"), TestKit.ALICE, alice,
                        MailStack.options(Security.STARTTLS))) {
            SendReport r = smtp.send(Message.builder().from(TestKit.ALICE).to(TestKit.BOB).subject(subject)
                    .text(MailTest.BODY).build());
            assertNotNull(r.getQueueId(), r.toString());
        }
        try (UsernamePasswordCredential bob = kit.user(TestKit.BOB);
                ImapClient imap = new ImapClient(MailStack.host(), MailStack.port("IMAPS"), TestKit.BOB, bob,
                        MailStack.options(Security.TLS))) {
            MessageSummary m = MailStack.eventually(() -> bySubject(imap.listMessages("INBOX", 50, false), subject));
            assertEquals(TestKit.ALICE, m.getFrom().getAddress());
            assertEquals(MailTest.BODY, Mime.text(imap.fetchMessage(m.getUid())));
            try (Pop3Client pop3 = new Pop3Client(MailStack.host(), MailStack.port("POP3S"), TestKit.BOB, bob,
                    MailStack.options(Security.TLS))) {
                MessageSummary p = bySubject(pop3.listMessages(50), subject);
                assertNotNull(p, "the message is listed over POP3 too");
                assertEquals(MailTest.BODY, Mime.text(pop3.fetchMessage(p.getUid())));
            }
        }
    }
}
