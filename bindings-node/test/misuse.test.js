'use strict'
// Issue 10's misuse through the Node binding: wrong types, missing options,
// invalid values, lone surrogates, huge inputs, use after close(), and many
// concurrent Promises on one client. Each is a clear error, never a crash or a
// hang: napi's conversion error (an Error whose code is `StringExpected`,
// `ArrayExpected`, `InvalidArg`, ... and whose message names the field), a
// TypeError, or an OAuthMailError of kind Config, Message or Closed.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const om = require('..')
const { sharedKit, startKit, fixture } = require('./harness')

const token = new om.StaticTokenCredential({ token: 'x' })
const smtpAt = (extra = {}) => new om.SmtpClient({ host: '127.0.0.1', port: 1, username: fixture.alice, credential: token, ...extra })
const mail = (extra = {}) => ({ from: fixture.alice, to: fixture.bob, subject: 's', text: 't', ...extra })

/** A conversion error (napi's or a TypeError), or an oauthmail error of one of `kinds`. */
function clear(kinds = ['Config', 'Message']) {
  return (e) => {
    assert.ok(e instanceof Error, `not an Error: ${e}`)
    if (om.isOAuthMailError(e)) assert.ok(kinds.includes(e.kind), `kind ${e.kind}: ${e.message}`)
    else assert.ok(e instanceof TypeError || /^(InvalidArg|\w+Expected)$/.test(e.code), `${e.name} ${e.code}: ${e.message}`)
    return true
  }
}

test('wrong types and missing options in constructors are thrown at once', () => {
  const good = { tenantId: fixture.tenantId, clientId: fixture.clientId, clientSecret: 's' }
  for (const bad of [
    undefined, 42, 'options', [],
    { ...good, tenantId: 42 }, { ...good, clientSecret: undefined }, { ...good, clientSecret: Buffer.from('s') },
    { ...good, scopes: 'one' }, { ...good, scopes: [1] }, { ...good, authority: {} }, { ...good, caFile: 7 },
  ]) {
    assert.throws(() => new om.ClientSecretCredential(bad), clear(), JSON.stringify(bad))
  }
  for (const bad of [{}, { token: 42 }, { token: '' }, { token: 'x', expiresOn: 'soon' }, { token: 'x', expiresOn: -1 }, { token: 'x', expiresOn: NaN }]) {
    assert.throws(() => new om.StaticTokenCredential(bad), clear(), JSON.stringify(bad))
  }
  for (const bad of [{ host: 42 }, { host: undefined }, { port: '587' }, { port: -1 }, { port: NaN }, { port: 0 },
    { username: null }, { credential: 'x' }, { credential: om }, { timeoutMs: 0 }, { security: 1 }]) {
    assert.throws(() => smtpAt(bad), clear(), JSON.stringify(bad))
    assert.throws(() => new om.ImapClient({ host: 'h', port: 993, username: fixture.bob, credential: token, ...bad }), clear())
    assert.throws(() => new om.Pop3Client({ host: 'h', port: 995, username: fixture.bob, credential: token, ...bad }), clear())
  }
  assert.throws(() => smtpAt({ graphFallback: {} }), clear())
  assert.throws(() => new om.GraphMailClient({ credential: token }), clear())
  assert.throws(() => new om.GraphMailClient({ mailbox: fixture.alice, credential: token, baseUrl: 'not a url' }), clear())
})

test('wrong types in calls: a synchronous throw or a rejection, never a crash', async () => {
  const smtp = smtpAt()
  const imap = new om.ImapClient({ host: '127.0.0.1', port: 1, username: fixture.bob, credential: token })
  const calls = [
    () => smtp.send(), () => smtp.send(42), () => smtp.send('From: a'), () => smtp.send(mail({ to: 42 })),
    () => smtp.send(mail({ attachments: 'x' })), () => smtp.send(mail({ attachments: [{ content: 42 }] })),
    () => smtp.send(mail({ headers: { 'X-A': 1 } })), () => smtp.send(mail({ headers: { 'Bad Name': 'v' } })),
    () => smtp.send(mail({ attachments: [{ path: '/nonexistent/file' }] })),
    () => smtp.sendRaw(fixture.alice, [fixture.bob], 'not a buffer'), () => smtp.sendRaw(fixture.alice, fixture.bob, Buffer.from('x')),
    () => smtp.sendRaw(undefined, [fixture.bob], Buffer.from('x')), () => smtp.sendRaw(fixture.alice, [], Buffer.from('x')),
    () => imap.fetchMessage('1'), () => imap.fetchMessage(-1), () => imap.fetchMessage(2 ** 40),
    () => imap.listMessages(42), () => imap.listMessages('INBOX', { limit: 'all' }),
    () => token.getToken(42), () => token.getToken([1, 2]), () => token.getToken(undefined, { forceRefresh: 'yes' }),
    () => om.parseMessage('text'), () => om.parseMessage(),
  ]
  for (const call of calls) {
    let outcome
    try {
      outcome = call()
    } catch (e) {
      clear()(e)
      continue
    }
    await assert.rejects(outcome, clear(['Config', 'Message', 'Network']), call.toString())
  }
  await Promise.all([smtp.close(), imap.close()])
})

