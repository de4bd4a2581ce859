// PLACEHOLDER entry point until the Train task's run.ts lands.
import * as tl from 'azure-pipelines-task-lib/task';

tl.setResult(tl.TaskResult.Failed, 'AzureMLTrain is not implemented yet.');
