/**
 * Imported by main.ts before anything else. V8 sets the limit of the next full collection at each
 * one, and loading the application's modules already takes several: set later, the flag would
 * only apply once the heap had grown to a limit computed without it (88 MB where the live heap
 * was 22 MB, measured end to end).
 */
import { limitHeapGrowth } from './heap.js';

limitHeapGrowth(process.execArgv);
