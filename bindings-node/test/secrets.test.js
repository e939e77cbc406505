'use strict'
// Issue 10's secret scan through the Node binding, and setLogCallback's misuse.
// secrets-scenario.js runs the whole scenario with core logs at TRACE going to
// setLogCallback; every line it printed (stdout and stderr) is scanned for every
// secret the kit issued.
const test = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const om = require('..')
const { sharedKit, fixture } = require('./harness')

/** The base64 SASL responses (XOAUTH2, OAUTHBEARER) that would carry `token`. */
function sasl(token) {
  return ['alice@example.test', 'bob@example.test'].flatMap((user) => [
    Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64'),
    Buffer.from(`n,a=${user},\x01auth=Bearer ${token}\x01\x01`).toString('base64'),
  ])
}

test('no secret the kit issued appears in any TRACE log line, error or output', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'oauthmail-scan-')), 'secrets.json')
  const { stdout, stderr } = await new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'secrets-scenario.js'), file], { maxBuffer: 256 << 20, timeout: 120_000 }, (err, stdout, stderr) =>
      err ? reject(Object.assign(err, { message: `${err.message}\n${stderr.slice(-4000)}` })) : resolve({ stdout, stderr }))
  })
  const secrets = JSON.parse(fs.readFileSync(file, 'utf8'))
  fs.rmSync(path.dirname(file), { recursive: true, force: true })
  const lines = `${stdout}\n${stderr}`.split('\n')

  // The scan can fail: the scenario logged at TRACE from core and its TLS stack, and kept the secrets.
  assert.ok(lines.length > 500, `only ${lines.length} lines captured`)
  assert.ok(lines.some((l) => l.startsWith('trace ')), 'TRACE events reached the callback')
  assert.ok(lines.some((l) => /oauthmail::smtp/.test(l)), 'core SMTP events reached the callback')
  assert.ok(lines.some((l) => /rustls::/.test(l)), 'log records of rustls reached the callback')
  assert.ok(stderr.includes('AADSTS7000215'), 'the failures were printed')
  assert.ok(secrets.filter((s) => s.startsWith('eyJ')).length >= 6, 'access tokens of every credential were kept')
  assert.ok(secrets.some((s) => s.startsWith('0.testkit.')), 'refresh tokens were kept')

  for (const secret of secrets.flatMap((s) => (s.startsWith('eyJ') ? [s, ...sasl(s)] : [s]))) {
    const hit = lines.findIndex((l) => l.includes(secret))
    assert.equal(hit, -1, `a secret is in line ${hit}: ${lines[hit]?.replaceAll(secret, '<secret>')}`)
  }
  // Ones the scenario could not see (a device code, a refresh token kept only in memory) have the kit's shapes.
  for (const shape of [/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/, /0\.testkit\.[\w-]{20,}/]) {
    const hit = lines.find((l) => shape.test(l))
    assert.equal(hit, undefined, `a token in: ${hit?.replace(new RegExp(shape, 'g'), '<token>')}`)
  }
})

test('setLogCallback: a bad level is a Config error; null turns events off', () => {
  assert.throws(() => om.setLogCallback(() => {}, 'loud'), { kind: 'Config', hint: /trace/ })
  assert.throws(() => om.setLogCallback(42), { code: 'InvalidArg', message: /Function/ })
  om.setLogCallback(null)
})

test('setLogCallback from a worker that has exited: events to it are dropped; the main thread sets its own', async () => {
  await new Promise((resolve, reject) => {
    const code = `require(${JSON.stringify(require.resolve('..'))}).setLogCallback(() => {}, 'trace')`
    new Worker(code, { eval: true }).once('exit', resolve).once('error', reject)
  })
  const kit = await sharedKit()
  const c = new om.ClientSecretCredential({ tenantId: fixture.tenantId, clientId: fixture.clientId, clientSecret: fixture.clientSecret, authority: kit.authority, caFile: kit.ca_path })
  await c.getToken(undefined, { forceRefresh: true })
  const events = []
  om.setLogCallback((e) => events.push(e), 'debug')
  await c.getToken(undefined, { forceRefresh: true })
  await new Promise((resolve) => setTimeout(resolve, 100))
  om.setLogCallback(null)
  assert.ok(events.some((e) => e.level === 'debug' && e.message.includes('oauthmail::')), JSON.stringify(events.slice(0, 3)))
})
