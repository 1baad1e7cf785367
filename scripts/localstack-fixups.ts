import { PutFunctionConcurrencyCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { RECONCILER_RESERVED_CONCURRENCY } from '../infra/service.ts';

/**
 * The CDK context `npm run localstack:deploy` deploys with: the dev stage, without CodeDeploy
 * and X-Ray, which LocalStack's free image does not have (the `live` aliases then move at
 * once; the API samples by X-Ray's default rule), and with the REST API (it has no HTTP APIs).
 */
export const LOCALSTACK_CONTEXT = { stage: 'dev', trafficShift: 'none', xraySamplingRule: 'none', apiType: 'rest' } as const;

/**
 * Applies, through the service APIs, the settings LocalStack 4.14's CloudFormation drops but
 * its runtime enforces: the reconciler's reserved concurrency (one pass at a time). The other
 * functions' reservations only protect the money path's share of an account, which LocalStack has not. Its Lambda
 * function provider has no `ReservedConcurrentExecutions`
 * (localstack-core/localstack/services/lambda_/resource_providers/aws_lambda_function.py), while
 * its invocation counter throttles over a reservation set by `PutFunctionConcurrency`
 * (…/lambda_/invocation/counting_service.py). Returns what it did, one line each.
 */
export async function applyWhatLocalStackDrops(lambda: Pick<LambdaClient, 'send'>, outputs: Record<string, string>): Promise<string[]> {
  const reconciler = outputs['ReconcilerFunctionName'];
  if (!reconciler) throw new Error('The deployed stacks have no ReconcilerFunctionName output');
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: reconciler, ReservedConcurrentExecutions: RECONCILER_RESERVED_CONCURRENCY }));
  return [`LocalStack: reserved concurrency ${RECONCILER_RESERVED_CONCURRENCY} set on ${reconciler} (its CloudFormation drops it)`];
}
