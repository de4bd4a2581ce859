// Versions.
//
// The extension's version is the root package.json version. A task's version is `Major` from its task.json (the
// task's contract: a breaking change of inputs or behaviour means a new Major, like AzureMLTrain@2) and `Minor.Patch`
// from package.json. So every release of the extension gives every task a new version, which is what makes agents
// download the new task code, and package.json 1.4.2 ships AzureMLTrain 1.4.2 (task Major 1).
// Consequence: package.json's major is not part of a task version; when it is bumped, keep Minor.Patch increasing
// (e.g. 1.9.3 -> 2.10.0) or the tasks would go back to x.0.0 and agents would keep the cached older code.

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/;

/** @returns {{ major: number, minor: number, patch: number }} */
export function parseVersion(version) {
  const match = SEMVER.exec(String(version ?? ''));
  if (!match) throw new Error(`"${version}" is not a version like 1.2.3`);
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/** task.json with version.Minor/Patch taken from the extension version; Major unchanged. Does not modify its input. */
export function stampTaskVersion(taskJson, extensionVersion) {
  const { minor, patch } = parseVersion(extensionVersion);
  return { ...taskJson, version: { ...taskJson.version, Minor: minor, Patch: patch } };
}

/** a.b.c compared numerically: negative, 0 or positive. */
export function compareVersions(a, b) {
  const x = parseVersion(a);
  const y = parseVersion(b);
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch;
}
