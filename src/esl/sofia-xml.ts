/**
 * Reading the output of `sofia xmlstatus ...` (mod_sofia.c `cmd_xml_status`). mod_sofia prints
 * it with one `write_function` per line, not with an XML library: only some values go through
 * `switch_amp_encode` (which writes `&quot; &apos; &amp; &lt; &gt;`), depending on the field and
 * the FreeSWITCH version, so a raw `&` or `<` can appear in a user agent. The reader is therefore
 * lenient: it takes `<tag>...</tag>` pairs as mod_sofia nests them and decodes the five entities
 * where they occur, instead of failing the whole list on one odd value.
 */

const ENTITIES: Record<string, string> = { quot: '"', apos: "'", amp: '&', lt: '<', gt: '>' };

/** The inner text of every `<tag>...</tag>` in `xml`, in order. */
export function elements(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
}

/** The decoded text of the first `<tag>` in `xml`; undefined when absent or empty. */
export function text(xml: string, tag: string): string | undefined {
  const inner = elements(xml, tag)[0]?.trim();
  return inner ? inner.replace(/&(quot|apos|amp|lt|gt);/g, (_, name: string) => ENTITIES[name]!) : undefined;
}
