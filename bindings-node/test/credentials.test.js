'use strict'
// Scenarios token_client_secret, token_every_credential, token_errors, one_token_many_threads;
// the device code callback and the authorization code flow.
const test = require('node:test')
const assert = require('node:assert/strict')
const https = require('node:https')
const fs = require('node:fs')
const om = require('..')
const { sharedKit, startKit, fixture } = require('./harness')

function secretCredential(kit, secret = fixture.clientSecret) {
  return new om.ClientSecretCredential({
    tenantId: fixture.tenantId,
    clientId: fixture.clientId,
    clientSecret: secret,
    authority: kit.authority,
    caFile: kit.ca_path,
  })
}

function userCredential(kit, username, password) {
  return new om.UsernamePasswordCredential({
    tenantId: fixture.tenantId,
    clientId: fixture.publicClientId,
    username,
    password,
    authority: kit.authority,
    caFile: kit.ca_path,
  })
}

test('token_client_secret: an app token for Exchange with the mail roles', async () => {
  const kit = await sharedKit()
  const t = await secretCredential(kit).getToken()
  assert.ok(t.token.length > 20)
  assert.ok(t.expiresOn > Date.now() / 1000)
  assert.equal(Math.floor(t.expiresOnTimestamp / 1000), t.expiresOn)
  assert.equal(t.claims.aud, 'https://outlook.office365.com')
  assert.ok(t.claims.roles.includes('SMTP.SendAsApp'))
  assert.ok(t.claims.roles.includes('IMAP.AccessAsApp'))
  assert.equal(t.claims.tid, fixture.tenantId)
})

test('token_every_credential: certificate, password, refresh token, static token', async () => {
  const kit = await sharedKit()
  const cert = new om.ClientCertificateCredential({
    tenantId: fixture.tenantId,
    clientId: kit.cert_app.client_id,
    certificatePath: kit.cert_app.pem_path,
    authority: kit.authority,
    caFile: kit.ca_path,
  })
  assert.equal((await cert.getToken()).claims.appid, kit.cert_app.client_id)
  const certFromText = new om.ClientCertificateCredential({
    tenantId: fixture.tenantId,
    clientId: kit.cert_app.client_id,
    certificate: fs.readFileSync(kit.cert_app.cert_path, 'utf8'),
    keyPath: kit.cert_app.key_path,
    authority: kit.authority,
    caFile: kit.ca_path,
  })
  assert.ok((await certFromText.getToken()).claims.roles.includes('SMTP.SendAsApp'))

  const alice = await userCredential(kit, fixture.alice, 'alice-password').getToken()
  assert.equal(alice.claims.preferredUsername, fixture.alice)
  assert.match(alice.claims.scp, /SMTP\.Send/)

  // A refresh token from a password sign-in (the kit's control endpoint hands it out via the token endpoint).
  const refreshToken = await passwordGrantRefreshToken(kit)
  const refresh = new om.RefreshTokenCredential({
    tenantId: fixture.tenantId,
    clientId: fixture.publicClientId,
    refreshToken,
    authority: kit.authority,
    caFile: kit.ca_path,
  })
  assert.equal((await refresh.getToken()).claims.preferredUsername, fixture.alice)

  const statik = new om.StaticTokenCredential({ token: alice.token })
  const s = await statik.getToken()
  assert.equal(s.token, alice.token)
  assert.equal(s.expiresOn, alice.claims.exp)
  // `claims` is read from `token` on access, yet a plain enumerable property: spread and JSON keep it.
  assert.deepEqual({ ...s }.claims, alice.claims)
  assert.equal(JSON.parse(JSON.stringify(s)).claims.preferredUsername, fixture.alice)
  assert.equal(new om.StaticTokenCredential({ token: 'opaque' }).cachedToken().claims, undefined)

  await assert.rejects(userCredential(kit, 'mfa@example.test', 'mfa-password').getToken(), {
    kind: 'Auth',
    providerCode: 'AADSTS50076',
  })
})

/** A refresh token for alice straight from the kit's token endpoint (offline_access). */
function passwordGrantRefreshToken(kit) {
  const body = new URLSearchParams({
    grant_type: 'password',
    client_id: fixture.publicClientId,
    username: fixture.alice,
    password: 'alice-password',
    scope: 'https://outlook.office365.com/.default offline_access',
  }).toString()
  return new Promise((resolve, reject) => {
    const req = https.request(kit.token_url, { method: 'POST', ca: fs.readFileSync(kit.ca_path), headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      let data = ''
      res.on('data', (c) => (data += c))
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(data).refresh_token) : reject(new Error(data))))
    })
    req.on('error', reject)
    req.end(body)
  })
}

