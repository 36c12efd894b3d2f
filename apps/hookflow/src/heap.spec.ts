import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from './heap.js';

describe('heapGrowthFlag', () => {
  it('limits heap growth unless node was told otherwise', () => {
    assert.equal(heapGrowthFlag([]), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    assert.equal(heapGrowthFlag(['--enable-source-maps', '--max-old-space-size=512']), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  });

  it("leaves a value given on node's command line alone, in either spelling", () => {
    assert.equal(heapGrowthFlag(['--heap-growing-percent=50']), undefined);
    assert.equal(heapGrowthFlag(['--enable-source-maps', '--heap_growing_percent=30']), undefined);
  });
});
