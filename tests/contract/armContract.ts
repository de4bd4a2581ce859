import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RecordedExchange } from '@azureml-mlops/emulator';
import { LiveValidator, type LiveValidationIssue, type LiveValidationResult } from 'oav';

/** The official Azure ML REST specification beside the repository (never copied into it). */
export const SPEC_ROOT = resolve(__dirname, '..', '..', '..', '..', 'shared', 'azure-ml-rest');
const SPEC_FOLDER = 'specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-10-01';
/** The api-versions the specification describes: exchanges in other versions are outside the contract. */
export const SPEC_API_VERSIONS: readonly string[] = ['2022-10-01'];

export function specificationAvailable(): boolean {
  return existsSync(join(SPEC_ROOT, SPEC_FOLDER, 'mfe.json'));
}

export interface ContractViolation {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** What broke the contract: the request, the response, or the operation itself (not in the specification). */
  readonly part: 'request' | 'response' | 'operation';
  readonly code: string;
  readonly message: string;
  /** JSON paths in the payload the issue is about. */
  readonly paths: readonly string[];
}

export type ExchangeVerdict =
  | { readonly validated: true; readonly operationId: string; readonly violations: readonly ContractViolation[] }
  | { readonly validated: false; readonly reason: string };

/** Validates recorded ARM exchanges against the specification with Microsoft's oav LiveValidator. */
export class ArmContractValidator {
  private constructor(private readonly validator: LiveValidator) {}

  static async create(): Promise<ArmContractValidator> {
    const validator = new LiveValidator(
      {
        directory: SPEC_ROOT,
        swaggerPathsPattern: [`${SPEC_FOLDER}/*.json`],
        git: { shouldClone: false },
        isPathCaseSensitive: false,
      },
      // oav logs to the console by default; its findings are reported through the results instead.
      () => undefined,
    );
    await validator.initialize();
    return new ArmContractValidator(validator);
  }

  private rememberPollUrls(exchange: RecordedExchange): void {
    const asyncOperation = exchange.responseHeaders['azure-asyncoperation'];
    if (asyncOperation) this.pollUrls.set(pathOf(asyncOperation), 'Azure-AsyncOperation');
    // Only a 202 makes Location an operation result URL (a 201 may name the created resource itself).
    const location = exchange.responseHeaders['location'];
    if (location && exchange.status === 202) this.pollUrls.set(pathOf(location), 'Location');
  }

  /** ARM's LRO protocol: an Azure-AsyncOperation status monitor answers 200 with a `status` (and `error` when Failed). */
  private checkPoll(exchange: RecordedExchange, kind: 'Azure-AsyncOperation' | 'Location'): ExchangeVerdict {
    const operationId = `${kind} poll`;
    if (kind === 'Location' || exchange.status !== 200) return { validated: true, operationId, violations: [] };
    const body = exchange.responseBody as { status?: unknown; error?: unknown } | undefined;
    const violations: ContractViolation[] = [];
    const base = { method: exchange.method, url: exchange.url, status: exchange.status, part: 'response' as const, paths: [] };
    if (typeof body?.status !== 'string') {
      violations.push({ ...base, code: 'LRO_STATUS_MISSING', message: 'An Azure-AsyncOperation status monitor must answer with a string `status`.' });
    } else if (body.status === 'Failed' && (typeof body.error !== 'object' || body.error === null)) {
      violations.push({ ...base, code: 'LRO_ERROR_MISSING', message: 'A Failed operation status must carry an `error` object.' });
    }
    return { validated: true, operationId, violations };
  }

  private readonly swaggers = new Map<string, { definitions?: Record<string, { properties?: Record<string, Record<string, unknown>> }> }>();

  /**
   * A required property marked x-ms-secret missing from a response: AutoRest semantics make secrets request-only
   * (ARM never returns them; datastore credentials.secrets is the case), though the schema lists them as required.
   */
  private omittedSecret(issue: LiveValidationIssue): boolean {
    if (issue.code !== 'OBJECT_MISSING_REQUIRED_PROPERTY') return false;
    const property = Array.isArray(issue.params) ? String(issue.params[0]) : '';
    const definitionName = /^#\/definitions\/(.+)$/.exec(issue.source?.jsonRef ?? '')?.[1];
    if (!issue.source?.url || !definitionName || !property) return false;
    let swagger = this.swaggers.get(issue.source.url);
    if (!swagger) {
      swagger = JSON.parse(readFileSync(join(SPEC_ROOT, issue.source.url), 'utf8')) as typeof swagger & object;
      this.swaggers.set(issue.source.url, swagger);
    }
    return swagger.definitions?.[definitionName]?.properties?.[property]?.['x-ms-secret'] === true;
  }

