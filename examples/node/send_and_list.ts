// send_and_list: what the original JavaMail program did, in Node with oauthmail.
//
// Gets a token with the client-credentials grant (an app registration with
// SMTP.SendAsApp and IMAP.AccessAsApp), sends one message from the mailbox to
// itself over SMTP, then lists the newest messages of its INBOX over IMAP.
//
// Configuration (Azure Identity's variables plus oauthmail's):
//   AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET   required
//   OAUTHMAIL_USER                                         the mailbox, required
//   AZURE_AUTHORITY_HOST   identity platform (default: Microsoft's public cloud)
//   OAUTHMAIL_CA_FILE      extra trusted CAs (PEM) for private servers
//   OAUTHMAIL_SMTP_HOST/_PORT, OAUTHMAIL_IMAP_HOST/_PORT   default: Office 365
//
// Run: npx tsc send_and_list.ts --module nodenext --target es2022 && node send_and_list.js
import { ClientSecretCredential, ImapClient, Provider, SmtpClient, isOAuthMailError } from 'oauthmail'
import type { MessageSummary, SendReport } from 'oauthmail'

function env(name: string, fallback?: string): string {
  const value = process.env[name] || fallback
  if (value === undefined) throw new Error(`set ${name}`)
  return value
}

async function main(): Promise<void> {
  const user = env('OAUTHMAIL_USER')
  const caFile = process.env.OAUTHMAIL_CA_FILE
  const office365 = Provider.office365()
  const credential = new ClientSecretCredential({
    tenantId: env('AZURE_TENANT_ID'),
    clientId: env('AZURE_CLIENT_ID'),
    clientSecret: env('AZURE_CLIENT_SECRET'),
    authority: process.env.AZURE_AUTHORITY_HOST,
    caFile,
  })
  const token = await credential.getToken()
  console.log(`token for ${token.claims?.aud} with roles ${token.claims?.roles.join(' ')}`)

  const smtp = new SmtpClient({
    host: env('OAUTHMAIL_SMTP_HOST', office365.smtp.host),
    port: Number(env('OAUTHMAIL_SMTP_PORT', String(office365.smtp.port))),
    username: user,
    credential,
    caFile,
  })
  try {
    const report: SendReport = await smtp.send({
      from: user,
      to: user,
      subject: 'Test测试邮件标题',
      text: 'Test测试邮件正文',
    })
    console.log(`sent, queue id ${report.queueId}`)
  } finally {
    await smtp.close()
  }

  const imapPort = Number(env('OAUTHMAIL_IMAP_PORT', String(office365.imap.port)))
  const imap = new ImapClient({
    host: env('OAUTHMAIL_IMAP_HOST', office365.imap.host),
    port: imapPort,
    security: process.env.OAUTHMAIL_IMAP_SECURITY,
    username: user,
    credential,
    caFile,
  })
  try {
    for await (const m of imap.messages('INBOX', { limit: 10 })) {
      const summary: MessageSummary = m
      console.log(`${summary.uid}\t${summary.from?.address ?? ''}\t${summary.subject}`)
    }
  } finally {
    await imap.close()
  }
}

main().catch((e: unknown) => {
  if (isOAuthMailError(e)) {
    console.error(`error: ${e.kind}${e.providerCode ? ` (${e.providerCode})` : ''}: ${e.message}`)
    if (e.hint) console.error(`hint: ${e.hint}`)
  } else {
    console.error(e)
  }
  process.exitCode = 1
})
