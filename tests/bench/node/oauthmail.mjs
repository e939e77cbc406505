// oauthmail through its Node binding, written the way its README shows it:
// one credential (its cache gives every client the same token), one client per protocol.
import { ImapClient, Pop3Client, SmtpClient, UsernamePasswordCredential } from 'oauthmail'
import { body, clock, config, params, run } from './bench.mjs'

const { host, ports, identity, ca_file: caFile } = config
const username = params.user ?? config.user

const credential = () =>
  new UsernamePasswordCredential({
    tenantId: identity.tenant_id,
    clientId: identity.client_id,
    username,
    password: params.password ?? config.password,
    authority: identity.authority,
    caFile: identity.ca_file,
    scopes: [identity.scope],
  })
const imap = () => new ImapClient({ host, port: ports.imaps, security: 'tls', username, credential: credential(), caFile })

await run({
  async list() {
    const start = clock()
    const client = imap()
    const summaries = await client.listMessages(params.folder)
    const seconds = clock() - start
    await client.close()
    return { items: summaries.length, seconds }
  },

  async send() {
    const start = clock()
    const smtp = new SmtpClient({ host, port: ports.submission, security: 'starttls', username, credential: credential(), caFile })
    let items = 0
    for (let i = 0; i < params.count; i++) {
      const report = await smtp.send({ from: username, to: params.to, subject: `bench ${i}`, text: body })
      items += report.accepted.length
    }
    const seconds = clock() - start
    await smtp.close()
    return { items, seconds }
  },

  async pop3() {
    const start = clock()
    const pop3 = new Pop3Client({ host, port: ports.pop3s, security: 'tls', username, credential: credential(), caFile })
    const summaries = await pop3.listMessages()
    const seconds = clock() - start
    await pop3.close()
    return { items: summaries.length, seconds }
  },

  async download() {
    const start = clock()
    const client = imap()
    await client.select(params.folder)
    await client.fetchMessageToFile(params.uid, params.out)
    const seconds = clock() - start
    await client.close()
    return { items: 1, seconds }
  },

  async token() {
    const cred = credential()
    await cred.getToken()
    const start = clock()
    for (let i = 0; i < params.calls; i++) await cred.getToken()
    const seconds = clock() - start
    return { items: params.calls, seconds, ns_per_call: (seconds * 1e9) / params.calls }
  },

  async cold() {
    const client = imap()
    await client.select(params.folder)
    const authAt = Date.now() / 1000
    await client.close()
    return { items: 1, auth_at: authAt }
  },
})