test('numbers must be whole and in range: no wrapping into another port, timeout or message', async () => {
  for (const bad of [{ port: 1.5 }, { port: 2 ** 32 + 25 }, { port: 65536 }, { port: Infinity }, { timeoutMs: -5 }, { timeoutMs: 0.5 }, { timeoutMs: 2 ** 32 }]) {
    assert.throws(() => smtpAt(bad), { kind: 'Config' }, JSON.stringify(bad))
  }
  const imap = new om.ImapClient({ host: '127.0.0.1', port: 1, username: fixture.bob, credential: token })
  const pop3 = new om.Pop3Client({ host: '127.0.0.1', port: 1, username: fixture.bob, credential: token })
  for (const call of [
    () => imap.fetchMessage(2 ** 32 + 7), () => imap.fetchMessage(-1), () => imap.fetchParsed(1.5),
    () => imap.setFlags([1, -2], ['\\Seen']), () => imap.delete([2 ** 40]), () => imap.listMessages('INBOX', { limit: -1 }),
    () => imap.pages('INBOX', { batchSize: 0.5 }), () => pop3.fetchMessage(2 ** 32 + 1), () => pop3.dele(-1), () => pop3.listMessages(NaN),
  ]) {
    await assert.rejects(call(), { kind: 'Config', message: /whole number/ }, call.toString())
  }
  await Promise.all([imap.close(), pop3.close()])
})

test('lone surrogates become U+FFFD on their way to UTF-8, as Buffer.from does; the message arrives', async () => {
  const kit = await sharedKit()
  const credential = new om.ClientSecretCredential({ tenantId: fixture.tenantId, clientId: fixture.clientId, clientSecret: fixture.clientSecret, authority: kit.authority, caFile: kit.ca_path })
  const tag = crypto.randomUUID()
  const subject = `lone \uD800 high, \uDC00 low, pair 😀 ${tag}`
  const smtp = new om.SmtpClient({ host: kit.smtp.host, port: kit.smtp.starttls_port, username: fixture.alice, credential, caFile: kit.ca_path })
  await smtp.send(mail({ subject, text: 'body \uDFFF end' }))
  await smtp.close()
  const imap = new om.ImapClient({ host: kit.imap.host, port: kit.imap.tls_port, security: 'tls', username: fixture.bob, credential, caFile: kit.ca_path })
  const found = (await imap.listMessages('INBOX')).find((m) => m.subject.endsWith(tag))
  assert.equal(found.subject, Buffer.from(subject).toString())
  assert.equal(found.subject, `lone \uFFFD high, \uFFFD low, pair 😀 ${tag}`)
  assert.equal(om.parseMessage(await imap.fetchMessage(found.uid)).text.trim(), 'body \uFFFD end')
  await imap.close()
  // A header name with one is refused (napi's own conversion would drop that header quietly).
  const unconnected = smtpAt()
  assert.throws(() => unconnected.send(mail({ headers: { 'X-\uD800': 'v' } })), { code: 'InvalidArg', message: /lone UTF-16 surrogate/ })
  await unconnected.close()
})

