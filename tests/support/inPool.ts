/**
 * Runs many task processes concurrently but not all at once: each is a node process, and tests with a table of cases
 * (bad inputs...) would otherwise start them all together.
 */

/** Runs `tasks` with at most `limit` at a time; the results are in the order of `tasks`. */
export async function inPool<T>(tasks: ReadonlyArray<() => Promise<T>>, limit = 6): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  });
  await Promise.all(workers);
  return results;
}
