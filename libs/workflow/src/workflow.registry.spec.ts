import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { workflowVersion, type Environment } from './workflow.loader.js';
import { WorkflowRegistry, type WorkflowStatus } from './workflow.registry.js';

const ENV: Environment = { DEPLOY_TOKEN: 'tok-1' };

/** A workflows folder of its own, removed when the test ends. */
function workflowsDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-registry-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function write(dir: string, file: string, text: string): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}

/** A valid workflow; `id` and `path` are written only when given. */
function workflow(options: { id?: string; path?: string; token?: boolean; expression?: string } = {}): string {
  const lines = [
    ...(options.id !== undefined ? [`id: ${options.id}`] : []),
    ...(options.token ? ['secrets: [DEPLOY_TOKEN]'] : []),
    ...(options.path !== undefined || options.token ? ['trigger:', '  webhook:'] : []),
    ...(options.path !== undefined ? [`    path: ${options.path}`] : []),
    ...(options.token ? ['    auth: { type: token, secret: "{{secrets.DEPLOY_TOKEN}}" }'] : []),
    'steps:',
    '  - id: a',
    '    type: transform',
    `    expression: ${options.expression ?? 'trigger.body'}`,
  ];
  return `${lines.join('\n')}\n`;
}

const summary = (statuses: readonly WorkflowStatus[]): Array<[string, string, string]> =>
  statuses.map((status) => [status.file, status.id, status.status]);

describe('WorkflowRegistry.load', () => {
  it('loads .yaml and .yml files from nested folders, in file order, and ignores other files', async (t) => {
    const dir = workflowsDir(t);
    write(dir, 'b.yaml', workflow());
    write(dir, 'a.yml', workflow({ id: 'alpha' }));
    write(dir, 'team/c.yaml', workflow());
    write(dir, 'team/deep/d.YML', workflow({ path: 'deep/d' }));
    write(dir, 'README.md', '# not a workflow');
    write(dir, 'sample.json', '{}');
    const registry = new WorkflowRegistry(dir, ENV);
    assert.deepEqual(summary(await registry.load()), [
      ['a.yml', 'alpha', 'active'],
      ['b.yaml', 'b', 'active'],
      ['team/c.yaml', 'c', 'active'],
      ['team/deep/d.YML', 'd', 'active'],
    ]);
    assert.equal(registry.get('alpha')?.file, 'a.yml');
    assert.equal(registry.findByPath('deep/d')?.workflow.id, 'd');
    assert.equal(registry.findByPath('c')?.workflow.file, 'team/c.yaml');
  });

  it('keeps serving the valid files when others are invalid', async (t) => {
    const dir = workflowsDir(t);
    write(dir, 'a-broken-yaml.yaml', 'id: "unclosed\n');
    write(dir, 'b-good.yaml', workflow());
    write(dir, 'c-bad-schema.yaml', 'id: c\nsteps: []\n');
    write(dir, 'd-missing-secret.yaml', workflow({ token: true }));
    const registry = new WorkflowRegistry(dir, {});
    const statuses = await registry.load();
    assert.deepEqual(summary(statuses), [
      ['a-broken-yaml.yaml', 'a-broken-yaml', 'invalid'],
      ['b-good.yaml', 'b-good', 'active'],
      ['c-bad-schema.yaml', 'c', 'invalid'],
      ['d-missing-secret.yaml', 'd-missing-secret', 'invalid'],
    ]);
    assert.deepEqual(
      statuses.map((status) => status.errors.map((error) => `${error.file}:${error.line}:${error.col}`)),
      [['a-broken-yaml.yaml:1:5'], [], ['c-bad-schema.yaml:2:8'], ['d-missing-secret.yaml:1:11']],
    );
    assert.deepEqual(
      statuses.map((status) => status.workflow?.id),
      [undefined, 'b-good', undefined, undefined],
    );
    assert.equal(registry.get('b-good')?.id, 'b-good');
    assert.equal(registry.get('c'), undefined);
    assert.equal(registry.findByPath('d-missing-secret'), undefined);
  });

  it('makes the second of two files with the same id invalid, pointing at its id', async (t) => {
    const dir = workflowsDir(t);
    write(dir, 'a.yaml', workflow({ id: 'shared', path: 'from-a' }));
    write(dir, 'b.yaml', `name: second\n${workflow({ id: 'shared', path: 'from-b' })}`);
    const registry = new WorkflowRegistry(dir, ENV);
    const [first, second] = await registry.load();
    assert.equal(first?.status, 'active');
    assert.equal(second?.status, 'invalid');
    assert.equal(second?.workflow, undefined);
    assert.deepEqual(second?.errors, [{ file: 'b.yaml', line: 2, col: 5, message: 'duplicate workflow id "shared" (also in a.yaml)' }]);
    assert.equal(registry.get('shared')?.file, 'a.yaml');
    assert.equal(registry.findByPath('from-b'), undefined);
  });

  it('makes the second of two files with the same hook path invalid, pointing at its path', async (t) => {
    const dir = workflowsDir(t);
    write(dir, 'one.yaml', workflow({ path: 'incoming' }));
    write(dir, 'two.yaml', workflow({ path: 'incoming' }));
    write(dir, 'three.yaml', workflow({ path: 'two' }));
    const registry = new WorkflowRegistry(dir, ENV);
    const statuses = await registry.load();
    // In sort order (one, three, two) `two` comes last and claims `incoming`, which `one` serves.
    assert.deepEqual(summary(statuses), [
      ['one.yaml', 'one', 'active'],
      ['three.yaml', 'three', 'active'],
      ['two.yaml', 'two', 'invalid'],
    ]);
    assert.deepEqual(statuses[2]?.errors, [
      { file: 'two.yaml', line: 3, col: 11, message: 'duplicate webhook path "incoming" (also in one.yaml)' },
    ]);
    assert.equal(registry.findByPath('incoming')?.workflow.id, 'one');
    assert.equal(registry.findByPath('two')?.workflow.id, 'three');
    assert.equal(registry.get('two'), undefined);
  });

  it('lets a valid file keep an id that an invalid file also claims', async (t) => {
    const dir = workflowsDir(t);
    write(dir, 'a.yaml', 'id: shared\nsteps: []\n');
    write(dir, 'b.yaml', workflow({ id: 'shared' }));
    const registry = new WorkflowRegistry(dir, ENV);
    assert.deepEqual(summary(await registry.load()), [
      ['a.yaml', 'shared', 'invalid'],
      ['b.yaml', 'shared', 'active'],
    ]);
    assert.equal(registry.get('shared')?.file, 'b.yaml');
  });
});

