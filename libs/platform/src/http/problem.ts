import {
  ArgumentsHost,
  Catch,
  HttpException,
  HttpStatus,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from '@storeloop/observability';

/** The JSON body of every error answer: a stable code clients can branch on, and a message for people. */
export interface ProblemBody {
  code: string;
  message: string;
  [detail: string]: unknown;
}

/** An HTTP error with a stable code (`INGEST.BODY_MALFORMED`), optional details and headers. */
export class HttpProblem extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super({ code, message, ...details }, status);
  }
}

const STATUS_CODES: Record<number, string> = {
  [HttpStatus.BAD_REQUEST]: 'HTTP.BAD_REQUEST',
  [HttpStatus.UNAUTHORIZED]: 'HTTP.UNAUTHORIZED',
  [HttpStatus.FORBIDDEN]: 'HTTP.FORBIDDEN',
  [HttpStatus.NOT_FOUND]: 'HTTP.NOT_FOUND',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'HTTP.METHOD_NOT_ALLOWED',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'HTTP.PAYLOAD_TOO_LARGE',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'HTTP.UNSUPPORTED_MEDIA_TYPE',
  [HttpStatus.TOO_MANY_REQUESTS]: 'HTTP.RATE_LIMITED',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'HTTP.UNAVAILABLE',
};

/**
 * Every error leaves as `{ code, message, ... }`. Unexpected errors are logged
 * with their stack and answered 500 without internals (no stack, no secrets).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const response = host.switchToHttp().getResponse<Response>();
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let body: ProblemBody = { code: 'HTTP.INTERNAL', message: 'internal error' };
    if (exception instanceof HttpProblem) {
      status = exception.getStatus();
      body = exception.getResponse() as ProblemBody;
      for (const [name, value] of Object.entries(exception.headers)) response.setHeader(name, value);
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const original = exception.getResponse();
      // Keep structured bodies (e.g. /health/ready's details) and add the code.
      body = {
        ...(typeof original === 'object' && original !== null ? original : {}),
        code: STATUS_CODES[status] ?? `HTTP.${status}`,
        message: exception.message,
      };
    } else if (isBodyParserError(exception)) {
      status = exception.status;
      body = {
        code: status === 413 ? 'HTTP.PAYLOAD_TOO_LARGE' : STATUS_CODES[status] ?? `HTTP.${status}`,
        message: exception.expose ? exception.message : 'request body rejected',
      };
    } else {
      this.logger.error({ err: exception }, 'unhandled error in request');
    }
    if (!response.headersSent) response.status(status).json(body);
  }
}

function isBodyParserError(error: unknown): error is { status: number; expose: boolean; message: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { status?: unknown }).status === 'number' &&
    typeof (error as { type?: unknown }).type === 'string'
  );
}
