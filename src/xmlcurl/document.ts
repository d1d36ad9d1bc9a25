/**
 * The mod_xml_curl response envelope (`<document type="freeswitch/xml">`, switch_xml.c
 * `switch_xml_locate`) built with xmlbuilder2, which escapes every attribute value.
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** A new document with one `<section name=...>`; returns the section element to fill. */
export function newSection(name: 'directory' | 'dialplan' | 'configuration'): { doc: XMLBuilder; section: XMLBuilder } {
  const doc = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '' }).ele('document', {
    type: 'freeswitch/xml',
  });
  const section = doc.ele('section', { name, description: 'Switchplane' });
  return { doc, section };
}

/**
 * Serialises a document built with `newSection`: the XML declaration on a line of its own, the
 * document on the next. FreeSWITCH parses every mod_xml_curl answer with `switch_xml_parse_file()`,
 * whose `preprocess()` (src/switch_xml.c) drops each whole *line* containing `<?` to skip the
 * declaration; a document on the declaration's line would be dropped with it ("Error Parsing
 * Result!", mod_xml_curl.c).
 */
export function render(doc: XMLBuilder): string {
  return `${XML_DECLARATION}\n${doc.end({ prettyPrint: false, headless: true })}\n`;
}


/**
 * The standard `not found` result: FreeSWITCH tries its next binding, then its own files.
 * Constant, so it is built once.
 */
export const NOT_FOUND_XML = render(
  create({ version: '1.0', encoding: 'UTF-8' })
    .ele('document', { type: 'freeswitch/xml' })
    .ele('section', { name: 'result' })
    .ele('result', { status: 'not found' })
    .doc(),
);

/** Appends `<params><param name value/>...</params>` (or `variables`/`variable`). */
export function nameValueList(parent: XMLBuilder, list: string, entries: Array<[string, string]>): void {
  const child = list === 'variables' ? 'variable' : 'param';
  const el = parent.ele(list);
  for (const [name, value] of entries) el.ele(child, { name, value });
}
