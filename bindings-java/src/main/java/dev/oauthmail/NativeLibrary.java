package dev.oauthmail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads {@code liboauthmail_jni} once: from {@code -Doauthmail.native.library=/abs/path.so}
 * when set, else from the jar ({@code /native/<os>-<arch>/}), copied to a temporary file.
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
        String resource = "/native/" + platform + "/" + System.mapLibraryName("oauthmail_jni");
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("oauthmail has no native library for " + platform
                        + " (this jar supports: " + String.join(", ", SUPPORTED) + "); build liboauthmail_jni with"
                        + " `cargo build -p oauthmail-jni` and pass -D" + PROPERTY + "=/path/to/it");
            }
            Path file = Files.createTempFile("oauthmail_jni", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toAbsolutePath().toString());
        } catch (IOException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError("cannot extract " + resource + ": " + e);
            error.initCause(e);
            throw error;
        }
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
