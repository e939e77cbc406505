'use strict'
// Several threads: the addon loads in worker threads, each with its own
// objects; an object posted to a worker arrives as a plain copy that the
// clients refuse with a clear error instead of crashing.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Worker } = require('node:worker_threads')
const om = require('..')
const { sharedKit, fixture } = require('./harness')

const worker = `
const { parentPort, workerData } = require('node:worker_threads')
const om = require(workerData.pkg)
const { kit, fixture } = workerData
;(async () => {
  const c = new om.ClientSecretCredential({ tenantId: fixture.tenantId, clientId: fixture.clientId,
    clientSecret: fixture.clientSecret, authority: kit.authority, caFile: kit.ca_path })
  const t = await c.getToken()
  let posted
  try { new om.SmtpClient({ host: 'h', port: 587, username: fixture.alice, credential: workerData.credential }) }
  catch (e) { posted = e.message }
  parentPort.postMessage({ aud: t.claims.aud, posted })
})().catch((e) => parentPort.postMessage({ error: e.message }))
`

test('the addon works in several worker threads at once', async () => {
  const kit = await sharedKit()
  const credential = new om.StaticTokenCredential({ token: 'x' })
  const data = { pkg: require.resolve('..'), kit: { authority: kit.authority, ca_path: kit.ca_path }, fixture, credential }
  const results = await Promise.all(
    Array.from({ length: 3 }, () => new Promise((resolve, reject) => {
      const w = new Worker(worker, { eval: true, workerData: data })
      w.once('message', resolve)
      w.once('error', reject)
    })),
  )
  for (const r of results) {
    assert.equal(r.error, undefined)
    assert.equal(r.aud, 'https://outlook.office365.com')
    assert.match(r.posted, /credential must be an oauthmail credential/)
  }
})
