'use strict'
// ImapClient folders, flags, copy, move and delete; Pop3Client deletion at close().
const test = require('node:test')
const assert = require('node:assert/strict')
const om = require('..')
const { startKit, fixture } = require('./harness')

test('IMAP folders, flags, copy, move, delete and POP3 DELE on seeded mail', async () => {
  const kit = await startKit()
  const credential = new om.ClientSecretCredential({
    tenantId: fixture.tenantId,
    clientId: fixture.clientId,
    clientSecret: fixture.clientSecret,
    authority: kit.authority,
    caFile: kit.ca_path,
  })
  const imap = new om.ImapClient({ host: kit.imap.host, port: kit.imap.starttls_port, username: fixture.bob, credential, caFile: kit.ca_path })
  try {
    const { uids } = await kit.control('POST', 'seed', { user: fixture.bob, count: 4 })
    assert.equal(uids.length, 4)

    const folders = await imap.listFolders()
    assert.equal(folders.find((f) => f.specialUse === 'sent').name, 'Sent Items')
    assert.ok(folders.some((f) => f.name === 'INBOX'))

    const [a, b, c, d] = uids
    await imap.listMessages('INBOX')
    await imap.setFlags([a], ['\\Flagged'])
    await imap.clearFlags([a], ['\\Seen'])
    const byUid = new Map((await imap.listMessages('INBOX')).map((m) => [m.uid, m]))
    assert.ok(byUid.get(a).flags.includes('\\Flagged'))
    assert.ok(!byUid.get(a).flags.includes('\\Seen'))

    await imap.copy([b], 'Archive')
    await imap.moveMessages([c], 'Deleted Items')
    await imap.delete([d])
    const inbox = (await imap.listMessages('INBOX')).map((m) => m.uid).sort()
    assert.deepEqual(inbox, [a, b].sort())
    assert.equal((await imap.listMessages('Archive')).length, 1)
    assert.equal((await imap.listMessages('Deleted Items')).length, 1)
    await assert.rejects(imap.listMessages('No Such Folder'), { name: 'OAuthMailError' })
  } finally {
    await imap.close()
  }

  const pop3 = new om.Pop3Client({ host: kit.pop3.host, port: kit.pop3.starttls_port, username: fixture.bob, credential, caFile: kit.ca_path })
  const before = (await pop3.stat()).count
  await pop3.dele(1)
  await pop3.close()
  const again = new om.Pop3Client({ host: kit.pop3.host, port: kit.pop3.starttls_port, username: fixture.bob, credential, caFile: kit.ca_path })
  try {
    assert.equal((await again.stat()).count, before - 1)
  } finally {
    await again.close()
    kit.stop()
  }
})
