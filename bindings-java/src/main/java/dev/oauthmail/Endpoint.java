package dev.oauthmail;

/** A mail server: host, port and how the connection is secured. */
public final class Endpoint {
    private final String host;
    private final int port;
    private final Security security;

    public Endpoint(String host, int port, Security security) {
        this.host = host;
        this.port = port;
        this.security = security;
    }

    public String getHost() {
        return host;
    }

    public int getPort() {
        return port;
    }

    public Security getSecurity() {
        return security;
    }

    @Override
    public String toString() {
        return host + ":" + port + " (" + security.wire + ")";
    }
}
