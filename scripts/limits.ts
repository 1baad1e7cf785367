/** `npm run limits -- [--stage prod]`: what a stage's config sustains, bound by bound (a Markdown table). */
import { chargeRateBounds } from '../infra/limits.ts';
import { stageConfig, StageConfigError, stageNames } from '../infra/stage-config.ts';
import { usageError } from './script-args.ts';

const args = process.argv.slice(2);
const stageAt = args.indexOf('--stage');
if (args.length > 0 && (stageAt !== 0 || args.length !== 2)) usageError(`usage: npm run limits -- [--stage <${stageNames().join('|')}>]`);
const stage = stageAt === 0 ? (args[1] ?? '') : 'prod';
let config;
try {
  config = stageConfig(stage);
} catch (error) {
  if (!(error instanceof StageConfigError)) throw error;
  usageError(error.message);
}
const bounds = chargeRateBounds(config);
const lowest = Math.min(...bounds.map((bound) => bound.chargesPerSecond));
console.log(`Stage ${stage} sustains about ${lowest} charges/s (the lowest bound below; derived from the config and documented defaults, not measured on AWS).\n`);
console.log('| bound | setting | charges/s | to reach 1,000 or 10,000 charges/s |');
console.log('|---|---|---:|---|');
for (const bound of bounds) console.log(`| ${bound.bound} | ${bound.setting} | ${bound.chargesPerSecond} | ${bound.toRaise} |`);