  /** Status monitor URLs handed out by long-running operations (Azure-AsyncOperation / Location headers). */
  private readonly pollUrls = new Map<string, 'Azure-AsyncOperation' | 'Location'>();

  /**
   * Checks one exchange; exchanges must come in the order they happened, so that polls of a long-running operation
   * are known as such (ARM's LRO protocol, not operations of the specification).
   */
  async check(exchange: RecordedExchange): Promise<ExchangeVerdict> {
    if (exchange.kind !== 'arm') return { validated: false, reason: `not an ARM exchange (${exchange.kind})` };
    if (exchange.status === 0) return { validated: false, reason: 'connection dropped by an injected fault: no response' };
    this.rememberPollUrls(exchange);
    const poll = this.pollUrls.get(pathOf(exchange.url));
    if (poll) return this.checkPoll(exchange, poll);
    const apiVersion = new URL(exchange.url).searchParams.get('api-version');
    if (!apiVersion || !SPEC_API_VERSIONS.includes(apiVersion)) {
      // ARM's own rejection of a missing or unsupported api-version: no operation of the specification applies.
      return { validated: false, reason: `api-version '${apiVersion ?? ''}' is not the specification's` };
    }

    const result = await this.validator.validateLiveRequestResponse({
      liveRequest: { url: exchange.url, method: exchange.method, headers: exchange.requestHeaders, ...jsonBody(exchange.requestBody) },
      liveResponse: { statusCode: String(exchange.status), headers: exchange.responseHeaders, ...jsonBody(exchange.responseBody) },
    });
    const violations: ContractViolation[] = [];
    const base = { method: exchange.method, url: exchange.url, status: exchange.status };
    const runtime = result.runtimeException ?? result.requestValidationResult.runtimeException ?? result.responseValidationResult.runtimeException;
    if (runtime) {
      violations.push({ ...base, part: 'operation', code: runtime.code, message: runtime.message, paths: [] });
      return { validated: true, operationId: 'unknown', violations };
    }
    violations.push(
      ...issues(base, 'request', result.requestValidationResult.errors, result.requestValidationResult.runtimeException),
      ...issues(base, 'response', result.responseValidationResult.errors.filter((i) => !this.omittedSecret(i)), result.responseValidationResult.runtimeException),
    );
    return { validated: true, operationId: result.responseValidationResult.operationInfo.operationId, violations };
  }
}

function issues(
  base: Pick<ContractViolation, 'method' | 'url' | 'status'>,
  part: 'request' | 'response',
  errors: readonly LiveValidationIssue[],
  runtimeException: LiveValidationResult['runtimeException'],
): ContractViolation[] {
  const found: ContractViolation[] = errors.map((issue: LiveValidationIssue) => ({
    ...base,
    part,
    code: issue.code,
    message: issue.message,
    paths: issue.pathsInPayload ?? [],
  }));
  if (runtimeException) {
    found.push({ ...base, part, code: runtimeException.code, message: runtimeException.message, paths: [] });
  }
  return found;
}

/** Path and query, case-insensitively: how a poll request meets the header that announced it. */
function pathOf(url: string): string {
  const parsed = new URL(url, 'https://placeholder/');
  return `${parsed.pathname}${parsed.search}`.toLowerCase();
}

/** oav validates JSON object bodies; other bodies (none, text) are left out. */
function jsonBody(body: unknown): { body?: Record<string, unknown> } {
  return body !== null && typeof body === 'object' && !Buffer.isBuffer(body) ? { body: body as Record<string, unknown> } : {};
}

/** One line per violation: method, URL (path and query; no secrets travel there on ARM), status, what is wrong and where. */
export function describeViolation(v: ContractViolation): string {
  const where = v.paths.length > 0 ? ` at ${v.paths.join(', ')}` : '';
  return `${v.method} ${new URL(v.url).pathname}${new URL(v.url).search} -> ${v.status}: ${v.part} ${v.code}${where}: ${v.message}`;
}
