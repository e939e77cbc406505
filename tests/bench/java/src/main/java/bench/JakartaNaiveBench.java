package bench;

import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.pop3.POP3Folder;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Contender jakarta-naive: Jakarta Mail as the original JavaMail program used
 * it. A token POST for every connection and every message, Transport.send (a
 * new connection) per message, the getters of each message in turn (two round
 * trips a message), library defaults everywhere else.
 */
public final class JakartaNaiveBench {
    private final Config c;
    private final String user;
    private final Session session;
    private final TokenEndpoint tokens;

    private JakartaNaiveBench(Config c) throws Exception {
        this.c = c;
        this.user = c.str("user");
        this.session = Session.getInstance(Jakarta.properties(c));
        this.tokens = new TokenEndpoint(c);
    }

    public static void main(String[] args) throws Exception {
        Config c = new Config(Path.of(args[1]));
        JakartaNaiveBench b = new JakartaNaiveBench(c);
        long start = System.nanoTime(); // the Session and HttpClient exist; no network call yet
        switch (args[0]) {
            case "list": b.list(start); break;
            case "send": b.send(start); break;
            case "pop3": b.pop3(start); break;
            case "download": b.download(start); break;
            case "cold": b.cold(); break;
            default: throw new IllegalArgumentException("unknown scenario " + args[0]);
        }
    }

    /** getAuthToken() of the original program: a new token each time. */
    private String getAuthToken() throws Exception {
        return tokens.post().accessToken;
    }

    private Store connect(String protocol) throws Exception {
        Store store = session.getStore(protocol);
        store.connect(c.host, user, getAuthToken());
        return store;
    }

    private void list(long start) throws Exception {
        try (Store store = connect("imaps")) {
            Folder folder = store.getFolder(c.str("folder"));
            folder.open(Folder.READ_ONLY);
            List<Jakarta.Summary> summaries = new ArrayList<>();
            for (Message m : folder.getMessages()) {
                summaries.add(new Jakarta.Summary(m));
            }
            Config.report(summaries.size(), System.nanoTime() - start, null);
            folder.close(false);
        }
    }

    private void send(long start) throws Exception {
        int count = c.num("count");
        for (int i = 0; i < count; i++) {
            MimeMessage m = new MimeMessage(session);
            m.setFrom(new InternetAddress(user));
            m.setRecipients(Message.RecipientType.TO, c.str("to"));
            m.setSubject("bench " + i, "UTF-8");
            m.setText(Config.body(), "UTF-8");
            Transport.send(m, user, getAuthToken());
        }
        Config.report(count, System.nanoTime() - start, null);
    }

    private void pop3(long start) throws Exception {
        try (Store store = connect("pop3s")) {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            POP3Folder uids = (POP3Folder) inbox; // its getUID is the UIDL
            Map<String, String> subjects = new LinkedHashMap<>();
            for (Message m : inbox.getMessages()) {
                subjects.put(uids.getUID(m), m.getSubject()); // UIDL n, then TOP n 0
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
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            m.writeTo(bytes);
            Files.write(Path.of(c.str("out")), bytes.toByteArray());
            Config.report(1, System.nanoTime() - start, null);
            folder.close(false);
        }
    }

    private void cold() throws Exception {
        try (Store store = connect("imaps")) {
            store.getFolder(c.str("folder")).open(Folder.READ_ONLY);
            Config.reportCold();
        }
    }
}
