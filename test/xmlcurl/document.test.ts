/**
 * Every document Switchplane serves FreeSWITCH keeps its XML declaration on a line of its own:
 * FreeSWITCH's preprocess() (src/switch_xml.c) drops each whole line containing `<?`, so a
 * document on the declaration's line reaches mod_xml_curl empty ("Error Parsing Result!").
 */
import t from 'tap';
import { XMLParser } from 'fast-xml-parser';
import { NOT_FOUND_XML, nameValueList, newSection, render } from '../../src/xmlcurl/document.js';

/** What FreeSWITCH's preprocess() keeps: the lines without `<?`. */
const preprocessed = (xml: string) => xml.split('\n').filter((line) => !line.includes('<?')).join('\n');

t.test('a rendered section survives FreeSWITCH preprocessing whole', async (t) => {
  const { doc, section } = newSection('configuration');
  nameValueList(section.ele('configuration', { name: 'x.conf' }), 'settings', [['a', 'b']]);
  const xml = render(doc);
  t.equal(xml.split('\n')[0], '<?xml version="1.0" encoding="UTF-8"?>', 'the declaration alone on the first line');
  const kept = new XMLParser({ ignoreAttributes: false }).parse(preprocessed(xml));
  t.equal(kept.document['@_type'], 'freeswitch/xml');
  t.equal(kept.document.section.configuration.settings.param['@_value'], 'b');
});

t.test('the not-found answer survives FreeSWITCH preprocessing whole', async (t) => {
  const kept = new XMLParser({ ignoreAttributes: false }).parse(preprocessed(NOT_FOUND_XML));
  t.equal(kept.document.section.result['@_status'], 'not found');
});
