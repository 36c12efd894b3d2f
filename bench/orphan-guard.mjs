// Preloaded (`node --import`) into every process the bench starts: if the bench process dies
// without stopping its children (kill -9, a crash), the child is re-parented and exits by
// itself instead of lingering. Costs one timer tick every half second.
import { setInterval } from 'node:timers';

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 500).unref();
