import { processorRequestsPerSecondPerContainer, recordsInFlightPerWorker, type StageConfig } from './stage-config.ts';

/**
 * Stripe requests a charge needs at least, all through the worker's pacer: create the
 * PaymentIntent, confirm it, and retrieve it when Stripe's `payment_intent.*` event arrives
 * (the event's payload decides nothing).
 */
export const STRIPE_REQUESTS_PER_CHARGE = 3;
/** The share of the stage's API throttle that `POST /v1/charges` gets (infra/service.ts). */
export const CREATE_CHARGE_THROTTLE_SHARE = 0.5;
/**
 * Assumed, not measured on AWS: one create-charge invocation's duration. Locally its p50 with
 * the API in front is 30 ms at one client (docs/benchmarks.md); 50 ms leaves room for AWS's network.
 */
export const CREATE_CHARGE_SECONDS = 0.05;
/** Assumed: Stripe's create and confirm at its usual latency (about 300 ms and 800 ms at the median). */
export const STRIPE_SECONDS_PER_CHARGE = 1.1;
/** DynamoDB write units per charge, as `npm run bench` measured them (docs/benchmarks.md). */
export const WRITE_UNITS_PER_CHARGE = 10;
/** What a new on-demand table takes at once before it scales (AWS: 4,000 write request units a second). */
export const ON_DEMAND_INITIAL_WRITES_PER_SECOND = 4_000;

export interface ChargeRateBound {
  bound: string;
  setting: string;
  chargesPerSecond: number;
  /** What to raise, and where, for 1,000 and for 10,000 charges a second. */
  toRaise: string;
}

/**
 * What a stage's config lets it sustain, bound by bound: derived from the config and AWS's and
 * Stripe's documented defaults (not measured on AWS). The lowest is what the stage sustains.
 */
export function chargeRateBounds(config: StageConfig): ChargeRateBound[] {
  const perContainer = processorRequestsPerSecondPerContainer(config);
  const workerRate = Math.min(
    (config.worker.maxConcurrency * recordsInFlightPerWorker(config)) / STRIPE_SECONDS_PER_CHARGE,
    (config.worker.maxConcurrency * perContainer) / STRIPE_REQUESTS_PER_CHARGE,
  );
  return [
    {
      bound: 'Stripe’s request rate',
      setting: `processor.requestsPerSecond ${config.processor.requestsPerSecond}, ${STRIPE_REQUESTS_PER_CHARGE} per charge`,
      chargesPerSecond: Math.floor(config.processor.requestsPerSecond / STRIPE_REQUESTS_PER_CHARGE),
      toRaise: 'ask Stripe for 3,000 (1,000/s) or 30,000 (10,000/s) requests/s, then raise processor.requestsPerSecond',
    },
    {
      bound: 'the worker',
      setting: `worker.maxConcurrency ${config.worker.maxConcurrency} × ${recordsInFlightPerWorker(config)} records, ${STRIPE_SECONDS_PER_CHARGE} s of Stripe each, paced to ${perContainer.toFixed(1)} requests/s per container`,
      chargesPerSecond: Math.floor(workerRate),
      toRaise: 'with Stripe’s rate raised: worker.maxConcurrency 110 (1,000/s) or 1,100 (10,000/s), and concurrency.accountLimit with it',
    },
    {
      bound: 'the API throttle',
      setting: `api.throttleRatePerSecond ${config.api.throttleRatePerSecond}, POST /v1/charges gets ${CREATE_CHARGE_THROTTLE_SHARE * 100}%`,
      chargesPerSecond: config.api.throttleRatePerSecond * CREATE_CHARGE_THROTTLE_SHARE,
      toRaise: 'api.throttleRatePerSecond 2,000 (1,000/s) or 20,000 (10,000/s); past 10,000 requests/s, API Gateway’s regional quota (Service Quotas)',
    },
    ...(config.api.waf
      ? [
          {
            bound: 'the WAF, per client IP',
            setting: `api.waf.rateLimitPer5Minutes ${config.api.waf.rateLimitPer5Minutes}`,
            chargesPerSecond: Math.floor(config.api.waf.rateLimitPer5Minutes / 300),
            toRaise: 'a merchant sending from few IPs: --context wafRateLimit=600000 (1,000/s) or 6000000 (10,000/s) per 5 minutes',
          },
        ]
      : []),
    {
      bound: 'create-charge’s reserved concurrency',
      setting: `concurrency.moneyPathApi ${config.concurrency.moneyPathApi}, ${CREATE_CHARGE_SECONDS * 1000} ms each (assumed)`,
      chargesPerSecond: Math.floor(config.concurrency.moneyPathApi / CREATE_CHARGE_SECONDS),
      toRaise: 'concurrency.moneyPathApi 50 (1,000/s) or 500 (10,000/s), within concurrency.accountLimit (Service Quotas)',
    },
    {
      bound: 'DynamoDB on demand, before it scales',
      setting: `${ON_DEMAND_INITIAL_WRITES_PER_SECOND} write units/s at first, ${WRITE_UNITS_PER_CHARGE} per charge`,
      chargesPerSecond: ON_DEMAND_INITIAL_WRITES_PER_SECOND / WRITE_UNITS_PER_CHARGE,
      toRaise: 'set the tables’ warm throughput to 10,000 (1,000/s) or 100,000 (10,000/s) writes/s; capacity.peakChargesPerSecond sizes the shards',
    },
  ];
}
