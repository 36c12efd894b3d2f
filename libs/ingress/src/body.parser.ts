// Turns a raw webhook body into the value workflows see, by content type. It answers the two
// failures the ingress distinguishes (415 for a type it does not speak, 400 for a body that does
// not parse) as values with a message saying what failed. XML is validated before parsing and
// its entities are never expanded, so a billion-laughs or external-entity payload stays inert.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type BodyKind = 'json' | 'xml' | 'form' | 'text' | 'empty';

/** `json`: the body's text, which is valid JSON as it came (a stored copy need not be written again). */
export type ParsedBody =
  | { ok: true; body: unknown; kind: BodyKind; json?: string }
  | { ok: false; code: 'UNSUPPORTED_MEDIA_TYPE' | 'INVALID_BODY'; message: string };

const XML_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  processEntities: false,
  htmlEntities: false,
  allowBooleanAttributes: true,
  // The `<?xml version="1.0"?>` declaration says nothing about the payload.
  ignoreDeclaration: true,
} as const;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

export function parseBody(contentType: string | undefined, raw: Buffer): ParsedBody {
  const mediaType = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType === '') {
    if (raw.length === 0) return { ok: true, body: null, kind: 'empty' };
    return unsupported('request has a body but no content type');
  }
  const kind = kindOf(mediaType);
  if (kind === undefined) return unsupported(`content type "${mediaType}" is not supported; send JSON, XML, form or text`);
  if (kind === 'text') return { ok: true, body: lenientUtf8.decode(raw), kind };

  let text: string;
  try {
    text = strictUtf8.decode(raw);
  } catch {
    return invalid(`body is not valid UTF-8 (${mediaType})`);
  }
  switch (kind) {
    case 'json':
      return parseJson(text);
    case 'xml':
      return parseXml(text);
    case 'form':
      return { ok: true, body: parseForm(text), kind };
  }
}

function kindOf(mediaType: string): Exclude<BodyKind, 'empty'> | undefined {
  if (mediaType === 'application/json' || /^application\/[^/]+\+json$/.test(mediaType)) return 'json';
  if (mediaType === 'application/xml' || mediaType === 'text/xml' || /^application\/[^/]+\+xml$/.test(mediaType)) {
    return 'xml';
  }
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  if (mediaType.startsWith('text/')) return 'text';
  return undefined;
}

function parseJson(text: string): ParsedBody {
  if (text.trim() === '') return invalid('body is empty; expected JSON');
  try {
    return { ok: true, body: JSON.parse(text), kind: 'json', json: text };
  } catch (error) {
    return invalid(`body is not valid JSON: ${(error as Error).message}`);
  }
}

function parseXml(text: string): ParsedBody {
  if (text.trim() === '') return invalid('body is empty; expected XML');
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: true });
  if (valid !== true) {
    const { msg, line, col } = valid.err as { msg: string; line: number; col?: number };
    const where = col === undefined ? `line ${line}` : `line ${line}, column ${col}`;
    return invalid(`body is not valid XML: ${msg} (${where})`);
  }
  try {
    return { ok: true, body: new XMLParser(XML_OPTIONS).parse(text), kind: 'xml' };
  } catch (error) {
    // The validator accepts a DOCTYPE the parser then refuses, such as an external entity.
    return invalid(`body is not valid XML: ${(error as Error).message}`);
  }
}

/** URL-encoded fields (a form body, a query string): repeated keys become arrays, in the order sent. */
export function parseForm(text: string): Record<string, string | string[]> {
  const fields = new Map<string, string | string[]>();
  for (const [key, value] of new URLSearchParams(text)) {
    const seen = fields.get(key);
    if (seen === undefined) fields.set(key, value);
    else if (Array.isArray(seen)) seen.push(value);
    else fields.set(key, [seen, value]);
  }
  // fromEntries defines own properties, so a `__proto__` field is data, not a prototype.
  return Object.fromEntries(fields);
}

function unsupported(message: string): ParsedBody {
  return { ok: false, code: 'UNSUPPORTED_MEDIA_TYPE', message };
}

function invalid(message: string): ParsedBody {
  return { ok: false, code: 'INVALID_BODY', message };
}