describe('WorkflowRegistry reloads', () => {
  it('compiles again only the files whose text changed since the last load', async (t) => {
    const dir = workflowsDir(t);
    write(dir, 'a.yaml', workflow({ id: 'a' }));
    write(dir, 'b.yaml', workflow({ id: 'b' }));
    const registry = new WorkflowRegistry(dir, ENV);
    await registry.load();
    const [a, b] = [registry.get('a'), registry.get('b')];
    write(dir, 'b.yaml', workflow({ id: 'b', expression: 'trigger.body.ref' }));
    await registry.load();
    assert.equal(registry.get('a'), a, 'the unchanged file keeps its compiled workflow');
    assert.notEqual(registry.get('b'), b);
    assert.notEqual(registry.get('b')?.version, b?.version);
  });

  it('keeps serving the last valid version while an edit is broken, then serves the fix', async (t) => {
    const dir = workflowsDir(t);
    write(dir, 'push.yaml', workflow({ id: 'github-push', path: 'github' }));
    const registry = new WorkflowRegistry(dir, ENV);
    await registry.load();
    const valid = registry.get('github-push');
    assert.ok(valid);

    for (const broken of [workflow({ id: 'github-push', path: 'github', expression: '"a ]"' }), 'id: github-push\nsteps: [\n']) {
      write(dir, 'push.yaml', broken);
      const [status] = await registry.load();
      assert.equal(status?.status, 'invalid');
      assert.equal(status?.id, 'github-push');
      assert.ok((status?.errors.length ?? 0) > 0);
      assert.equal(status?.workflow, valid);
      assert.equal(registry.get('github-push'), valid);
      assert.equal(registry.findByPath('github')?.workflow, valid);
    }

    const fixed = workflow({ id: 'github-push', path: 'github', expression: 'trigger.body.ref' });
    write(dir, 'push.yaml', fixed);
    const [status] = await registry.load();
    assert.equal(status?.status, 'active');
    assert.deepEqual(status?.errors, []);
    assert.equal(registry.get('github-push')?.version, workflowVersion(fixed));
  });

  it('keeps serving the last valid version when an edit takes an id another file serves', async (t) => {
    const dir = workflowsDir(t);
    write(dir, 'a.yaml', workflow({ id: 'alpha' }));
    write(dir, 'b.yaml', workflow({ id: 'beta' }));
    const registry = new WorkflowRegistry(dir, ENV);
    await registry.load();
    const beta = registry.get('beta');
    write(dir, 'b.yaml', workflow({ id: 'alpha' }));
    const [, status] = await registry.load();
    assert.equal(status?.status, 'invalid');
    assert.match(status?.errors[0]?.message ?? '', /duplicate workflow id "alpha" \(also in a\.yaml\)/);
    assert.equal(status?.workflow, beta);
    assert.equal(registry.get('beta'), beta);
    assert.equal(registry.get('alpha')?.file, 'a.yaml');
  });

  it("doesn't let a new file take the id of a broken file's last valid version", async (t) => {
    const dir = workflowsDir(t);
    write(dir, 'a.yaml', workflow({ id: 'shared' }));
    const registry = new WorkflowRegistry(dir, ENV);
    await registry.load();
    write(dir, 'a.yaml', 'id: shared\nsteps: []\n');
    write(dir, 'b.yaml', workflow({ id: 'shared' }));
    assert.deepEqual(summary(await registry.load()), [
      ['a.yaml', 'shared', 'invalid'],
      ['b.yaml', 'shared', 'invalid'],
    ]);
    assert.equal(registry.get('shared')?.file, 'a.yaml');
  });

  it('stops serving a deleted file, but still finds its versions', async (t) => {
    const dir = workflowsDir(t);
    write(dir, 'keep.yaml', workflow());
    write(dir, 'gone.yaml', workflow());
    const registry = new WorkflowRegistry(dir, ENV);
    await registry.load();
    const gone = registry.get('gone');
    assert.ok(gone);
    unlinkSync(join(dir, 'gone.yaml'));
    assert.deepEqual(summary(await registry.load()), [['keep.yaml', 'keep', 'active']]);
    assert.equal(registry.get('gone'), undefined);
    assert.equal(registry.findByPath('gone'), undefined);
    assert.equal(registry.version('gone', gone.version), gone);
  });

  it('stops serving a broken file that was deleted and recreated without ever being valid again', async (t) => {
    const dir = workflowsDir(t);
    write(dir, 'flaky.yaml', workflow());
    const registry = new WorkflowRegistry(dir, ENV);
    await registry.load();
    unlinkSync(join(dir, 'flaky.yaml'));
    await registry.load();
    write(dir, 'flaky.yaml', 'steps: []\n');
    const [status] = await registry.load();
    assert.equal(status?.status, 'invalid');
    assert.equal(status?.workflow, undefined);
    assert.equal(registry.get('flaky'), undefined);
  });

  it('finds every version loaded by id and version', async (t) => {
    const dir = workflowsDir(t);
    const registry = new WorkflowRegistry(dir, ENV);
    const texts = ['trigger.body', 'trigger.body.a', 'trigger.body.b'].map((expression) => workflow({ expression }));
    for (const text of texts) {
      write(dir, 'hook.yaml', text);
      await registry.load();
    }
    for (const text of texts) {
      const version = workflowVersion(text);
      assert.equal(registry.version('hook', version)?.source, text);
    }
    assert.equal(registry.version('hook', '0000000000000000'), undefined);
    assert.equal(registry.version('other', workflowVersion(texts[0]!)), undefined);
  });
});

