import { randomBytes, randomUUID } from 'node:crypto';
import { certificateThumbprints } from '../tls/pki';

/** An app registration with a client secret. */
export interface SecretPrincipal {
  readonly kind: 'secret';
  readonly clientId: string;
  readonly objectId: string;
  readonly clientSecret: string;
}

/** An app registration whose credential is a certificate (public part registered, private key with the client). */
export interface CertificatePrincipal {
  readonly kind: 'certificate';
  readonly clientId: string;
  readonly objectId: string;
  readonly certificatePem: string;
  readonly thumbprints: { readonly x5t: string; readonly x5tS256: string };
}

/** An app registration with a federated identity credential (workload identity federation). */
export interface FederatedPrincipal {
  readonly kind: 'federated';
  readonly clientId: string;
  readonly objectId: string;
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;
}

/** A managed identity: no client credential, tokens only from the managed identity endpoint. */
export interface ManagedIdentityPrincipal {
  readonly kind: 'managedIdentity';
  readonly clientId: string;
  readonly objectId: string;
}

export type Principal = SecretPrincipal | CertificatePrincipal | FederatedPrincipal | ManagedIdentityPrincipal;

export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/** The emulated Entra tenant: its service principals and the external token issuers it trusts. */
export class Directory {
  readonly secretPrincipal: SecretPrincipal;
  readonly certificatePrincipal: CertificatePrincipal;
  readonly federatedPrincipal: FederatedPrincipal;
  readonly managedIdentity: ManagedIdentityPrincipal;
  private readonly trustedIssuerCertificates = new Map<string, string>();

  constructor(
    readonly tenantId: string,
    servicePrincipalCertificatePem: string,
    federation: { readonly issuer: string; readonly subject: string },
  ) {
    this.secretPrincipal = {
      kind: 'secret',
      clientId: randomUUID(),
      objectId: randomUUID(),
      // Shaped like an Entra client secret value (40 characters), random per emulator.
      clientSecret: randomBytes(30).toString('base64url'),
    };
    this.certificatePrincipal = {
      kind: 'certificate',
      clientId: randomUUID(),
      objectId: randomUUID(),
      certificatePem: servicePrincipalCertificatePem,
      thumbprints: certificateThumbprints(servicePrincipalCertificatePem),
    };
    this.federatedPrincipal = {
      kind: 'federated',
      clientId: randomUUID(),
      objectId: randomUUID(),
      issuer: federation.issuer,
      subject: federation.subject,
      audience: TOKEN_EXCHANGE_AUDIENCE,
    };
    this.managedIdentity = { kind: 'managedIdentity', clientId: randomUUID(), objectId: randomUUID() };
  }

  byClientId(clientId: string): Principal | undefined {
    const id = clientId.toLowerCase();
    return [this.secretPrincipal, this.certificatePrincipal, this.federatedPrincipal, this.managedIdentity].find((p) => p.clientId === id);
  }

  /** Registers the signing certificate of an external OIDC issuer (Entra fetches it from the issuer's JWKS). */
  trustIssuer(issuer: string, certificatePem: string): void {
    this.trustedIssuerCertificates.set(issuer, certificatePem);
  }

  issuerCertificate(issuer: string): string | undefined {
    return this.trustedIssuerCertificates.get(issuer);
  }

  /** The tenant's display name in AADSTS messages. */
  get tenantName(): string {
    return this.tenantId;
  }
}
