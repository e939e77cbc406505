package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** examples/java/Office365MailTest.java, the original program's job on oauthmail. */
class ExamplesTest {
    @Test
    void office365_mail_test_against_the_kit() throws Exception {
        String out = Examples.run("Office365MailTest", Examples.kit(TestKit.shared(), TestKit.ALICE, "127.0.0.1"));
        assertTrue(out.contains("Sent, queue id "), out);
        assertTrue(out.contains("IMAP") && out.contains(": Test测试邮件标题"), out);
        assertTrue(out.contains("POP3"), out);
    }

    @Test
    void office365_mail_test_against_the_real_stack() throws Exception {
        MailStack.require();
        Map<String, String> env = Examples.stack(TestKit.shared(), TestKit.ALICE, MailStack.host());
        Examples.run("Office365MailTest", env);
        // Delivery through Postfix takes a moment: the second run lists the first run's message.
        String out = Examples.run("Office365MailTest", env);
        assertTrue(out.contains("Sent, queue id "), out);
        assertTrue(out.contains("IMAP") && out.contains(": Test测试邮件标题"), out);
        assertTrue(out.contains("POP3") && out.contains(": Test测试邮件标题"), out);
    }
}
