import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTemplate, TemplateError } from './handlebars.template.js';

describe('compileTemplate', () => {
  const renders: Array<[string, string, unknown, string]> = [
    ['a plain path', 'https://x.test/{{steps.a.id}}', { steps: { a: { id: 7 } } }, 'https://x.test/7'],
    ['without HTML escaping', '{{body.text}}', { body: { text: '<b>&"' } }, '<b>&"'],
    ['the json helper', '{{json body}}', { body: { a: [1, 'x'] } }, '{"a":[1,"x"]}'],
    ['the urlencode helper', 'q={{urlencode q}}', { q: 'a b&c' }, 'q=a%20b%26c'],
    ['the base64 helper', 'Basic {{base64 "u:p"}}', {}, 'Basic dTpw'],
    ['a block helper', '{{#each items}}{{this}},{{/each}}', { items: [1, 2] }, '1,2,'],
  ];
  for (const [name, source, context, expected] of renders) {
    it(`renders ${name}`, () => assert.equal(compileTemplate(source).render(context), expected));
  }

  it('fails on a missing name, naming the full path', () => {
    const template = compileTemplate('{{secrets.URL}}/{{steps.mesage.text}}');
    assert.throws(
      () => template.render({ secrets: { URL: 'u' }, steps: { message: { text: 'x' } } }),
      (error: unknown) =>
        error instanceof TemplateError &&
        error.missingName === 'steps.mesage.text' &&
        /unknown name steps\.mesage\.text/.test(error.message),
    );
  });

  for (const source of ['{{constructor}}', '{{body.__proto__}}']) {
    it(`shows nothing of the prototype for ${source}`, () => assert.equal(compileTemplate(source).render({ body: {} }), ''));
  }

  it('refuses a path through the prototype', () => {
    assert.throws(() => compileTemplate('{{body.constructor.name}}').render({ body: {} }), TemplateError);
  });

  it('rejects bad syntax at compile time with a line', () => {
    assert.throws(
      () => compileTemplate('a\n{{#if x}}'),
      (error: unknown) => error instanceof TemplateError && /invalid template/.test(error.message),
    );
  });

  it('rejects an unknown helper at compile time, with its line and column', () => {
    assert.throws(
      () => compileTemplate('a\nb {{shout body}}'),
      (error: unknown) =>
        error instanceof TemplateError &&
        error.message === `invalid template: unknown helper "shout" (Hookflow's helpers: json, urlencode, base64)` &&
        error.line === 2 &&
        error.column === 2,
    );
  });

  it('says what a parse error found, on which line', () => {
    assert.throws(
      () => compileTemplate('a\n{{#if x}}'),
      (error: unknown) =>
        error instanceof TemplateError &&
        error.message === 'invalid template: Parse error on line 2: unexpected end of template' &&
        error.line === 2,
    );
  });

  for (const [source, what] of [
    ['{{> footer}}', 'partials'],
    ['{{#> layout}}x{{/layout}}', 'partials'],
    ['{{* decorate}}', 'decorators'],
  ] as const) {
    it(`rejects ${what} at compile time: ${source}`, () => {
      assert.throws(
        () => compileTemplate(source),
        (error: unknown) => error instanceof TemplateError && error.message === `invalid template: ${what} are not supported`,
      );
    });
  }

  const missing: Array<[string, string, unknown, string]> = [
    ['a missing middle segment', '{{trigger.body.name}}', { trigger: {} }, 'trigger.body.name'],
    ['a missing first segment', '{{trigger.body.name}}', {}, 'trigger.body.name'],
    ['a missing helper argument', 'q={{urlencode trigger.body.q}}', { trigger: { body: {} } }, 'trigger.body.q'],
    ['a missing json argument', '{{json steps.a}}', { steps: {} }, 'steps.a'],
  ];
  for (const [name, source, context, path] of missing) {
    it(`fails on ${name}, naming ${path}`, () => {
      assert.throws(
        () => compileTemplate(source).render(context),
        (error: unknown) => error instanceof TemplateError && error.missingName === path && error.message === `unknown name ${path}`,
      );
    });
  }

  it('renders a null helper argument, which is a value', () => assert.equal(compileTemplate('{{json a}}').render({ a: null }), 'null'));

  it('lets a block helper test for a missing name', () =>
    assert.equal(compileTemplate('{{#if a.b}}yes{{else}}no{{/if}}').render({ a: {} }), 'no'));

  it('refuses a helper called with no value or two', () => {
    assert.throws(() => compileTemplate('{{json}}').render({}), /takes exactly one value/);
    assert.throws(() => compileTemplate('{{base64 a b}}').render({ a: 1, b: 2 }), /takes exactly one value/);
  });

  it('lists the paths it reads', () => {
    assert.deepEqual(compileTemplate('{{a.b}} {{json c}} {{#each d}}{{e}}{{/each}}').paths, ['a.b', 'c', 'd', 'e']);
  });
});
