package bench;

import jakarta.mail.Address;
import jakarta.mail.Flags;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import java.util.Date;
import java.util.Properties;
import javax.net.ssl.SSLSocketFactory;

/** What both Jakarta contenders share: the session properties and a message's summary. */
final class Jakarta {
    private Jakarta() {}

    /**
     * XOAUTH2 (the token is the password) on submission (STARTTLS required),
     * IMAPS and POP3S, trusting only the mail stack's CA and checking its name.
     */
    static Properties properties(Config c) throws Exception {
        SSLSocketFactory trusted = Config.trustOnly(c.caFile).getSocketFactory();
        Properties p = new Properties();
        p.put("mail.smtp.host", c.host);
        p.put("mail.smtp.port", String.valueOf(c.port("submission")));
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.starttls.enable", "true");
        p.put("mail.smtp.starttls.required", "true");
        p.put("mail.imaps.port", String.valueOf(c.port("imaps")));
        p.put("mail.pop3s.port", String.valueOf(c.port("pop3s")));
        for (String protocol : new String[] {"smtp", "imaps", "pop3s"}) {
            p.put("mail." + protocol + ".auth.mechanisms", "XOAUTH2");
            p.put("mail." + protocol + ".ssl.socketFactory", trusted);
            p.put("mail." + protocol + ".ssl.checkserveridentity", "true");
        }
        return p;
    }

    /**
     * What a mail client lists of a message. IMAP without a FetchProfile: one
     * FETCH for the envelope (with date and size), one for the flags.
     */
    static final class Summary {
        final String subject;
        final Address[] from;
        final Date date;
        final int size;
        final Flags flags;

        Summary(Message m) throws MessagingException {
            subject = m.getSubject();
            from = m.getFrom();
            date = m.getSentDate();
            size = m.getSize();
            flags = m.getFlags();
        }
    }
}
