// What Node users run today: a token from @azure/msal-node, nodemailer's pooled
// SMTP transport to send, imapflow to read, each as its README shows it.
import { createWriteStream, readFileSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { ImapFlow } from 'imapflow'
import nodemailer from 'nodemailer'
import { body, clock, config, params, run } from './bench.mjs'
import { accessToken, publicClient } from './msal.mjs'

const { host, ports, tls_name: servername } = config
const username = params.user ?? config.user
const tls = { ca: readFileSync(config.ca_file), servername }
const pca = publicClient(config)
const token = () => accessToken(pca, config, username, params.password ?? config.password)

/** An authenticated imapflow client (it picks OAUTHBEARER when the server offers it). */
async function imapflow() {
  const client = new ImapFlow({ host, port: ports.imaps, secure: true, tls, auth: { user: username, accessToken: await token() }, logger: false })
  await client.connect()
  return client
}

await run({
  async list() {
    const start = clock()
    const client = await imapflow()
    const lock = await client.getMailboxLock(params.folder)
    let items = 0
    try {
      for await (const msg of client.fetch('1:*', { envelope: true, flags: true, size: true, uid: true })) {
        if (msg.envelope && msg.flags) items++
      }
    } finally {
      lock.release()
    }
    const seconds = clock() - start
    await client.logout()
    return { items, seconds }
  },

  async send() {
    const start = clock()
    const transport = nodemailer.createTransport({
      pool: true,
      host,
      port: ports.submission,
      secure: false,
      requireTLS: true,
      tls,
      auth: { type: 'OAuth2', user: username, accessToken: await token() },
    })
    let items = 0
    for (let i = 0; i < params.count; i++) {
      const info = await transport.sendMail({ from: username, to: params.to, subject: `bench ${i}`, text: body })
      items += info.accepted.length
    }
    const seconds = clock() - start
    transport.close()
    return { items, seconds }
  },

  async download() {
    const start = clock()
    const client = await imapflow()
    const lock = await client.getMailboxLock(params.folder)
    try {
      const { content } = await client.download(String(params.uid), undefined, { uid: true })
      await pipeline(content, createWriteStream(params.out))
    } finally {
      lock.release()
    }
    const seconds = clock() - start
    await client.logout()
    return { items: 1, seconds }
  },

  async cold() {
    const client = await imapflow()
    await client.mailboxOpen(params.folder)
    const authAt = Date.now() / 1000
    await client.logout()
    return { items: 1, auth_at: authAt }
  },
})
