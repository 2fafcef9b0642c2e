/**
 * Reports whether the tests run in CI. CI services set CI=true, but a developer may
 * set CI=false or CI=0 to run as on their own machine, so an empty value, "false"
 * and "0" (in any case, around whitespace) count as not CI.
 */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}
