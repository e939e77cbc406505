import dev.oauthmail.ClientSecretCredential;
import dev.oauthmail.CredentialOptions;
import dev.oauthmail.Endpoint;
import dev.oauthmail.ImapClient;
import dev.oauthmail.MailOptions;
import dev.oauthmail.Message;
import dev.oauthmail.MessageSummary;
import dev.oauthmail.Pop3Client;
import dev.oauthmail.Provider;
import dev.oauthmail.SendReport;
import dev.oauthmail.SmtpClient;
import dev.oauthmail.TokenCredential;
import dev.oauthmail.UsernamePasswordCredential;
import java.nio.file.Path;
import java.util.Map;

/**
 * The job of the JavaMail program that broke when Exchange Online turned basic
 * auth off, with oauthmail: send "Test测试邮件标题" over SMTP (587, STARTTLS),
 * then list the INBOX subjects over IMAP (993) and POP3 (995).
 *
 * Settings: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET (or
 * AZURE_USERNAME + AZURE_PASSWORD for a user sign-in), OAUTHMAIL_USER; for
 * other servers than Office 365 (the test kit, a private server):
 * AZURE_AUTHORITY_HOST, OAUTHMAIL_CA_FILE, OAUTHMAIL_{SMTP,IMAP,POP3}_{HOST,PORT}.
 */
public class Office365MailTest {
    public static void main(String[] args) throws Exception {
        run(System.getenv());
    }

    static void run(Map<String, String> env) throws Exception {
        String user = env.get("OAUTHMAIL_USER");
        Provider o365 = Provider.office365();
        String ca = env.get("OAUTHMAIL_CA_FILE");
        CredentialOptions options = new CredentialOptions().authority(env.get("AZURE_AUTHORITY_HOST"))
                .caFile(ca == null ? null : Path.of(ca));

        try (TokenCredential credential = env.containsKey("AZURE_USERNAME")
                ? new UsernamePasswordCredential(env.get("AZURE_TENANT_ID"), env.get("AZURE_CLIENT_ID"),
                        env.get("AZURE_USERNAME"), env.get("AZURE_PASSWORD"), options)
                : new ClientSecretCredential(env.get("AZURE_TENANT_ID"), env.get("AZURE_CLIENT_ID"),
                        env.get("AZURE_CLIENT_SECRET"), options)) {

            Endpoint s = server(env, "SMTP", o365.getSmtp());
            try (SmtpClient smtp = new SmtpClient(s.getHost(), s.getPort(), user, credential, mailOptions(s, ca))) {
                SendReport sent = smtp.send(Message.builder().from(user).to(user)
                        .subject("Test测试邮件标题").text("Test测试邮件正文").build());
                System.out.println("Sent, queue id " + sent.getQueueId());
            }

            Endpoint i = server(env, "IMAP", o365.getImap());
            try (ImapClient imap = new ImapClient(i.getHost(), i.getPort(), user, credential, mailOptions(i, ca))) {
                for (MessageSummary m : imap.listMessages("INBOX")) {
                    System.out.println("IMAP " + m.getUid() + ": " + m.getSubject());
                }
            }

            Endpoint p = server(env, "POP3", o365.getPop3());
            try (Pop3Client pop3 = new Pop3Client(p.getHost(), p.getPort(), user, credential, mailOptions(p, ca))) {
                for (MessageSummary m : pop3.listMessages()) {
                    System.out.println("POP3 " + m.getUid() + ": " + m.getSubject());
                }
            }
        }
    }

    /** The Office 365 endpoint, or the host and port from the environment. */
    static Endpoint server(Map<String, String> env, String kind, Endpoint preset) {
        String host = env.getOrDefault("OAUTHMAIL_" + kind + "_HOST", preset.getHost());
        String port = env.get("OAUTHMAIL_" + kind + "_PORT");
        return new Endpoint(host, port == null ? preset.getPort() : Integer.parseInt(port), preset.getSecurity());
    }

    static MailOptions mailOptions(Endpoint e, String ca) {
        return new MailOptions().security(e.getSecurity()).caFile(ca == null ? null : Path.of(ca));
    }
}