describe('WorkflowRegistry.compileStored', () => {
  it('compiles a stored source and remembers its version', (t) => {
    const registry = new WorkflowRegistry(workflowsDir(t), ENV);
    const source = workflow({ id: 'stored', expression: 'trigger.body.old' });
    const compiled = registry.compileStored('stored', 'stored.yaml', source);
    assert.equal(compiled?.id, 'stored');
    assert.equal(compiled?.version, workflowVersion(source));
    assert.equal(registry.version('stored', workflowVersion(source)), compiled);
    assert.equal(registry.get('stored'), undefined);
  });

  const refused: Array<[string, string]> = [
    ['a source of another workflow', workflow({ id: 'other' })],
    ['an invalid source', 'id: stored\nsteps: []\n'],
    ['a source whose secret is gone', `id: stored\n${workflow({ token: true }).replace(/DEPLOY_TOKEN/g, 'GONE_TOKEN')}`],
  ];
  for (const [name, source] of refused) {
    it(`refuses ${name}`, (t) => {
      const registry = new WorkflowRegistry(workflowsDir(t), ENV);
      assert.equal(registry.compileStored('stored', 'stored.yaml', source), undefined);
      assert.equal(registry.version('stored', workflowVersion(source)), undefined);
    });
  }
});

describe('WorkflowRegistry.findByPath', () => {
  async function registryWith(t: TestContext): Promise<WorkflowRegistry> {
    const dir = workflowsDir(t);
    write(dir, 'deploy.yaml', workflow({ path: 'deploy', token: true }));
    write(dir, 'team-deploy.yaml', workflow({ path: 'team/deploy', token: true }));
    write(dir, 'open.yaml', workflow({ path: 'open' }));
    write(dir, 'open-nested.yaml', workflow({ path: 'open/nested' }));
    const registry = new WorkflowRegistry(dir, ENV);
    await registry.load();
    return registry;
  }

  const cases: Array<[string, string | undefined, string | undefined]> = [
    ['deploy', 'deploy', undefined],
    ['deploy/tok-1', 'deploy', 'tok-1'],
    ['deploy/a%2Fb%20c', 'deploy', 'a/b c'],
    ['team/deploy/tok-1', 'team-deploy', 'tok-1'],
    ['open/nested', 'open-nested', undefined],
    ['open/anything', undefined, undefined],
    ['deploy/', undefined, undefined],
    ['deploy/%E0%A4%A', undefined, undefined],
    ['deploy/a/b', undefined, undefined],
    ['nowhere', undefined, undefined],
  ];
  for (const [path, id, token] of cases) {
    it(`finds ${id ?? 'nothing'}${token !== undefined ? ` with token ${JSON.stringify(token)}` : ''} at ${path}`, async (t) => {
      const found = (await registryWith(t)).findByPath(path);
      assert.equal(found?.workflow.id, id);
      assert.equal(found?.pathToken, token);
    });
  }
});
