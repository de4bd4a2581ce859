import { createPublicKey } from 'node:crypto';
import { certificateDer, certificateThumbprints, createCertificate, generateRsaKeyPair } from '../tls/pki';

/** A token-signing key with the certificate a JWKS publishes for it. */
export interface SigningKey {
  /** Key id in JWT headers and the JWKS (Entra uses the certificate's SHA-1 thumbprint, base64url). */
  readonly kid: string;
  readonly x5t: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** The key as a JWKS entry. */
  readonly jwk: Readonly<Record<string, unknown>>;
}

export async function createSigningKey(commonName: string): Promise<SigningKey> {
  const keys = await generateRsaKeyPair();
  const { certificatePem, privateKeyPem } = createCertificate({ commonName, keys, validDays: 365 });
  const { x5t } = certificateThumbprints(certificatePem);
  const { n, e } = createPublicKey(keys.publicKeyPem).export({ format: 'jwk' });
  return {
    kid: x5t,
    x5t,
    certificatePem,
    privateKeyPem,
    jwk: { kty: 'RSA', use: 'sig', kid: x5t, x5t, n, e, x5c: [certificateDer(certificatePem).toString('base64')] },
  };
}
