/**
 * The process Azurite runs in: loads Azurite's blob service (argv: its main.js, then its arguments) and exits as soon
 * as stdin closes, which happens when the emulator's process ends for any reason (stopped, killed, crashed). An exit
 * hook in the emulator cannot cover a SIGKILL: this way no Azurite is ever left behind.
 */
const [main, ...azuriteArgs] = process.argv.slice(2);
if (!main) {
  process.stderr.write('usage: azuriteHost <azurite main.js> [azurite arguments]\n');
  process.exit(2);
}
process.argv = [process.argv[0]!, main, ...azuriteArgs];
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
require(main);
