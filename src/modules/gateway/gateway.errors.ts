import { AppError } from '../../platform/errors.ts';

// The gateway's refusals in OpenAI's vocabulary (`code` is what SDKs and clients switch on).

export const modelNotFound = (model: string) =>
  new AppError('NOT_FOUND', `The model \`${model}\` does not exist or you do not have access to it.`, { openaiCode: 'model_not_found', field: 'model' });

export const modelNotAllowed = (model: string) =>
  new AppError('FORBIDDEN', `This API key may not use the model \`${model}\`.`, { openaiCode: 'model_not_allowed', field: 'model' });

export const operationNotSupported = (model: string, what: string) =>
  new AppError('VALIDATION_FAILED', `The model \`${model}\` does not support ${what}.`, { openaiCode: 'unsupported_operation', field: 'model' });

export const noUpstreamAvailable = (model: string) =>
  new AppError('SERVICE_UNAVAILABLE', `No upstream is available for \`${model}\` right now; retry later.`, { openaiCode: 'upstream_unavailable', openaiType: 'server_error' });

export const upstreamTimeout = () =>
  new AppError('GATEWAY_TIMEOUT', 'The upstream did not answer in time.', { openaiCode: 'upstream_timeout', openaiType: 'server_error' });

export const badUpstreamBody = () =>
  new AppError('BAD_GATEWAY', 'The upstream answered with a body that could not be read.', { openaiCode: 'upstream_error', openaiType: 'server_error' });
