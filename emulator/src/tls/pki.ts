import { createHash, generateKeyPair, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** An RSA key pair in PEM (PKCS#1 private key, SPKI public key). */
export interface KeyPairPem {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

/** A certificate with its private key, both PEM. */
export interface CertificateAndKey {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** Node's key generation runs on the thread pool: several keys are generated in parallel, far faster than forge. */
export function generateRsaKeyPair(): Promise<KeyPairPem> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      },
      (error, publicKeyPem, privateKeyPem) => (error ? reject(error) : resolve({ publicKeyPem, privateKeyPem })),
    );
  });
}

export type SubjectAltName = { readonly dns: string } | { readonly ip: string };

interface CertificateRequest {
  readonly commonName: string;
  readonly keys: KeyPairPem;
  readonly validDays: number;
  /** Signs the certificate; omitted for a self-signed one. */
  readonly issuer?: CertificateAndKey;
  readonly isCa?: boolean;
  readonly serverAltNames?: readonly SubjectAltName[];
  readonly clientAuth?: boolean;
}

const ORGANIZATION = 'azureml-mlops emulator';

/** Builds an X.509 v3 certificate with node-forge. */
export function createCertificate(request: CertificateRequest): CertificateAndKey {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(request.keys.publicKeyPem);
  // A positive serial number (leading byte below 0x80), unique per certificate.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  // Backdated a little so that a clock a few seconds behind does not reject a fresh certificate.
  cert.validity.notBefore = new Date(Date.now() - 5 * 60_000);
  cert.validity.notAfter = new Date(Date.now() + request.validDays * 86_400_000);
  const subject = [
    { name: 'commonName', value: request.commonName },
    { name: 'organizationName', value: ORGANIZATION },
  ];
  cert.setSubject(subject);

  const issuerCert = request.issuer ? forge.pki.certificateFromPem(request.issuer.certificatePem) : undefined;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : subject);

  const extensions: object[] = [{ name: 'subjectKeyIdentifier' }];
  if (request.isCa) {
    extensions.push(
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    );
  } else {
    extensions.push(
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: !!request.serverAltNames, clientAuth: !!request.clientAuth },
    );
  }
  if (request.serverAltNames) {
    extensions.push({
      name: 'subjectAltName',
      altNames: request.serverAltNames.map((n) => ('dns' in n ? { type: 2, value: n.dns } : { type: 7, ip: n.ip })),
    });
  }
  if (issuerCert) {
    extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuerCert.generateSubjectKeyIdentifier().getBytes() });
  }
  cert.setExtensions(extensions);

  const signingKeyPem = request.issuer ? request.issuer.privateKeyPem : request.keys.privateKeyPem;
  cert.sign(forge.pki.privateKeyFromPem(signingKeyPem), forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: request.keys.privateKeyPem };
}

/** DER bytes of the first certificate in a PEM. */
export function certificateDer(certificatePem: string): Buffer {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(certificatePem);
  if (!match) throw new Error('No certificate in PEM');
  return Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
}

/** Certificate thumbprints as JOSE headers carry them: `x5t` (SHA-1) and `x5t#S256` (SHA-256), base64url. */
export function certificateThumbprints(certificatePem: string): { readonly x5t: string; readonly x5tS256: string } {
  const der = certificateDer(certificatePem);
  return {
    x5t: createHash('sha1').update(der).digest('base64url'),
    x5tS256: createHash('sha256').update(der).digest('base64url'),
  };
}
