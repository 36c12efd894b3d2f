import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBody, parseForm } from './body.parser.js';

describe('parseBody accepts', () => {
  const cases: Array<[string, string | undefined, string | Buffer, unknown, string]> = [
    ['an empty body without a content type', undefined, '', null, 'empty'],
    ['JSON', 'application/json', '{"a":[1,true,null]}', { a: [1, true, null] }, 'json'],
    ['JSON with a charset, matched case-insensitively', 'Application/JSON; charset=UTF-8', '{"a":"é"}', { a: 'é' }, 'json'],
    ['a +json vendor type', 'application/vnd.github+json', '[1]', [1], 'json'],
    ['a JSON scalar', 'application/json', ' 42 ', 42, 'json'],
    ['a UTF-8 byte-order mark before JSON', 'application/json', Buffer.from('\ufeff{"a":1}'), { a: 1 }, 'json'],
    ['a __proto__ key in JSON as data', 'application/json', '{"__proto__":{"x":1}}', JSON.parse('{"__proto__":{"x":1}}'), 'json'],
    ['XML with attributes', 'application/xml', '<order id="7"><item>pen</item></order>', { order: { item: 'pen', '@_id': '7' } }, 'xml'],
    ['text/xml', 'text/xml; charset=utf-8', '<a>x</a>', { a: 'x' }, 'xml'],
    ['a +xml vendor type', 'application/atom+xml', '<feed/>', { feed: '' }, 'xml'],
    ['XML boolean attributes', 'application/xml', '<a on>x</a>', { a: { '#text': 'x', '@_on': true } }, 'xml'],
    ['XML without its declaration', 'application/xml', '<?xml version="1.0"?><a>x</a>', { a: 'x' }, 'xml'],
    ['XML entities as written, not expanded', 'application/xml', '<a>t&amp;&lt;</a>', { a: 't&amp;&lt;' }, 'xml'],
    ['a form', 'application/x-www-form-urlencoded', 'a=1&b=x+y&c=%C3%A9', { a: '1', b: 'x y', c: 'é' }, 'form'],
    ['repeated form keys as an array', 'application/x-www-form-urlencoded', 'a=1&a=2&b=3&a=4', { a: ['1', '2', '4'], b: '3' }, 'form'],
    ['an empty form', 'application/x-www-form-urlencoded', '', {}, 'form'],
    ['text', 'text/plain', 'hello é', 'hello é', 'text'],
    ['any text/* type', 'text/csv; charset=utf-8', 'a,b\n1,2', 'a,b\n1,2', 'text'],
    ['empty text', 'text/plain', '', '', 'text'],
  ];
  for (const [name, contentType, raw, body, kind] of cases) {
    // A JSON body also comes back as its text (without a byte-order mark), to be stored as it came.
    const json =
      kind === 'json'
        ? {
            json: Buffer.from(raw)
              .toString('utf8')
              .replace(/^\ufeff/, ''),
          }
        : {};
    it(name, () => assert.deepEqual(parseBody(contentType, Buffer.from(raw)), { ok: true, body, kind, ...json }));
  }

  it('keeps a form field named __proto__ as data', () => {
    const result = parseBody('application/x-www-form-urlencoded', Buffer.from('__proto__=x&a=1'));
    assert.ok(result.ok);
    const body = result.body as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(body), Object.prototype);
    assert.deepEqual(Object.entries(body), [
      ['__proto__', 'x'],
      ['a', '1'],
    ]);
  });
});

describe('parseForm (form bodies and query strings)', () => {
  it('takes field names that Object.prototype also has as plain data', () => {
    const fields = parseForm('toString=1&constructor=x&__proto__=p&hasOwnProperty=2&hasOwnProperty=3');
    assert.equal(Object.getPrototypeOf(fields), Object.prototype);
    assert.deepEqual(Object.entries(fields), [
      ['toString', '1'],
      ['constructor', 'x'],
      ['__proto__', 'p'],
      ['hasOwnProperty', ['2', '3']],
    ]);
  });
});

describe('parseBody rejects', () => {
  const cases: Array<[string, string | undefined, string | Buffer, 'UNSUPPORTED_MEDIA_TYPE' | 'INVALID_BODY', RegExp]> = [
    ['a body without a content type', undefined, 'x', 'UNSUPPORTED_MEDIA_TYPE', /no content type/],
    ['an unsupported type', 'application/octet-stream', 'x', 'UNSUPPORTED_MEDIA_TYPE', /"application\/octet-stream" is not supported/],
    ['an unsupported type with an empty body', 'image/png', '', 'UNSUPPORTED_MEDIA_TYPE', /"image\/png"/],
    ['multipart', 'multipart/form-data; boundary=x', '--x--', 'UNSUPPORTED_MEDIA_TYPE', /multipart\/form-data/],
    ['a lookalike JSON type', 'application/jsonx', '{}', 'UNSUPPORTED_MEDIA_TYPE', /application\/jsonx/],
    ['an empty JSON body', 'application/json', '', 'INVALID_BODY', /body is empty; expected JSON/],
    ['a blank JSON body', 'application/json', '  \n', 'INVALID_BODY', /body is empty; expected JSON/],
    ['broken JSON', 'application/json', '{"a":}', 'INVALID_BODY', /^body is not valid JSON: Unexpected token/],
    ['truncated JSON', 'application/json', '{"a":', 'INVALID_BODY', /^body is not valid JSON: Unexpected end/],
    ['JSON that is not UTF-8', 'application/json', Buffer.from([0x22, 0xff, 0x22]), 'INVALID_BODY', /not valid UTF-8/],
    ['an empty XML body', 'application/xml', '', 'INVALID_BODY', /body is empty; expected XML/],
    ['text sent as XML', 'application/xml', 'hello', 'INVALID_BODY', /^body is not valid XML: .*line 1/],
    [
      'mismatched XML tags',
      'text/xml',
      '<a><b></a>',
      'INVALID_BODY',
      /^body is not valid XML: Expected closing tag 'b'.*\(line 1, column 7\)/,
    ],
  ];
  for (const [name, contentType, raw, code, message] of cases) {
    it(name, () => {
      const result = parseBody(contentType, Buffer.from(raw));
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.code, code);
      assert.match(result.message, message);
    });
  }
});

describe('parseBody and hostile XML', () => {
  it('leaves billion-laughs entity references unexpanded', () => {
    const lol10 = '&lol;'.repeat(10);
    const lol2 = '&lol2;'.repeat(10);
    const xml =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + `<!ENTITY lol2 "${lol10}"><!ENTITY lol3 "${lol2}">]><lolz>&lol3;</lolz>`;
    const result = parseBody('application/xml', Buffer.from(xml));
    assert.ok(result.ok, 'a DTD alone is not an error');
    assert.deepEqual(result.body, { lolz: '&lol3;' });
  });

  it('refuses an external entity rather than reading it', () => {
    const xml = '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>';
    const result = parseBody('application/xml', Buffer.from(xml));
    assert.ok(!result.ok);
    assert.equal(result.code, 'INVALID_BODY');
    assert.match(result.message, /^body is not valid XML: .*external entit/i);
  });
});
