/**
 * The Dockerfile the task writes for a scoring image, following Azure ML's conventions so that the image runs the same
 * on a managed online endpoint, on Kubernetes and with `docker run`:
 * - the conda environment is created as Azure ML creates an environment's (`/azureml-envs/<name>`, first on PATH,
 *   AZUREML_CONDA_ENVIRONMENT_PATH);
 * - the scoring code is in /var/azureml-app/<folder>, named by AML_APP_ROOT and AZUREML_ENTRY_SCRIPT;
 * - a model put in the image is where Azure ML mounts a deployment's model, /var/azureml-app/azureml-models/<name>/<version>,
 *   and AZUREML_MODEL_DIR says so (a deployment that brings a model sets its own);
 * - the Azure ML inference server (azmlinfsrv, from the conda file) serves the entry script on the inference port.
 */

/** Folders of the generated build context. */
export const GENERATED_CONTEXT = {
  condaFile: 'azureml-environment-setup/conda_env.yml',
  scoringCode: 'score',
  model: 'model',
} as const;

export const APP_ROOT = '/var/azureml-app';

export interface GeneratedDockerfileSpec {
  readonly baseImage: string;
  /** Where the conda file came from, for the comment; undefined when the base image has the environment. */
  readonly condaFileDisplay: string | undefined;
  /** Name of the conda environment folder (/azureml-envs/<name>). */
  readonly condaEnvironmentName: string;
  /** Where the scoring code came from, for the comment. */
  readonly scoringCodeDisplay: string;
  /** The entry script, relative to the scoring code folder ('/'-separated). */
  readonly scoringScript: string;
  readonly model: { readonly name: string; readonly version: string } | undefined;
  readonly port: number;
  /**
   * Who wrote it: the task and its major version only, e.g. AzureMLBuildImage@1. The Dockerfile is part of the build
   * identity, so a minor or patch release of the task must not change it (and rebuild every image).
   */
  readonly generator: string;
}

export function generateDockerfile(spec: GeneratedDockerfileSpec): string {
  const codeDir = `${APP_ROOT}/${GENERATED_CONTEXT.scoringCode}`;
  const envDir = `/azureml-envs/${spec.condaEnvironmentName}`;
  const lines: string[] = [
    `# Written by ${spec.generator}: an Azure ML scoring image (${['base image', ...(spec.condaFileDisplay !== undefined ? ['conda environment'] : []), 'scoring code', ...(spec.model ? ['model'] : [])].join(', ')}).`,
    `FROM ${spec.baseImage}`,
    '',
  ];
  if (spec.condaFileDisplay !== undefined) {
    lines.push(
      `# The conda environment of ${comment(spec.condaFileDisplay)}, created as Azure ML creates an environment's.`,
      `COPY ${GENERATED_CONTEXT.condaFile} /azureml-environment-setup/conda_env.yml`,
      `RUN conda env create -p ${envDir} -f /azureml-environment-setup/conda_env.yml \\`,
      ' && conda clean -aqy \\',
      ' && rm -rf "$HOME/.cache/pip"',
      `ENV PATH=${envDir}/bin:$PATH \\`,
      `    AZUREML_CONDA_ENVIRONMENT_PATH=${envDir}`,
      '',
    );
  }
  lines.push(`# The scoring code of ${comment(spec.scoringCodeDisplay)}.`, `COPY ${GENERATED_CONTEXT.scoringCode}/ ${codeDir}/`);
  const env = [`AML_APP_ROOT=${codeDir}`, `AZUREML_ENTRY_SCRIPT=${spec.scoringScript}`];
  if (spec.model) {
    const modelDir = `${APP_ROOT}/azureml-models/${spec.model.name}/${spec.model.version}`;
    lines.push(`# The model ${spec.model.name}:${spec.model.version}, where Azure ML mounts a deployment's model.`, `COPY ${GENERATED_CONTEXT.model}/ ${modelDir}/`);
    env.push(`AZUREML_MODEL_DIR=${modelDir}`);
  }
  lines.push(`ENV ${env.join(' \\\n    ')}`, '');
  lines.push(
    '# The Azure ML inference server runs the entry script (init() once, run() per request).',
    `WORKDIR ${codeDir}`,
    `EXPOSE ${spec.port}`,
    `CMD ${JSON.stringify(['azmlinfsrv', '--entry_script', `${codeDir}/${spec.scoringScript}`, '--port', String(spec.port)])}`,
  );
  return `${lines.join('\n')}\n`;
}

/** A conda environment folder name from the environment's name: letters, digits, '_' and '-'. */
export function condaEnvironmentName(environmentName: string): string {
  return environmentName.replace(/[^A-Za-z0-9_-]+/g, '_') || 'scoring';
}

/** Text safe on one comment line. */
function comment(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
