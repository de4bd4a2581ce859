import { randomUUID } from 'node:crypto';
import type { TokenService } from '../context';
import type { BearerCheck } from '../http/server';
import { decodeJwt, nowSeconds, numericClaim, signatureIsValid, signJwt } from './jwt';
import type { SigningKey } from './signingKey';

/** How the client proved its identity, as the `appidacr` claim says: 0 none (managed identity), 1 secret, 2 certificate/assertion. */
export type AuthenticationMethod = '0' | '1' | '2';

/**
 * Issues and validates the emulator's Entra access tokens: RS256 JWTs shaped like the v1 tokens Entra issues for
 * ARM, signed with the tenant's key (published at /{tenant}/discovery/v2.0/keys).
 */
export class AccessTokens implements TokenService {
  constructor(
    private readonly tenantId: string,
    /** The emulator URL with trailing slash: the ARM resource id (audience) and authority host. */
    private readonly baseUrl: string,
    private readonly lifetimeSeconds: number,
    private readonly key: SigningKey,
  ) {}

  /** Issuer of the tokens (v1 format, as ARM tokens are). */
  get issuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  /** Audiences ARM accepts: its resource id with and without trailing slash. */
  get armAudiences(): readonly string[] {
    return [this.baseUrl, this.baseUrl.replace(/\/$/, '')];
  }

  /** Whether `resource` names the emulated ARM (how Entra resolves `<resource>/.default`). */
  isArmResource(resource: string): boolean {
    return stripSlash(resource).toLowerCase() === stripSlash(this.baseUrl).toLowerCase();
  }

  issue(clientId: string, audience: string, lifetimeSeconds?: number): { readonly token: string; readonly expiresOn: Date } {
    return this.issueFor({ clientId, objectId: clientId }, audience, '2', lifetimeSeconds);
  }

  issueFor(
    principal: { readonly clientId: string; readonly objectId: string },
    audience: string,
    method: AuthenticationMethod,
    lifetimeSeconds: number = this.lifetimeSeconds,
  ): { readonly token: string; readonly expiresOn: Date; readonly expiresInSeconds: number } {
    const now = nowSeconds();
    const exp = now + lifetimeSeconds;
    const token = signJwt(
      {
        aud: audience,
        iss: this.issuer,
        iat: now,
        nbf: now,
        exp,
        appid: principal.clientId,
        appidacr: method,
        idp: this.issuer,
        oid: principal.objectId,
        sub: principal.objectId,
        tid: this.tenantId,
        uti: randomUUID().replace(/-/g, ''),
        ver: '1.0',
      },
      this.key,
    );
    return { token, expiresOn: new Date(exp * 1000), expiresInSeconds: lifetimeSeconds };
  }

  /** Checks a request's Authorization header as ARM (or the Azure ML data plane) does. */
  validate(authorization: string | undefined, kind: 'arm' | 'dataPlane'): BearerCheck {
    const authorityUri = `${this.baseUrl}${this.tenantId}`;
    const fail = (code: string, message: string, description = message): BearerCheck => ({
      ok: false,
      code,
      message,
      wwwAuthenticate: `Bearer authorization_uri="${authorityUri}", error="invalid_token", error_description="${description.replace(/"/g, "'")}"`,
    });
    if (!authorization) {
      return fail('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", "The authentication failed because of missing 'Authorization' header.");
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) {
      return fail('AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.");
    }
    const token = match[1]!;
    const decoded = decodeJwt(token);
    if (!decoded || !signatureIsValid(token, this.key.certificatePem, ['RS256'])) {
      return fail('InvalidAuthenticationToken', 'The access token is invalid.', 'The access token is invalid.');
    }
    const claims = decoded.payload;
    const exp = numericClaim(claims, 'exp');
    const now = nowSeconds();
    if (exp === undefined || exp <= now) {
      const message = `The access token expiry UTC time '${dotNetTime(exp ?? 0)}' is earlier than current UTC time '${dotNetTime(now)}'.`;
      return fail('ExpiredAuthenticationToken', message);
    }
    const audience = typeof claims['aud'] === 'string' ? claims['aud'] : '';
    const allowed = kind === 'arm' ? this.armAudiences : [...this.armAudiences, 'https://ml.azure.com', 'https://ml.azure.com/'];
    if (!allowed.includes(audience)) {
      return fail(
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${audience}'. It should exactly match with one of the allowed audiences '${allowed.join("','")}'.`,
      );
    }
    if (claims['tid'] !== this.tenantId || claims['iss'] !== this.issuer) {
      return fail(
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer '${String(claims['iss'])}'. It must match the tenant '${this.issuer}' associated with this subscription. ` +
          `Please use the authority (URL) '${authorityUri}' to get the token.`,
      );
    }
    return { ok: true, principal: { clientId: String(claims['appid'] ?? ''), tenantId: this.tenantId, audience } };
  }
}

function stripSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

/** ARM prints times in .NET's invariant general format: 1/5/2026 3:04:05 PM. */
function dotNetTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const hours = d.getUTCHours();
  const h12 = hours % 12 === 0 ? 12 : hours % 12;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}
