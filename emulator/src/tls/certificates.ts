import { createPublicKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertificate, generateRsaKeyPair, type CertificateAndKey } from './pki';

/** The CA of a state folder and the certificate Azurite serves: needed first, so Azurite can boot while the rest is made. */
export interface StorageTls {
  /** PEM of the CA: what NODE_EXTRA_CA_CERTS points at. */
  readonly caCertPath: string;
  readonly ca: CertificateAndKey;
  /** Certificate Azurite serves: 127.0.0.1, localhost and *.blob.core.windows.net (reached through the proxy). */
  readonly storage: CertificateAndKey & { readonly certPath: string; readonly keyPath: string };
}

/** Certificates of the emulator's own endpoint and of the certificate service principal. */
export interface EndpointTls {
  /** Server certificate of the emulator's HTTPS endpoint (127.0.0.1, localhost). */
  readonly server: CertificateAndKey;
  /** Self-signed client certificate of the certificate service principal. */
  readonly servicePrincipalCertificate: CertificateAndKey;
}

export const STORAGE_HOST_WILDCARD = '*.blob.core.windows.net';

/**
 * Loads the CA of `stateDir` (creating it on first use, so a reused state folder keeps a CA that may already be
 * trusted) and issues a fresh certificate for Azurite, written to files as Azurite's --cert/--key want them.
 */
export async function prepareStorageTls(stateDir: string): Promise<StorageTls> {
  const dir = join(stateDir, 'tls');
  await mkdir(dir, { recursive: true });
  const caCertPath = join(dir, 'ca.pem');
  const caKeyPath = join(dir, 'ca-key.pem');

  const [existingCa, storageKeys] = await Promise.all([readCa(caCertPath, caKeyPath), generateRsaKeyPair()]);
  let ca = existingCa;
  if (!ca) {
    ca = createCertificate({ commonName: 'azureml-mlops emulator CA', keys: await generateRsaKeyPair(), validDays: 3650, isCa: true });
    await writeFile(caKeyPath, ca.privateKeyPem, { mode: 0o600 });
    await writeFile(caCertPath, ca.certificatePem);
  }
  const storage = createCertificate({
    commonName: STORAGE_HOST_WILDCARD,
    keys: storageKeys,
    validDays: 30,
    issuer: ca,
    serverAltNames: [{ ip: '127.0.0.1' }, { dns: 'localhost' }, { dns: STORAGE_HOST_WILDCARD }],
  });
  const certPath = join(dir, 'storage.pem');
  const keyPath = join(dir, 'storage-key.pem');
  await writeFile(certPath, storage.certificatePem);
  await writeFile(keyPath, storage.privateKeyPem, { mode: 0o600 });
  return { caCertPath, ca, storage: { ...storage, certPath, keyPath } };
}

/** The host names of the scoring certificate, for the region the workspace is in. */
export function scoringHostWildcards(location: string): string[] {
  return [`*.${location}.inference.ml.azure.com`, `*.${location}.cloudapp.azure.com`];
}

/** Issues the emulator's server certificate (signed by `ca`) and the service principal's self-signed certificate. */
export async function issueEndpointTls(ca: CertificateAndKey): Promise<EndpointTls> {
  const [serverKeys, clientKeys] = await Promise.all([generateRsaKeyPair(), generateRsaKeyPair()]);
  const server = createCertificate({
    commonName: '127.0.0.1',
    keys: serverKeys,
    validDays: 30,
    issuer: ca,
    serverAltNames: [{ ip: '127.0.0.1' }, { dns: 'localhost' }],
  });
  const servicePrincipalCertificate = createCertificate({
    commonName: 'azureml-mlops-emulator-sp',
    keys: clientKeys,
    validDays: 365,
    clientAuth: true,
  });
  return { server, servicePrincipalCertificate };
}

/**
 * Issues the certificate of the online endpoints' scoring hosts in `location`, `*.<region>.inference.ml.azure.com`
 * (managed) and `*.<region>.cloudapp.azure.com` (Kubernetes), signed by `ca`: a wildcard covers one label only, so
 * the region is part of the names. It reuses the key of `keyOf` (the emulator's server certificate): generating
 * another RSA key would lengthen every start.
 */
export function issueScoringTls(ca: CertificateAndKey, location: string, keyOf: CertificateAndKey): CertificateAndKey {
  const hosts = scoringHostWildcards(location.toLowerCase());
  const publicKeyPem = createPublicKey(keyOf.privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  return createCertificate({
    commonName: hosts[0]!,
    keys: { privateKeyPem: keyOf.privateKeyPem, publicKeyPem },
    validDays: 30,
    issuer: ca,
    serverAltNames: hosts.map((dns) => ({ dns })),
  });
}

async function readCa(certPath: string, keyPath: string): Promise<CertificateAndKey | undefined> {
  try {
    const [certificatePem, privateKeyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    return { certificatePem, privateKeyPem };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
