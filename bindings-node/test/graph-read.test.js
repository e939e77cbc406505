'use strict'
// GraphMailClient reading (list with paging, fetch MIME, mark read, move, delete)
// against a scripted Graph peer over HTTPS with a certificate made here; the
// test kit has no Graph read endpoints.
const test = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const https = require('node:https')
const os = require('node:os')
const path = require('node:path')
const om = require('..')

const MIME = 'From: alice@example.test\r\nTo: bob@example.test\r\nSubject: =?UTF-8?B?VGVzdOa1i+ivlemCruS7tuagh+mimA==?=\r\n\r\nTest\r\n'

function message(id, subject, read) {
  return {
    id,
    subject,
    from: { emailAddress: { name: 'Alice', address: 'alice@example.test' } },
    toRecipients: [{ emailAddress: { address: 'bob@example.test' } }],
    receivedDateTime: '2026-12-03T10:00:00Z',
    isRead: read,
    hasAttachments: false,
    internetMessageId: `<${id}@example.test>`,
    singleValueExtendedProperties: [{ id: 'Integer 0xe08', value: '1234' }],
  }
}

async function graphPeer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauthmail-graph-peer-'))
  // A CA and a server certificate it signs (rustls refuses a CA certificate as the server's).
  const f = (name) => path.join(dir, name)
  const openssl = (...args) => execFileSync('openssl', args, { stdio: 'ignore' })
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=graph-peer-ca', '-keyout', f('ca.key'), '-out', f('ca.pem'))
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('key.pem'), '-out', f('leaf.csr'))
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n')
  openssl('x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f('ext.cnf'), '-out', f('cert.pem'))
  const requests = []
  const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
    const url = new URL(req.url, 'https://127.0.0.1')
    requests.push({ method: req.method, path: decodeURIComponent(url.pathname), query: Object.fromEntries(url.searchParams), auth: req.headers.authorization })
    const json = (status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)) }
    const p = decodeURIComponent(url.pathname)
    if (req.headers.authorization !== 'Bearer graph-token') return json(401, { error: { code: 'InvalidAuthenticationToken', message: 'no' } })
    if (req.method === 'GET' && p.endsWith('/mailFolders/inbox/messages')) {
      if (url.searchParams.get('page') === '2') return json(200, { value: [message('m3', 'third', true)] })
      const next = `https://127.0.0.1:${server.address().port}${url.pathname}?page=2`
      return json(200, { value: [message('m1', 'Test测试邮件标题', false), message('m2', 'second', true)], '@odata.nextLink': next })
    }
    if (req.method === 'GET' && p.endsWith('/messages/m1/$value')) { res.writeHead(200, { 'content-type': 'text/plain' }); return res.end(MIME) }
    if (req.method === 'GET' && p.endsWith('/messages/gone/$value')) return json(404, { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } })
    if (req.method === 'PATCH' && p.endsWith('/messages/m1')) return json(200, { id: 'm1' })
    if (req.method === 'POST' && p.endsWith('/messages/m1/move')) return json(201, { id: 'm1-moved' })
    if (req.method === 'DELETE' && p.endsWith('/messages/m2')) { res.writeHead(204); return res.end() }
    json(400, { error: { code: 'BadRequest', message: `unexpected ${req.method} ${p}` } })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    baseUrl: `https://127.0.0.1:${server.address().port}/v1.0`,
    caFile: path.join(dir, 'ca.pem'),
    requests,
    stop: () => { server.close(); fs.rmSync(dir, { recursive: true, force: true }) },
  }
}

test('GraphMailClient lists with paging, fetches MIME, marks read, moves and deletes', async () => {
  const peer = await graphPeer()
  const graph = new om.GraphMailClient({
    mailbox: 'bob@example.test',
    credential: new om.StaticTokenCredential({ token: 'graph-token' }),
    baseUrl: peer.baseUrl,
    caFile: peer.caFile,
  })
  try {
    const all = await graph.listMessages()
    assert.deepEqual(all.map((m) => m.id), ['m1', 'm2', 'm3'])
    const [first] = all
    assert.equal(first.uid, 0)
    assert.equal(first.subject, 'Test测试邮件标题')
    assert.deepEqual(first.from, { name: 'Alice', address: 'alice@example.test' })
    assert.equal(first.size, 1234)
    assert.deepEqual(all[1].flags, ['\\Seen'])
    assert.equal(first.messageId, 'm1@example.test')

    const iterated = []
    for await (const m of graph.messages('inbox', { pageSize: 2, limit: 2 })) iterated.push(m.id)
    assert.deepEqual(iterated, ['m1', 'm2'])
    const listing = peer.requests.filter((r) => r.method === 'GET' && r.query.$top)
    assert.equal(listing.at(-1).query.$top, '2')

    assert.equal(om.parseMessage(await graph.fetchMessage('m1')).subject, 'Test测试邮件标题')
    await assert.rejects(graph.fetchMessage('gone'), { name: 'OAuthMailError' })
    await graph.markRead('m1')
    assert.equal(await graph.moveMessage('m1', 'archive'), 'm1-moved')
    await graph.deleteMessage('m2')
    assert.ok(peer.requests.some((r) => r.method === 'DELETE' && r.path.endsWith('/messages/m2')))
    await assert.rejects(graph.listMessages('inbox', { pageSize: 5000 }), { kind: 'Config' })
  } finally {
    await graph.close()
    peer.stop()
  }
  await assert.rejects(graph.listMessages(), { kind: 'Closed' })
})
