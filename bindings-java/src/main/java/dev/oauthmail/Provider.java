package dev.oauthmail;

/** Everything needed to reach one mail service with OAuth 2.0: token endpoint, mail scope, hosts. */
public final class Provider {
    private final String name;
    private final String authority;
    private final String mailScope;
    private final String graphUrl;
    private final String graphScope;
    private final Endpoint smtp;
    private final Endpoint imap;
    private final Endpoint pop3;

    private Provider(String[] f) {
        name = f[0];
        authority = f[1];
        mailScope = f[2];
        graphUrl = f[3].isEmpty() ? null : f[3];
        graphScope = f[4].isEmpty() ? null : f[4];
        smtp = endpoint(f, 5);
        imap = endpoint(f, 8);
        pop3 = endpoint(f, 11);
    }

    private static Endpoint endpoint(String[] f, int at) {
        return new Endpoint(f[at], Integer.parseInt(f[at + 1]), Security.parse(f[at + 2]));
    }

    /** A preset by name: {@code office365}, {@code office365_gcc_high}, {@code office365_dod}, {@code office365_china}, {@code gmail}. */
    public static Provider byName(String name) throws OAuthMailException {
        return new Provider(Native.providerPreset(name));
    }

    /** Exchange Online, public cloud: smtp.office365.com:587, outlook.office365.com:993/995. */
    public static Provider office365() {
        return preset("office365");
    }

    /** Exchange Online for US Government GCC High. */
    public static Provider office365GccHigh() {
        return preset("office365_gcc_high");
    }

    /** Exchange Online for the US Department of Defense. */
    public static Provider office365Dod() {
        return preset("office365_dod");
    }

    /** Exchange Online operated by 21Vianet (China). */
    public static Provider office365China() {
        return preset("office365_china");
    }

    /** Gmail / Google Workspace. */
    public static Provider gmail() {
        return preset("gmail");
    }

    private static Provider preset(String name) {
        try {
            return byName(name);
        } catch (OAuthMailException e) {
            throw new AssertionError("built-in preset " + name, e);
        }
    }

    public String getName() {
        return name;
    }

    /** The identity platform, as {@link CredentialOptions#authority} takes it. */
    public String getAuthority() {
        return authority;
    }

    /** The scope of SMTP, IMAP and POP3 tokens. */
    public String getMailScope() {
        return mailScope;
    }

    /** Microsoft Graph's base URL, or null. */
    public String getGraphUrl() {
        return graphUrl;
    }

    public String getGraphScope() {
        return graphScope;
    }

    public Endpoint getSmtp() {
        return smtp;
    }

    public Endpoint getImap() {
        return imap;
    }

    public Endpoint getPop3() {
        return pop3;
    }

    /** Credential options with this provider's authority and mail scope. */
    public CredentialOptions credentialOptions() {
        return new CredentialOptions().authority(authority).scopes(mailScope);
    }

    /** Mail client options with this endpoint's security and the mail scope. */
    MailOptions mailOptions(Endpoint e) {
        return new MailOptions().security(e.getSecurity()).scopes(mailScope);
    }
}
