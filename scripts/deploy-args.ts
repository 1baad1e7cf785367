/**
 * Reads the stage out of `cdk deploy` arguments, every way the CDK CLI takes context:
 * `--context stage=prod`, `--context=stage=prod`, `-c stage=prod` and `-c=stage=prod`.
 */

export class DeployArgsError extends Error {}

/** Every `stage=` context value in the arguments, in order. */
export function stageContextValues(args: readonly string[]): string[] {
  const values: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    let context: string | undefined;
    if (arg === '--context' || arg === '-c') {
      context = args[index + 1];
      index += 1;
    } else {
      context = /^(?:--context|-c)=(.*)$/s.exec(arg)?.[1];
    }
    if (context?.startsWith('stage=')) values.push(context.slice('stage='.length));
  }
  return values;
}

/**
 * The one stage the arguments name, or `fallback` (cdk.json's) when they name none.
 * Throws {@link DeployArgsError} when they name two different stages.
 */
export function deployStage(args: readonly string[], fallback: string | undefined): { stage: string | undefined; fromArgs: boolean } {
  const distinct = [...new Set(stageContextValues(args))];
  if (distinct.length > 1) throw new DeployArgsError(`two different stages given (${distinct.join(' and ')}); pass exactly one --context stage=<name>`);
  return distinct.length === 1 ? { stage: distinct[0], fromArgs: true } : { stage: fallback, fromArgs: false };
}
