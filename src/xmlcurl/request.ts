/**
 * Turns what mod_xml_curl sends (form fields: `section`, `tag_name`, `key_name`, `key_value`,
 * then every header of the request's params event; mod_xml_curl.c `xml_url_fetch`,
 * switch_event.c `switch_event_build_param_string`) into a typed lookup.
 */

export type Fields = Record<string, string>;

export interface DirectoryLookup {
  section: 'directory';
  /** `domain` param, else `key_value`; lower-cased; '' for an all-domains scan. */
  domain: string;
  /** `user` param (the auth username or the dialled id), or null for a domain lookup. */
  user: string | null;
  /** `action`: sip_auth, user_call, message-count, voicemail-lookup, reverse-auth-lookup, ... */
  action: string | null;
  /** `purpose`: gateways (sofia `<domains>` scan) or network-list (acl.conf domain nodes). */
  purpose: string | null;
  /** Digest realm of a sip_auth (`sip_auth_realm`), else null. */
  realm: string | null;
}

export interface DialplanLookup {
  section: 'dialplan';
  /** `Hunt-Context`, else `Caller-Context`. */
  context: string;
  /** `Hunt-Destination-Number`, else `Caller-Destination-Number`. */
  destination: string;
  callerNumber: string;
  /** `variable_user_name`: the directory user that authenticated the call. */
  authUser: string | null;
  uniqueId: string | null;
}

export interface ConfigurationLookup {
  section: 'configuration';
  /** `key_value`, e.g. `sofia.conf`. */
  file: string;
  /** `profile` param of sofia worker fetches and rescans, or null for all profiles. */
  profile: string | null;
}

export interface OtherLookup {
  section: 'other';
  name: string;
}

export type Lookup = DirectoryLookup | DialplanLookup | ConfigurationLookup | OtherLookup;

/** First value of a field; form parsers give arrays for repeated keys (xml_locate repeats `section`). */
export function flattenFields(input: unknown): Fields {
  const out: Fields = {};
  if (!input || typeof input !== 'object') return out;
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') out[k] = first;
  }
  return out;
}

const nonEmpty = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

/** Classifies a request; never throws. */
export function parseLookup(fields: Fields, sectionFromPath?: string): Lookup {
  const section = fields.section || sectionFromPath || '';
  switch (section) {
    case 'directory':
      return {
        section,
        domain: (fields.domain || fields.key_value || '').toLowerCase(),
        user: nonEmpty(fields.user),
        action: nonEmpty(fields.action),
        purpose: nonEmpty(fields.purpose),
        realm: nonEmpty(fields.sip_auth_realm),
      };
    case 'dialplan':
      return {
        section,
        context: fields['Hunt-Context'] || fields['Caller-Context'] || '',
        destination: fields['Hunt-Destination-Number'] || fields['Caller-Destination-Number'] || '',
        callerNumber: fields['Hunt-Caller-ID-Number'] || fields['Caller-Caller-ID-Number'] || '',
        authUser: nonEmpty(fields.variable_user_name),
        uniqueId: nonEmpty(fields['Unique-ID']),
      };
    case 'configuration':
      return { section, file: fields.key_value ?? '', profile: nonEmpty(fields.profile) };
    default:
      return { section: 'other', name: section };
  }
}
