import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { downloadFile, downloadFolder, JobFailure, resolveStorageUri, type BlobLocation } from '../execution/storage';
import type { AzureMlService } from '../service';
import { DeploymentFailure, type DeploymentSpec } from '../endpoints/runtime';

/** Where a deployment's files are, as the inference server is told through its environment. */
export interface DeploymentFiles {
  /** AML_APP_ROOT: the folder holding the code folder (the container's /var/azureml-app). */
  readonly appRoot: string;
  /**
   * AZUREML_ENTRY_SCRIPT: the scoring script, relative to appRoot (`<code folder>/<scoring_script>`); undefined for a
   * deployment without one (its environment's image serves the model by itself).
   */
  readonly entryScript: string | undefined;
  /**
   * AZUREML_MODEL_DIR: `<models root>/<model name>/<version>`, with the registered file or folder below it under its
   * own name, as on a managed endpoint (`/var/azureml-app/azureml-models/<name>/<version>/<folder>`).
   */
  readonly modelDir: string;
}

/**
 * What the storage initializer does before the inference server starts: downloads the model version's files and the
 * code into `dir` (one folder per rollout of the deployment), writing what it does to `log`.
 */
export async function materializeDeployment(svc: AzureMlService, spec: DeploymentSpec, dir: string, log: (line: string) => void, signal: AbortSignal): Promise<DeploymentFiles> {
  const modelsRoot = path.join(dir, 'azureml-models');
  const appRoot = path.join(dir, 'azureml-app');
  await mkdir(modelsRoot, { recursive: true });

  let modelDir = modelsRoot;
  if (spec.model) {
    const { name, version, modelUri } = spec.model;
    modelDir = path.join(modelsRoot, name, version);
    log(`Downloading model ${name}:${version} from ${modelUri} to ${modelDir}`);
    const location = locate(svc, modelUri, `the model ${name}:${version}`);
    const files = await downloadInto(svc, location, modelDir, signal);
    if (files === 0) {
      throw new DeploymentFailure(`Unable to download user model ${name}:${version}: nothing is stored at ${modelUri}.`, 'BadArgument');
    }
    log(`Model download completed: ${files} file(s) in ${path.join(modelDir, entryName(location))}`);
  } else if (spec.externalModel) {
    log(`The model ${spec.externalModel} is in a registry, which the emulator does not serve: AZUREML_MODEL_DIR is empty.`);
  } else {
    log('No model to download.');
  }

  const code = spec.code;
  if (!code) return { appRoot, entryScript: undefined, modelDir };
  log(`Downloading code ${code.id} from ${code.codeUri} to ${appRoot}`);
  const codeLocation = locate(svc, code.codeUri, 'the code of the scoring script');
  const codeFolder = entryName(codeLocation);
  const codeFiles = await downloadInto(svc, codeLocation, appRoot, signal);
  if (codeFiles === 0) throw new DeploymentFailure(`Unable to download the code ${code.id}: nothing is stored at ${code.codeUri}.`, 'BadArgument');
  log(`Code download completed: ${codeFiles} file(s) in ${path.join(appRoot, codeFolder)}`);
  const entryScript = path.posix.join(codeFolder, code.scoringScript.replace(/\\/g, '/').replace(/^\.?\//, ''));
  return { appRoot, entryScript, modelDir };
}

function locate(svc: AzureMlService, uri: string, what: string): BlobLocation {
  try {
    return resolveStorageUri(svc, uri);
  } catch (error) {
    if (error instanceof JobFailure) throw new DeploymentFailure(`Unable to download ${what}: ${error.message}`, 'BadArgument');
    throw error;
  }
}

/** A folder is downloaded below `parent` under its own name; a single blob is downloaded as `parent/<its name>`. */
async function downloadInto(svc: AzureMlService, location: BlobLocation, parent: string, signal: AbortSignal): Promise<number> {
  const name = entryName(location);
  const files = await downloadFolder(svc, location, path.join(parent, name), signal);
  if (files > 0 || location.path.replace(/\/+$/, '') === '') return files;
  return (await downloadFile(svc, location, path.join(parent, name), signal)) ? 1 : 0;
}

/** The name a registered folder or file keeps below its parent: its last path segment (the container's at the root). */
function entryName(location: BlobLocation): string {
  return location.path.split('/').filter((segment) => segment !== '').pop() ?? location.container;
}
