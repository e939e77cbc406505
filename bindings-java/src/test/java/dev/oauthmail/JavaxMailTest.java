package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.oauthmail.javax.OAuth2Authenticator;
import java.util.Properties;
import java.util.UUID;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.MimeMessage;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/**
 * javax.mail kept (its own JVM, without Jakarta Mail): the example whose only
 * change is the token line, and the javax Authenticator.
 */
class JavaxMailTest {
    @Test
    void office365_mail_test_javamail_against_the_kit() throws Exception {
        String out = Examples.run("Office365MailTestJavaMail", Examples.kit(TestKit.shared(), TestKit.ALICE,
                "localhost"));
        assertTrue(out.contains("Sent <"), out);
        assertTrue(out.contains("IMAP") && out.contains(": Test测试邮件标题"), out);
    }

    @Test
    void office365_mail_test_javamail_against_the_real_stack() throws Exception {
        MailStack.require();
        java.util.Map<String, String> env = Examples.stack(TestKit.shared(), TestKit.BOB, MailStack.tlsName());
        Examples.run("Office365MailTestJavaMail", env);
        String out = Examples.run("Office365MailTestJavaMail", env);
        assertTrue(out.contains("IMAP") && out.contains(": Test测试邮件标题"), out);
    }

    @Test
    void javax_authenticator_sends_through_the_kit() throws Exception {
        TestKit kit = TestKit.shared();
        String subject = "javax " + UUID.randomUUID();
        try (ClientSecretCredential app = kit.appCredential()) {
            SSLContext ctx = TestKit.sslContext(kit.caPath());
            Properties p = OAuth2Authenticator.xoauth2Properties(new Properties(), "smtp");
            p.put("mail.smtp.host", "localhost");
            p.put("mail.smtp.port", String.valueOf(kit.port("smtp", "starttls_port")));
            p.put("mail.smtp.starttls.enable", "true");
            p.put("mail.smtp.starttls.required", "true");
            p.put("mail.smtp.ssl.socketFactory", ctx.getSocketFactory());
            p.put("mail.smtp.ssl.checkserveridentity", "true");
            Session session = Session.getInstance(p, new OAuth2Authenticator(TestKit.ALICE, app));
            MimeMessage m = new MimeMessage(session);
            m.setFrom(TestKit.ALICE);
            m.setRecipients(javax.mail.Message.RecipientType.TO, TestKit.BOB);
            m.setSubject(subject, "UTF-8");
            m.setText("hello", "UTF-8");
            Transport.send(m);
            try (ImapClient imap = MailTest.imap(kit, TestKit.BOB, app)) {
                assertEquals(subject, MailStackTest.bySubject(imap.listMessages("INBOX", 20, false), subject)
                        .getSubject());
            }
        }
    }
}
