import { CronTime } from 'cron';

/**
 * The tick a cron job fires for. Timers fire a little late, and every process must name a
 * tick by the same time for it to fire once, so the tick is the latest scheduled time at or
 * before `now` (with `slackMs` for a timer that fires a little early), starting from the
 * first time this process expected. Time is an argument, so this is a plain table test.
 */
export function dueTick(time: CronTime, expected: number, now: number, slackMs = 500): { due: number; next: number } {
  let due = expected;
  for (;;) {
    const following = time.getNextDateFrom(new Date(due)).toMillis();
    if (following > now + slackMs) return { due, next: following };
    due = following;
  }
}

export function firstTick(time: CronTime, now: number): number {
  return time.getNextDateFrom(new Date(now)).toMillis();
}
