package dev.oauthmail;

/** A display name (may be null) and an address. */
public final class MailAddress {
    private final String name;
    private final String address;

    MailAddress(String name, String address) {
        this.name = name == null || name.isEmpty() ? null : name;
        this.address = address;
    }

    public String getName() {
        return name;
    }

    public String getAddress() {
        return address;
    }

    @Override
    public String toString() {
        return name == null ? address : name + " <" + address + ">";
    }
}
