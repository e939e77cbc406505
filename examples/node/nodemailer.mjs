// An existing nodemailer setup switched to oauthmail's tokens: the only changed
// line is `auth`. The credential caches the token and refreshes it before it
// expires; nodemailer asks again (renew) if the server refuses one.
//
// Configuration as in send_and_list.ts. Run: node nodemailer.mjs
import fs from 'node:fs'
import nodemailer from 'nodemailer'
import { ClientSecretCredential, nodemailerAuth } from 'oauthmail'

const user = process.env.OAUTHMAIL_USER
const caFile = process.env.OAUTHMAIL_CA_FILE
const credential = new ClientSecretCredential({
  tenantId: process.env.AZURE_TENANT_ID,
  clientId: process.env.AZURE_CLIENT_ID,
  clientSecret: process.env.AZURE_CLIENT_SECRET,
  authority: process.env.AZURE_AUTHORITY_HOST,
  caFile,
})

const transport = nodemailer.createTransport({
  host: process.env.OAUTHMAIL_SMTP_HOST ?? 'smtp.office365.com',
  port: Number(process.env.OAUTHMAIL_SMTP_PORT ?? 587),
  requireTLS: true,
  tls: caFile ? { ca: fs.readFileSync(caFile) } : undefined,
  // was: auth: { user, pass: process.env.SMTP_PASSWORD },
  auth: nodemailerAuth(credential, user),
})

const info = await transport.sendMail({ from: user, to: user, subject: 'Test测试邮件标题', text: 'Test测试邮件正文' })
console.log(`sent ${info.messageId}: ${info.response}`)
transport.close()
