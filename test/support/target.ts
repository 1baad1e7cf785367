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
