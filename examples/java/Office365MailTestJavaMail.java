import dev.oauthmail.ClientSecretCredential;
import dev.oauthmail.CredentialOptions;
import dev.oauthmail.TokenProvider;
import dev.oauthmail.UsernamePasswordCredential;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Map;
import java.util.Properties;
import javax.mail.Folder;
import javax.mail.Message;
import javax.mail.Session;
import javax.mail.Store;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The same program kept on JavaMail: only the token line changed. The
 * hand-written getAuthToken(tenant, clientId, secret) (an HTTP POST to
 * login.microsoftonline.com) became oauthmail's TokenProvider, which caches the
 * token and renews it before it expires. Settings as in Office365MailTest
 * (SMTP and IMAP, as the original program).
 */
public class Office365MailTestJavaMail {
    public static void main(String[] args) throws Exception {
        run(System.getenv());
    }

    static void run(Map<String, String> env) throws Exception {
        String user = env.get("OAUTHMAIL_USER");
        String smtpHost = env.getOrDefault("OAUTHMAIL_SMTP_HOST", "smtp.office365.com");
        String imapHost = env.getOrDefault("OAUTHMAIL_IMAP_HOST", "outlook.office365.com");

        // The one changed line. Against Office 365 itself it reads:
        //   String token = TokenProvider.clientSecret(tenantId, clientId, clientSecret).getToken();
        String token = tokens(env).getToken();

        Properties props = new Properties();
        props.put("mail.smtp.port", env.getOrDefault("OAUTHMAIL_SMTP_PORT", "587"));
        props.put("mail.smtp.starttls.enable", "true");
        props.put("mail.smtp.starttls.required", "true");
        props.put("mail.smtp.auth", "true");
        props.put("mail.smtp.auth.mechanisms", "XOAUTH2");
        props.put("mail.imaps.port", env.getOrDefault("OAUTHMAIL_IMAP_PORT", "993"));
        props.put("mail.imaps.auth.mechanisms", "XOAUTH2");
        trustOnly(env.get("OAUTHMAIL_CA_FILE"), props);
        Session session = Session.getInstance(props);

        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(user));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress(user));
        message.setSubject("Test测试邮件标题", "UTF-8");
        message.setText("Test测试邮件正文", "UTF-8");
        try (Transport transport = session.getTransport("smtp")) {
            transport.connect(smtpHost, user, token);
            transport.sendMessage(message, message.getAllRecipients());
            System.out.println("Sent " + message.getMessageID());
        }

        // javax.mail 1.6 speaks XOAUTH2 for SMTP and IMAP only (POP3: see Pop3Client).
        try (Store store = session.getStore("imaps")) {
            store.connect(imapHost, user, token);
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            for (Message m : inbox.getMessages()) {
                System.out.println("IMAP " + m.getMessageNumber() + ": " + m.getSubject());
            }
            inbox.close(false);
        }
    }

    /** Tokens for the app (or, with AZURE_USERNAME, the user), from Office 365 or the authority given. */
    static TokenProvider tokens(Map<String, String> env) throws Exception {
        String ca = env.get("OAUTHMAIL_CA_FILE");
        CredentialOptions options = new CredentialOptions().authority(env.get("AZURE_AUTHORITY_HOST"))
                .caFile(ca == null ? null : Path.of(ca));
        return TokenProvider.of(env.containsKey("AZURE_USERNAME")
                ? new UsernamePasswordCredential(env.get("AZURE_TENANT_ID"), env.get("AZURE_CLIENT_ID"),
                        env.get("AZURE_USERNAME"), env.get("AZURE_PASSWORD"), options)
                : new ClientSecretCredential(env.get("AZURE_TENANT_ID"), env.get("AZURE_CLIENT_ID"),
                        env.get("AZURE_CLIENT_SECRET"), options));
    }

    /** For a private server or the test kit: trust only its CA, and check the host name. */
    static void trustOnly(String caFile, Properties props) throws Exception {
        if (caFile == null) {
            return;
        }
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = new FileInputStream(caFile)) {
            int n = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca" + n++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        for (String p : new String[] {"smtp", "imaps"}) {
            props.put("mail." + p + ".ssl.socketFactory", ctx.getSocketFactory());
            props.put("mail." + p + ".ssl.checkserveridentity", "true");
        }
    }
}
