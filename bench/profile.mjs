// Summarises a V8 .cpuprofile (node --cpu-prof): where the samples were, by function (self and
// inclusive time) and by package or Hookflow library. Blocking native calls (e.g. an fsync
// inside better-sqlite3) count as time in the JS frame that made the call.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * @param {{ fromEndMs: number, toEndMs: number }} [options.window] only the samples taken between
 *   these many milliseconds before the profile's end (later bound first)
 */
export function summariseProfile(file, { top = 15, window } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map();
  const inclusive = new Map();
  const areas = new Map();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window) {
      const beforeEnd = (profile.endTime - at) / 1000;
      if (beforeEnd < window.fromEndMs || beforeEnd > window.toEndMs) return;
    }
    total += delta;
    const node = nodes.get(id);
    const key = frameName(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + delta);
    const area = areaOf(node.callFrame);
    areas.set(area, (areas.get(area) ?? 0) + delta);
    const seen = new Set();
    for (let frame = id; frame !== undefined; frame = parent.get(frame)) {
      const name = frameName(nodes.get(frame).callFrame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + delta);
    }
  });
  const rank = (map, skip = () => false) =>
    [...map.entries()]
      .filter(([name]) => !skip(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / total }));
  return {
    seconds: total / 1e6,
    self: rank(self),
    inclusive: rank(inclusive, (name) => name.startsWith('(root)') || name.startsWith('(program)') || name.startsWith('(idle)')),
    areas: rank(areas),
  };
}

function frameName({ functionName, url, lineNumber }) {
  if (!url) return functionName || '(anonymous)';
  // an anonymous function is named by the start of its line, e.g. "(anonymous: return this.exclusive(async () => {)"
  const name = functionName || `(anonymous: ${sourceLine(url, lineNumber) ?? '?'})`;
  return `${name} ${shortUrl(url)}:${lineNumber + 1}`;
}

const sources = new Map();
function sourceLine(url, lineNumber) {
  if (!url.startsWith('file://')) return undefined;
  if (!sources.has(url)) {
    try {
      sources.set(url, readFileSync(fileURLToPath(url), 'utf8').split('\n'));
    } catch {
      sources.set(url, []);
    }
  }
  const line = sources.get(url)[lineNumber]?.trim().replace(/`/g, "'"); // backticks would end a markdown code span
  return line && line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

function shortUrl(url) {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) return url.slice(modules + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

/** The package (node_modules), Hookflow library (dist/libs/<name>), Node core, or a V8 pseudo-frame. */
function areaOf({ functionName, url }) {
  if (!url) return functionName.startsWith('(') ? functionName : `native: ${functionName || '(anonymous)'}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const lib = /\/dist\/(libs|apps)\/([^/]+)\//.exec(url);
  if (lib) return `hookflow ${lib[1]}/${lib[2]}`;
  if (url.startsWith('node:')) return 'node core';
  return shortUrl(url);
}
