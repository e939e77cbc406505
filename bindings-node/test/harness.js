'use strict'
// The test kit for the Node tests: the shared one named by OAUTHMAIL_TESTKIT
// (CI starts it once; Dovecot trusts its key), or one started here; tests that
// inject faults or count requests start a private kit of their own.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const https = require('node:https')
const path = require('node:path')
const readline = require('node:readline')

const root = path.resolve(__dirname, '../..')
const kits = []

/** Starts `target/debug/oauthmail-testkit`; it stops when this process ends (its stdin closes). */
async function startKit() {
  const bin = process.env.OAUTHMAIL_TESTKIT_BIN || path.join(root, 'target/debug/oauthmail-testkit')
  const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] })
  const line = await new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`oauthmail-testkit exited with ${code}`)))
    readline.createInterface({ input: child.stdout }).once('line', resolve)
  })
  child.removeAllListeners('exit')
  // Neither the kit nor its pipes keep this process alive; it stops when our end of stdin closes.
  child.unref()
  child.stdin.unref()
  child.stdout.unref()
  kits.push(child)
  return kitFrom(JSON.parse(line), () => child.stdin.end())
}

function kitFrom(info, stop = () => {}) {
  const ca = fs.readFileSync(info.ca_path)
  return {
    ...info,
    stop,
    /** A request to the kit's control endpoints (`{authority}/testkit/...`). */
    control(method, what, body) {
      return new Promise((resolve, reject) => {
        const req = https.request(`${info.control_url}/${what}`, { method, ca, headers: { 'content-type': 'application/json' } }, (res) => {
          let data = ''
          res.setEncoding('utf8')
          res.on('data', (c) => (data += c))
          res.on('end', () => {
            if (res.statusCode >= 300) return reject(new Error(`${method} ${what}: ${res.statusCode} ${data}`))
            resolve(data ? JSON.parse(data) : null)
          })
        })
        req.on('error', reject)
        req.end(body === undefined ? undefined : JSON.stringify(body))
      })
    },
  }
}

let shared
/** The shared kit: OAUTHMAIL_TESTKIT's, else one started for this test file. */
function sharedKit() {
  shared ??= process.env.OAUTHMAIL_TESTKIT ? Promise.resolve(kitFrom(JSON.parse(process.env.OAUTHMAIL_TESTKIT))) : startKit()
  return shared
}

const fixture = {
  tenantId: '11111111-1111-1111-1111-111111111111',
  clientId: '22222222-2222-2222-2222-222222222222',
  clientSecret: 'test-secret-1',
  publicClientId: '44444444-4444-4444-4444-444444444444',
  alice: 'alice@example.test',
  bob: 'bob@example.test',
}

/** The real Postfix/Dovecot stack from MAILSTACK_* variables, or null when it is not running. */
function mailstack() {
  const e = process.env
  if (!e.MAILSTACK_SUBMISSION_PORT) return null
  return {
    host: e.MAILSTACK_HOST,
    caFile: e.MAILSTACK_CA_CERT,
    submissionPort: Number(e.MAILSTACK_SUBMISSION_PORT),
    imapsPort: Number(e.MAILSTACK_IMAPS_PORT),
    pop3sPort: Number(e.MAILSTACK_POP3S_PORT),
  }
}

process.on('exit', () => kits.forEach((k) => k.stdin.end()))

module.exports = { startKit, sharedKit, fixture, mailstack }
