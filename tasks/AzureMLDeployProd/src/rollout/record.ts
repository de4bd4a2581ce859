/**
 * The rollout record: what a rollout in progress must remember between runs (a canary stopped for approval, then
 * promote or reject in a later stage; a re-run after a crash), kept in the ENDPOINT's tags.
 *
 * Why the endpoint's tags: deployment properties can never change (and a deployment PATCH re-provisions it, which a
 * deployment serving production traffic must not go through), endpoint properties can only be added to, while
 * endpoint tags can be replaced at any time without touching what serves. The record is written before the new
 * deployment is created and removed once the rollout is finished or rolled back, so it also tells another run that a
 * rollout is in progress.
 *
 * ARM limits a tag value to 256 characters: the splits are written in a compact form and, when long, over several
 * numbered tags (`...traffic-before`, `...traffic-before-2`, ...).
 */
import { compactSplit, parseCompactSplit, type TrafficState } from './traffic';

export const RECORD_PREFIX = 'azureml-mlops.rollout.';

export const RECORD_TAGS = {
  candidate: `${RECORD_PREFIX}candidate`,
  previous: `${RECORD_PREFIX}previous`,
  trafficBefore: `${RECORD_PREFIX}traffic-before`,
  mirrorBefore: `${RECORD_PREFIX}mirror-before`,
  model: `${RECORD_PREFIX}model`,
  startedAt: `${RECORD_PREFIX}started-at`,
  startedBy: `${RECORD_PREFIX}started-by`,
} as const;

const MAX_TAG_VALUE = 256;

export interface RolloutRecord {
  /** The new deployment being rolled out. */
  readonly candidate: string;
  /** The deployment that took the most live traffic when the rollout started. */
  readonly previous: string | undefined;
  /** The endpoint's live and mirrored traffic when the rollout started: what a rollback restores. */
  readonly before: TrafficState;
  /** The model rolled out, as messages show it (`azureml:diabetes-ridge:3`). */
  readonly model: string | undefined;
  /** ISO time the rollout started. */
  readonly startedAt: string;
  /** The pipeline run that started it (build URL), when known. */
  readonly startedBy: string | undefined;
}

/** The tags that hold `record` (to merge into the endpoint's other tags). */
export function recordTags(record: RolloutRecord): Record<string, string> {
  const tags: Record<string, string> = { [RECORD_TAGS.candidate]: record.candidate };
  if (record.previous) tags[RECORD_TAGS.previous] = record.previous;
  Object.assign(tags, chunked(RECORD_TAGS.trafficBefore, compactSplit(record.before.traffic)));
  Object.assign(tags, chunked(RECORD_TAGS.mirrorBefore, compactSplit(record.before.mirror)));
  if (record.model) tags[RECORD_TAGS.model] = truncate(record.model);
  tags[RECORD_TAGS.startedAt] = record.startedAt;
  if (record.startedBy) tags[RECORD_TAGS.startedBy] = truncate(record.startedBy);
  return tags;
}

/** The endpoint's tags with the record written in (any older record replaced). */
export function tagsWithRecord(tags: Readonly<Record<string, string>>, record: RolloutRecord): Record<string, string> {
  return { ...tagsWithoutRecord(tags), ...recordTags(record) };
}

/** The endpoint's tags without any record. */
export function tagsWithoutRecord(tags: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => !key.startsWith(RECORD_PREFIX)));
}

export function hasRecordTags(tags: Readonly<Record<string, string>> | null | undefined): boolean {
  return Object.keys(tags ?? {}).some((key) => key.startsWith(RECORD_PREFIX));
}

export type ReadRecord = { readonly record: RolloutRecord } | { readonly problem: string } | undefined;

/**
 * The record in an endpoint's tags: undefined when there is none; `problem` when the tags are there but cannot be
 * read (edited by hand), so that nothing is done on a guess.
 */
export function readRecord(tags: Readonly<Record<string, string>> | null | undefined): ReadRecord {
  if (!hasRecordTags(tags)) return undefined;
  const all = tags ?? {};
  const candidate = all[RECORD_TAGS.candidate];
  if (!candidate) return { problem: `the tag '${RECORD_TAGS.candidate}' is missing` };
  const traffic = parseCompactSplit(unchunked(all, RECORD_TAGS.trafficBefore) ?? '');
  if (unchunked(all, RECORD_TAGS.trafficBefore) === undefined || traffic === undefined) {
    return { problem: `the tag '${RECORD_TAGS.trafficBefore}' is missing or not in the form name=percent,...` };
  }
  const mirrorText = unchunked(all, RECORD_TAGS.mirrorBefore) ?? 'none';
  const mirror = parseCompactSplit(mirrorText);
  if (mirror === undefined) return { problem: `the tag '${RECORD_TAGS.mirrorBefore}' is not in the form name=percent,...` };
  return {
    record: {
      candidate,
      previous: all[RECORD_TAGS.previous] || undefined,
      before: { traffic, mirror },
      model: all[RECORD_TAGS.model] || undefined,
      startedAt: all[RECORD_TAGS.startedAt] ?? '',
      startedBy: all[RECORD_TAGS.startedBy] || undefined,
    },
  };
}

/** `key` = the first 256 characters, `key-2` the next... (cut at commas so each part stays readable). */
function chunked(key: string, value: string): Record<string, string> {
  const parts: string[] = [];
  let rest = value;
  while (rest.length > MAX_TAG_VALUE) {
    const cut = rest.lastIndexOf(',', MAX_TAG_VALUE - 1);
    const at = cut > 0 ? cut + 1 : MAX_TAG_VALUE;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  parts.push(rest);
  return Object.fromEntries(parts.map((part, index) => [index === 0 ? key : `${key}-${index + 1}`, part]));
}

function unchunked(tags: Readonly<Record<string, string>>, key: string): string | undefined {
  const first = tags[key];
  if (first === undefined) return undefined;
  let value = first;
  for (let index = 2; tags[`${key}-${index}`] !== undefined; index++) value += tags[`${key}-${index}`];
  return value;
}

function truncate(value: string): string {
  return value.length <= MAX_TAG_VALUE ? value : `${value.slice(0, MAX_TAG_VALUE - 3)}...`;
}
