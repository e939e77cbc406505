'use strict'
// nodemailer with oauthmail's tokens: the one-line change is `auth: nodemailerAuth(credential, user)`.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const nodemailer = require('nodemailer')
const om = require('..')
const { sharedKit, startKit, fixture } = require('./harness')

test('nodemailer sends through the kit SMTP with a token from our credential; bob reads it', async () => {
  const kit = await sharedKit()
  const credential = new om.ClientSecretCredential({
    tenantId: fixture.tenantId,
    clientId: fixture.clientId,
    clientSecret: fixture.clientSecret,
    authority: kit.authority,
    caFile: kit.ca_path,
  })
  const transport = nodemailer.createTransport({
    host: kit.smtp.host,
    port: kit.smtp.starttls_port,
    secure: false,
    requireTLS: true,
    tls: { ca: fs.readFileSync(kit.ca_path) },
    auth: om.nodemailerAuth(credential, fixture.alice),
  })
  const subject = `nodemailer 测试 ${crypto.randomUUID()}`
  const info = await transport.sendMail({ from: fixture.alice, to: fixture.bob, subject, text: 'Test测试邮件正文' })
  assert.deepEqual(info.accepted, [fixture.bob])
  transport.close()

  const imap = new om.ImapClient({ host: kit.imap.host, port: kit.imap.tls_port, security: 'tls', username: fixture.bob, credential, caFile: kit.ca_path })
  try {
    assert.ok((await imap.listMessages('INBOX', { limit: 20 })).some((m) => m.subject === subject))
  } finally {
    await imap.close()
  }
})

test('nodemailer gets a token error from the credential as an OAuthMailError', async () => {
  const kit = await startKit()
  try {
    const credential = new om.ClientSecretCredential({
      tenantId: fixture.tenantId,
      clientId: fixture.clientId,
      clientSecret: 'wrong',
      authority: kit.authority,
      caFile: kit.ca_path,
    })
    const transport = nodemailer.createTransport({
      host: kit.smtp.host,
      port: kit.smtp.starttls_port,
      requireTLS: true,
      tls: { ca: fs.readFileSync(kit.ca_path) },
      auth: om.nodemailerAuth(credential, fixture.alice),
    })
    await assert.rejects(transport.sendMail({ from: fixture.alice, to: fixture.bob, subject: 's', text: 't' }), (e) => {
      assert.ok(om.isOAuthMailError(e))
      assert.equal(e.providerCode, 'AADSTS7000215')
      return true
    })
    transport.close()
    const stats = await kit.control('GET', 'smtp')
    assert.equal(stats.messages_accepted, 0)
  } finally {
    kit.stop()
  }
})

test('nodemailerAuth checks its arguments', () => {
  assert.throws(() => om.nodemailerAuth({}, fixture.alice), TypeError)
  assert.throws(() => om.nodemailerAuth(new om.StaticTokenCredential({ token: 'x' }), ''), TypeError)
})
