'use strict'
// ImapClient.select and fetchMessageToFile: a folder other than INBOX, streamed to disk.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const om = require('..')
const { startKit, fixture } = require('./harness')

test('select opens a folder; fetchMessageToFile writes the bytes fetchMessage returns', async () => {
  const kit = await startKit()
  const credential = new om.ClientSecretCredential({
    tenantId: fixture.tenantId,
    clientId: fixture.clientId,
    clientSecret: fixture.clientSecret,
    authority: kit.authority,
    caFile: kit.ca_path,
  })
  const imap = new om.ImapClient({ host: kit.imap.host, port: kit.imap.tls_port, security: 'tls', username: fixture.bob, credential, caFile: kit.ca_path })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauthmail-node-select-'))
  try {
    const { uids } = await kit.control('POST', 'seed', { user: fixture.bob, folder: 'Reports', count: 3 })
    assert.equal(await imap.select('Reports'), 3)

    const out = path.join(dir, 'message.eml')
    await imap.fetchMessageToFile(uids[2], out)
    const stored = await kit.control('GET', `mailbox?user=${encodeURIComponent(fixture.bob)}&folder=Reports`)
    const raw = Buffer.from(stored.messages.find((m) => m.uid === uids[2]).raw_base64, 'base64')
    assert.deepEqual(fs.readFileSync(out), raw)
    assert.deepEqual(await imap.fetchMessage(uids[2]), raw)

    const missing = path.join(dir, 'missing.eml')
    await assert.rejects(imap.fetchMessageToFile(uids[2] + 100, missing), { name: 'OAuthMailError' })
    assert.equal(fs.existsSync(missing), false)
    await assert.rejects(imap.select('No Such Folder'), { name: 'OAuthMailError' })
  } finally {
    await imap.close()
    fs.rmSync(dir, { recursive: true, force: true })
    kit.stop()
  }
})
