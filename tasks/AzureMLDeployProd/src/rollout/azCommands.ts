/**
 * The az ml commands an error gives when a rollback could not finish and no rollout record lets action reject finish
 * it (a first deployment): ready to copy, with the endpoint, resource group and workspace named.
 */
import { sameName, shareOf, type Split, type TrafficState } from './traffic';

/** Where the rollout runs. */
export interface AzTarget {
  readonly endpointName: string;
  readonly resourceGroup: string;
  readonly workspaceName: string;
}

/** Puts `before` back: every deployment `now` names and `before` does not gets 0, so the command sets the whole split. */
export function azSetTraffic(target: AzTarget, before: TrafficState, now: TrafficState | undefined): string {
  const mirror = splitArgument(before.mirror, now?.mirror);
  return `az ml online-endpoint update --name ${target.endpointName} --traffic "${splitArgument(before.traffic, now?.traffic)}"${mirror ? ` --mirror-traffic "${mirror}"` : ''} ${scope(target)}`;
}

export function azDeleteDeployment(target: AzTarget, name: string): string {
  return `az ml online-deployment delete --name ${name} --endpoint-name ${target.endpointName} ${scope(target)} --yes`;
}

export function azDeleteEndpoint(target: AzTarget): string {
  return `az ml online-endpoint delete --name ${target.endpointName} ${scope(target)} --yes`;
}

/** `blue=90 green=10`, as --traffic takes it. */
function splitArgument(wanted: Split, found: Split | undefined): string {
  const extra = Object.keys(found ?? {}).filter((name) => !Object.keys(wanted).some((other) => sameName(other, name)));
  return [...Object.keys(wanted), ...extra].map((name) => `${name}=${shareOf(wanted, name)}`).join(' ');
}

function scope(target: AzTarget): string {
  return `--resource-group ${target.resourceGroup} --workspace-name ${target.workspaceName}`;
}