test('huge inputs are clear Message errors: a 40 MB message over the server SIZE, a 1 MB address', async () => {
  const kit = await startKit()
  try {
    const credential = new om.ClientSecretCredential({ tenantId: fixture.tenantId, clientId: fixture.clientId, clientSecret: fixture.clientSecret, authority: kit.authority, caFile: kit.ca_path })
    const smtp = new om.SmtpClient({ host: kit.smtp.host, port: kit.smtp.starttls_port, username: fixture.alice, credential, caFile: kit.ca_path })
    const big = Buffer.alloc(40 << 20, 0x41)
    await assert.rejects(smtp.send(mail({ attachments: [{ filename: 'big.bin', content: big }] })), clear(['Message']))
    await assert.rejects(smtp.send(mail({ to: `${'b'.repeat(1 << 20)}@example.test` })), clear(['Message']))
    // Nothing half sent, and the client still works.
    assert.equal((await kit.control('GET', 'smtp')).messages_accepted, 0)
    await smtp.send(mail())
    await smtp.close()
  } finally {
    kit.stop()
  }
})

test('after close(): every verb rejects with Closed; close() twice, and concurrently, is fine', async () => {
  const smtp = smtpAt()
  await Promise.all([smtp.close(), smtp.close(), smtp.close()])
  await assert.rejects(smtp.connect(), { kind: 'Closed' })
  await assert.rejects(smtp.sendRaw(fixture.alice, [fixture.bob], Buffer.from('x')), { kind: 'Closed' })
  const imap = new om.ImapClient({ host: '127.0.0.1', port: 1, username: fixture.bob, credential: token })
  await imap.close()
  for (const call of [() => imap.connect(), () => imap.fetchMessage(1), () => imap.listFolders(), () => imap.pages('INBOX')]) {
    await assert.rejects(call(), { kind: 'Closed' })
  }
  const pop3 = new om.Pop3Client({ host: '127.0.0.1', port: 1, username: fixture.bob, credential: token })
  await pop3.close()
  for (const call of [() => pop3.stat(), () => pop3.fetchMessage(1), () => pop3.dele(1), () => pop3.connect()]) {
    await assert.rejects(call(), { kind: 'Closed' })
  }
  const graph = new om.GraphMailClient({ mailbox: fixture.alice, credential: token, baseUrl: 'https://127.0.0.1:1/v1.0' })
  await graph.close()
  await graph.close()
  for (const call of [() => graph.listMessages(), () => graph.fetchMessage('id'), () => graph.sendMime(Buffer.from(`From: ${fixture.alice}\r\nTo: ${fixture.bob}\r\nSubject: x\r\n\r\nx\r\n`))]) {
    await assert.rejects(call(), { kind: 'Closed' })
  }
})

test('many concurrent Promises on one client: each message accepted once, listings and fetches agree', async () => {
  const kit = await startKit()
  try {
    const credential = new om.ClientSecretCredential({ tenantId: fixture.tenantId, clientId: fixture.clientId, clientSecret: fixture.clientSecret, authority: kit.authority, caFile: kit.ca_path })
    const smtp = new om.SmtpClient({ host: kit.smtp.host, port: kit.smtp.starttls_port, username: fixture.alice, credential, caFile: kit.ca_path })
    const imap = new om.ImapClient({ host: kit.imap.host, port: kit.imap.tls_port, security: 'tls', username: fixture.bob, credential, caFile: kit.ca_path })
    const subjects = Array.from({ length: 24 }, (_, i) => `concurrent ${i}`)
    const reports = await Promise.all(subjects.map((subject) => smtp.send(mail({ subject }))))
    assert.equal(new Set(reports.map((r) => r.queueId)).size, 24)
    const [lists, raws] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, () => imap.listMessages('INBOX'))),
      Promise.all(Array.from({ length: 16 }, (_, i) => imap.fetchMessage(i + 1))),
    ])
    for (const list of lists) assert.deepEqual(list.map((m) => m.subject).sort(), [...subjects].sort())
    assert.equal(new Set(raws.map((r) => om.parseMessage(r).subject)).size, 16)
    // A close racing with calls in flight: each call succeeds or rejects with Closed.
    const racing = Array.from({ length: 8 }, () => imap.listMessages('INBOX').then(() => 'ok', (e) => e.kind))
    await imap.close()
    for (const r of await Promise.all(racing)) assert.ok(r === 'ok' || r === 'Closed', r)
    await smtp.close()
    const stats = await kit.control('GET', 'smtp')
    assert.equal(stats.messages_accepted, 24)
    assert.equal((await kit.control('GET', 'requests')).token_requests, 1)
  } finally {
    kit.stop()
  }
})
