package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The flows that call back into Java: the device-code prompt and the browser opener. */
class InteractiveCredentialTest {
    @Test
    void device_code_prompt_is_called_and_the_user_signs_in() throws Exception {
        TestKit kit = TestKit.shared();
        List<String> codes = new ArrayList<>();
        try (DeviceCodeCredential c = new DeviceCodeCredential(TestKit.TENANT, TestKit.PUBLIC_APP,
                (code, uri, message, expires) -> codes.add(code + " " + uri + " " + expires), kit.options())) {
            // The kit approves the code for alice after the first poll.
            assertEquals(TestKit.ALICE, c.getToken().getClaims().getUsername());
            assertEquals(1, codes.size());
            assertTrue(codes.get(0).contains("/devicelogin"), codes.get(0));
            assertEquals(TestKit.ALICE, c.getToken().getClaims().getUsername());
            assertEquals(1, codes.size(), "the second token comes from the refresh token");
        }
        assertThrows(ConfigException.class,
                () -> new DeviceCodeCredential(TestKit.TENANT, TestKit.PUBLIC_APP, null, kit.options()));
    }

    @Test
    void a_throwing_prompt_does_not_stop_the_sign_in() throws Exception {
        TestKit kit = TestKit.shared();
        try (DeviceCodeCredential c = new DeviceCodeCredential(TestKit.TENANT, TestKit.PUBLIC_APP,
                (code, uri, message, expires) -> {
                    throw new IllegalStateException("prompt failed");
                }, kit.options())) {
            assertFalse(c.getToken().getToken().isEmpty());
        }
    }

    @Test
    void a_prompt_closing_its_own_credential_gets_an_error_not_a_deadlock() throws Exception {
        TestKit kit = TestKit.shared();
        List<Throwable> seen = new ArrayList<>();
        DeviceCodeCredential[] self = new DeviceCodeCredential[1];
        try (DeviceCodeCredential c = new DeviceCodeCredential(TestKit.TENANT, TestKit.PUBLIC_APP,
                (code, uri, message, expires) -> {
                    try {
                        self[0].close();
                    } catch (IllegalStateException e) {
                        seen.add(e);
                    }
                }, kit.options())) {
            self[0] = c;
            assertFalse(c.getToken().getToken().isEmpty());
            assertEquals(1, seen.size());
        }
    }

    @Test
    void authorization_code_sign_in_through_the_loopback_redirect() throws Exception {
        TestKit kit = TestKit.shared();
        HttpClient browser = HttpClient.newBuilder().sslContext(TestKit.sslContext(kit.caPath()))
                .followRedirects(HttpClient.Redirect.ALWAYS).build();
        List<CompletableFuture<HttpResponse<String>>> visits = new ArrayList<>();
        try (AuthorizationCodeCredential c = new AuthorizationCodeCredential(TestKit.TENANT, TestKit.PUBLIC_APP,
                kit.options().loginHint(TestKit.BOB))) {
            // A "browser" on another thread: the redirect is answered once signIn listens for it.
            AccessToken t = c.signIn(url -> visits.add(browser.sendAsync(HttpRequest.newBuilder(URI.create(url))
                    .build(), HttpResponse.BodyHandlers.ofString())));
            assertEquals(TestKit.BOB, t.getClaims().getUsername());
            assertEquals(200, visits.get(0).get().statusCode());
            assertEquals(TestKit.BOB, c.getToken().getClaims().getUsername());
        }
        try (AuthorizationCodeCredential c = new AuthorizationCodeCredential(TestKit.TENANT, TestKit.PUBLIC_APP,
                kit.options())) {
            assertThrows(ConfigException.class, () -> c.signIn(null));
        }
    }
}
