/**
 * Issue 22, item 7 in the template: the key that seals webhook signing secrets (stateful,
 * rotated, kept where the stage is kept), used by the WebhookEndpoints and Deliver functions
 * only and only under an endpoint's encryption context; EventsApi reads event items only; the
 * roll route and its throttle.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { stageConfig } from '#infra/stage-config.ts';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
const actionsOf = (statement: Statement) => [statement.Action].flat();

/** Each function's IAM statements, by the function's logical id. */
function statementsByFunction(service: Template): Map<string, Statement[]> {
  const roleToFunction = new Map<string, string>();
  for (const [logicalId, fn] of Object.entries(service.findResources('AWS::Lambda::Function'))) {
    const role = (fn['Properties']['Role'] as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
    if (role) roleToFunction.set(role, logicalId);
  }
  const statements = new Map<string, Statement[]>();
  for (const policy of Object.values(service.findResources('AWS::IAM::Policy'))) {
    for (const role of policy['Properties']['Roles'] as Array<{ Ref: string }>) {
      const fn = roleToFunction.get(role.Ref);
      if (!fn) continue;
      statements.set(fn, [...(statements.get(fn) ?? []), ...(policy['Properties']['PolicyDocument']['Statement'] as Statement[])]);
    }
  }
  return statements;
}

const functionNamed = (statements: Map<string, Statement[]>, prefix: string) => {
  const match = [...statements.keys()].filter((logicalId) => logicalId.startsWith(prefix));
  expect(match).toHaveLength(1);
  return statements.get(match[0] as string) ?? [];
};

describe.each(['local', 'prod'])('webhook secrets in the %s stacks', (stage) => {
  const config = stageConfig(stage);
  let stateful: Template;
  let service: Template;
  let statements: Map<string, Statement[]>;

  beforeAll(() => {
    // A kept stage pages someone or does not synthesize.
    const context: Record<string, string> = stage === 'prod' ? { alarmEmails: 'oncall@example.com' } : {};
    const app = buildApp({ stage, outdir: mkdtempSync(join(tmpdir(), 'oncepay-infra-')), context });
    stateful = Template.fromStack(app.stateful);
    service = Template.fromStack(app.service);
    statements = statementsByFunction(service);
  });

  it('seals them with one customer-managed key in the stateful stack, rotated, retained where the stage is kept', () => {
    // A kept stage's stateful stack also holds its backup vault's key.
    const keys = Object.entries(stateful.findResources('AWS::KMS::Key'))
      .filter(([logicalId]) => logicalId.includes('WebhookSecretsKey'))
      .map(([, key]) => key);
    expect(keys).toHaveLength(1);
    expect(keys[0]?.['Properties']).toMatchObject({ EnableKeyRotation: true });
    expect(keys[0]?.['DeletionPolicy']).toBe(config.disposable ? 'Delete' : 'Retain');
    // Its policy lets only the stage's service roles Decrypt (an administrator's kms:* does not open a secret).
    const statements = keys[0]?.['Properties']['KeyPolicy']['Statement'] as Array<{ Sid: string; Action: string | string[]; Condition?: unknown }>;
    const decrypting = statements.filter((statement) => [statement.Action].flat().some((action) => action === 'kms:Decrypt' || action === 'kms:*'));
    expect(decrypting.map((statement) => statement.Sid)).toEqual(['OpenOnlyFromTheService']);
    expect(JSON.stringify(decrypting[0]?.Condition)).toContain(`:role/OncePay-${stage}-Service-*`);
    // The service stack's own keys (the alarm topic's) are not it: a service redeploy never touches it.
    expect(Object.keys(service.findResources('AWS::KMS::Key')).filter((logicalId) => logicalId.includes('WebhookSecrets'))).toEqual([]);
  });

  it('lets only WebhookEndpoints (Encrypt, Decrypt) and Deliver (Decrypt) use it, under an endpoint’s encryption context', () => {
    const kmsUsers = [...statements].flatMap(([fn, list]) =>
      list.filter((statement) => actionsOf(statement).some((action) => action.startsWith('kms:'))).map((statement) => ({ fn, statement })),
    );
    expect(kmsUsers.map(({ fn, statement }) => `${fn.replace(/^Service/, '').replace(/Function.*$/, '')}: ${actionsOf(statement).sort().join(',')}`).sort()).toEqual([
      'Deliver: kms:Decrypt',
      'WebhookEndpoints: kms:Decrypt,kms:Encrypt',
    ]);
    for (const { statement } of kmsUsers) {
      expect(statement.Condition).toEqual({
        StringLike: { 'kms:EncryptionContext:oncepay_webhook_endpoint': 'we_*', 'kms:EncryptionContext:oncepay_merchant': '?*' },
      });
      expect(JSON.stringify(statement.Resource)).toMatch(/WebhookSecretsKey/);
    }
    const withKey = Object.entries(service.findResources('AWS::Lambda::Function'))
      .filter(([, fn]) => 'WEBHOOK_SECRETS_KEY_ARN' in (fn['Properties']['Environment']?.['Variables'] ?? {}))
      .map(([logicalId]) => logicalId.replace(/^Service/, '').replace(/Function.*$/, ''));
    expect(withKey.sort()).toEqual(['Deliver', 'WebhookEndpoints']);
  });

  it('lets EventsApi read event items of the webhooks table only, never an endpoint or a roll’s record', () => {
    const eventsApi = functionNamed(statements, 'ServiceEventsApiFunction');
    const tableReads = eventsApi.filter((statement) => actionsOf(statement).some((action) => action === 'dynamodb:GetItem' || action === 'dynamodb:BatchGetItem'));
    const onWebhooks = tableReads.filter((statement) => JSON.stringify(statement.Resource).includes('WebhooksTable'));
    expect(onWebhooks).toHaveLength(1);
    expect(onWebhooks[0]?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EVENT#*'] } });
    // Anything else it may do on that table is a query of the keys-only list index.
    for (const statement of eventsApi.filter((s) => JSON.stringify(s.Resource).includes('WebhooksTable') && !onWebhooks.includes(s))) {
      expect(actionsOf(statement)).toEqual(['dynamodb:Query']);
      expect(JSON.stringify(statement.Resource)).toMatch(/\/index\/merchant-lists/);
    }
  });

  it('routes POST /v1/webhook_endpoints/{id}/roll_secret to the WebhookEndpoints function with its own throttle', () => {
    const resources = service.findResources('AWS::ApiGateway::Resource');
    const roll = Object.entries(resources).find(([, resource]) => resource['Properties']['PathPart'] === 'roll_secret');
    expect(roll).toBeDefined();
    const methods = Object.values(service.findResources('AWS::ApiGateway::Method')).filter(
      (method) => JSON.stringify(method['Properties']['ResourceId']) === JSON.stringify({ Ref: roll?.[0] }),
    );
    expect(methods.map((method) => method['Properties']['HttpMethod'])).toEqual(['POST']);
    expect(JSON.stringify(methods[0]?.['Properties']['Integration'])).toMatch(/WebhookEndpointsFunction/);
    const [stageResource] = Object.values(service.findResources('AWS::ApiGateway::Stage'));
    const settings = stageResource?.['Properties']['MethodSettings'] as Array<{ ResourcePath: string; HttpMethod: string; ThrottlingRateLimit?: number }>;
    expect(settings.find((setting) => setting.ResourcePath === '/~1v1~1webhook_endpoints~1{id}~1roll_secret' && setting.HttpMethod === 'POST')).toMatchObject({
      ThrottlingRateLimit: Math.max(1, Math.floor(config.api.throttleRatePerSecond * 0.05)),
    });
  });
});
