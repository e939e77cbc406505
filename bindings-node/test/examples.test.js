'use strict'
// The typed example compiles against index.d.ts/oauthmail.d.ts (`tsc --noEmit`,
// strict), and both examples in examples/node do their job against the test kit.
const test = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { sharedKit, fixture } = require('./harness')

const pkg = path.resolve(__dirname, '..')
const examples = path.resolve(pkg, '../examples/node')
const tsc = path.join(pkg, 'node_modules/typescript/bin/tsc')

/** A scratch project where `oauthmail` (and nodemailer, @types) resolve to this package's. */
function project() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauthmail-example-'))
  fs.mkdirSync(path.join(dir, 'node_modules/@types'), { recursive: true })
  fs.symlinkSync(pkg, path.join(dir, 'node_modules/oauthmail'))
  fs.symlinkSync(path.join(pkg, 'node_modules/nodemailer'), path.join(dir, 'node_modules/nodemailer'))
  fs.symlinkSync(path.join(pkg, 'node_modules/@types/node'), path.join(dir, 'node_modules/@types/node'))
  for (const f of ['send_and_list.ts', 'nodemailer.mjs', 'tsconfig.json']) fs.copyFileSync(path.join(examples, f), path.join(dir, f))
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module","private":true}\n')
  return dir
}

async function kitEnv() {
  const kit = await sharedKit()
  return {
    ...process.env,
    AZURE_TENANT_ID: fixture.tenantId,
    AZURE_CLIENT_ID: fixture.clientId,
    AZURE_CLIENT_SECRET: fixture.clientSecret,
    AZURE_AUTHORITY_HOST: kit.authority,
    OAUTHMAIL_CA_FILE: kit.ca_path,
    OAUTHMAIL_USER: fixture.alice,
    OAUTHMAIL_SMTP_HOST: kit.smtp.host,
    OAUTHMAIL_SMTP_PORT: String(kit.smtp.starttls_port),
    OAUTHMAIL_IMAP_HOST: kit.imap.host,
    OAUTHMAIL_IMAP_PORT: String(kit.imap.tls_port),
    OAUTHMAIL_IMAP_SECURITY: 'tls',
  }
}

test('typings compile: tsc --noEmit (strict) on the typed example', () => {
  const dir = project()
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '-p', dir], { stdio: 'pipe' })
    // A type error in a use of the API is caught, so the check can fail.
    fs.appendFileSync(path.join(dir, 'send_and_list.ts'), "\nnew SmtpClient({ host: 'h', port: '587', username: 'u', credential: 42 })\n")
    assert.throws(() => execFileSync(process.execPath, [tsc, '--noEmit', '-p', dir], { stdio: 'pipe' }), (e) => /TS2322|TS2769/.test(e.stdout.toString()))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('the examples send and list against the test kit', async () => {
  const dir = project()
  try {
    execFileSync(process.execPath, [tsc, '-p', dir, '--noEmit', 'false', '--outDir', dir], { stdio: 'pipe' })
    const env = await kitEnv()
    const out = execFileSync(process.execPath, [path.join(dir, 'send_and_list.js')], { env, encoding: 'utf8' })
    assert.match(out, /roles .*SMTP\.SendAsApp/)
    assert.match(out, /sent, queue id \S+/)
    assert.match(out, /Test测试邮件标题/)
    const sent = execFileSync(process.execPath, [path.join(dir, 'nodemailer.mjs')], { env, encoding: 'utf8' })
    assert.match(sent, /^sent <.+>: 250 /)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
