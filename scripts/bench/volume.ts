/**
 * What a user pays each month at a given volume of charges: the measured per-charge costs (X-Ray
 * at that volume's sampling), the stage's fixed costs, Lambda's billed INIT, and the records the
 * charges leave behind — storage, point-in-time recovery and backups over their retention.
 */
import type { StageConfig } from '#infra/stage-config.ts';
import type { ColdStart } from './cold-start.ts';
import { allInPerMillion, fixedMonthly, HOURS_PER_MONTH, PRICES, SECONDS_PER_MONTH, GB, type StackFacts } from './cost.ts';
import { MEMORY_MB, type BenchRun, type LevelResult } from './run.ts';
import type { StoredKind } from './storage.ts';

/** The volumes the report prices. */
export const VOLUMES = [1_000_000, 10_000_000, 100_000_000];

const DAYS_PER_YEAR = 365.25;
const DAYS_PER_MONTH = DAYS_PER_YEAR / 12;
/**
 * AWS documents no lifetime for an execution environment, only that environments are replaced
 * from time to time; assumed here: each concurrent environment is replaced every two hours.
 */
export const ENVIRONMENT_LIFETIME_HOURS = 2;

/** The money records, kept for the stage's record retention (the run's items carry the local stage's). */
const RECORD_KINDS = ['CHARGE#', 'REFUND#', 'DISPUTE#'];

/** One kind of item per charge, with how long it is kept in the priced stage. */
export interface KeptRecord {
  kind: string;
  /** Billed bytes per charge in the table (data and overhead) and in its indexes. */
  tableBytes: number;
  indexBytes: number;
  keptMonths: number;
}

/**
 * Per charge, what stays stored: charges, refunds and disputes for the priced stage's record
 * retention; every other item (events, delivery attempts, Stripe's events) for its own measured
 * lifetime (`purge_at` − `created_at`: 30 or 31 days).
 */
export function keptRecords(storage: StoredKind[], charges: number, config: StageConfig): KeptRecord[] {
  // Kinds with one item per merchant or per stage (endpoints, the events cursor) do not grow with the charges.
  return storage
    .filter((kind) => kind.items >= charges / 10)
    .map((kind) => ({
      kind: `${kind.table}: ${kind.kind}`,
      tableBytes: kind.bytes / charges,
      indexBytes: kind.indexBytes / charges,
      keptMonths: (RECORD_KINDS.includes(kind.kind) ? config.chargeRecordRetentionDays : (kind.keptDays ?? config.chargeRecordRetentionDays)) / DAYS_PER_MONTH,
    }));
}

/**
 * USD per charge, each month, once the tables hold a whole retention of records (the steady
 * state): storage of the items and their index copies, PITR on the table data, and every
 * backup point of the stage's plan, each a whole copy of the tables (indexes are not backed up).
 */
export function keptRecordsPerCharge(records: KeptRecord[], facts: StackFacts, config: StageConfig): { storage: number; pitr: number; backups: number; gbMonthsTable: number } {
  const gbMonthsTable = records.reduce((sum, record) => sum + (record.tableBytes * record.keptMonths) / GB, 0);
  const gbMonthsIndexes = records.reduce((sum, record) => sum + (record.indexBytes * record.keptMonths) / GB, 0);
  const storage = (gbMonthsTable + gbMonthsIndexes) * PRICES.dynamodbStoragePerGbMonth;
  const pitr = facts.pitrTables > 0 ? gbMonthsTable * PRICES.dynamodbPitrPerGbMonth : 0;
  const plan = config.backup;
  let backups = 0;
  if (plan) {
    // Points kept at once, each warm until it moves to cold storage.
    const monthlyPoints = plan.monthlyRetentionDays / DAYS_PER_MONTH;
    const warmMonthlyPoints = Math.min(monthlyPoints, plan.monthlyColdStorageAfterDays / DAYS_PER_MONTH);
    const yearlyPoints = plan.yearly ? plan.yearly.retentionDays / DAYS_PER_YEAR : 0;
    const warmYearlyPoints = plan.yearly ? Math.min(yearlyPoints, plan.yearly.coldStorageAfterDays / DAYS_PER_YEAR) : 0;
    const warmPoints = plan.dailyRetentionDays + warmMonthlyPoints + warmYearlyPoints;
    const coldPoints = monthlyPoints - warmMonthlyPoints + yearlyPoints - warmYearlyPoints;
    backups = gbMonthsTable * (warmPoints * PRICES.backupWarmPerGbMonth + coldPoints * PRICES.backupColdPerGbMonth);
  }
  return { storage, pitr, backups, gbMonthsTable };
}

/**
 * Lambda bills INIT for every cold start (since August 2025): the charge path's functions each
 * keep enough environments for their concurrency at the volume (at least one), each replaced
 * every {@link ENVIRONMENT_LIFETIME_HOURS}; each cold start bills its measured initialisation.
 */
export function initPerMonth(level: LevelResult, coldStarts: ColdStart[], chargesPerMonth: number): { usd: number; coldStarts: number } {
  const invocations = { ...level.lambda.invocationsPerCharge, ...level.statusRead.lambda.invocationsPerRead };
  const totalInvocations = Object.values(level.lambda.invocationsPerCharge).reduce((sum, count) => sum + count, 0);
  const meanSeconds = totalInvocations > 0 ? level.lambda.gbSecondsPerCharge / totalInvocations / (MEMORY_MB / 1024) : 0.1;
  let usd = 0;
  let starts = 0;
  for (const [name, perCharge] of Object.entries(invocations)) {
    const perSecond = (perCharge * chargesPerMonth) / SECONDS_PER_MONTH;
    const environments = Math.max(1, Math.ceil(perSecond * meanSeconds));
    const coldStartsPerMonth = environments * (HOURS_PER_MONTH / ENVIRONMENT_LIFETIME_HOURS);
    const initMs = coldStarts.find((cold) => cold.function === name)?.initMs ?? 0;
    starts += coldStartsPerMonth;
    usd += coldStartsPerMonth * (initMs / 1000) * (MEMORY_MB / 1024) * PRICES.lambdaPerGbSecond;
  }
  return { usd, coldStarts: starts };
}

export interface VolumeRow {
  chargesPerMonth: number;
  /** USD per month. */
  charges: number;
  fixed: number;
  init: number;
  keptRecords: number;
  total: number;
  /** USD per million charges, all of it. */
  perMillion: number;
}

/** The month's bill at each volume, in the steady state of the records. */
export function byVolume(run: BenchRun, level: LevelResult, facts: StackFacts, config: StageConfig, coldStarts: ColdStart[], measuredShards: number): VolumeRow[] {
  const monthly = fixedMonthly(run, facts, measuredShards).total;
  const kept = keptRecordsPerCharge(keptRecords(run.storage, run.totals.charges, config), facts, config);
  const keptPerCharge = kept.storage + kept.pitr + kept.backups;
  return VOLUMES.map((chargesPerMonth) => {
    const millions = chargesPerMonth / 1_000_000;
    const charges = allInPerMillion(level, facts, chargesPerMonth).total * millions;
    const init = initPerMonth(level, coldStarts, chargesPerMonth).usd;
    const keptRecordsUsd = keptPerCharge * chargesPerMonth;
    const total = charges + monthly + init + keptRecordsUsd;
    return { chargesPerMonth, charges, fixed: monthly, init, keptRecords: keptRecordsUsd, total, perMillion: total / millions };
  });
}
