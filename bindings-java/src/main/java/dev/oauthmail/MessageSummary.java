package dev.oauthmail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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

    private MessageSummary(Rows in) {
        this.uid = in.buf.getLong();
        this.subject = in.string();
        List<MailAddress> f = in.addresses();
        this.from = f.isEmpty() ? null : f.get(0);
        this.to = in.addresses();
        this.cc = in.addresses();
        this.date = in.buf.get() == 1 ? Instant.ofEpochSecond(in.buf.getLong()) : null;
        this.size = in.buf.getLong();
        String[] flags = new String[in.buf.getInt()];
        for (int i = 0; i < flags.length; i++) {
            flags[i] = in.string();
        }
        this.flags = Collections.unmodifiableList(Arrays.asList(flags));
        this.messageId = in.string();
        this.hasAttachments = in.buf.get() == 1;
        this.uidl = in.string();
    }

    /**
     * The rows of a listing as the native library writes them: one {@code byte[]}, one JNI call
     * for the listing rather than some twenty per row. Format: {@code summaries} in convert.rs.
     */
    static List<MessageSummary> decodeAll(byte[] rows) {
        Rows in = new Rows(ByteBuffer.wrap(rows));
        MessageSummary[] out = new MessageSummary[in.buf.getInt()];
        for (int i = 0; i < out.length; i++) {
            out[i] = new MessageSummary(in);
        }
        if (in.buf.hasRemaining()) {
            // The two sides of the format disagree: say so rather than hand out shifted fields.
            throw new IllegalStateException("listing rows out of step: " + in.buf.remaining() + " bytes left");
        }
        return Arrays.asList(out);
    }

    private static final class Rows {
        final ByteBuffer buf;

        Rows(ByteBuffer buf) {
            this.buf = buf;
        }

        /** UTF-8 after its length; null for the length -1. */
        String string() {
            int len = buf.getInt();
            if (len < 0) {
                return null;
            }
            String s = new String(buf.array(), buf.position(), len, StandardCharsets.UTF_8);
            buf.position(buf.position() + len);
            return s;
        }

        List<MailAddress> addresses() {
            int n = buf.getInt();
            if (n == 0) {
                return Collections.emptyList();
            }
            List<MailAddress> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(new MailAddress(string(), string()));
            }
            return Collections.unmodifiableList(out);
        }
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
