import { LambdaClient } from '@aws-sdk/client-lambda';
import { inject } from 'vitest';
import type { ReconcileReport } from '#domain/reconcile.ts';
import { invokeReconciler } from '../../scripts/cli/invoke-reconciler.ts';
import type { FaultRule } from '../../scripts/local/fault-proxy.ts';

/** Adds fault rules to the stack's fault-injecting proxy. */
export async function injectProxyFaults(...rules: FaultRule[]): Promise<string[]> {
  const response = await fetch(`${inject('faultControlUrl')}/faults`, { method: 'POST', body: JSON.stringify({ rules }) });
  return ((await response.json()) as { ids: string[] }).ids;
}

/** How often each rule has fired, by id. */
export async function firedCounts(): Promise<Map<string, number>> {
  const response = await fetch(`${inject('faultControlUrl')}/faults`);
  const { rules } = (await response.json()) as { rules: Array<{ id: string; fired: number }> };
  return new Map(rules.map((rule) => [rule.id, rule.fired]));
}

const lambda = new LambdaClient({
  region: 'us-east-1',
  endpoint: inject('endpoints').lambda,
  credentials: inject('credentials'),
});

/**
 * Runs one reconciliation pass through the Lambda Invoke API, as `npm run cli -- reconcile`
 * does (waiting for a scheduled pass to end: the reconciler's reserved concurrency is 1).
 */
export async function reconcileNow(): Promise<ReconcileReport> {
  const { payload, failed } = await invokeReconciler(lambda, String(inject('outputs')['ReconcilerFunctionName']));
  if (failed) throw new Error(`reconciler failed: ${payload}`);
  return JSON.parse(payload) as ReconcileReport;
}
