import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { bearerSecretKey, keyIdFor, keyMatches, type StoredApiKey } from '#domain/api-key.ts';

export interface AuthorizerDeps {
  findKey: (keyId: string) => Promise<StoredApiKey | undefined>;
  logger: Logger;
}

/** API Gateway answers 401 when a Lambda authorizer fails with exactly this message. */
const UNAUTHORIZED = 'Unauthorized';

/**
 * REQUEST authorizer on the `Authorization` header. Allows the whole API for a valid,
 * unrevoked secret key and passes the merchant id on in the request context; the result
 * is cached by API Gateway per header value, so the policy must not be method-specific.
 */
export function authorizerHandler(deps: AuthorizerDeps) {
  return async (event: APIGatewayRequestAuthorizerEvent, context: Context): Promise<APIGatewayAuthorizerResult> => {
    deps.logger.addContext(context);
    const authorization = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
    const secretKey = bearerSecretKey(authorization);
    if (!secretKey) throw new Error(UNAUTHORIZED);
    const keyId = keyIdFor(secretKey);
    const stored = await deps.findKey(keyId);
    if (!stored || !keyMatches(stored, secretKey)) {
      deps.logger.info('Rejected a secret key', { keyId, known: stored !== undefined });
      throw new Error(UNAUTHORIZED);
    }
    return {
      principalId: stored.merchantId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeStageArn(event.methodArn) }],
      },
      context: { merchantId: stored.merchantId, keyId },
    };
  };
}

/** `arn:…:apiId/stage/METHOD/path` → `arn:…:apiId/stage/*`. */
function wholeStageArn(methodArn: string): string {
  const [prefix, apiId, stage] = methodArn.split('/');
  return `${prefix}/${apiId}/${stage}/*`;
}
