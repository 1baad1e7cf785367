/** The one-line complaint for a Node.js `version`, or `undefined` when it is new enough (see require-node22.mjs). */
export function nodeVersionProblem(version: string, minimum?: string): string | undefined;
