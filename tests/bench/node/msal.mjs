// The token the way Node users get one from Microsoft's identity platform:
// @azure/msal-node's PublicClientApplication (password grant), pointed at the
// test kit, with a network client that trusts only the kit's CA.
import { readFileSync } from 'node:fs'
import https from 'node:https'
import { PublicClientApplication } from '@azure/msal-node'

/** msal's INetworkModule over node:https with our own Agent (msal's default uses fetch and the system CAs). */
class AgentNetworkClient {
  constructor(agent) {
    this.agent = agent
  }
  sendGetRequestAsync(url, options) {
    return this.request(url, 'GET', options)
  }
  sendPostRequestAsync(url, options) {
    return this.request(url, 'POST', options)
  }
  request(url, method, options = {}) {
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, agent: this.agent, headers: options.headers }, (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => {
          try {
            resolve({ headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), status: res.statusCode })
          } catch (e) {
            reject(e)
          }
        })
      })
      req.on('error', reject)
      req.end(options.body)
    })
  }
}

/**
 * A PublicClientApplication for the config's identity platform. The endpoints
 * are given as `authorityMetadata` (msal's option for authorities it cannot
 * discover): the kit's OpenID document names an issuer on another host
 * (sts.testkit.local), which msal-node 7 refuses during discovery.
 */
export function publicClient({ identity }) {
  const agent = new https.Agent({ keepAlive: true, ca: readFileSync(identity.ca_file) })
  const tenant = `${identity.authority}/${identity.tenant_id}`
  return new PublicClientApplication({
    auth: {
      clientId: identity.client_id,
      authority: tenant,
      knownAuthorities: [new URL(identity.authority).host],
      authorityMetadata: JSON.stringify({
        token_endpoint: identity.token_url,
        authorization_endpoint: `${tenant}/oauth2/v2.0/authorize`,
        issuer: `${tenant}/v2.0`,
        jwks_uri: `${tenant}/discovery/v2.0/keys`,
      }),
    },
    system: { networkClient: new AgentNetworkClient(agent) },
  })
}

/** An access token for the user, from the resource-owner password grant. */
export async function accessToken(pca, { identity }, username, password) {
  const result = await pca.acquireTokenByUsernamePassword({ scopes: [identity.scope], username, password })
  return result.accessToken
}
