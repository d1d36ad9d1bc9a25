/**
 * Real FreeSWITCH 1.10 mod_xml_curl request bodies from ../shared/fixtures/freeswitch/xml_curl/,
 * with fields rewritten to the demo records, and a parser that rejects malformed XML.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SHARED_DIR } from './repo-paths.js';

export const FIXTURE_DIR = path.join(SHARED_DIR, 'fixtures/freeswitch/xml_curl/');

/** Names of the request fixtures (`*.txt` request captures, not the notes files). */
export function requestFixtures(prefix = ''): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.txt') && !['failure-modes.txt', 'responses-sent.txt'].includes(f))
    .sort();
}

/** The urlencoded body of a capture (everything after the blank line). */
export function fixtureBody(name: string): string {
  const text = readFileSync(FIXTURE_DIR + name, 'utf8');
  return text.slice(text.indexOf('\n\n') + 2);
}

/** The body with some fields replaced (values are URL-encoded here), keeping field order. */
export function rewrite(body: string, changes: Record<string, string>): string {
  const params = new URLSearchParams(body);
  for (const [k, v] of Object.entries(changes)) params.set(k, v);
  return params.toString();
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', processEntities: true, parseAttributeValue: false, parseTagValue: false });

/**
 * Parses an answer with an independent parser (fast-xml-parser) and returns the element tree,
 * attributes as `@name` with entities decoded.
 * @throws when the text is not well-formed XML
 */
export function parseXml(xml: string): any {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  return parser.parse(xml);
}

/** Whether the answer is the standard `not found` result document. */
export function isNotFound(xml: string): boolean {
  const doc = parseXml(xml);
  return doc?.document?.section?.['@name'] === 'result' && doc.document.section.result?.['@status'] === 'not found';
}
