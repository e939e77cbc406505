package bench;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * The hand-written token request of a JavaMail program: an HTTPS POST of the
 * password grant to the token URL, trusting only the identity platform's CA,
 * the JSON answer picked apart by hand. No cache: see {@link CachedToken}.
 */
final class TokenEndpoint {
    /** An access token and when it expires (System.nanoTime() clock). */
    static final class Token {
        final String accessToken;
        final long expiresAtNanos;

        Token(String accessToken, long expiresAtNanos) {
            this.accessToken = accessToken;
            this.expiresAtNanos = expiresAtNanos;
        }
    }

    private final HttpClient http;
    private final HttpRequest request;

    TokenEndpoint(Config c) throws Exception {
        http = HttpClient.newBuilder().sslContext(Config.trustOnly(Path.of(c.id("ca_file")))).build();
        String form = "grant_type=password&client_id=" + enc(c.id("client_id")) + "&username=" + enc(c.str("user"))
                + "&password=" + enc(c.str("password")) + "&scope=" + enc(c.id("scope"));
        request = HttpRequest.newBuilder(URI.create(c.id("token_url")))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build();
    }

    Token post() throws Exception {
        long sent = System.nanoTime();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        Map<String, Object> body = Json.object(Json.parse(r.body()));
        if (r.statusCode() != 200 || !body.containsKey("access_token")) {
            // The error fields only: the body of a refused request holds no secret, a 200 would.
            throw new IllegalStateException("token request failed: HTTP " + r.statusCode() + " " + body.get("error")
                    + ": " + body.get("error_description"));
        }
        long lifetime = ((Number) body.get("expires_in")).longValue();
        return new Token((String) body.get("access_token"), sent + lifetime * 1_000_000_000L);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
