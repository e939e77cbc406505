"""What the original JavaMail program did, in Python: a client-credentials token, one message to the mailbox
itself over SMTP, then the newest messages of its INBOX over IMAP. Settings: AZURE_TENANT_ID, AZURE_CLIENT_ID,
AZURE_CLIENT_SECRET, OAUTHMAIL_USER; optional AZURE_AUTHORITY_HOST, OAUTHMAIL_CA_FILE and
OAUTHMAIL_{SMTP,IMAP}_{HOST,PORT,SECURITY} for other servers (default: Office 365)."""
import os
from oauthmail import ClientSecretCredential, ImapClient, Message, Provider, SmtpClient

env, user, o365 = os.environ.get, os.environ["OAUTHMAIL_USER"], Provider.office365()
credential = ClientSecretCredential(tenant_id=os.environ["AZURE_TENANT_ID"], client_id=os.environ["AZURE_CLIENT_ID"],
    client_secret=os.environ["AZURE_CLIENT_SECRET"], authority=env("AZURE_AUTHORITY_HOST"), ca_file=env("OAUTHMAIL_CA_FILE"))
def server(kind: str, preset):  # host, port, security and CA of one server, from the environment or Office 365
    return dict(host=env(f"OAUTHMAIL_{kind}_HOST", preset.host), port=int(env(f"OAUTHMAIL_{kind}_PORT", preset.port)),
                security=env(f"OAUTHMAIL_{kind}_SECURITY", preset.security), ca_file=env("OAUTHMAIL_CA_FILE"))
with SmtpClient(**server("SMTP", o365.smtp), username=user, credential=credential) as smtp:
    print("queued:", smtp.send(Message(from_=user, to=user, subject="Test测试邮件标题", text="Test测试邮件正文")).queue_id)
with ImapClient(**server("IMAP", o365.imap), username=user, credential=credential) as imap:
    for m in imap.list_messages(limit=10):
        print(m.date, m.from_, m.subject)
