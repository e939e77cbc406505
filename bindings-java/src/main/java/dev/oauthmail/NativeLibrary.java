package dev.oauthmail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.jar.JarEntry;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;

/**
 * Loads {@code liboauthmail_jni} once: from {@code -Doauthmail.native.library=/abs/path.so}
 * when set, else from the jar ({@code /native/<os>-<arch>/}). A library inside a jar is
 * extracted once into the user's cache ({@code $XDG_CACHE_HOME} or {@code ~/.cache},
 * {@code oauthmail/native/<crc>-<size>/}) and loaded from there by later JVMs: inflating
 * it at every start cost about 70 ms. A temporary copy is the fallback when no cache
 * directory can be written.
 */
final class NativeLibrary {
    static final String PROPERTY = "oauthmail.native.library";
    private static final String[] SUPPORTED = {"linux-x86_64"};

    private NativeLibrary() {}

    static void load() {
        String explicit = System.getProperty(PROPERTY);
        if (explicit != null && !explicit.isEmpty()) {
            System.load(Path.of(explicit).toAbsolutePath().toString());
            return;
        }
        String platform = platform();
        String name = System.mapLibraryName("oauthmail_jni");
        String resource = "/native/" + platform + "/" + name;
        URL url = NativeLibrary.class.getResource(resource);
        if (url == null) {
            throw new UnsatisfiedLinkError("oauthmail has no native library for " + platform
                    + " (this jar supports: " + String.join(", ", SUPPORTED) + "); build liboauthmail_jni with"
                    + " `cargo build -p oauthmail-jni` and pass -D" + PROPERTY + "=/path/to/it");
        }
        try {
            System.load(locate(url, name, cacheRoot()).toAbsolutePath().toString());
        } catch (IOException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError("cannot extract " + resource + ": " + e);
            error.initCause(e);
            throw error;
        }
    }

    /** A file holding the library at {@code url}: itself, a cached copy, or a temporary copy. */
    static Path locate(URL url, String name, Path cacheRoot) throws IOException {
        if (url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI()); // an unpacked class path (tests): no copy needed
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        }
        URLConnection connection = cacheRoot == null ? null : url.openConnection();
        if (connection instanceof JarURLConnection) {
            JarEntry entry = ((JarURLConnection) connection).getJarEntry();
            try {
                return cached(url, entry, cacheRoot.resolve(Long.toHexString(entry.getCrc()) + "-" + entry.getSize()),
                        name);
            } catch (IOException | UnsupportedOperationException e) {
                // A read-only home or a file system without POSIX permissions: copy to a temp file.
            }
        }
        Path file = Files.createTempFile("oauthmail_jni", ".so");
        file.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    /**
     * {@code dir/name}, written first when missing or of another size (a copy cut short).
     * Its CRC-32 is checked when written, not at every load: that took 15 ms of each start.
     */
    private static Path cached(URL url, JarEntry entry, Path dir, String name) throws IOException {
        Path file = dir.resolve(name);
        if (Files.isRegularFile(file) && Files.size(file) == entry.getSize()) {
            return file;
        }
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        // Written under a unique name and renamed, so a JVM starting meanwhile never loads half a file.
        Path partial = Files.createTempFile(dir, name, ".partial");
        try {
            CRC32 sum = new CRC32();
            try (InputStream in = new CheckedInputStream(url.openStream(), sum);
                    OutputStream out = Files.newOutputStream(partial)) {
                in.transferTo(out);
            }
            if (sum.getValue() != entry.getCrc()) {
                throw new IOException("the library in the jar does not match its CRC-32");
            }
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
        return file;
    }

    /** {@code $XDG_CACHE_HOME/oauthmail/native}, else {@code ~/.cache/oauthmail/native}; null without a home. */
    private static Path cacheRoot() {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return null;
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        String home = System.getProperty("user.home");
        Path base = xdg != null && xdg.startsWith("/") ? Path.of(xdg)
                : home != null && !home.isEmpty() && !home.equals("?") ? Path.of(home, ".cache") : null;
        return base == null ? null : base.resolve("oauthmail").resolve("native");
    }

    /** {@code linux-x86_64}, {@code mac-aarch64}, ... */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "mac" : os.startsWith("windows") ? "windows" : os;
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch.equals("arm64") ? "aarch64" : arch;
        return o + "-" + a;
    }
}
