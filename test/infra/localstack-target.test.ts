import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { buildApp } from '../../infra/build-app.ts';
import { RECONCILER_RESERVED_CONCURRENCY } from '../../infra/service.ts';
import { applyWhatLocalStackDrops, LOCALSTACK_CONTEXT } from '../../scripts/localstack-fixups.ts';

/** What `npm run localstack:deploy` relies on, checked without Docker (no machine here runs it). */
describe('the LocalStack compose file', () => {
  const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');

  it('pins the last token-free image, 4.14.0', () => {
    expect(compose).toContain('image: ${LOCALSTACK_IMAGE:-localstack/localstack:4.14.0}');
  });

  it('lets the arm64 functions run on an x86 host', () => {
    expect(compose).toMatch(/^\s+- LAMBDA_IGNORE_ARCHITECTURE=1$/m);
  });

  it('serves every AWS service the synthesized stacks use (deployed without CodeDeploy, which the free image lacks)', () => {
    const services = new Set(/SERVICES=([a-z0-9,]+)/.exec(compose)?.[1]?.split(',') ?? []);
    const { stateful, service } = buildApp({ context: { ...LOCALSTACK_CONTEXT } });
    const used = new Set<string>();
    for (const stack of [stateful, service]) {
      const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string }> };
      for (const { Type } of Object.values(template.Resources)) {
        const name = Type.split('::')[1]?.toLowerCase() ?? '';
        if (name !== 'cdk') used.add(name);
      }
    }
    const missing = [...used].filter((name) => !services.has(name));
    expect([...used]).toEqual(expect.arrayContaining(['apigateway', 'lambda', 'dynamodb', 'sqs']));
    expect(missing).toEqual([]);
  });
});

describe('npm run localstack:deploy', () => {
  it('sets the reconciler’s reserved concurrency, which LocalStack’s CloudFormation drops, to the template’s value (the others only guard an account’s share)', async () => {
    const sent: unknown[] = [];
    const lines = await applyWhatLocalStackDrops({ send: (command: unknown) => Promise.resolve(sent.push(command)) } as never, {
      ReconcilerFunctionName: 'OncePay-dev-Service-Reconciler-abc',
    });
    const { service } = buildApp({ context: { ...LOCALSTACK_CONTEXT } });
    const reconciler = Object.entries(Template.fromStack(service).findResources('AWS::Lambda::Function')).find(([id]) => id.includes('ReconcilerFunction'));
    expect(reconciler?.[1]['Properties']['ReservedConcurrentExecutions']).toBe(RECONCILER_RESERVED_CONCURRENCY);
    expect(sent).toEqual([expect.any(PutFunctionConcurrencyCommand)]);
    expect((sent[0] as PutFunctionConcurrencyCommand).input).toEqual({
      FunctionName: 'OncePay-dev-Service-Reconciler-abc',
      ReservedConcurrentExecutions: RECONCILER_RESERVED_CONCURRENCY,
    });
    expect(lines).toHaveLength(1);
  });
});
