import { spawnSync } from 'node:child_process';

export class JavaMissingError extends Error {}

/** DynamoDB Local 3.x needs Java 17 or newer. Throws {@link JavaMissingError} with one clear line. */
export function requireJava17(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new JavaMissingError(
      'Java 17+ is required for DynamoDB Local and was not found: install a JDK/JRE 17 or newer (e.g. `apt-get install openjdk-17-jre-headless`) and put `java` on PATH.',
    );
  }
  const version = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr || result.stdout);
  const major = version ? Number(version[1] === '1' ? version[2] : version[1]) : 0;
  if (major < 17) {
    throw new JavaMissingError(
      `Java 17+ is required for DynamoDB Local, found Java ${major || 'of unknown version'}: install Java 17 or newer and put it first on PATH.`,
    );
  }
}
