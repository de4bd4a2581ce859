// PLACEHOLDER: the demo (build the tasks, start the emulator, run AzureMLTrain on samples/diabetes through the local
// agent) is written later. Until then `npm start` says so and fails.
console.error('demo not ready');
process.exitCode = 1;
