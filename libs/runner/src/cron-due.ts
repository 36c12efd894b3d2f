import { CronTime } from 'cron';

/** When a schedule fires next after `from` (ms), in its time zone. */
export type NextTick = (from: number) => number;

export function nextTickOf(schedule: string, timeZone?: string): NextTick {
  const time = new CronTime(schedule, timeZone);
  return (from) => time.getNextDateFrom(new Date(from), timeZone).toMillis();
}

/**
 * The tick a cron job fires for. Timers fire a little late, and every process must name a
 * tick by the same time for it to fire once, so the tick is the latest scheduled time at or
 * before `now` (with `slackMs` for a timer that fires a little early), starting from the
 * first time this process expected. Time is an argument, so this is a plain table test.
 */
export function dueTick(next: NextTick, expected: number, now: number, slackMs = 500): { due: number; next: number } {
  let due = expected;
  for (;;) {
    const following = next(due);
    if (following > now + slackMs) return { due, next: following };
    due = following;
  }
}
