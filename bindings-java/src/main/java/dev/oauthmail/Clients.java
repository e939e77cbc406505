package dev.oauthmail;

/** Argument checks shared by the clients. */
final class Clients {
    private Clients() {}

    static NativeHandle credential(TokenCredential credential) throws ConfigException {
        require(credential, "credential");
        return credential.handle;
    }

    static void require(Object value, String name) throws ConfigException {
        if (value == null) {
            throw new ConfigException("`" + name + "` is null", null, "Pass a value for `" + name + "`.", 0);
        }
    }
}
