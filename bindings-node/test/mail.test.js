'use strict'
// Scenarios send_unicode, fetch_message, list_imap, list_pop3, smtp_auth_disabled,
// imap_not_connected; concurrent sends share one token; the event loop keeps running.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const om = require('..')
const { sharedKit, startKit, fixture } = require('./harness')

// Node 20 has no `await using`: clients are closed after each test instead.
const opened = []
const closeLater = (client) => (opened.push(client), client)
test.afterEach(() => Promise.all(opened.splice(0).map((c) => c.close())))

const SUBJECT = 'Test测试邮件标题'
const BODY = 'Test测试邮件正文'

function credential(kit) {
  return new om.ClientSecretCredential({
    tenantId: fixture.tenantId,
    clientId: fixture.clientId,
    clientSecret: fixture.clientSecret,
    authority: kit.authority,
    caFile: kit.ca_path,
  })
}

const smtp = (kit, cred, extra = {}) =>
  new om.SmtpClient({ host: kit.smtp.host, port: kit.smtp.starttls_port, username: fixture.alice, credential: cred, caFile: kit.ca_path, ...extra })
const imap = (kit, cred, user = fixture.bob) =>
  new om.ImapClient({ host: kit.imap.host, port: kit.imap.tls_port, security: 'tls', username: user, credential: cred, caFile: kit.ca_path })
const pop3 = (kit, cred, user = fixture.bob) =>
  new om.Pop3Client({ host: kit.pop3.host, port: kit.pop3.tls_port, security: 'tls', username: user, credential: cred, caFile: kit.ca_path })

test('send_unicode, list_imap, list_pop3, fetch_message on the shared kit', async (t) => {
  const kit = await sharedKit()
  const cred = credential(kit)
  const tag = crypto.randomUUID()
  const subject = `${SUBJECT} ${tag}`

  await t.test('send_unicode: a queue id', async () => {
    const client = closeLater(smtp(kit, cred))
    const report = await client.send({ from: fixture.alice, to: fixture.bob, subject, text: BODY })
    assert.ok(report.queueId)
    assert.equal(report.via, 'smtp')
    assert.deepEqual(report.accepted, [fixture.bob])
    assert.deepEqual(report.rejected, [])
    assert.match(report.messageId, /@/)
  })

  let uid
  await t.test('list_imap: summaries with decoded subject, from, to, date, size, flags', async () => {
    const client = closeLater(imap(kit, cred))
    const list = await client.listMessages('INBOX', { limit: 50 })
    const m = list.find((s) => s.subject === subject)
    assert.ok(m, 'the sent message is listed')
    assert.ok(m.uid > 0)
    assert.equal(m.from.address, fixture.alice)
    assert.deepEqual(m.to.map((a) => a.address), [fixture.bob])
    assert.ok(Math.abs(m.date - Date.now() / 1000) < 600)
    assert.ok(m.size > BODY.length)
    assert.ok(Array.isArray(m.flags))
    uid = m.uid

    // The same listing as an async iterator, batch by batch.
    const seen = []
    for await (const s of client.messages('INBOX', { batchSize: 2, limit: 5 })) seen.push(s.uid)
    assert.deepEqual(seen, list.slice(0, 5).map((s) => s.uid))
  })

  await t.test('fetch_message: RFC 5322 bytes whose subject and body match', async () => {
    const client = closeLater(imap(kit, cred))
    await client.listMessages('INBOX', { limit: 1 })
    const raw = await client.fetchMessage(uid)
    assert.ok(Buffer.isBuffer(raw))
    const parsed = om.parseMessage(raw)
    assert.equal(parsed.subject, subject)
    assert.equal(parsed.text.trim(), BODY)
    assert.equal((await client.fetchParsed(uid)).subject, subject)
  })

  await t.test('list_pop3: the same subjects as over IMAP', async () => {
    const client = closeLater(pop3(kit, cred))
    const stat = await client.stat()
    assert.ok(stat.count >= 1)
    const subjects = []
    for await (const s of client.messages(50)) subjects.push(s.subject)
    assert.ok(subjects.includes(subject))
  })
})

test('GraphMailClient sends through the kit Graph endpoint; bob reads it over IMAP', async () => {
  const kit = await sharedKit()
  const cred = credential(kit)
  const subject = `Graph ${SUBJECT} ${crypto.randomUUID()}`
  const graph = closeLater(new om.GraphMailClient({ mailbox: fixture.alice, credential: cred, baseUrl: kit.graph_url, caFile: kit.ca_path }))
  const report = await graph.send({ from: fixture.alice, to: [fixture.bob], subject, html: `<p>${BODY}</p>`, attachments: [{ filename: '报告.txt', content: 'hello', contentType: 'text/plain' }] })
  assert.deepEqual(report.accepted, [fixture.bob])
  const client = closeLater(imap(kit, cred))
  const m = (await client.listMessages('INBOX', { limit: 20 })).find((s) => s.subject === subject)
  assert.ok(m)
  assert.equal(m.hasAttachments, true)
})

