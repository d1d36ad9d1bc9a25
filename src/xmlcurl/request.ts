/**
 * Turns what mod_xml_curl sends (form fields: `section`, `tag_name`, `key_name`, `key_value`,
 * then every header of the request's params event; mod_xml_curl.c `xml_url_fetch`,
 * switch_event.c `switch_event_build_param_string`) into a typed lookup.
 */
import { CHANNEL_VARS } from '../freeswitch/vocabulary.js';

/** Reads one form field: the first value when a key repeats (xml_locate repeats `section`). */
export type Fields = (name: string) => string | undefined;

/** `&<name>=` per field name, made once: the names read are the few this module's lookups use. */
const needles = new Map<string, string>();
function needleOf(name: string): string {
  let needle = needles.get(name);
  if (needle === undefined) needles.set(name, (needle = `&${name}=`));
  return needle;
}

/**
 * A mod_xml_curl form body, read lazily: only the fields a lookup asks for are found and
 * decoded. A REGISTER body carries some 50 fields (about 1.2 KB) and the directory reads six.
 * Field names are event header names, which switch_event_build_param_string sends unencoded;
 * values are URL-encoded (switch_url_encode), `+` included as a space for other clients.
 */
export class FormBody {
  constructor(readonly raw: string) {}

  /** The first value of `name`, decoded; a value with a broken escape is returned as sent. */
  field(name: string): string | undefined {
    const { raw } = this;
    const needle = needleOf(name);
    let start: number;
    if (raw.startsWith(name) && raw.charCodeAt(name.length) === 61 /* = */) {
      start = name.length + 1;
    } else {
      const at = raw.indexOf(needle);
      if (at < 0) return undefined;
      start = at + needle.length;
    }
    const end = raw.indexOf('&', start);
    const value = end < 0 ? raw.slice(start) : raw.slice(start, end);
    if (!value.includes('%') && !value.includes('+')) return value;
    try {
      return decodeURIComponent(value.replaceAll('+', ' '));
    } catch {
      return value;
    }
  }
}

/** Field reader over a `FormBody`, or a parsed query string (strings or arrays of strings). */
export function formFields(input: unknown): Fields {
  if (input instanceof FormBody) return (name) => input.field(name);
  const record = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  return (name) => {
    const v = Object.hasOwn(record, name) ? record[name] : undefined;
    const first = Array.isArray(v) ? v[0] : v;
    return typeof first === 'string' ? first : undefined;
  };
}

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
  /** `variable_switchplane_direction`: the direction an earlier dialplan pass exported (a transfer). */
  direction: string | null;
  /** `variable_switchplane_recording_path`: the recording an earlier dialplan pass set up (a transfer). */
  recordingPath: string | null;
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

const nonEmpty = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

/** Classifies a request; never throws. */
export function parseLookup(f: Fields, sectionFromPath?: string): Lookup {
  const section = f('section') || sectionFromPath || '';
  switch (section) {
    case 'directory':
      return {
        section,
        domain: (f('domain') || f('key_value') || '').toLowerCase(),
        user: nonEmpty(f('user')),
        action: nonEmpty(f('action')),
        purpose: nonEmpty(f('purpose')),
        realm: nonEmpty(f('sip_auth_realm')),
      };
    case 'dialplan':
      return {
        section,
        context: f('Hunt-Context') || f('Caller-Context') || '',
        destination: f('Hunt-Destination-Number') || f('Caller-Destination-Number') || '',
        callerNumber: f('Hunt-Caller-ID-Number') || f('Caller-Caller-ID-Number') || '',
        authUser: nonEmpty(f('variable_user_name')),
        direction: nonEmpty(f(`variable_${CHANNEL_VARS.direction}`)),
        recordingPath: nonEmpty(f(`variable_${CHANNEL_VARS.recordingPath}`)),
      };
    case 'configuration':
      return { section, file: f('key_value') ?? '', profile: nonEmpty(f('profile')) };
    default:
      return { section: 'other', name: section };
  }
}
