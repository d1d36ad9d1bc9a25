/**
 * The auth API of the contract (POST /api/v1/auth/login, accept, logout; GET /api/v1/auth/session)
 * until its routes are in the OpenAPI document; removed when `npm run api:types` generates them.
 */
import type { components } from './schema';

/** The person behind the session cookie. */
export interface SessionUser { id: string; email: string; name: string; role: 'operator' | 'admin' | 'agent'; tenantId: string | null; tenantName: string | null; extensionId: string | null; extension: string | null }

type ErrorAnswer = { headers: Record<string, unknown>; content: { 'application/json': components['schemas']['Error'] } };
type SessionAnswer = { headers: Record<string, unknown>; content: { 'application/json': { data: { user: SessionUser; csrfToken: string } } } };
type Op<B> = {
  parameters: { query?: never; header?: never; path?: never; cookie?: never };
  requestBody: B extends never ? never : { content: { 'application/json': B } };
  responses: { 200: SessionAnswer; 400: ErrorAnswer; 401: ErrorAnswer; 429: ErrorAnswer };
};
type NoOp = { parameters: { query?: never; header?: never; path?: never; cookie?: never } };

declare module './schema' {
  interface paths {
    '/api/v1/auth/login': NoOp & { post: Op<{ email: string; password: string }> };
    '/api/v1/auth/accept': NoOp & { post: Op<{ token: string; password: string }> };
    '/api/v1/auth/logout': NoOp & { post: { parameters: NoOp['parameters']; requestBody?: never; responses: { 204: { headers: Record<string, unknown>; content?: never } } } };
    '/api/v1/auth/session': NoOp & { get: { parameters: NoOp['parameters']; requestBody?: never; responses: { 200: SessionAnswer; 401: ErrorAnswer } } };
  }
}
