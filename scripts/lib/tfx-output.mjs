// tfx only warns about a broken task.json (and other manifest problems) and still writes the .vsix, so packaging
// treats any warning line as a failure.

/** ANSI colour codes (tfx colours its output unless --no-color). */
const ANSI = /\u001b\[[0-9;]*m/g;

/** Lines of tfx output that are warnings (tfx prints them as `warning: ...`, whatever the case or colour). */
export function findTfxWarnings(output) {
  return String(output)
    .replace(ANSI, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^warn(ing)?\b\s*:/i.test(line) || /^\[?warn(ing)?\]?\s*:/i.test(line));
}
