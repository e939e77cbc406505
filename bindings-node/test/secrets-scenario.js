'use strict'
// Run by secrets.test.js in a child process: the whole scenario (a token from
// every credential type, SMTP send, IMAP and POP3 list and fetch, Graph send
// and list, failures) on a private kit, with every core log event at TRACE
// printed to stdout and every error to stderr. The secrets it saw are written
// to the file named by argv[2], never printed.
const fs = require('node:fs')
const https = require('node:https')
const os = require('node:os')
const path = require('node:path')
const om = require('..')
const { startKit, fixture } = require('./harness')

const secrets = new Set([fixture.clientSecret, 'alice-password', 'bob-password'])
const keep = (s) => s && secrets.add(s)

om.setLogCallback((e) => console.log(`${e.level} ${e.message}`), 'trace')

function get(url, ca) {
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (res) => { res.resume(); resolve(res.headers.location) }).on('error', reject)
  })
}

function post(url, ca, form) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      let data = ''
      res.on('data', (c) => (data += c))
      res.on('end', () => resolve(JSON.parse(data)))
    })
    req.on('error', reject)
    req.end(new URLSearchParams(form).toString())
  })
}

/** Runs `fn`; an error goes to stderr whole (it is scanned too), and the scenario goes on. */
async function attempt(what, fn) {
  try {
    return await fn()
  } catch (e) {
    console.error(`${what}: ${e.kind} ${e.message} | ${e.hint} | ${e.providerCode} | ${e.cause && e.cause.message}\n${e.stack}`)
    return undefined
  }
}

async function main() {
  const kit = await startKit()
  const ca = fs.readFileSync(kit.ca_path)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauthmail-node-secrets-'))
  const base = { tenantId: fixture.tenantId, authority: kit.authority, caFile: kit.ca_path }
  const user = { ...base, clientId: fixture.publicClientId }
  await kit.control('POST', 'seed', { user: fixture.bob, count: 3 })

  const secret = new om.ClientSecretCredential({ ...base, clientId: fixture.clientId, clientSecret: fixture.clientSecret })
  const cert = new om.ClientCertificateCredential({ ...base, clientId: kit.cert_app.client_id, certificatePath: kit.cert_app.pem_path })
  const password = new om.UsernamePasswordCredential({ ...user, username: fixture.alice, password: 'alice-password', persistentCache: path.join(dir, 'password.json') })
  const device = new om.DeviceCodeCredential({ ...user, persistentCache: path.join(dir, 'device.json'), userPromptCallback: () => {} })
  const code = new om.AuthorizationCodeCredential({ ...user, loginHint: fixture.bob, persistentCache: path.join(dir, 'code.json') })
  const issued = await post(kit.token_url, ca, {
    grant_type: 'password', client_id: fixture.publicClientId, username: fixture.bob, password: 'bob-password',
    scope: 'https://outlook.office365.com/.default offline_access',
  })
  keep(issued.refresh_token)
  keep(issued.access_token)
  const refresh = new om.RefreshTokenCredential({ ...user, refreshToken: issued.refresh_token })

  const request = code.authorizeUrl('http://127.0.0.1:8400/callback')
  const redirect = new URL(await get(request.url, ca))
  keep(redirect.searchParams.get('code'))
  keep((await code.exchange(request, redirect.searchParams.get('code'), redirect.searchParams.get('state'))).token)

  for (const c of [secret, cert, password, device, code, refresh]) {
    keep((await c.getToken()).token)
    keep((await c.getToken(undefined, { forceRefresh: true })).token)
  }
  keep((await secret.getToken('https://graph.microsoft.com/.default')).token)
  const statik = new om.StaticTokenCredential({ token: (await password.getToken()).token })

  const mail = (subject) => ({ from: fixture.alice, to: fixture.bob, subject, text: 'secret scan' })
  const tls = { host: '127.0.0.1', caFile: kit.ca_path, security: 'tls' }
  for (const [c, port, security] of [[secret, kit.smtp.starttls_port, 'starttls'], [statik, kit.smtp.tls_port, 'tls']]) {
    const smtp = new om.SmtpClient({ ...tls, port, security, username: fixture.alice, credential: c })
    await attempt('smtp', () => smtp.send(mail('scan')))
    await smtp.close()
  }
  await kit.control('POST', 'faults', { target: 'smtp', fault: 'drop_after_auth', count: 1 })
  await attempt('smtp drop', () => new om.SmtpClient({ ...tls, port: kit.smtp.tls_port, username: fixture.alice, credential: secret }).send(mail('drop')))

  for (const c of [secret, refresh]) {
    const imap = new om.ImapClient({ ...tls, port: kit.imap.tls_port, username: fixture.bob, credential: c })
    const list = await attempt('imap list', () => imap.listMessages('INBOX', { limit: 5 }))
    await attempt('imap fetch', () => imap.fetchMessage(list[0].uid))
    await imap.close()
    const pop3 = new om.Pop3Client({ ...tls, port: kit.pop3.tls_port, username: fixture.bob, credential: c })
    await attempt('pop3 list', () => pop3.listMessages(5))
    await attempt('pop3 fetch', () => pop3.fetchMessage(1))
    await pop3.close()
  }
  await kit.control('POST', 'faults', { target: 'imap', fault: 'bye_access_token_expired', count: 1 })
  await attempt('imap bye', () => new om.ImapClient({ ...tls, port: kit.imap.tls_port, username: fixture.bob, credential: secret }).listMessages())

  const graph = new om.GraphMailClient({ mailbox: fixture.alice, credential: secret, baseUrl: kit.graph_url, caFile: kit.ca_path })
  await attempt('graph send', () => graph.send(mail('graph')))
  await kit.control('POST', 'faults', { target: 'graph', fault: 'invalid_token', count: 1 })
  await attempt('graph refreshed', () => graph.send(mail('graph again')))
  await attempt('graph list', () => graph.listMessages('inbox', { limit: 3 }))
  await graph.close()

  // Failures whose messages are scanned too: a wrong secret, a refused token.
  await attempt('wrong secret', () => new om.ClientSecretCredential({ ...base, clientId: fixture.clientId, clientSecret: 'wrong-secret-7' }).getToken())
  keep('wrong-secret-7')
  const expired = (await kit.control('POST', 'token', { user: fixture.alice, scp: ['SMTP.Send'], expires_in: -60 })).access_token
  keep(expired)
  await attempt('expired', () => new om.SmtpClient({ ...tls, port: kit.smtp.tls_port, username: fixture.alice, credential: new om.StaticTokenCredential({ token: expired, expiresOn: Date.now() / 1000 + 600 }) }).send(mail('refused')))

  // The refresh tokens the user credentials keep (their persistent caches).
  for (const f of fs.readdirSync(dir)) {
    for (const t of fs.readFileSync(path.join(dir, f), 'utf8').match(/0\.testkit\.[\w-]+/g) ?? []) keep(t)
  }
  fs.rmSync(dir, { recursive: true, force: true })
  // Let queued log events reach the callback before the process ends.
  await new Promise((resolve) => setTimeout(resolve, 200))
  fs.writeFileSync(process.argv[2], JSON.stringify([...secrets]))
  kit.stop()
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
