import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, logLevel } from './pino.logger.js';

/** A logger writing into an array of parsed lines (synchronously, unlike stdout). */
function capture(level = 'debug') {
  const raw: string[] = [];
  const logger = createLogger(level, { write: (line: string) => void raw.push(line) });
  const lines = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, raw, lines };
}

describe('createLogger', () => {
  it('writes Nest log calls as JSON lines with the level name, the context and the object fields', () => {
    const { logger, lines } = capture();
    logger.nest.log({ msg: 'run failed', runId: 'r1', stepId: 'notify' }, 'RunExecutor');
    logger.nest.warn('plain text', 'Workflows');
    const [first, second] = lines();
    assert.equal(first!.level, 'info');
    assert.equal(first!.context, 'RunExecutor');
    assert.equal(first!.msg, 'run failed');
    assert.equal(first!.runId, 'r1');
    assert.equal(second!.level, 'warn');
    assert.equal(second!.msg, 'plain text');
    assert.equal(second!.context, 'Workflows');
  });

  it("reads Nest's error(message, stack, context) and error(message, context)", () => {
    const { logger, lines } = capture();
    logger.nest.error('boom', 'Error: boom\n    at somewhere (file.js:1:1)', 'HooksService');
    logger.nest.error('bad thing', 'ExceptionHandler');
    const [withStack, withContext] = lines();
    assert.equal(withStack!.level, 'error');
    assert.equal(withStack!.context, 'HooksService');
    assert.match(String(withStack!.stack), /at somewhere/);
    assert.equal(withContext!.context, 'ExceptionHandler');
    assert.equal(withContext!.stack, undefined);
  });

  it('drops lines below LOG_LEVEL', () => {
    const { logger, lines } = capture('info');
    logger.nest.debug({ msg: 'delivery accepted' }, 'HooksService');
    logger.nest.verbose('chatter');
    logger.nest.log('kept');
    assert.deepEqual(
      lines().map((line) => line.msg),
      ['kept'],
    );
  });

  it('censors credentials, signature headers and secret-named fields', () => {
    const { logger, raw, lines } = capture();
    logger.pino.info({
      msg: 'x',
      password: 'pw-value-1',
      token: 'tok-value-2',
      headers: { authorization: 'Bearer abc-value-3', cookie: 'c=value-4', 'x-hub-signature-256': 'sha256=value-5', accept: '*/*' },
      config: { secret: 'value-6' },
    });
    for (const value of ['pw-value-1', 'tok-value-2', 'abc-value-3', 'value-4', 'value-5', 'value-6']) {
      assert.ok(!raw.join('').includes(value), `${value} was logged`);
    }
    const [line] = lines();
    assert.equal((line!.headers as Record<string, string>).accept, '*/*');
    assert.equal((line!.headers as Record<string, string>).authorization, '***');
  });

  it('masks known secret values wherever they appear, also JSON-escaped, once they are set', () => {
    const { logger, raw } = capture();
    logger.pino.info({ msg: 'before', url: 'https://chat.example/hook/supersecret123' });
    logger.secrets.set(['supersecret123', 'quo"ted\\secret', 'abc']);
    logger.nest.error({ msg: 'step threw', error: 'GET https://chat.example/hook/supersecret123 failed' }, 'RunExecutor');
    logger.pino.info({ msg: 'escaped', value: 'x quo"ted\\secret y', short: 'abc' });
    assert.match(raw[0]!, /supersecret123/);
    assert.ok(!raw.slice(1).join('').includes('supersecret123'));
    assert.ok(!raw.slice(1).join('').includes('quo\\"ted\\\\secret'));
    assert.match(raw[2]!, /"short":"abc"/, 'values shorter than 4 characters are left alone');
  });
});

describe('logLevel', () => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'info'],
    ['', 'info'],
    ['debug', 'debug'],
    ['WARN', 'warn'],
    ['log', 'info'],
    ['verbose', 'trace'],
    ['silent', 'silent'],
    ['loud', 'info'],
  ];
  for (const [value, expected] of cases) {
    it(`reads LOG_LEVEL=${value === undefined ? '(unset)' : JSON.stringify(value)} as ${expected}`, () => {
      assert.equal(logLevel(value), expected);
    });
  }
});
