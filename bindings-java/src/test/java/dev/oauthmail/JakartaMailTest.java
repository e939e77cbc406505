package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.oauthmail.jakarta.OAuth2Authenticator;
import jakarta.mail.Folder;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.util.Properties;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/** Jakarta Mail kept, with OAuth2Authenticator handing it fresh tokens. */
class JakartaMailTest {
    /** XOAUTH2 over STARTTLS SMTP and implicit-TLS IMAP, trusting only {@code ca}, checking host names. */
    static Properties props(Path ca, int smtpPort, int imapsPort) throws Exception {
        SSLContext ctx = TestKit.sslContext(ca);
        Properties p = OAuth2Authenticator.xoauth2Properties(new Properties(), "smtp", "imaps");
        p.put("mail.smtp.port", String.valueOf(smtpPort));
        p.put("mail.smtp.starttls.enable", "true");
        p.put("mail.smtp.starttls.required", "true");
        p.put("mail.imaps.port", String.valueOf(imapsPort));
        for (String proto : new String[] {"smtp", "imaps"}) {
            p.put("mail." + proto + ".ssl.socketFactory", ctx.getSocketFactory());
            p.put("mail." + proto + ".ssl.checkserveridentity", "true");
        }
        return p;
    }

    static void send(Session session, String from, String to, String subject) throws Exception {
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress(from));
        m.setRecipients(jakarta.mail.Message.RecipientType.TO, to);
        m.setSubject(subject, "UTF-8");
        m.setText(MailTest.BODY, "UTF-8");
        Transport.send(m);
    }

    /** Reads {@code user}'s INBOX with Jakarta Mail until {@code subject} is there. */
    static jakarta.mail.Message read(Session session, String host, String subject) throws Exception {
        return MailStack.eventually(() -> {
            try (Store store = session.getStore("imaps")) {
                store.connect(host, null, null);
                Folder inbox = store.getFolder("INBOX");
                inbox.open(Folder.READ_ONLY);
                try {
                    for (jakarta.mail.Message m : inbox.getMessages()) {
                        if (subject.equals(m.getSubject())) {
                            return m;
                        }
                    }
                    return null;
                } finally {
                    inbox.close(false);
                }
            }
        });
    }

    @Test
    void authenticator_sends_and_reads_through_the_kit() throws Exception {
        TestKit kit = TestKit.shared();
        String subject = MailTest.SUBJECT + " jakarta " + UUID.randomUUID();
        try (ClientSecretCredential app = kit.appCredential()) {
            Properties p = props(kit.caPath(), kit.port("smtp", "starttls_port"), kit.port("imap", "tls_port"));
            p.put("mail.smtp.host", "localhost");
            send(Session.getInstance(p, new OAuth2Authenticator(TestKit.ALICE, app)), TestKit.ALICE, TestKit.BOB,
                    subject);
            Session bob = Session.getInstance(p, new OAuth2Authenticator(TestKit.BOB, app));
            assertNotNull(read(bob, "localhost", subject).getSentDate());
        }
    }

    @Test
    void keeps_working_past_token_expiry() throws Exception {
        try (TestKit kit = TestKit.startPrivate(); ClientSecretCredential app = kit.appCredential()) {
            kit.control("POST", "token-lifetime", "{\"secs\":2}");
            kit.control("DELETE", "requests", null);
            Properties p = props(kit.caPath(), kit.port("smtp", "starttls_port"), kit.port("imap", "tls_port"));
            p.put("mail.smtp.host", "localhost");
            Session session = Session.getInstance(p, new OAuth2Authenticator(TestKit.ALICE, app));
            send(session, TestKit.ALICE, TestKit.BOB, "first");
            Thread.sleep(2500); // the first token has expired (the kit refuses expired tokens)
            send(session, TestKit.ALICE, TestKit.BOB, "second");
            assertEquals(2, kit.tokenRequests());
        }
    }

    @Test
    void authenticator_sends_and_reads_through_postfix_and_dovecot() throws Exception {
        MailStack.require();
        TestKit kit = TestKit.shared();
        String subject = MailTest.SUBJECT + " jakarta " + UUID.randomUUID();
        try (UsernamePasswordCredential alice = kit.user(TestKit.ALICE);
                UsernamePasswordCredential bob = kit.user(TestKit.BOB)) {
            Properties p = props(MailStack.ca(), MailStack.port("SUBMISSION"), MailStack.port("IMAPS"));
            p.put("mail.smtp.host", MailStack.tlsName());
            send(Session.getInstance(p, new OAuth2Authenticator(TestKit.ALICE, alice)), TestKit.ALICE, TestKit.BOB,
                    subject);
            jakarta.mail.Message m = read(Session.getInstance(p, new OAuth2Authenticator(TestKit.BOB, bob)),
                    MailStack.tlsName(), subject);
            assertEquals(TestKit.ALICE, ((InternetAddress) m.getFrom()[0]).getAddress());
        }
    }
}
