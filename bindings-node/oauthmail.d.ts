// Typings of the package entry: the generated index.d.ts (from the Rust code),
// the generated error table, and the JavaScript additions of oauthmail.js.
import type {
  AuthorizationCodeCredential,
  Claims,
  ClientCertificateCredential,
  ClientSecretCredential,
  DeviceCodeCredential,
  GraphListOptions,
  ListMessagesOptions,
  MessageSummary,
  RefreshTokenCredential,
  StaticTokenCredential,
  UsernamePasswordCredential,
} from './index'

export * from './index'
export * from './errors'

/** Any credential; every client takes one. */
export type TokenCredential =
  | ClientSecretCredential
  | ClientCertificateCredential
  | UsernamePasswordCredential
  | DeviceCodeCredential
  | AuthorizationCodeCredential
  | RefreshTokenCredential
  | StaticTokenCredential

declare module './index' {
  interface AccessToken {
    /** The JWT claims, decoded from `token` when read (`decodeClaims`); `undefined` when the token is not a JWT. */
    readonly claims?: Claims
  }
  interface ImapClient {
    /** The listing of `folder` (default INBOX), fetched one batch at a time. */
    messages(folder?: string | null, options?: ListMessagesOptions | null): AsyncGenerator<MessageSummary, void, undefined>
    [Symbol.asyncDispose](): Promise<void>
  }
  interface Pop3Client {
    /** The inbox, newest first. */
    messages(limit?: number | null): AsyncGenerator<MessageSummary, void, undefined>
    [Symbol.asyncDispose](): Promise<void>
  }
  interface SmtpClient {
    [Symbol.asyncDispose](): Promise<void>
  }
  interface GraphMailClient {
    /** The listing of `folder` (default inbox), fetched one page at a time. */
    messages(folder?: string | null, options?: GraphListOptions | null): AsyncGenerator<MessageSummary, void, undefined>
    [Symbol.asyncDispose](): Promise<void>
  }
}

/** nodemailer's `auth` option (type OAuth2) with tokens from `credential`. */
export interface NodemailerOAuth2 {
  type: 'OAuth2'
  user: string
  provisionCallback(
    user: string,
    renew: boolean,
    callback: (err: Error | null, accessToken?: string, expires?: number) => void,
  ): void
}

/** `nodemailer.createTransport({ host, port, auth: nodemailerAuth(credential, user) })`. */
export declare function nodemailerAuth(
  credential: TokenCredential,
  user: string,
  options?: { scopes?: string | string[] },
): NodemailerOAuth2
