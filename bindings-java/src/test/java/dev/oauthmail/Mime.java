package dev.oauthmail;

import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.Properties;

/** Parses fetched bytes with Jakarta Mail, an independent MIME reader. */
final class Mime {
    private Mime() {}

    static MimeMessage parse(byte[] raw) throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw));
    }

    /** The decoded body of a single-part text message. */
    static String text(byte[] raw) throws Exception {
        MimeMessage m = parse(raw);
        String charset = new ContentType(m.getContentType()).getParameter("charset");
        try (InputStream in = MimeUtility.decode(m.getRawInputStream(), m.getEncoding())) {
            return new String(in.readAllBytes(), Charset.forName(charset == null ? "US-ASCII" : charset)).trim();
        }
    }
}
