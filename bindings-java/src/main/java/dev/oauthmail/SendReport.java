package dev.oauthmail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** What the server said about an accepted message. */
public final class SendReport {
    /** How a message was sent. */
    public enum Via {
        SMTP,
        /** Through Microsoft Graph. */
        GRAPH
    }

    /** A recipient the server refused while others were accepted. */
    public static final class RejectedRecipient {
        private final String address;
        private final String code;
        private final String reply;

        RejectedRecipient(String address, String code, String reply) {
            this.address = address;
            this.code = code;
            this.reply = reply;
        }

        public String getAddress() {
            return address;
        }

        /** The enhanced status code ({@code 5.1.1}), or the reply code. */
        public String getCode() {
            return code;
        }

        /** The server's whole reply. */
        public String getReply() {
            return reply;
        }
    }

    private final String queueId;
    private final String reply;
    private final String messageId;
    private final Via via;
    private final List<String> accepted;
    private final List<RejectedRecipient> rejected;

    SendReport(String queueId, String reply, String messageId, String via, String[] accepted, String[] rejected) {
        this.queueId = queueId;
        this.reply = reply;
        this.messageId = messageId;
        this.via = Via.valueOf(via);
        this.accepted = Collections.unmodifiableList(Arrays.asList(accepted));
        List<RejectedRecipient> r = new ArrayList<>();
        for (int i = 0; i + 2 < rejected.length; i += 3) {
            r.add(new RejectedRecipient(rejected[i], rejected[i + 1], rejected[i + 2]));
        }
        this.rejected = Collections.unmodifiableList(r);
    }

    /** The server's queue id (Postfix {@code queued as X}, Exchange {@code OK <X>}), or null. */
    public String getQueueId() {
        return queueId;
    }

    /** The server's final reply. */
    public String getReply() {
        return reply;
    }

    /** The Message-ID header of a message built with {@link Message}, or null. */
    public String getMessageId() {
        return messageId;
    }

    public Via getVia() {
        return via;
    }

    public List<String> getAccepted() {
        return accepted;
    }

    public List<RejectedRecipient> getRejected() {
        return rejected;
    }

    @Override
    public String toString() {
        return "SendReport(queueId=" + queueId + ", via=" + via + ", accepted=" + accepted + ")";
    }
}
