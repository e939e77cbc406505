package bench;

import jakarta.mail.FetchProfile;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.pop3.POP3Folder;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Contender jakarta-good: Jakarta Mail written well. One token cached until
 * it nears expiry, one connection for all sends, FetchProfile to prefetch what
 * a listing shows, the big message streamed to the file in large chunks.
 */
public final class JakartaGoodBench {
    private final Config c;
    private final String user;
    private final Session session;
    private final CachedToken token;

    private JakartaGoodBench(Config c) throws Exception {
        this.c = c;
        this.user = c.str("user");
        Properties p = Jakarta.properties(c);
        // Stream a message body in 1 MiB FETCH chunks (the default is 16 KiB, a round trip each).
        p.put("mail.imaps.fetchsize", String.valueOf(1 << 20));
        this.session = Session.getInstance(p);
        this.token = new CachedToken(new TokenEndpoint(c));
    }

    public static void main(String[] args) throws Exception {
        Config c = new Config(Path.of(args[1]));
        JakartaGoodBench b = new JakartaGoodBench(c);
        long start = System.nanoTime(); // the Session and HttpClient exist; no network call yet
        switch (args[0]) {
            case "list": b.list(start); break;
            case "send": b.send(start); break;
            case "pop3": b.pop3(start); break;
            case "download": b.download(start); break;
            case "token": b.token(); break;
            case "cold": b.cold(); break;
            default: throw new IllegalArgumentException("unknown scenario " + args[0]);
        }
    }

    private Store connect(String protocol) throws Exception {
        Store store = session.getStore(protocol);
        store.connect(c.host, user, token.get());
        return store;
    }

    private void list(long start) throws Exception {
        try (Store store = connect("imaps")) {
            Folder folder = store.getFolder(c.str("folder"));
            folder.open(Folder.READ_ONLY);
            Message[] messages = folder.getMessages();
            FetchProfile fp = new FetchProfile();
            fp.add(FetchProfile.Item.ENVELOPE);      // with INTERNALDATE and RFC822.SIZE
            fp.add(FetchProfile.Item.FLAGS);
            fp.add(FetchProfile.Item.CONTENT_INFO);  // BODYSTRUCTURE, as oauthmail fetches
            folder.fetch(messages, fp);
            List<Jakarta.Summary> summaries = new ArrayList<>(messages.length);
            for (Message m : messages) {
                summaries.add(new Jakarta.Summary(m));
            }
            Config.report(summaries.size(), System.nanoTime() - start, null);
            folder.close(false);
        }
    }

    private void send(long start) throws Exception {
        int count = c.num("count");
        try (Transport transport = session.getTransport("smtp")) {
            transport.connect(c.host, user, token.get());
            for (int i = 0; i < count; i++) {
                MimeMessage m = new MimeMessage(session);
                m.setFrom(new InternetAddress(user));
                m.setRecipients(Message.RecipientType.TO, c.str("to"));
                m.setSubject("bench " + i, "UTF-8");
                m.setText(Config.body(), "UTF-8");
                transport.sendMessage(m, m.getAllRecipients());
            }
            Config.report(count, System.nanoTime() - start, null);
        }
    }

    private void pop3(long start) throws Exception {
        try (Store store = connect("pop3s")) {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            Message[] messages = inbox.getMessages();
            // One UIDL for all. Not ENVELOPE: POP3 adds a LIST n per message to it, for the size.
            FetchProfile fp = new FetchProfile();
            fp.add(UIDFolder.FetchProfileItem.UID);
            inbox.fetch(messages, fp);
            POP3Folder uids = (POP3Folder) inbox; // its getUID is the UIDL
            Map<String, String> subjects = new LinkedHashMap<>();
            for (Message m : messages) {
                subjects.put(uids.getUID(m), m.getSubject()); // TOP n 0
            }
            Config.report(subjects.size(), System.nanoTime() - start, null);
            inbox.close(false);
        }
    }

    private void download(long start) throws Exception {
        try (Store store = connect("imaps")) {
            Folder folder = store.getFolder(c.str("folder"));
            folder.open(Folder.READ_ONLY);
            Message m = ((UIDFolder) folder).getMessageByUID(c.num("uid"));
            try (OutputStream out = Files.newOutputStream(Path.of(c.str("out")))) {
                m.writeTo(out);
            }
            Config.report(1, System.nanoTime() - start, null);
            folder.close(false);
        }
    }

    private void token() throws Exception {
        int calls = c.num("calls");
        String first = token.get();
        long start = System.nanoTime();
        String last = null;
        for (int i = 0; i < calls; i++) {
            last = token.get();
        }
        long nanos = System.nanoTime() - start;
        if (!first.equals(last)) {
            throw new IllegalStateException("the cache handed out a new token");
        }
        Config.report(calls, nanos, "\"ns_per_call\": " + (double) nanos / calls);
    }

    private void cold() throws Exception {
        try (Store store = connect("imaps")) {
            store.getFolder(c.str("folder")).open(Folder.READ_ONLY);
            Config.reportCold();
        }
    }
}
