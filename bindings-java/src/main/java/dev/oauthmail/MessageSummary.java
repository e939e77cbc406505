package dev.oauthmail;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** One listed message: what a mail client shows in its message list. */
public final class MessageSummary {
    private final long uid;
    private final String subject;
    private final MailAddress from;
    private final List<MailAddress> to;
    private final List<MailAddress> cc;
    private final Instant date;
    private final long size;
    private final List<String> flags;
    private final String messageId;
    private final boolean hasAttachments;
    private final String uidl;

    MessageSummary(long uid, String subject, String[] from, String[] to, String[] cc, long date, boolean hasDate,
            long size, String[] flags, String messageId, boolean hasAttachments, String uidl) {
        this.uid = uid;
        this.subject = subject;
        List<MailAddress> f = addresses(from);
        this.from = f.isEmpty() ? null : f.get(0);
        this.to = addresses(to);
        this.cc = addresses(cc);
        this.date = hasDate ? Instant.ofEpochSecond(date) : null;
        this.size = size;
        this.flags = Collections.unmodifiableList(Arrays.asList(flags));
        this.messageId = messageId;
        this.hasAttachments = hasAttachments;
        this.uidl = uidl;
    }

    private static List<MailAddress> addresses(String[] pairs) {
        List<MailAddress> out = new ArrayList<>(pairs.length / 2);
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            out.add(new MailAddress(pairs[i], pairs[i + 1]));
        }
        return Collections.unmodifiableList(out);
    }

    /** IMAP UID; for POP3 the message number in this session. */
    public long getUid() {
        return uid;
    }

    /** Decoded to Unicode; empty when the message has no subject. */
    public String getSubject() {
        return subject;
    }

    /** The sender, or null. */
    public MailAddress getFrom() {
        return from;
    }

    public List<MailAddress> getTo() {
        return to;
    }

    public List<MailAddress> getCc() {
        return cc;
    }

    /** The Date header (else the arrival time), or null. */
    public Instant getDate() {
        return date;
    }

    /** Size in bytes as the server counts it. */
    public long getSize() {
        return size;
    }

    /** IMAP flags such as {@code \Seen}; empty for POP3. */
    public List<String> getFlags() {
        return flags;
    }

    public String getMessageId() {
        return messageId;
    }

    public boolean hasAttachments() {
        return hasAttachments;
    }

    /** POP3's unique id (UIDL), or null for IMAP. */
    public String getUidl() {
        return uidl;
    }

    @Override
    public String toString() {
        return "MessageSummary(uid=" + uid + ", subject=" + subject + ", from=" + from + ", date=" + date + ", size="
                + size + ", flags=" + flags + ")";
    }
}
