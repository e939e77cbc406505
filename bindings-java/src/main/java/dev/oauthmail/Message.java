package dev.oauthmail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A message to send, made with {@link #builder()}. It is validated when sent
 * (addresses, header injection, at least one recipient), never half sent.
 */
public final class Message {
    final String from;
    final String[] to;
    final String[] cc;
    final String[] bcc;
    final String replyTo;
    final String subject;
    final String text;
    final String html;
    final String[] headers;
    final String[] attachmentNames;
    final byte[][] attachmentData;

    private Message(Builder b) {
        from = b.from;
        to = b.to.toArray(new String[0]);
        cc = b.cc.toArray(new String[0]);
        bcc = b.bcc.toArray(new String[0]);
        replyTo = b.replyTo;
        subject = b.subject;
        text = b.text;
        html = b.html;
        headers = b.headers.toArray(new String[0]);
        attachmentNames = b.attachmentNames.toArray(new String[0]);
        attachmentData = b.attachmentData.toArray(new byte[0][]);
    }

    public static Builder builder() {
        return new Builder();
    }

    public String getSubject() {
        return subject;
    }

    public List<String> getTo() {
        return Arrays.asList(to.clone());
    }

    /**
     * Builds a {@link Message}; addresses are {@code a@b.c} or {@code Name <a@b.c>}. A null
     * array is a NullPointerException naming it; a null address or value is a
     * {@link ConfigException} naming it when the message is sent.
     */
    public static final class Builder {
        private String from;
        private final List<String> to = new ArrayList<>();
        private final List<String> cc = new ArrayList<>();
        private final List<String> bcc = new ArrayList<>();
        private String replyTo;
        private String subject;
        private String text;
        private String html;
        private final List<String> headers = new ArrayList<>();
        private final List<String> attachmentNames = new ArrayList<>();
        private final List<byte[]> attachmentData = new ArrayList<>();

        private Builder() {}

        public Builder from(String mailbox) {
            this.from = mailbox;
            return this;
        }

        public Builder to(String... mailboxes) {
            to.addAll(Arrays.asList(Objects.requireNonNull(mailboxes, "to")));
            return this;
        }

        public Builder cc(String... mailboxes) {
            cc.addAll(Arrays.asList(Objects.requireNonNull(mailboxes, "cc")));
            return this;
        }

        public Builder bcc(String... mailboxes) {
            bcc.addAll(Arrays.asList(Objects.requireNonNull(mailboxes, "bcc")));
            return this;
        }

        public Builder replyTo(String mailbox) {
            this.replyTo = mailbox;
            return this;
        }

        /** Any Unicode; encoded as RFC 2047 when needed. */
        public Builder subject(String subject) {
            this.subject = subject;
            return this;
        }

        /** The plain-text body. */
        public Builder text(String body) {
            this.text = body;
            return this;
        }

        /** The HTML body; with a text body too the message is multipart/alternative. */
        public Builder html(String body) {
            this.html = body;
            return this;
        }

        /** A custom header such as {@code X-Mailer}; non-ASCII values are RFC 2047 encoded. */
        public Builder header(String name, String value) {
            headers.add(name);
            headers.add(value);
            return this;
        }

        public Builder attach(String fileName, String contentType, byte[] data) {
            attachmentNames.add(fileName);
            attachmentNames.add(contentType);
            attachmentData.add(data);
            return this;
        }

        public Message build() {
            return new Message(this);
        }
    }
}
