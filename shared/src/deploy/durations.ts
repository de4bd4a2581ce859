/** ISO 8601 durations as the online endpoint API takes them (`PT5S`, `PT0.5S`, `PT1M30S`). */

/** `PT<seconds>S` for a number of milliseconds (5000 -> PT5S, 500 -> PT0.5S). */
export function millisecondsToDuration(ms: number): string {
  return `PT${Number((ms / 1000).toFixed(3))}S`;
}

export function secondsToDuration(seconds: number): string {
  return millisecondsToDuration(seconds * 1000);
}

const DURATION = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** Milliseconds of a day-time duration (`P1DT2H`, `PT5S`...), or undefined when `text` is not one. */
export function durationToMilliseconds(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return undefined;
  const [, days, hours, minutes, seconds] = match.map((part) => (part === undefined ? 0 : Number(part))) as number[];
  return Math.round((((days! * 24 + hours!) * 60 + minutes!) * 60 + seconds!) * 1000);
}
