/**
 * The mod_xml_curl response envelope (`<document type="freeswitch/xml">`, switch_xml.c
 * `switch_xml_locate`) built with xmlbuilder2, which escapes every attribute value.
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';

/**
 * Makes tenant-supplied text inert for FreeSWITCH: the response is run through FreeSWITCH's
 * preprocessor (`$${var}`, switch_xml.c) and channel variables are expanded at run time
 * (`${api(args)}` calls an API), so `$`, `{` and `}` are removed; characters XML 1.0 forbids are
 * dropped too.
 */
export function fsText(value: string): string {
  return value.replace(/[${}\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

/** A new document with one `<section name=...>`; returns the section element to fill. */
export function newSection(name: 'directory' | 'dialplan' | 'configuration'): { doc: XMLBuilder; section: XMLBuilder } {
  const doc = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '' }).ele('document', {
    type: 'freeswitch/xml',
  });
  const section = doc.ele('section', { name, description: 'Switchplane' });
  return { doc, section };
}

/** Serialises a document built with `newSection`. */
export function render(doc: XMLBuilder): string {
  return doc.end({ prettyPrint: false });
}

/**
 * The standard `not found` result: FreeSWITCH tries its next binding, then its own files.
 * Constant, so it is built once.
 */
export const NOT_FOUND_XML = create({ version: '1.0', encoding: 'UTF-8' })
  .ele('document', { type: 'freeswitch/xml' })
  .ele('section', { name: 'result' })
  .ele('result', { status: 'not found' })
  .end({ prettyPrint: false });

/** Appends `<params><param name value/>...</params>` (or `variables`/`variable`). */
export function nameValueList(parent: XMLBuilder, list: string, entries: Array<[string, string]>): void {
  const child = list === 'variables' ? 'variable' : 'param';
  const el = parent.ele(list);
  for (const [name, value] of entries) el.ele(child, { name, value });
}
