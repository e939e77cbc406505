'use strict'
// Scenarios error_kinds_mapped, panic_is_internal, closed_client; misuse.
const test = require('node:test')
const assert = require('node:assert/strict')
const om = require('..')

const kinds = Object.entries(om.errorKindNumbers)

test('error_kinds_mapped: every kind arrives with kind, code, providerCode and hint (thrown)', () => {
  assert.equal(kinds.length, Object.keys(om.ErrorKind).length)
  for (const [name, number] of kinds) {
    assert.throws(
      () => om.testingError(number),
      (e) => {
        assert.ok(e instanceof Error)
        assert.ok(om.isOAuthMailError(e))
        assert.equal(e.name, 'OAuthMailError')
        assert.equal(e.kind, name)
        assert.equal(e.code, name)
        assert.equal(e.kindNumber, number)
        assert.equal(e.providerCode, `TEST-${number}`)
        assert.equal(e.hint, `This is what a ${name} hint looks like.`)
        assert.equal(e.message, `a ${name} error made on purpose`)
        return true
      },
    )
  }
})

test('error_kinds_mapped: every kind arrives as a rejection from a worker thread', async () => {
  for (const [name, number] of kinds) {
    await assert.rejects(om.testingErrorAsync(number), (e) => {
      assert.ok(om.isOAuthMailError(e))
      assert.equal(e.kind, name)
      assert.equal(e.providerCode, `TEST-${number}`)
      assert.match(e.hint, new RegExp(name))
      return true
    })
  }
})

test('an unknown kind number is a Config error', () => {
  assert.throws(() => om.testingError(12345), { kind: 'Config', message: /not an error kind number/ })
})

test('panic_is_internal: a Rust panic becomes an Internal error and the process lives on', async () => {
  assert.throws(() => om.testingPanic(), { name: 'OAuthMailError', kind: 'Internal', message: /panic: a panic made on purpose/ })
  await assert.rejects(om.testingPanicAsync(), { kind: 'Internal', hint: /report/ })
  assert.equal(om.Provider.office365().name, 'office365')
})

test('closed_client: verbs after close() reject with kind Closed', async () => {
  const credential = new om.StaticTokenCredential({ token: 'not-a-real-token' })
  const smtp = new om.SmtpClient({ host: '127.0.0.1', port: 1, username: 'a@example.test', credential })
  await smtp.close()
  await smtp.close() // twice is fine
  await assert.rejects(smtp.send({ from: 'a@example.test', to: 'b@example.test', subject: 's', text: 't' }), { kind: 'Closed', code: 'Closed' })
  const imap = new om.ImapClient({ host: '127.0.0.1', port: 1, username: 'a@example.test', credential })
  await imap.close()
  await assert.rejects(imap.listMessages(), { kind: 'Closed' })
  const pop3 = new om.Pop3Client({ host: '127.0.0.1', port: 1, username: 'a@example.test', credential })
  await pop3.close()
  await assert.rejects(pop3.listMessages(), { kind: 'Closed' })
  const graph = new om.GraphMailClient({ mailbox: 'a@example.test', credential, baseUrl: 'https://127.0.0.1:1/v1.0' })
  await graph.close()
  await assert.rejects(graph.send({ from: 'a@example.test', to: 'b@example.test', subject: 's', text: 't' }), { kind: 'Closed' })
})

test('bad settings are Config errors; bad messages are Message errors; nothing is sent', async () => {
  const credential = new om.StaticTokenCredential({ token: 'x' })
  assert.throws(() => new om.ClientSecretCredential({ tenantId: 't', clientId: 'c', clientSecret: '' }), { kind: 'Config' })
  assert.throws(() => new om.SmtpClient({ host: 'h', port: 70000, username: 'a@example.test', credential }), { kind: 'Config', message: /port/ })
  assert.throws(() => new om.ImapClient({ host: 'h', port: 993, username: 'a@example.test', credential, security: 'sometimes' }), { kind: 'Config', hint: /starttls/ })
  assert.throws(() => new om.Pop3Client({ host: 'h', port: 995, username: 'a@example.test', credential, caFile: '/nonexistent/ca.pem' }), { kind: 'Config' })
  const smtp = new om.SmtpClient({ host: '127.0.0.1', port: 1, username: 'a@example.test', credential })
  await assert.rejects(smtp.send({ from: 'a@example.test', to: 'b@example.test', attachments: [{ filename: 'x' }] }), { kind: 'Message', hint: /content/ })
  await assert.rejects(smtp.send({ from: 'a@example.test', to: 'not an address', subject: 's', text: 't' }), { kind: 'Message' })
  await assert.rejects(smtp.send({ from: 'a@example.test', to: 'b@example.test', subject: 'bad\r\nBcc: x@example.test', text: 't' }), { kind: 'Message' })
})

test('wrong argument types are clear errors, not crashes', () => {
  assert.throws(() => new om.SmtpClient({ host: 'h', port: 587, username: 'a@example.test', credential: {} }), /credential must be an oauthmail credential/)
  assert.throws(() => new om.SmtpClient({ host: 'h', port: 587, username: 'a@example.test' }), /credential/)
  assert.throws(() => new om.SmtpClient(null))
  assert.throws(() => om.SmtpClient.fromProvider(null, 'a@example.test', new om.StaticTokenCredential({ token: 'x' })))
  assert.throws(() => om.testingError('two'))
})
