// The package works from `import` as well as `require`, with the same objects.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as esm from 'oauthmail'
import oauthmail, { ClientSecretCredential, Provider, SmtpClient, ErrorKind, isOAuthMailError, nodemailerAuth } from 'oauthmail'

test('named and default ESM imports are the CommonJS objects', () => {
  const cjs = createRequire(import.meta.url)('oauthmail')
  assert.equal(ClientSecretCredential, cjs.ClientSecretCredential)
  assert.equal(SmtpClient, oauthmail.SmtpClient)
  assert.equal(ErrorKind.Closed, 'Closed')
  assert.equal(typeof isOAuthMailError, 'function')
  assert.equal(typeof nodemailerAuth, 'function')
  const p = Provider.office365()
  assert.deepEqual(p.smtp, { host: 'smtp.office365.com', port: 587, security: 'starttls' })
  assert.equal(p.mailScope, 'https://outlook.office365.com/.default')
  assert.equal(Provider.byName('gmail').imap.host, 'imap.gmail.com')
  assert.throws(() => Provider.byName('nope'), { kind: 'Config' })
})

test('every export of the CommonJS entry is a named ESM export', () => {
  const cjs = createRequire(import.meta.url)('oauthmail')
  // `__napiBindingTarget` is the napi-rs loader's own note, not API.
  for (const name of Object.keys(cjs).filter((n) => !n.startsWith('__'))) assert.equal(esm[name], cjs[name], name)
})
