package dev.oauthmail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An application signing in as itself with a certificate (an RS256-signed JWT
 * assertion with {@code x5t#S256}): the PEM holds the certificate and, unless a
 * separate key is given, its unencrypted RSA private key.
 */
public final class ClientCertificateCredential extends TokenCredential {
    public ClientCertificateCredential(String tenantId, String clientId, byte[] certificatePem, byte[] keyPem,
            CredentialOptions options) throws OAuthMailException {
        super(create(tenantId, clientId, certificatePem, keyPem, CredentialOptions.orDefault(options)));
    }

    /** Reads the PEM file (certificate and key, as in {@code AZURE_CLIENT_CERTIFICATE_PATH}). */
    public static ClientCertificateCredential fromFile(String tenantId, String clientId, Path pemFile,
            CredentialOptions options) throws OAuthMailException {
        byte[] pem;
        try {
            pem = Files.readAllBytes(pemFile);
        } catch (IOException e) {
            throw new ConfigException("cannot read the certificate file " + pemFile + ": " + e.getMessage(), null,
                    "Pass the path of a PEM file with the certificate and its private key.", 0);
        }
        return new ClientCertificateCredential(tenantId, clientId, pem, null, options);
    }

    private static long create(String tenantId, String clientId, byte[] certificatePem, byte[] keyPem,
            CredentialOptions o) throws OAuthMailException {
        return Native.clientCertificateCredential(tenantId, clientId, certificatePem, keyPem, o.authority, o.caFile,
                o.scopes);
    }
}
