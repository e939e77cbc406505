'use strict'
// Scenario real_stack_roundtrip: Postfix and Dovecot, which we did not write,
// validate the shared test kit's tokens (tests/mailstack).
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const om = require('..')
const { sharedKit, fixture, mailstack } = require('./harness')

const stack = mailstack()
const required = process.env.OAUTHMAIL_REQUIRE_MAILSTACK === '1'

test('the real stack is there when it is required', () => {
  if (required) assert.ok(stack, 'OAUTHMAIL_REQUIRE_MAILSTACK=1 but no MAILSTACK_* variables are set')
})

test('real_stack_roundtrip: alice -> bob through Postfix, read over Dovecot IMAP and POP3', { skip: !stack && 'no MAILSTACK_* variables (tests/mailstack)' }, async () => {
  if (!process.env.OAUTHMAIL_TESTKIT) assert.fail('the real stack trusts the shared test kit named by OAUTHMAIL_TESTKIT')
  const kit = await sharedKit()
  const user = (username) =>
    new om.UsernamePasswordCredential({
      tenantId: fixture.tenantId,
      clientId: fixture.publicClientId,
      username,
      password: `${username.split('@')[0]}-password`,
      authority: kit.authority,
      caFile: kit.ca_path,
    })
  const subject = `Test测试邮件标题 node ${crypto.randomUUID()}`
  const smtp = new om.SmtpClient({ host: stack.host, port: stack.submissionPort, username: fixture.alice, credential: user(fixture.alice), caFile: stack.caFile })
  try {
    const report = await smtp.send({ from: fixture.alice, to: fixture.bob, subject, text: 'Test测试邮件正文' })
    assert.ok(report.queueId)
  } finally {
    await smtp.close()
  }

  const bob = user(fixture.bob)
  const imap = new om.ImapClient({ host: stack.host, port: stack.imapsPort, security: 'tls', username: fixture.bob, credential: bob, caFile: stack.caFile })
  try {
    // Delivery through LMTP is asynchronous: poll a little.
    let found
    for (let i = 0; i < 50 && !found; i++) {
      found = (await imap.listMessages('INBOX', { limit: 50 })).find((m) => m.subject === subject)
      if (!found) await new Promise((r) => setTimeout(r, 200))
    }
    assert.ok(found, 'the message arrived in bob\'s INBOX (IMAP)')
    const parsed = om.parseMessage(await imap.fetchMessage(found.uid))
    assert.equal(parsed.subject, subject)
  } finally {
    await imap.close()
  }

  const pop3 = new om.Pop3Client({ host: stack.host, port: stack.pop3sPort, security: 'tls', username: fixture.bob, credential: bob, caFile: stack.caFile })
  try {
    assert.ok((await pop3.listMessages(100)).some((m) => m.subject === subject), 'the message is listed over POP3')
  } finally {
    await pop3.close()
  }
})
