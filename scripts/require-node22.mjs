// Runs before every npm script that needs Node 22, in plain JavaScript any Node can parse:
// on an older Node the scripts die at their first import (`No such built-in module:
// node:sqlite`) before they could say why. Prints one line and exits 1 when the Node is too old.
// After `npm install` it passes on any machine: the pinned `node` dev dependency puts Node 22 in
// node_modules/.bin, first on the PATH npm gives its scripts.
import { readFileSync } from 'node:fs';
import { pathToFileURL, URL } from 'node:url';

const MINIMUM = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node.replace(/^>=\s*/, '');

/** The one-line complaint for `version` (e.g. "20.19.2"), or undefined when it is new enough. */
export function nodeVersionProblem(version, minimum = MINIMUM) {
  const [major, minor, patch] = version.split('.').map(Number);
  const [wantMajor, wantMinor, wantPatch] = minimum.split('.').map(Number);
  const newEnough = major !== wantMajor ? major > wantMajor : minor !== wantMinor ? minor > wantMinor : patch >= wantPatch;
  if (newEnough) return undefined;
  return (
    `error: oncepay needs Node.js ${minimum} or newer, and this is Node ${version}: ` +
    "run `npm install` first (it puts Node 22 in node_modules/.bin, which npm's scripts use), or `nvm install` (it reads .nvmrc)"
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const problem = nodeVersionProblem(process.versions.node);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
}
