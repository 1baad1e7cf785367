import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '#infra/build-app.ts';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export interface SynthesizedStack {
  stackName: string;
  template: CfnTemplate;
  /** The cloud assembly directory; asset paths in the template's metadata are relative to it. */
  assemblyDir: string;
}

export interface SynthesizeOptions {
  stage: string;
  outdir: string;
  processorApiUrl: string;
  context?: Record<string, string>;
  /**
   * Keep the cloud assembly here, keyed by a hash of everything that shapes it (the options, the
   * functions' and infra's sources, the lockfile): while none of it changes, the next synth is a
   * read of the kept templates and bundles. `npm start` uses it; tests synthesize afresh.
   */
  cacheDir?: string;
}

/**
 * Synthesizes the CDK app in-process, exactly as `cdk synth` would (cdk-nag included), and
 * returns its stacks' templates in deployment order. The local runner knows nothing about
 * oncepay beyond what these templates say.
 */
export function synthesize(options: SynthesizeOptions): SynthesizedStack[] {
  if (!options.cacheDir) return synthesizeAfresh(options);
  const kept = join(options.cacheDir, synthKey(options));
  if (existsSync(join(kept, KEPT_STACKS_FILE))) return readKeptAssembly(kept);
  const stacks = synthesizeAfresh(options);
  keepAssembly(stacks, kept, options.cacheDir);
  return readKeptAssembly(kept);
}

/** Lists the kept assembly's stacks in order; their templates and assets are in the same directory. */
const KEPT_STACKS_FILE = 'oncepay-stacks.json';
/** Assemblies kept at once: older ones are removed (each is a few megabytes of bundles). */
const KEPT_ASSEMBLIES = 3;
const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** What a synthesized assembly depends on, besides the options. */
const SYNTH_INPUTS = ['functions', 'infra', 'package.json', 'package-lock.json', 'cdk.json', 'tsconfig.json'];

function synthKey(options: SynthesizeOptions): string {
  const hash = createHash('sha256').update(JSON.stringify({ stage: options.stage, processorApiUrl: options.processorApiUrl, context: options.context ?? {} }));
  const visit = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry));
      return;
    }
    hash.update(relative(REPOSITORY_ROOT, path)).update('\0').update(readFileSync(path)).update('\0');
  };
  for (const input of SYNTH_INPUTS) visit(join(REPOSITORY_ROOT, input));
  return hash.digest('hex').slice(0, 32);
}

function keepAssembly(stacks: SynthesizedStack[], kept: string, cacheDir: string): void {
  mkdirSync(cacheDir, { recursive: true });
  const staging = `${kept}.${process.pid}.partial`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(stacks[0]?.assemblyDir ?? '', staging, { recursive: true });
  writeFileSync(join(staging, KEPT_STACKS_FILE), JSON.stringify(stacks.map((stack) => ({ stackName: stack.stackName, template: stack.template }))));
  // A rename is atomic: another process sees the whole assembly or none.
  if (existsSync(kept)) rmSync(staging, { recursive: true, force: true });
  else renameSync(staging, kept);
  const others = readdirSync(cacheDir)
    .filter((name) => name !== relative(cacheDir, kept) && !name.endsWith('.partial'))
    .map((name) => ({ path: join(cacheDir, name), at: statSync(join(cacheDir, name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of others.slice(KEPT_ASSEMBLIES - 1)) rmSync(old.path, { recursive: true, force: true });
}

function readKeptAssembly(kept: string): SynthesizedStack[] {
  const stacks = JSON.parse(readFileSync(join(kept, KEPT_STACKS_FILE), 'utf8')) as Array<{ stackName: string; template: CfnTemplate }>;
  return stacks.map((stack) => ({ ...stack, assemblyDir: kept }));
}

function synthesizeAfresh(options: SynthesizeOptions): SynthesizedStack[] {
  const { app } = buildApp(options);
  const assembly = app.synth();
  const pending = [...assembly.stacks];
  const ordered: typeof pending = [];
  while (pending.length > 0) {
    const ready = pending.findIndex((stack) =>
      stack.dependencies.every((dependency) => !pending.some((other) => other.id === dependency.id)),
    );
    if (ready < 0) throw new UnsupportedTemplateError('Cyclic stack dependencies');
    ordered.push(...pending.splice(ready, 1));
  }
  return ordered.map((artifact) => ({
    stackName: artifact.stackName,
    template: JSON.parse(readFileSync(join(assembly.directory, artifact.templateFile), 'utf8')) as CfnTemplate,
    assemblyDir: assembly.directory,
  }));
}

/** Resources of one type, as [logicalId, resource] pairs. */
export function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export class UnsupportedTemplateError extends Error {}

/** Values that `Ref` and `Fn::GetAtt` produce for one resource once it exists locally. */
export interface PhysicalResource {
  ref: string;
  attributes: Record<string, string>;
}

/**
 * Resolves the CloudFormation intrinsics CDK emits (`Ref`, `Fn::GetAtt`, `Fn::Join`,
 * `Fn::Select`, `Fn::Split`, `Fn::Sub`, `Fn::ImportValue`) against the local physical resources.
 */
export class IntrinsicResolver {
  private readonly physical = new Map<string, PhysicalResource>();

  constructor(
    private readonly pseudo: { region: string; accountId: string },
    /** Exports of the stacks deployed before this one, for `Fn::ImportValue`. */
    private readonly exports: Map<string, string> = new Map(),
  ) {}

  register(logicalId: string, resource: PhysicalResource): void {
    this.physical.set(logicalId, resource);
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(first[0], first[1]);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string' && typeof resolved !== 'number') {
      throw new UnsupportedTemplateError(`Expected a string, got ${JSON.stringify(resolved)}`);
    }
    return String(resolved);
  }

  private intrinsic(name: string, argument: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = argument as [string, string];
        const value = this.lookup(logicalId).attributes[attribute];
        if (value === undefined) throw new UnsupportedTemplateError(`No attribute ${attribute} on ${logicalId}`);
        return value;
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return parts.map((part) => this.resolveString(part)).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [number, unknown];
        return (this.resolve(list) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return this.resolveString(source).split(separator);
      }
      case 'Fn::ImportValue': {
        const name = this.resolveString(argument);
        const value = this.exports.get(name);
        if (value === undefined) throw new UnsupportedTemplateError(`No stack exports ${name}`);
        return value;
      }
      case 'Fn::Sub':
        return String(argument).replace(/\$\{([^}]+)\}/g, (_, name: string) =>
          name.includes('.') ? this.resolveString({ 'Fn::GetAtt': name.split('.') }) : this.ref(name),
        );
      default:
        throw new UnsupportedTemplateError(`The local runner does not support ${name}`);
    }
  }

  private ref(name: string): string {
    switch (name) {
      case 'AWS::Region':
        return this.pseudo.region;
      case 'AWS::AccountId':
        return this.pseudo.accountId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return 'local';
      default:
        return this.lookup(name).ref;
    }
  }

  private lookup(logicalId: string): PhysicalResource {
    const resource = this.physical.get(logicalId);
    if (!resource) throw new UnsupportedTemplateError(`Resource ${logicalId} has not been created locally`);
    return resource;
  }
}
