import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileExpression, ExpressionError } from './jsonata.expression.js';

describe('compileExpression', () => {
  it('evaluates against its input', async () => {
    const expression = compileExpression('{ "text": body.name & "!" }');
    assert.deepEqual({ ...((await expression.evaluate({ body: { name: 'hi' } })) as object) }, { text: 'hi!' });
  });

  it('reports a syntax error with its position', () => {
    assert.throws(
      () => compileExpression('body.(('),
      (error: unknown) => error instanceof ExpressionError && /invalid JSONata/.test(error.message) && error.position !== undefined,
    );
  });

  const starts: Array<[string, number]> = [
    ['a.b ] c', 4],
    ['abc def', 4],
    ['foo + ', 4],
    ['a := 1', 0],
  ];
  for (const [source, start] of starts) {
    it(`points at the start of the bad token in ${JSON.stringify(source)}`, () => {
      assert.throws(
        () => compileExpression(source),
        (error: unknown) => error instanceof ExpressionError && error.start === start,
      );
    });
  }

  // Each case trips one bound; the other is set far away so a loaded machine can't trip it first.
  const runaways: Array<[string, string, { timeoutMs: number; maxDepth: number }, RegExp]> = [
    ['endless tail recursion', '($f := function($x){ $f($x) }; $f(1))', { timeoutMs: 50, maxDepth: 100 }, /longer than 50 ms/],
    [
      'deep recursion',
      '($f := function($x){ $x > 0 ? 1 + $f($x - 1) : 0 }; $f(100000))',
      { timeoutMs: 60_000, maxDepth: 100 },
      /maximum depth|too deeply/,
    ],
    ['a long loop', '$reduce([1..10000000], function($a, $b){ $a + $b })', { timeoutMs: 50, maxDepth: 100 }, /longer than 50 ms/],
  ];
  for (const [name, source, limits, message] of runaways) {
    it(`stops ${name} with a clear error`, async () => {
      const expression = compileExpression(source, limits);
      await assert.rejects(expression.evaluate({}), (error: unknown) => error instanceof ExpressionError && message.test(error.message));
    });
  }

  it('keeps the counters of concurrent evaluations apart', async () => {
    const expression = compileExpression('($f := function($x){ $x > 0 ? 1 + $f($x - 1) : 0 }; $f(n))', { timeoutMs: 1000, maxDepth: 400 });
    const results = await Promise.all([20, 30, 40].map((n) => expression.evaluate({ n })));
    assert.deepEqual(results, [20, 30, 40]);
  });
});
