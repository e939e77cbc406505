// ES module entry: the same objects as the CommonJS entry.
import { createRequire } from 'node:module'

const oauthmail = createRequire(import.meta.url)('./oauthmail.js')

export default oauthmail
export const {
  AuthorizationCodeCredential,
  AuthorizationRequest,
  ClientCertificateCredential,
  ClientSecretCredential,
  DeviceCodeCredential,
  RefreshTokenCredential,
  StaticTokenCredential,
  UsernamePasswordCredential,
  Provider,
  SmtpClient,
  ImapClient,
  Pop3Client,
  GraphMailClient,
  GraphMessagePages,
  MessagePages,
  parseMessage,
  decodeClaims,
  setLogCallback,
  ErrorKind,
  errorKindNumbers,
  isOAuthMailError,
  nodemailerAuth,
  testingError,
  testingErrorAsync,
  testingPanic,
  testingPanicAsync,
} = oauthmail
