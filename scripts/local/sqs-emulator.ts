import type { AddressInfo } from 'node:net';
import { buildApp } from 'fauxqs';

export interface RunningSqsEmulator {
  endpoint: string;
  stop(): Promise<void>;
}

/** fauxqs, embedded, listening on 127.0.0.1 only (its `startFauxqs` binds every interface). */
export async function startSqsEmulator(region: string): Promise<RunningSqsEmulator> {
  const app = buildApp({ logger: false, defaultRegion: region, host: 'localhost' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, stop: async () => void (await app.close()) };
}
