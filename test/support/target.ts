import { describe, inject, it } from 'vitest';

/**
 * Tests that only the embedded stack can run: they inject faults through the local runner's
 * proxy, call handlers in-process against the emulators, or need its Lambda Invoke endpoint.
 * Their names say why they are skipped elsewhere.
 */
export const describeEmbedded = (name: string, body: () => void) =>
  describe.skipIf(!inject('capabilities').embedded)(`${name} [embedded only: fault injection and the local runner]`, body);

/** Tests that need the processor sandbox's fault tokens (pm_sandbox_…): not on AWS, where the processor is Stripe. */
export const itWithSandboxTokens = (name: string, body: () => Promise<void>, timeoutMs?: number) =>
  it.skipIf(!inject('capabilities').sandboxTokens)(`${name} [needs the processor sandbox]`, body, timeoutMs);

/**
 * What LocalStack's free image (4.14.0) does not do that a test checks, with where its source
 * says so (paths in localstack/localstack at v4.14.0; see the LocalStack table in docs/localstack.md).
 */
export const LOCALSTACK_LACKS = {
  gatewayResponseBodies:
    'LocalStack applies a gateway response’s status but not its templates or headers (TODOs in ' +
    'localstack-core/localstack/services/apigateway/next_gen/execute_api/handlers/gateway_exception.py)',
} as const;

/**
 * A test of the problem+json bodies API Gateway answers itself (unknown route, throttling): a REST
 * API's gateway responses. Skipped where there are none, with the reason in its name: on LocalStack
 * (see {@link LOCALSTACK_LACKS}) and behind an HTTP API, which has no gateway responses to configure.
 */
export const itWithGatewayProblemBodies = (name: string, body: () => Promise<void>) => {
  const onLocalStack = inject('target') === 'localstack';
  const reason = onLocalStack ? `not on LocalStack: ${LOCALSTACK_LACKS.gatewayResponseBodies}` : 'REST API only: an HTTP API answers its own errors as {"message": …}';
  return it.skipIf(onLocalStack || inject('capabilities').apiType === 'http')(`${name} [${reason}]`, body);
};
