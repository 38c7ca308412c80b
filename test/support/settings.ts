/** An environment that sets only `vars`, as the settings readers see a deployment that sets nothing else. */
export function onlySettings(vars: Record<string, string> = {}): Env {
  return vars as unknown as Env;
}
