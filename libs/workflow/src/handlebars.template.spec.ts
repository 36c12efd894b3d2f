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
      (error: unknown) => error instanceof TemplateError && error.missingName === 'steps.mesage.text' && /unknown name steps\.mesage\.text/.test(error.message),
    );
  });

  for (const source of ['{{constructor}}', '{{body.__proto__}}']) {
    it(`shows nothing of the prototype for ${source}`, () => assert.equal(compileTemplate(source).render({ body: {} }), ''));
  }

  it('refuses a path through the prototype', () => {
    assert.throws(() => compileTemplate('{{body.constructor.name}}').render({ body: {} }), TemplateError);
  });

  it('rejects bad syntax at compile time with a line', () => {
    assert.throws(() => compileTemplate('a\n{{#if x}}'), (error: unknown) => error instanceof TemplateError && /invalid template/.test(error.message));
  });

  it('rejects an unknown helper at compile time', () => {
    assert.throws(() => compileTemplate('{{shout body}}'), /invalid template/);
  });

  it('lists the paths it reads', () => {
    assert.deepEqual(compileTemplate('{{a.b}} {{json c}} {{#each d}}{{e}}{{/each}}').paths, ['a.b', 'c', 'd', 'e']);
  });
});
