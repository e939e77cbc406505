'use strict'
// The package entry: the generated native binding (index.js) plus what is
// JavaScript by nature: async iterators, Symbol.asyncDispose, the error table
// and the nodemailer hook. No mail or OAuth logic lives here.

const native = require('./index.js')
const errors = require('./errors.js')

const { ImapClient, Pop3Client, GraphMailClient, SmtpClient } = native

/** `for await (const m of imap.messages('INBOX'))`: fetched one batch (one round trip) at a time. */
ImapClient.prototype.messages = async function* messages(folder, options) {
  const pages = await this.pages(folder, options)
  for (let batch = await this.nextPage(pages); batch !== null; batch = await this.nextPage(pages)) {
    yield* batch
  }
}

/** `for await (const m of graph.messages('inbox'))`: one Graph request per page. */
GraphMailClient.prototype.messages = async function* messages(folder, options) {
  const pages = await this.pages(folder, options)
  for (let page = await this.nextPage(pages); page !== null; page = await this.nextPage(pages)) {
    yield* page
  }
}

/** `for await (const m of pop3.messages())`: newest first. */
Pop3Client.prototype.messages = async function* messages(limit) {
  yield* await this.listMessages(limit)
}

// `claims` is decoded from `token` when read, by one shared getter: most callers never
// read it, and decoding the JWT at every look-up made a cache hit cost four times more.
const claimsProperty = {
  get() {
    return native.decodeClaims(this.token) ?? undefined
  },
  enumerable: true,
  configurable: true,
}
const withClaims = (token) => (token === null ? null : Object.defineProperty(token, 'claims', claimsProperty))

// A fresh cached token needs no trip through libuv's thread pool: `getToken`
// settles at once with it; anything else (a miss, forceRefresh, bad arguments)
// goes to the native Promise, which also reports the errors.
for (const [name, Credential] of Object.entries(native)) {
  if (!name.endsWith('Credential') || typeof Credential.prototype.cachedToken !== 'function') continue
  const { getToken: fetchToken, cachedToken: peekToken } = Credential.prototype
  Credential.prototype.cachedToken = function cachedToken(scopes) {
    return withClaims(peekToken.call(this, scopes))
  }
  Credential.prototype.getToken = function getToken(scopes, options) {
    if (!options?.forceRefresh) {
      let cached = null
      try {
        cached = this.cachedToken(scopes)
      } catch {}
      if (cached !== null) return Promise.resolve(cached)
    }
    return fetchToken.call(this, scopes, options).then(withClaims)
  }
}
const exchangeCode = native.AuthorizationCodeCredential.prototype.exchange
native.AuthorizationCodeCredential.prototype.exchange = function exchange(request, code, state) {
  return exchangeCode.call(this, request, code, state).then(withClaims)
}

// `await using client = new SmtpClient(...)` closes the client at the end of the block.
if (typeof Symbol.asyncDispose === 'symbol') {
  for (const Client of [SmtpClient, ImapClient, Pop3Client, GraphMailClient]) {
    Client.prototype[Symbol.asyncDispose] = function asyncDispose() {
      return this.close()
    }
  }
}

/**
 * nodemailer's `auth` option with tokens from an oauthmail credential:
 * `nodemailer.createTransport({ host, port, auth: nodemailerAuth(credential, user) })`.
 * nodemailer asks again with `renew` when the server refuses a token; then the
 * credential skips its cache.
 */
function nodemailerAuth(credential, user, options = {}) {
  if (!credential || typeof credential.getToken !== 'function') {
    throw new TypeError('nodemailerAuth: credential must be an oauthmail credential')
  }
  if (typeof user !== 'string' || user === '') {
    throw new TypeError('nodemailerAuth: user must be the mailbox address')
  }
  return {
    type: 'OAuth2',
    user,
    provisionCallback(_user, renew, callback) {
      credential
        .getToken(options.scopes, { forceRefresh: renew })
        .then((t) => callback(null, t.token, t.expiresOnTimestamp), (e) => callback(e))
    },
  }
}

module.exports = { ...native, ...errors, nodemailerAuth }
