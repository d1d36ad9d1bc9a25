/**
 * Unknown body fields as a 400 naming them. Fastify's ajv drops properties a schema does not
 * declare (`removeAdditional`), so a misspelt field would be ignored without a word; the
 * resources whose clients come from other VoIP APIs answer it instead, suggesting the field the
 * other API's name stands for.
 */
import type { TObject, TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { excerpt } from '../domain/excerpt.js';
import { invalid } from './errors.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const propertiesOf = (schema: TSchema | undefined): Record<string, TSchema> | undefined =>
  schema && isObject((schema as Partial<TObject>).properties) ? (schema as TObject).properties : undefined;

/** @throws ApiError 400 naming the first field of `value` (then of its objects, `a.b`) that `properties` lacks */
function check(value: unknown, properties: Record<string, TSchema>, prefix: string, aliases: Readonly<Record<string, string>>): void {
  if (!isObject(value)) return;
  for (const key of Object.keys(value)) {
    const field = prefix + key;
    if (!(key in properties)) throw invalid(field, aliases[field] ? `unknown field ${field}: did you mean ${aliases[field]}?` : `unknown field ${excerpt(field)}`);
  }
  for (const key of Object.keys(value)) {
    const nested = propertiesOf(properties[key]);
    if (nested) check(value[key], nested, `${prefix}${key}.`, aliases);
  }
}

/**
 * A preValidation hook refusing body fields `schema` (an object schema, its object properties
 * checked the same way) does not declare.
 * @param aliases other APIs' names (`field` or `parent.field`) → this API's, for the message
 */
export function rejectUnknownFields(schema: TObject, aliases: Readonly<Record<string, string>> = {}) {
  return async (req: FastifyRequest): Promise<void> => check(req.body, schema.properties, '', aliases);
}
