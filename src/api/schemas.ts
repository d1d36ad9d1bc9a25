/**
 * Shared TypeBox schemas of the REST API: they validate requests (Fastify's ajv) and make the
 * OpenAPI document at /docs/json.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ERROR_CODE_LIST, ERROR_CODES } from './errors.js';

/** A string of one of `values`, documented as an enum (ajv: "must be equal to one of the allowed values"). */
export const StringEnum = <T extends string>(values: readonly T[], opts: { description?: string } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });

/** `schema` or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid });
export const CustomerParams = Type.Object({ customerId: Uuid });
export const CustomerItemParams = Type.Object({ customerId: Uuid, id: Uuid });
/** Path parameters of a tenant resource route, in either form. */
export type ItemParams = Static<typeof IdParams> & Partial<Static<typeof CustomerParams>>;

/**
 * The two forms of every tenant resource path: the key's own tenant (or X-Tenant-ID), and
 * `/customers/{customerId}` (an admin naming the customer).
 */
export const PATH_FORMS = [
  { prefix: '', collection: undefined, item: IdParams },
  { prefix: '/customers/:customerId', collection: CustomerParams, item: CustomerItemParams },
] as const;

/**
 * A phone number as sent: E.164 (`+` and 7–15 digits), or a national number of the customer's
 * country (src/domain/numbers.ts toE164); spaces, dots, dashes and parentheses are removed first.
 */
export const PhoneNumberText = Type.String({ minLength: 3, maxLength: 32, description: 'E.164, e.g. +390510510511, or national format of the customer\'s country, e.g. 0510510511 in IT; stored as E.164' });

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: StringEnum(ERROR_CODE_LIST, { description: `stable error code: ${ERROR_CODE_LIST.map((c) => `${c} (${ERROR_CODES[c].meaning})`).join('; ')}` }),
      message: Type.String(),
      field: Type.Optional(Type.String({ description: 'the request field at fault' })),
    }),
  },
  { $id: 'Error', title: 'Error' },
);

/** `{ data: T }`, the envelope of every success answer. */
export const Data = <T extends TSchema>(data: T) => Type.Object({ data });

/** Error answers every authenticated route documents. */
export const errorResponses = {
  400: Type.Ref(ErrorResponse),
  401: Type.Ref(ErrorResponse),
  403: Type.Ref(ErrorResponse),
  404: Type.Ref(ErrorResponse),
  409: Type.Ref(ErrorResponse),
  429: Type.Ref(ErrorResponse),
};

export const bearer = [{ bearerAuth: [] }];