test('token_errors: a wrong secret is Auth AADSTS7000215 with a hint, and the secret is nowhere in the error', async () => {
  const kit = await sharedKit()
  const secret = 'wrong-secret-0123456789'
  await assert.rejects(secretCredential(kit, secret).getToken(), (e) => {
    assert.ok(om.isOAuthMailError(e))
    assert.equal(e.kind, 'Auth')
    assert.equal(e.code, 'Auth')
    assert.equal(e.providerCode, 'AADSTS7000215')
    assert.ok(e.hint && e.hint.length > 0)
    const text = JSON.stringify({ message: e.message, hint: e.hint, stack: e.stack, cause: e.cause && e.cause.message })
    assert.ok(!text.includes(secret))
    return true
  })
})

test('TLS is verified: without the kit CA the token request fails with kind Tls', async () => {
  const kit = await sharedKit()
  const c = new om.ClientSecretCredential({ tenantId: fixture.tenantId, clientId: fixture.clientId, clientSecret: fixture.clientSecret, authority: kit.authority })
  await assert.rejects(c.getToken(), { kind: 'Tls' })
})

test('one_token_many_threads: 16 concurrent getToken calls make one token request', async () => {
  const kit = await startKit()
  try {
    await kit.control('POST', 'faults', { fault: 'slow', delay_ms: 300, count: 1 })
    const credential = secretCredential(kit)
    const tokens = await Promise.all(Array.from({ length: 16 }, () => credential.getToken()))
    assert.equal(new Set(tokens.map((t) => t.token)).size, 1)
    assert.equal((await kit.control('GET', 'requests')).token_requests, 1)
    await credential.getToken(undefined, { forceRefresh: true })
    assert.equal((await kit.control('GET', 'requests')).token_requests, 2)
  } finally {
    kit.stop()
  }
})

test('a fresh cached token is handed out at once, without a token request or the thread pool', async () => {
  const kit = await startKit()
  try {
    const credential = secretCredential(kit)
    assert.equal(credential.cachedToken(), null)
    const first = await credential.getToken()
    assert.equal(credential.cachedToken().token, first.token)
    assert.equal(credential.cachedToken('https://graph.microsoft.com/.default'), null)
    // Settles before a macrotask could run: nothing went through libuv.
    let settled = false
    credential.getToken().then((t) => { settled = t.token === first.token })
    await Promise.resolve()
    await Promise.resolve()
    assert.ok(settled)
    assert.equal((await kit.control('GET', 'requests')).token_requests, 1)
    const fresh = await credential.getToken(undefined, { forceRefresh: true })
    assert.equal((await kit.control('GET', 'requests')).token_requests, 2)
    assert.equal(credential.cachedToken().token, fresh.token)
    assert.throws(() => credential.getToken(42), { code: 'InvalidArg' }) // as every napi argument check
  } finally {
    kit.stop()
  }
})

test('DeviceCodeCredential calls the JavaScript callback with the code, then gets a token', async () => {
  const kit = await sharedKit()
  const prompts = []
  const credential = new om.DeviceCodeCredential({
    tenantId: fixture.tenantId,
    clientId: fixture.publicClientId,
    authority: kit.authority,
    caFile: kit.ca_path,
    userPromptCallback: (info) => prompts.push(info),
  })
  const t = await credential.getToken()
  assert.equal(prompts.length, 1)
  assert.match(prompts[0].userCode, /\S/)
  assert.match(prompts[0].verificationUri, /devicelogin/)
  assert.ok(prompts[0].message.length > 0)
  assert.equal(t.claims.preferredUsername, fixture.alice)
})

test('AuthorizationCodeCredential: authorize URL, the redirect, exchange', async () => {
  const kit = await sharedKit()
  const credential = new om.AuthorizationCodeCredential({
    tenantId: fixture.tenantId,
    clientId: fixture.publicClientId,
    authority: kit.authority,
    caFile: kit.ca_path,
    loginHint: 'bob@example.test',
  })
  assert.equal(credential.isSignedIn, false)
  const request = credential.authorizeUrl('http://127.0.0.1:8400/callback')
  assert.match(request.url, /code_challenge=/)
  const location = await new Promise((resolve, reject) => {
    https.get(request.url, { ca: fs.readFileSync(kit.ca_path) }, (res) => { res.resume(); resolve(res.headers.location) }).on('error', reject)
  })
  const redirect = new URL(location)
  await assert.rejects(credential.exchange(request, redirect.searchParams.get('code'), 'not-the-state'), { kind: 'Auth' })
  const t = await credential.exchange(request, redirect.searchParams.get('code'), redirect.searchParams.get('state'))
  assert.equal(t.claims.preferredUsername, 'bob@example.test')
  assert.equal(credential.isSignedIn, true)
  assert.equal((await credential.getToken()).token, t.token)
})
