import { EmulatorHttpError } from '../http/router';
import type { EmulatorResponse, RouteHandler } from '../http/router';

/**
 * An Azure ML service error: the service answers its own failures (validation, missing assets, conflicts) with the
 * top-level code `UserError`, unlike ARM's (ResourceGroupNotFound, ResourceNotFound) which carry the reason in `code`.
 * (The service adds an `innerError`; the 2022-10-01 ErrorResponse schema has none, and recorded traffic is validated
 * against it, so the emulator leaves it out.)
 */
export function userError(status: number, message: string): EmulatorHttpError {
  return new EmulatorHttpError(status, 'UserError', message);
}

export const badRequest = (message: string): EmulatorHttpError => userError(400, message);
export const notFound = (message: string): EmulatorHttpError => userError(404, message);
export const conflict = (message: string): EmulatorHttpError => userError(409, message);

/** The ARM error envelope (common-types ErrorResponse). */
export function armErrorBody(error: EmulatorHttpError): Record<string, unknown> {
  return { error: { code: error.code, message: error.message, details: [], additionalInfo: [] } };
}

/**
 * Wraps an `arm` handler so its errors get the full envelope (details, additionalInfo) as Azure ML sends it; the
 * platform would also turn a bare EmulatorHttpError into the envelope, with code and message only.
 */
export function armHandler(handler: RouteHandler): RouteHandler {
  return async (req) => {
    try {
      return await handler(req);
    } catch (error) {
      if (error instanceof EmulatorHttpError) return { status: error.status, headers: error.headers, body: armErrorBody(error) };
      throw error;
    }
  };
}

/** MLflow REST error codes (databricks ErrorCode) and the HTTP status MLflow answers them with. */
export type MlflowErrorCode = 'RESOURCE_DOES_NOT_EXIST' | 'INVALID_PARAMETER_VALUE' | 'BAD_REQUEST' | 'RESOURCE_ALREADY_EXISTS';

export class MlflowError extends Error {
  constructor(
    readonly errorCode: MlflowErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return this.errorCode === 'RESOURCE_DOES_NOT_EXIST' ? 404 : 400;
  }
}

/** Wraps an MLflow handler so failures come back as `{ error_code, message }`, as the MLflow server answers. */
export function mlflowHandler(handler: RouteHandler): RouteHandler {
  return async (req) => {
    try {
      return await handler(req);
    } catch (error) {
      if (error instanceof MlflowError) return mlflowErrorResponse(error.status, error.errorCode, error.message);
      if (error instanceof EmulatorHttpError) {
        return mlflowErrorResponse(error.status, error.status === 404 ? 'RESOURCE_DOES_NOT_EXIST' : 'BAD_REQUEST', error.message);
      }
      throw error;
    }
  };
}

function mlflowErrorResponse(status: number, errorCode: string, message: string): EmulatorResponse {
  return { status, body: { error_code: errorCode, message } };
}
