/**
 * Fastify's own schema compilers (@fastify/ajv-compiler for request validation,
 * @fastify/fast-json-stringify-compiler for response serialization), each route's function built
 * on its first use instead of when the app becomes ready. Fastify compiles every route's schemas
 * at `ready()` (fastify lib/route.js `compileSchemasForValidation`, `compileSchemasForSerialization`):
 * for the API's routes that was 0.9–1.2 s of each start on the project's 2-core machine, paid
 * again by every test app, while a process answers few of them soon after it starts.
 *
 * The compilers themselves (an ajv instance per set of shared schemas) are made on first use too.
 *
 * Validation and serialization are unchanged: the same compilers with the same options (Fastify's
 * `ajv` server option, its `serializerOpts`). What moves is when a schema's error shows: a schema
 * that does not compile fails its route's first request (a 500) instead of `ready()`. One more
 * difference, Fastify's for any compiler factory given as an option: it passes a `headers` schema
 * as written, without lower-casing its property names; no route here has one.
 */
import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type Compiled = ((...args: never[]) => unknown) & { errors?: unknown };

/**
 * `compile` run on the first call of the returned function, which then calls what it made.
 * The ajv validator's `errors` (set by each call that returns false, read by Fastify's
 * lib/validation.js) is read through.
 */
function lazily<F extends Compiled>(compile: () => F): F {
  let compiled: F | undefined;
  const first = (...args: Parameters<F>) => (compiled ??= compile())(...args);
  Object.defineProperty(first, 'errors', { get: () => compiled?.errors });
  return first as unknown as F;
}

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/** The `schemaController` option that makes Fastify's compilers lazy. */
export function lazySchemaCompilers(): { compilersFactory: CompilersFactory } {
  const buildValidator = AjvCompiler();
  const buildSerializer = SerializerSelector();
  return {
    compilersFactory: {
      buildValidator: (externalSchemas, ajvOptions) => {
        let compile: ReturnType<typeof buildValidator> | undefined;
        return (route) => lazily(() => (compile ??= buildValidator(externalSchemas, ajvOptions))(route));
      },
      buildSerializer: (externalSchemas, serializerOptions) => {
        let compile: ReturnType<typeof buildSerializer> | undefined;
        return (route) => lazily(() => (compile ??= buildSerializer(externalSchemas, serializerOptions))(route));
      },
    },
  };
}
