package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ErrorMappingTest {
    @Test
    void scenario_error_kinds_mapped() {
        Set<Integer> numbers = new HashSet<>();
        for (ErrorKind kind : ErrorKind.values()) {
            assertTrue(numbers.add(kind.number()), "numbers are unique");
            OAuthMailException e = assertThrows(OAuthMailException.class, () -> Native.testingError(kind.number()));
            assertEquals(kind, e.getKind());
            assertEquals(kind.canonicalName() + "Exception", e.getClass().getSimpleName());
            assertEquals("TEST-" + kind.number(), e.getCode());
            assertEquals("This is what a " + kind.canonicalName() + " hint looks like.", e.getHint());
            assertEquals("a " + kind.canonicalName() + " error made on purpose", e.getDetail());
            assertTrue(e.getMessage().startsWith(kind.canonicalName() + " error TEST-" + kind.number() + ": "));
            assertEquals(kind, ErrorKind.fromNumber(kind.number()));
        }
        assertEquals(11, numbers.size());
    }

    @Test
    void unknown_kind_number_is_a_config_error() {
        ConfigException e = assertThrows(ConfigException.class, () -> Native.testingError(12345));
        assertTrue(e.getMessage().contains("12345"));
    }

    @Test
    void scenario_panic_is_internal() {
        for (int i = 0; i < 3; i++) {
            InternalException e = assertThrows(InternalException.class, Native::testingPanic);
            assertEquals(ErrorKind.INTERNAL, e.getKind());
            assertTrue(e.getMessage().contains("a panic made on purpose"), e.getMessage());
            assertNotNull(e.getHint());
        }
        // The JVM lives on and the library still works.
        assertThrows(AuthException.class, () -> Native.testingError(ErrorKind.AUTH.number()));
    }
}
