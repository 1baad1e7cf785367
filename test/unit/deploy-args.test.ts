import { describe, expect, it } from 'vitest';
import { DeployArgsError, deployStage } from '../../scripts/deploy-args.ts';

describe('npm run deploy reads the stage every way the CDK CLI takes context', () => {
  it.each([
    [['--context', 'stage=prod']],
    [['--context=stage=prod']],
    [['-c', 'stage=prod']],
    [['-c=stage=prod']],
    [['--require-approval', 'never', '-c', 'other=1', '--context=stage=prod', '--hotswap']],
    [['--context', 'stage=prod', '-c', 'stage=prod']],
  ])('%j → prod', (args) => {
    expect(deployStage(args, 'dev')).toEqual({ stage: 'prod', fromArgs: true });
  });

  it('falls back to cdk.json’s stage when the arguments name none (and a value "stage=…" of another option is not one)', () => {
    expect(deployStage(['--profile', 'stage=prod', '-c', 'processorApiUrl=https://x'], 'dev')).toEqual({ stage: 'dev', fromArgs: false });
  });

  it('refuses two different stages, naming both', () => {
    expect(() => deployStage(['--context=stage=prod', '-c', 'stage=dev'], undefined)).toThrow(DeployArgsError);
    expect(() => deployStage(['--context=stage=prod', '-c', 'stage=dev'], undefined)).toThrow(/prod and dev/);
  });
});
