import jwt from 'jsonwebtoken';

export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Header and claims of a compact JWT, without verifying anything; undefined when it is not a JWT. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload !== 'object' || decoded.payload === null) return undefined;
  return { header: decoded.header as unknown as Record<string, unknown>, payload: decoded.payload as Record<string, unknown> };
}

/**
 * Whether the token's signature verifies with `publicKeyOrCertificatePem` under one of `algorithms`. Times are not
 * checked here: callers check them to answer with the service's own messages.
 */
export function signatureIsValid(token: string, publicKeyOrCertificatePem: string, algorithms: jwt.Algorithm[]): boolean {
  try {
    jwt.verify(token, publicKeyOrCertificatePem, { algorithms, ignoreExpiration: true, ignoreNotBefore: true });
    return true;
  } catch {
    return false;
  }
}

export function signJwt(claims: Record<string, unknown>, signer: { readonly privateKeyPem: string; readonly kid: string; readonly x5t: string }): string {
  return jwt.sign(claims, signer.privateKeyPem, {
    algorithm: 'RS256',
    header: { alg: 'RS256', typ: 'JWT', kid: signer.kid, x5t: signer.x5t },
  });
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A numeric claim (exp, nbf, iat), or undefined when absent or not a number. */
export function numericClaim(payload: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const value = payload[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
