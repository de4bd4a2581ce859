import { timingSafeEqual } from 'node:crypto';
import { aad } from './aadErrors';
import type { AuthenticationMethod } from './accessTokens';
import type { CertificatePrincipal, Directory, FederatedPrincipal, Principal } from './directory';
import { decodeJwt, nowSeconds, numericClaim, signatureIsValid, type DecodedJwt } from './jwt';

const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The client-credential fields of a token request. */
export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly clientAssertion?: string;
  readonly clientAssertionType?: string;
}

/**
 * Authenticates the client of a client-credentials request the way Entra does: a secret, a JWT signed with a
 * registered certificate, or a token of a trusted external issuer matching a federated identity credential.
 * Throws an AadError with Entra's code and message otherwise.
 */
export function authenticateClient(
  directory: Directory,
  credentials: ClientCredentials,
  acceptedAudiences: readonly string[],
): { readonly principal: Principal; readonly method: AuthenticationMethod } {
  const principal = directory.byClientId(credentials.clientId);
  if (!principal) throw aad.applicationNotFound(credentials.clientId, directory.tenantName);

  if (credentials.clientSecret !== undefined) {
    if (principal.kind !== 'secret' || !sameSecret(principal.clientSecret, credentials.clientSecret)) {
      throw aad.invalidSecret(principal.clientId);
    }
    return { principal, method: '1' };
  }

  if (credentials.clientAssertion !== undefined) {
    if (credentials.clientAssertionType !== JWT_BEARER_ASSERTION) {
      throw aad.invalidAssertionType(credentials.clientAssertionType ?? '');
    }
    const assertion = decodeJwt(credentials.clientAssertion);
    if (!assertion) throw aad.malformedAssertion();
    if (principal.kind === 'certificate') {
      verifyCertificateAssertion(principal, credentials.clientAssertion, assertion, acceptedAudiences);
    } else if (principal.kind === 'federated') {
      verifyFederatedAssertion(directory, principal, credentials.clientAssertion, assertion);
    } else {
      throw aad.unregisteredKey(principal.clientId, thumbprintOf(assertion));
    }
    return { principal, method: '2' };
  }

  throw aad.missingClientCredential();
}

/** RFC 7523 client assertion: signed by the app's certificate (named by x5t / x5t#S256), iss = sub = client id, aud = token endpoint. */
function verifyCertificateAssertion(principal: CertificatePrincipal, token: string, assertion: DecodedJwt, acceptedAudiences: readonly string[]): void {
  const { header, payload } = assertion;
  const named = header['x5t#S256'] ?? header['x5t'];
  if (named !== principal.thumbprints.x5tS256 && named !== principal.thumbprints.x5t) {
    throw aad.unregisteredKey(principal.clientId, thumbprintOf(assertion));
  }
  if (!signatureIsValid(token, principal.certificatePem, ['RS256', 'PS256'])) throw aad.badSignature();
  if (payload['iss'] !== principal.clientId || payload['sub'] !== principal.clientId) throw aad.assertionClientMismatch();
  const audiences = Array.isArray(payload['aud']) ? (payload['aud'] as unknown[]) : [payload['aud']];
  if (!audiences.some((a) => typeof a === 'string' && acceptedAudiences.includes(a))) {
    throw aad.assertionAudience(String(payload['aud']), acceptedAudiences[0] ?? '');
  }
  checkTimeRange(payload);
}

/** Workload identity federation: a token of a trusted issuer whose iss/sub/aud match the federated credential. */
function verifyFederatedAssertion(directory: Directory, principal: FederatedPrincipal, token: string, assertion: DecodedJwt): void {
  const { payload } = assertion;
  const issuer = typeof payload['iss'] === 'string' ? payload['iss'] : '';
  const issuerCertificate = directory.issuerCertificate(issuer);
  if (issuer !== principal.issuer || !issuerCertificate) throw aad.federatedIssuer(issuer);
  if (!signatureIsValid(token, issuerCertificate, ['RS256'])) throw aad.badSignature();
  checkTimeRange(payload);
  const audiences = Array.isArray(payload['aud']) ? (payload['aud'] as unknown[]) : [payload['aud']];
  if (!audiences.includes(principal.audience)) throw aad.federatedAudience(String(payload['aud']));
  if (payload['sub'] !== principal.subject) throw aad.federatedSubject(String(payload['sub']));
}

/** Entra tolerates clients whose clock runs ahead (MSAL rounds `nbf` to the nearest second). */
const NOT_BEFORE_SKEW_SECONDS = 300;

/**
 * Expiry is checked without tolerance (Entra allows some clock skew there too): tests shorten token lifetimes to
 * seconds to prove that callers fetch a fresh assertion, which a skew of minutes would hide.
 */
function checkTimeRange(payload: Readonly<Record<string, unknown>>): void {
  const now = nowSeconds();
  const exp = numericClaim(payload, 'exp');
  const nbf = numericClaim(payload, 'nbf');
  if (exp === undefined || exp <= now || (nbf !== undefined && nbf > now + NOT_BEFORE_SKEW_SECONDS)) throw aad.assertionTimeRange(now, nbf, exp);
}

function sameSecret(expected: string, presented: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The thumbprint a client named, as hex (how Entra quotes it). */
function thumbprintOf(assertion: DecodedJwt): string {
  const named = assertion.header['x5t#S256'] ?? assertion.header['x5t'];
  return typeof named === 'string' ? Buffer.from(named, 'base64url').toString('hex').toUpperCase() : '';
}
