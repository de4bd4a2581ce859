/**
 * Which of a run's log files are streamed: the user's output, as azure-ai-ml's stream_logs_until_completion picks
 * it, but for every process (azure-ai-ml shows rank 0 only; a failure on another rank would go unseen).
 * - Common runtime: `user_logs/std_log.txt` (one process) or `user_logs/std_log_process_<rank>.txt` (distributed).
 * - Older runtime (no user_logs): `azureml-logs/70_driver_log.txt`, `70_driver_log_<rank>.txt`...
 * System logs (image build, job preparation, executionlogs) are left to the studio.
 */
const USER_LOG = /^user_logs\/std_log(.*)\.txt$/;
const DRIVER_LOG = /^azureml-logs\/70_driver_log(.*)\.txt$/;

export interface StreamedLogFile {
  readonly path: string;
  /** `rank 1`, `worker-0`...: shown before each line when the file is one process of several; undefined for a single process. */
  readonly process?: string;
}

/** The log files to stream, in a stable order (rank 0 first). */
export function selectStreamedLogs(paths: Iterable<string>): StreamedLogFile[] {
  const all = [...paths];
  const userLogs = all.filter((p) => USER_LOG.test(p));
  const chosen = userLogs.length > 0 ? userLogs.map((p) => toFile(p, USER_LOG)) : all.filter((p) => DRIVER_LOG.test(p)).map((p) => toFile(p, DRIVER_LOG));
  return chosen.sort(compareFiles);
}

function toFile(path: string, pattern: RegExp): StreamedLogFile {
  const suffix = (pattern.exec(path)?.[1] ?? '').replace(/^[-_]+/, '');
  if (suffix === '') return { path };
  const rank = /^(?:process_|rank_)?(\d+)$/.exec(suffix);
  return { path, process: rank ? `rank ${Number(rank[1])}` : suffix };
}

/** Numeric ranks in numeric order (rank 2 before rank 10), then the rest by name. */
function compareFiles(a: StreamedLogFile, b: StreamedLogFile): number {
  const rankA = rankNumber(a);
  const rankB = rankNumber(b);
  if (rankA !== undefined && rankB !== undefined && rankA !== rankB) return rankA - rankB;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function rankNumber(file: StreamedLogFile): number | undefined {
  const match = /^rank (\d+)$/.exec(file.process ?? '');
  return match ? Number(match[1]) : undefined;
}
