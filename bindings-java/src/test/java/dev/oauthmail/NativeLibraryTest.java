package dev.oauthmail;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the native library is loaded from: extracted from the jar once, then reused. */
class NativeLibraryTest {
    private static final String NAME = "liboauthmail_jni.so";

    private static URL jarWith(Path dir, String jarName, byte[] library) throws IOException {
        Path jar = dir.resolve(jarName);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("native/linux-x86_64/" + NAME));
            out.write(library);
            out.closeEntry();
        }
        return new URL("jar:" + jar.toUri() + "!/native/linux-x86_64/" + NAME);
    }

    @Test
    void aLibraryInAJarIsExtractedOnceIntoThePrivateCache(@TempDir Path dir) throws IOException {
        byte[] library = "not really ELF, but bytes all the same".repeat(1000).getBytes();
        URL url = jarWith(dir, "a.jar", library);
        Path cache = dir.resolve("cache");

        Path first = NativeLibrary.locate(url, NAME, cache);
        assertTrue(first.startsWith(cache), first.toString());
        assertArrayEquals(library, Files.readAllBytes(first));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(first.getParent())));

        // A later JVM finds it and writes nothing.
        FileTime written = FileTime.fromMillis(1_000_000);
        Files.setLastModifiedTime(first, written);
        assertEquals(first, NativeLibrary.locate(url, NAME, cache));
        assertEquals(written, Files.getLastModifiedTime(first));

        // A copy cut short is replaced, never loaded.
        Files.write(first, java.util.Arrays.copyOf(library, library.length / 2));
        assertEquals(first, NativeLibrary.locate(url, NAME, cache));
        assertArrayEquals(library, Files.readAllBytes(first));
        try (var left = Files.list(first.getParent())) {
            assertEquals(1, left.count(), "no partial files are left behind");
        }

        // Another build of the library gets a directory of its own.
        Path other = NativeLibrary.locate(jarWith(dir, "b.jar", "another build".getBytes()), NAME, cache);
        assertNotEquals(first.getParent(), other.getParent());
        assertArrayEquals(library, Files.readAllBytes(first));
    }

    @Test
    void withoutACacheTheLibraryIsCopiedToATemporaryFile(@TempDir Path dir) throws IOException {
        byte[] library = "bytes".getBytes();
        URL url = jarWith(dir, "a.jar", library);
        // A cache that cannot be created (its parent is a file: this holds for root too).
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        for (Path cache : new Path[] {null, notADirectory.resolve("cache")}) {
            Path copy = NativeLibrary.locate(url, NAME, cache);
            assertTrue(copy.getFileName().toString().startsWith("oauthmail_jni"), copy.toString());
            assertArrayEquals(library, Files.readAllBytes(copy));
        }
    }

    @Test
    void anUnpackedClassPathIsLoadedInPlace(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(NAME);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(1);
        }
        assertEquals(file, NativeLibrary.locate(file.toUri().toURL(), NAME, dir.resolve("cache")));
    }
}
