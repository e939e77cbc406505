package bench;

import dev.oauthmail.AccessToken;
import dev.oauthmail.CredentialOptions;
import dev.oauthmail.ImapClient;
import dev.oauthmail.MailOptions;
import dev.oauthmail.Message;
import dev.oauthmail.Pop3Client;
import dev.oauthmail.Security;
import dev.oauthmail.SmtpClient;
import dev.oauthmail.TokenCredential;
import dev.oauthmail.UsernamePasswordCredential;
import java.nio.file.Path;

/**
 * Contender oauthmail-java: the project's Java binding, used as its README
 * shows. Timing starts once the credential and client exist (which loads the
 * native library) and before their first network call, the token request.
 */
public final class OAuthMailBench {
    private final Config c;
    private final String user;

    private OAuthMailBench(Config c) {
        this.c = c;
        this.user = c.str("user");
    }

    public static void main(String[] args) throws Exception {
        Config c = new Config(Path.of(args[1]));
        OAuthMailBench b = new OAuthMailBench(c);
        switch (args[0]) {
            case "list": b.list(); break;
            case "send": b.send(); break;
            case "pop3": b.pop3(); break;
            case "download": b.download(); break;
            case "token": b.token(); break;
            case "cold": b.cold(); break;
            default: throw new IllegalArgumentException("unknown scenario " + args[0]);
        }
    }

    private TokenCredential credential() throws Exception {
        CredentialOptions options = new CredentialOptions().authority(c.id("authority"))
                .caFile(Path.of(c.id("ca_file"))).scopes(c.id("scope"));
        return new UsernamePasswordCredential(c.id("tenant_id"), c.id("client_id"), user, c.str("password"), options);
    }

    private MailOptions mail(Security security) {
        return new MailOptions().security(security).caFile(c.caFile);
    }

    private ImapClient imap(TokenCredential credential) throws Exception {
        return new ImapClient(c.host, c.port("imaps"), user, credential, mail(Security.TLS));
    }

    private void list() throws Exception {
        try (TokenCredential credential = credential(); ImapClient imap = imap(credential)) {
            long start = System.nanoTime();
            int items = imap.listMessages(c.str("folder")).size();
            Config.report(items, System.nanoTime() - start, null);
        }
    }

    private void send() throws Exception {
        int count = c.num("count");
        int accepted = 0;
        try (TokenCredential credential = credential();
                SmtpClient smtp = new SmtpClient(c.host, c.port("submission"), user, credential,
                        mail(Security.STARTTLS))) {
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                smtp.send(Message.builder().from(user).to(c.str("to")).subject("bench " + i).text(Config.body())
                        .build());
                accepted++;
            }
            Config.report(accepted, System.nanoTime() - start, null);
        }
    }

    private void pop3() throws Exception {
        try (TokenCredential credential = credential();
                Pop3Client pop3 = new Pop3Client(c.host, c.port("pop3s"), user, credential, mail(Security.TLS))) {
            long start = System.nanoTime();
            int items = pop3.listMessages().size(); // UIDL, then TOP n 0 for each message
            Config.report(items, System.nanoTime() - start, null);
        }
    }

    private void download() throws Exception {
        String folder = c.str("folder");
        try (TokenCredential credential = credential(); ImapClient imap = imap(credential)) {
            long start = System.nanoTime();
            imap.select(folder);
            imap.fetchMessageToFile(c.num("uid"), Path.of(c.str("out"))); // streamed by the core
            Config.report(1, System.nanoTime() - start, null);
        }
    }

    private void token() throws Exception {
        int calls = c.num("calls");
        try (TokenCredential credential = credential()) {
            String first = credential.getToken().getToken();
            long start = System.nanoTime();
            AccessToken last = null;
            for (int i = 0; i < calls; i++) {
                last = credential.getToken();
            }
            long nanos = System.nanoTime() - start;
            if (!last.getToken().equals(first)) {
                throw new IllegalStateException("the cache handed out a new token");
            }
            Config.report(calls, nanos, "\"ns_per_call\": " + (double) nanos / calls);
        }
    }

    /** From process start: token, IMAPS login, the folder selected. */
    private void cold() throws Exception {
        try (TokenCredential credential = credential(); ImapClient imap = imap(credential)) {
            imap.select(c.str("folder"));
            Config.reportCold();
        }
    }
}