test('smtp_auth_disabled: 5.7.139 is Permission with a hint naming the fix', async () => {
  const kit = await startKit()
  try {
    await kit.control('POST', 'faults', { target: 'smtp', fault: 'auth_disabled', count: 1 })
    const client = closeLater(smtp(kit, credential(kit)))
    await assert.rejects(client.send({ from: fixture.alice, to: fixture.bob, subject: 's', text: 't' }), (e) => {
      assert.equal(e.kind, 'Permission')
      assert.equal(e.providerCode, '5.7.139')
      assert.match(e.hint, /Set-CASMailbox|GraphMailClient/)
      return true
    })
  } finally {
    kit.stop()
  }
})

test('an SmtpClient with a Graph fallback sends through Graph after 5.7.139', async () => {
  const kit = await startKit()
  try {
    await kit.control('POST', 'faults', { target: 'smtp', fault: 'auth_disabled', count: 1 })
    const cred = credential(kit)
    const graph = new om.GraphMailClient({ mailbox: fixture.alice, credential: cred, baseUrl: kit.graph_url, caFile: kit.ca_path })
    const client = closeLater(smtp(kit, cred, { graphFallback: graph }))
    const report = await client.send({ from: fixture.alice, to: fixture.bob, subject: 'fallback', text: 't' })
    assert.equal(report.via, 'graph')
  } finally {
    kit.stop()
  }
})

test('imap_not_connected: Permission with a hint naming Add-MailboxPermission', async () => {
  const kit = await startKit()
  try {
    await kit.control('POST', 'faults', { target: 'imap', fault: 'not_connected', count: 1 })
    const client = closeLater(imap(kit, credential(kit)))
    await assert.rejects(client.listMessages(), (e) => {
      assert.equal(e.kind, 'Permission')
      assert.match(e.hint, /Add-MailboxPermission/)
      return true
    })
  } finally {
    kit.stop()
  }
})

test('concurrent sends through one credential make one token request', async () => {
  const kit = await startKit()
  try {
    const cred = credential(kit)
    const clients = [smtp(kit, cred), smtp(kit, cred), smtp(kit, cred)]
    const sends = []
    for (let i = 0; i < 9; i++) {
      sends.push(clients[i % 3].send({ from: fixture.alice, to: fixture.bob, subject: `${SUBJECT} ${i}`, text: BODY }))
    }
    const reports = await Promise.all(sends)
    assert.equal(new Set(reports.map((r) => r.queueId)).size, 9)
    assert.equal((await kit.control('GET', 'requests')).token_requests, 1)
    const stats = await kit.control('GET', 'smtp')
    assert.equal(stats.messages_accepted, 9)
    await Promise.all(clients.map((c) => c.close()))
  } finally {
    kit.stop()
  }
})

test('the event loop keeps running while a server is slow', async () => {
  const kit = await startKit()
  try {
    const cred = credential(kit)
    await cred.getToken()
    // Every SMTP reply of the next connection comes 150 ms late: a send takes over a second.
    await kit.control('POST', 'faults', { target: 'smtp', fault: 'slow', delay_ms: 150, count: 1 })
    let ticks = 0
    const timer = setInterval(() => ticks++, 10)
    let settled = false
    const sending = smtp(kit, cred).send({ from: fixture.alice, to: fixture.bob, subject: 'slow', text: 't' }).finally(() => (settled = true))
    await new Promise((resolve) => setTimeout(resolve, 300))
    const ticksWhileSending = ticks
    assert.equal(settled, false, 'the send is still waiting for the slow server')
    await sending
    clearInterval(timer)
    // A blocked loop would not have run the timer at all before the send finished.
    assert.ok(ticksWhileSending >= 5, `the timer ticked ${ticksWhileSending} times during the send`)
  } finally {
    kit.stop()
  }
})

test('Symbol.asyncDispose closes a client (for `await using`)', async () => {
  const client = new om.ImapClient({ host: '127.0.0.1', port: 1, username: fixture.bob, credential: new om.StaticTokenCredential({ token: 'x' }) })
  assert.equal(typeof Symbol.asyncDispose, 'symbol')
  await client[Symbol.asyncDispose]()
  await assert.rejects(client.listMessages(), { kind: 'Closed' })
})
